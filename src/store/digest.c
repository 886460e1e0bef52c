/* SPDX-License-Identifier: Apache-2.0 */
#include <openssl/evp.h>

#include "digest.h"

struct RossHash {
        EVP_MD_CTX *ctx;
};

RossHash *ross_hash_new(void)
{
        RossHash *h = xmalloc(sizeof(*h));
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
                abort();
        return h;
}

void ross_hash_update(RossHash *h, const void *p, size_t n)
{
        if (n)
                EVP_DigestUpdate(h->ctx, p, n);
}

void ross_hash_final(RossHash *h, char *out)
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;

        EVP_DigestFinal_ex(h->ctx, md, &len);
        memcpy(out, "sha256:", 7);
        for (unsigned i = 0; i < len && i < 32; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[7 + 2 * i + 1] = hex[md[i] & 15];
        }
        out[ROSS_DIGEST_LEN] = '\0';
}

void ross_hash_free(RossHash *h)
{
        EVP_MD_CTX_free(h->ctx);
        free(h);
}

void ross_digest_buf(const void *p, size_t n, char *out)
{
        _cleanup_(ross_hash_freep) RossHash *h = ross_hash_new();
        ross_hash_update(h, p, n);
        ross_hash_final(h, out);
}
