/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

#define ROSS_DIGEST_LEN (7 + 64) /* "sha256:" + hex */

typedef struct RossHash RossHash;

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
