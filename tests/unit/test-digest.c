/* SPDX-License-Identifier: Apache-2.0 */
/* The portable SHA-256 against the NIST examples (FIPS 180-4; the "SHA256.pdf" and
 * "SHA2_Additional.pdf" example values of the CSRC), then against OpenSSL, the backend the
 * pull helper uses. */
#include "store/digest.h"
#include "store/sha256.h"
#include "tap.h"

static void hex(const uint8_t md[ROSS_SHA256_SIZE], char out[2 * ROSS_SHA256_SIZE + 1])
{
        static const char h[] = "0123456789abcdef";
        for (unsigned i = 0; i < ROSS_SHA256_SIZE; i++) {
                out[2 * i] = h[md[i] >> 4];
                out[2 * i + 1] = h[md[i] & 15];
        }
        out[2 * ROSS_SHA256_SIZE] = '\0';
}

/* SHA-256 of p as hex, fed in pieces of step bytes (0: all at once). */
static void sha_hex(const void *p, size_t n, size_t step, char out[2 * ROSS_SHA256_SIZE + 1])
{
        RossSha256 s;
        uint8_t md[ROSS_SHA256_SIZE];

        ross_sha256_init(&s);
        if (step == 0)
                ross_sha256_update(&s, p, n);
        else
                for (size_t off = 0; off < n; off += step)
                        ross_sha256_update(&s, (const char *)p + off,
                                           n - off < step ? n - off : step);
        ross_sha256_final(&s, md);
        hex(md, out);
}

static const char ABC448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char ABC896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                             "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
#define MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

int main(void)
{
        char h[2 * ROSS_SHA256_SIZE + 1];
        char d[ROSS_DIGEST_LEN + 1], d2[ROSS_DIGEST_LEN + 1];

        /* FIPS 180-4 examples */
        sha_hex("abc", 3, 0, h);
        is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "\"abc\"");
        sha_hex("", 0, 0, h);
        is_str(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "empty message");
        sha_hex(ABC448, strlen(ABC448), 0, h);
        is_str(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
               "448-bit message (two blocks of padding)");
        sha_hex(ABC896, strlen(ABC896), 0, h);
        is_str(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
               "896-bit message");

        char *a = xmalloc(1000000);
        memset(a, 'a', 1000000);
        sha_hex(a, 1000000, 0, h);
        is_str(h, MILLION_A, "1,000,000 x 'a' in one update");
        sha_hex(a, 1000000, 1, h);
        is_str(h, MILLION_A, "1,000,000 x 'a' one byte at a time");
        sha_hex(a, 1000000, 63, h);
        is_str(h, MILLION_A, "1,000,000 x 'a' in updates of 63 bytes");
        sha_hex(a, 1000000, 65, h);
        is_str(h, MILLION_A, "1,000,000 x 'a' in updates of 65 bytes");
        sha_hex(a, 1000000, 4093, h);
        is_str(h, MILLION_A, "1,000,000 x 'a' in updates of 4093 bytes");

        /* multi-part: every split of the 896-bit message into two and three updates */
        bool same = true;
        size_t n896 = strlen(ABC896);
        for (size_t i = 0; i <= n896; i++)
                for (size_t j = i; j <= n896; j += 7) {
                        RossSha256 s;
                        uint8_t md[ROSS_SHA256_SIZE];
                        ross_sha256_init(&s);
                        ross_sha256_update(&s, ABC896, i);
                        ross_sha256_update(&s, ABC896 + i, j - i);
                        ross_sha256_update(&s, ABC896 + j, n896 - j);
                        ross_sha256_final(&s, md);
                        hex(md, h);
                        if (!STREQ(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac450"
                                      "37afee9d1"))
                                same = false;
                }
        ok(same, "every split of the 896-bit message into three updates gives its digest");

        /* digest.h: the portable backend by default */
        is_str(ross_digest_backend_name(), "sha256", "portable backend by default");
        ross_digest_buf("abc", 3, d);
        is_str(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
               "ross_digest_buf formats sha256:<hex>");
        {
                _cleanup_(ross_hash_freep) RossHash *hh = ross_hash_new();
                for (size_t off = 0; off < 1000000; off += 1000)
                        ross_hash_update(hh, a + off, 1000);
                ross_hash_update(hh, a, 0);
                ross_hash_final(hh, d);
                is_str(d, "sha256:" MILLION_A, "RossHash over 1,000 updates of 1,000 'a'");
        }

        /* the portable code and OpenSSL agree for every length around the block and padding
         * boundaries, on bytes that are not all alike */
        size_t max = 3 * ROSS_SHA256_BLOCK + 9;
        uint8_t *buf = xmalloc(max);
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < max; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                buf[i] = (uint8_t)x;
        }
        _cleanup_free_ char *portable = xmalloc(max * sizeof(d));
        for (size_t n = 0; n < max; n++)
                ross_digest_buf(buf, n, portable + n * sizeof(d));
        ross_digest_use_openssl();
        is_str(ross_digest_backend_name(), "openssl", "OpenSSL backend installed");
        size_t differ = 0;
        for (size_t n = 0; n < max; n++) {
                ross_digest_buf(buf, n, d2);
                if (!STREQ(d2, portable + n * sizeof(d))) {
                        if (differ++ == 0)
                                printf("# length %zu: portable %s, OpenSSL %s\n", n,
                                       portable + n * sizeof(d), d2);
                }
        }
        ok(differ == 0, "portable and OpenSSL digests agree for lengths 0-%zu", max - 1);
        {
                _cleanup_(ross_hash_freep) RossHash *hh = ross_hash_new();
                for (size_t off = 0; off < 1000000; off += 1000)
                        ross_hash_update(hh, a + off, 1000);
                ross_hash_final(hh, d);
                is_str(d, "sha256:" MILLION_A, "OpenSSL backend: 1,000,000 x 'a'");
        }
        ross_digest_set_backend(NULL);
        is_str(ross_digest_backend_name(), "sha256", "portable backend again");

        free(buf);
        free(a);
        return tap_done();
}
