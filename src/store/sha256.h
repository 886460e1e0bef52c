/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * SHA-256 (FIPS 180-4), portable C, libc only. The daemon hashes with this so that it never
 * links libcrypto (docs/pull-helper.md); the pull helper, which hashes whole layers, switches
 * digest.h to OpenSSL with ross_digest_use_openssl().
 */

#include <stddef.h>
#include <stdint.h>

#define ROSS_SHA256_SIZE  32
#define ROSS_SHA256_BLOCK 64

typedef struct RossSha256 {
        uint32_t h[8];
        uint64_t total;                 /* bytes hashed so far */
        uint8_t buf[ROSS_SHA256_BLOCK]; /* a partial block */
        size_t buf_len;
} RossSha256;

void ross_sha256_init(RossSha256 *s);
/* Hash n more bytes; any split of the input into updates gives the same digest. */
void ross_sha256_update(RossSha256 *s, const void *p, size_t n);
/* Write the 32-byte digest to md. s must be initialised again before it is used again. */
void ross_sha256_final(RossSha256 *s, uint8_t md[ROSS_SHA256_SIZE]);
