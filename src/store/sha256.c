/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 as FIPS 180-4 specifies it: sections 4.1.2 (functions), 4.2.2 (constants), 5.1.1
 * (padding), 5.3.3 (initial hash value) and 6.2.2 (the computation).
 */
#include <string.h>

#include "sha256.h"

/* First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
        return (x >> n) | (x << (32 - n));
}

#define CH(x, y, z)  (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)     (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22))
#define BSIG1(x)     (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25))
#define SSIG0(x)     (rotr(x, 7) ^ rotr(x, 18) ^ ((x) >> 3))
#define SSIG1(x)     (rotr(x, 17) ^ rotr(x, 19) ^ ((x) >> 10))

static inline uint32_t load_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

/* Section 6.2.2 for each 64-byte block; the message schedule is kept as a rolling window
 * of 16 words. */
static void compress(uint32_t h[8], const uint8_t *p, size_t blocks)
{
        uint32_t w[16];

        for (; blocks > 0; blocks--, p += ROSS_SHA256_BLOCK) {
                uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
                uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];

                for (unsigned t = 0; t < 64; t++) {
                        uint32_t wt;
                        if (t < 16)
                                wt = w[t] = load_be32(p + 4 * t);
                        else
                                wt = w[t & 15] += SSIG1(w[(t - 2) & 15]) + w[(t - 7) & 15] +
                                                  SSIG0(w[(t - 15) & 15]);
                        uint32_t t1 = hh + BSIG1(e) + CH(e, f, g) + K[t] + wt;
                        uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
                        hh = g;
                        g = f;
                        f = e;
                        e = d + t1;
                        d = c;
                        c = b;
                        b = a;
                        a = t1 + t2;
                }
                h[0] += a;
                h[1] += b;
                h[2] += c;
                h[3] += d;
                h[4] += e;
                h[5] += f;
                h[6] += g;
                h[7] += hh;
        }
}

void ross_sha256_init(RossSha256 *s)
{
        /* First 32 bits of the fractional parts of the square roots of the first 8 primes. */
        static const uint32_t h0[8] = {
                0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        };
        memcpy(s->h, h0, sizeof(h0));
        s->total = 0;
        s->buf_len = 0;
}

void ross_sha256_update(RossSha256 *s, const void *data, size_t n)
{
        const uint8_t *p = data;

        s->total += n;
        if (s->buf_len > 0) {
                size_t take = ROSS_SHA256_BLOCK - s->buf_len;
                if (take > n)
                        take = n;
                memcpy(s->buf + s->buf_len, p, take);
                s->buf_len += take;
                p += take;
                n -= take;
                if (s->buf_len < ROSS_SHA256_BLOCK)
                        return;
                compress(s->h, s->buf, 1);
                s->buf_len = 0;
        }
        if (n >= ROSS_SHA256_BLOCK) {
                size_t blocks = n / ROSS_SHA256_BLOCK;
                compress(s->h, p, blocks);
                p += blocks * ROSS_SHA256_BLOCK;
                n -= blocks * ROSS_SHA256_BLOCK;
        }
        if (n > 0) {
                memcpy(s->buf, p, n);
                s->buf_len = n;
        }
}

void ross_sha256_final(RossSha256 *s, uint8_t md[ROSS_SHA256_SIZE])
{
        /* Section 5.1.1: a 1 bit, zeros up to 56 bytes mod 64, then the length in bits as a
         * 64-bit big-endian number. */
        uint64_t bits = s->total * 8;
        uint8_t pad[ROSS_SHA256_BLOCK + 8] = {0x80};
        size_t pad_len = (s->buf_len < 56 ? 56 : 120) - s->buf_len;

        for (unsigned i = 0; i < 8; i++)
                pad[pad_len + i] = (uint8_t)(bits >> (56 - 8 * i));
        ross_sha256_update(s, pad, pad_len + 8);
        for (unsigned i = 0; i < 8; i++)
                store_be32(md + 4 * i, s->h[i]);
        memset(s, 0, sizeof(*s));
}
