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
/* "1", "true", "0", "false" (Docker's query booleans; also "yes"/"no"). -EINVAL otherwise. */
int ross_parse_bool(const char *s, bool *ret);
