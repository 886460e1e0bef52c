/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * The one checked number parser for flags, query parameters and files. Decimal only,
 * optional leading '-' for the signed forms, no leading or trailing junk (one trailing
 * '\n' is allowed, for files), no empty string. Returns 0 and writes *ret, -EINVAL for
 * something that is not a number, -ERANGE for a number outside [min, max]. *ret is left
 * alone on failure.
 */
int ross_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret);
int ross_parse_u64(const char *s, uint64_t max, uint64_t *ret);
int ross_parse_int(const char *s, int min, int max, int *ret);
/* Base 16, same rules (for HTTP chunk sizes and the like; no "0x"). */
int ross_parse_u64_hex(const char *s, uint64_t max, uint64_t *ret);
/*
 * A decimal number with an optional fraction, for sizes, CPUs and durations: "2", "1.5",
 * ".5" and "2." (as strtod and Go's ParseFloat take them), no sign, exponent, hex, inf or
 * spaces; within [0, max]. With ret_rest NULL the number is the whole of s; else it is the
 * longest such start of s and *ret_rest points past it (at a unit: "512m", "1h30m"). Returns
 * 0, -EINVAL for no number, -ERANGE above max. Nothing is written on failure.
 */
int ross_parse_decimal(const char *s, double max, double *ret, const char **ret_rest);
/* "1", "true", "0", "false" (Docker's query booleans; also "yes"/"no"). -EINVAL otherwise. */
int ross_parse_bool(const char *s, bool *ret);
/*
 * Unix seconds with an optional decimal fraction ("1700000000", "1700000000.5"), as Docker's
 * clients send since/until; the whole seconds within [min, max]. -EINVAL otherwise.
 */
int ross_parse_unix_seconds(const char *s, int64_t min, int64_t max, double *ret);
/* Go's time.RFC3339Nano ("2026-12-01T09:24:48.123456789Z") to Unix seconds with a fraction;
 * 0 when s is NULL or not one. */
double ross_parse_rfc3339(const char *s);
