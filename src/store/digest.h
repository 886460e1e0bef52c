/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

#define ROSS_DIGEST_LEN (7 + 64) /* "sha256:" + hex */

/*
 * SHA-256 digests, "sha256:<hex>". By default the portable SHA-256 of sha256.h computes them,
 * so a program that only uses this header links no libcrypto (ross-daemon: it stays small in
 * memory, docs/pull-helper.md). A program that hashes whole layers calls
 * ross_digest_use_openssl() once at the start of main, before any hash exists and before
 * any thread starts; from then on OpenSSL computes them (with the CPU's SHA instructions).
 */

typedef struct RossHash RossHash;

/* One way of computing SHA-256: ross_digest_set_backend() installs it. */
typedef struct RossDigestBackend {
        const char *name;
        void *(*new)(void);
        void (*update)(void *ctx, const void *p, size_t n);
        void (*final)(void *ctx, unsigned char md[32]);
        void (*free)(void *ctx);
} RossDigestBackend;

/* Hash with b from now on (NULL: the portable one again). Only before any RossHash exists
 * and before threads start; b must outlive the program. */
void ross_digest_set_backend(const RossDigestBackend *b);
/* "sha256" (portable) or the installed backend's name. */
const char *ross_digest_backend_name(void);
/* Hash with OpenSSL (src/store/digest-openssl.c; the caller links libcrypto). */
void ross_digest_use_openssl(void);

RossHash *ross_hash_new(void);
void ross_hash_update(RossHash *h, const void *p, size_t n);
/* Write "sha256:<hex>" into out (ROSS_DIGEST_LEN + 1 bytes). */
void ross_hash_final(RossHash *h, char *out);
void ross_hash_free(RossHash *h);
static inline void ross_hash_freep(RossHash **h)
{
        if (*h)
                ross_hash_free(*h);
}

/* Digest of a buffer, "sha256:<hex>". */
void ross_digest_buf(const void *p, size_t n, char *out);
