/* SPDX-License-Identifier: Apache-2.0 */
#include "digest.h"
#include "sha256.h"

struct RossHash {
        const RossDigestBackend *backend; /* NULL: sha below */
        void *ctx;
        RossSha256 sha;
};

/* Set once at the start of main (ross_digest_use_openssl), read-only afterwards. */
static const RossDigestBackend *digest_backend;

void ross_digest_set_backend(const RossDigestBackend *b)
{
        digest_backend = b;
}

const char *ross_digest_backend_name(void)
{
        return digest_backend ? digest_backend->name : "sha256";
}

RossHash *ross_hash_new(void)
{
        RossHash *h = xmalloc(sizeof(*h));
        h->backend = digest_backend;
        h->ctx = NULL;
        if (h->backend)
                h->ctx = h->backend->new ();
        else
                ross_sha256_init(&h->sha);
        return h;
}

void ross_hash_update(RossHash *h, const void *p, size_t n)
{
        if (n == 0)
                return;
        if (h->backend)
                h->backend->update(h->ctx, p, n);
        else
                ross_sha256_update(&h->sha, p, n);
}

void ross_hash_final(RossHash *h, char *out)
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[ROSS_SHA256_SIZE];

        if (h->backend)
                h->backend->final(h->ctx, md);
        else
                ross_sha256_final(&h->sha, md);
        memcpy(out, "sha256:", 7);
        for (unsigned i = 0; i < ROSS_SHA256_SIZE; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[7 + 2 * i + 1] = hex[md[i] & 15];
        }
        out[ROSS_DIGEST_LEN] = '\0';
}

void ross_hash_free(RossHash *h)
{
        if (h->backend)
                h->backend->free(h->ctx);
        free(h);
}

void ross_digest_buf(const void *p, size_t n, char *out)
{
        _cleanup_(ross_hash_freep) RossHash *h = ross_hash_new();
        ross_hash_update(h, p, n);
        ross_hash_final(h, out);
}
