/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OpenSSL backend of digest.h, for the pull helper, which hashes whole layers: OpenSSL
 * uses the CPU's SHA instructions (about 4x the portable code here). EVP and the low-level
 * SHA256_* functions run at the same speed on large buffers; EVP is the one not deprecated.
 * Only a program that calls ross_digest_use_openssl() links this file, and so libcrypto.
 */
#include <openssl/evp.h>

#include "digest.h"

static void *ossl_new(void)
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
                abort();
        return ctx;
}

static void ossl_update(void *ctx, const void *p, size_t n)
{
        if (EVP_DigestUpdate(ctx, p, n) != 1)
                abort();
}

static void ossl_final(void *ctx, unsigned char md[32])
{
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32)
                abort();
}

static void ossl_free(void *ctx)
{
        EVP_MD_CTX_free(ctx);
}

static const RossDigestBackend ossl_backend = {
        .name = "openssl",
        .new = ossl_new,
        .update = ossl_update,
        .final = ossl_final,
        .free = ossl_free,
};

void ross_digest_use_openssl(void)
{
        ross_digest_set_backend(&ossl_backend);
}
