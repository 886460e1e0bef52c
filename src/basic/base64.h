/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Base64 (RFC 4648): the standard alphabet (section 4) and the URL-safe one (section 5, as
 * Docker's X-Registry-Auth uses it). libc only, so that the daemon needs no libcrypto for it.
 */

#include "macros.h"

enum {
        ROSS_BASE64_URL = 1 << 0, /* encode with '-' and '_' instead of '+' and '/' */
};

/* Encode n bytes, with '=' padding. Returns a NUL-terminated string the caller frees. */
char *ross_base64_encode(const void *p, size_t n, unsigned flags);

/* Decode n characters of either alphabet, with or without padding; whitespace is skipped.
 * Returns 0 with *ret (NUL-terminated, the caller frees) and *ret_len, or -EINVAL for a
 * character outside both alphabets, '=' before the end, or a length no encoder writes
 * (4k + 1 characters). */
int ross_base64_decode(const char *in, size_t n, unsigned char **ret, size_t *ret_len);
