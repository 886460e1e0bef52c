/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>

#include "basic/base64.h"
#include "registry/auth.h"
#include "tap.h"

/* Decode s; the bytes as a string, or NULL when refused. */
static char *dec(const char *s)
{
        unsigned char *out = NULL;
        size_t len = 0;
        if (ross_base64_decode(s, strlen(s), &out, &len) < 0)
                return NULL;
        if (strlen((char *)out) != len) {
                free(out);
                return xstrdup("(length differs)");
        }
        return (char *)out;
}

static void base64_tests(void)
{
        /* RFC 4648, section 10 */
        static const char *const vec[][2] = {
                {"", ""},
                {"f", "Zg=="},
                {"fo", "Zm8="},
                {"foo", "Zm9v"},
                {"foob", "Zm9vYg=="},
                {"fooba", "Zm9vYmE="},
                {"foobar", "Zm9vYmFy"},
        };
        for (size_t i = 0; i < ELEMENTSOF(vec); i++) {
                _cleanup_free_ char *e = ross_base64_encode(vec[i][0], strlen(vec[i][0]), 0);
                is_str(e, vec[i][1], "encode '%s'", vec[i][0]);
                _cleanup_free_ char *d = dec(vec[i][1]);
                is_str(d, vec[i][0], "decode '%s'", vec[i][1]);
                _cleanup_free_ char *unpadded = xstrdup(vec[i][1]);
                unpadded[strcspn(unpadded, "=")] = '\0';
                _cleanup_free_ char *d2 = dec(unpadded);
                is_str(d2, vec[i][0], "decode '%s' (no padding)", unpadded);
        }

        /* the two alphabets: 0xfb 0xff is "+/8=" or "-_8=" */
        _cleanup_free_ char *e_std = ross_base64_encode("\xfb\xff", 2, 0);
        _cleanup_free_ char *e_url = ross_base64_encode("\xfb\xff", 2, ROSS_BASE64_URL);
        is_str(e_std, "+/8=", "standard alphabet");
        is_str(e_url, "-_8=", "URL-safe alphabet");
        _cleanup_free_ char *d_std = dec("+/8="), *d_url = dec("-_8");
        is_str(d_std, "\xfb\xff", "decode the standard alphabet");
        is_str(d_url, "\xfb\xff", "decode the URL-safe alphabet without padding");
        _cleanup_free_ char *d_ws = dec(" Zm9v\nYmFy\r\n");
        is_str(d_ws, "foobar", "whitespace skipped");

        /* every byte value, through both alphabets and every length up to 256 */
        unsigned char all[256];
        for (unsigned i = 0; i < 256; i++)
                all[i] = (unsigned char)(255 - i);
        bool round = true;
        for (size_t n = 0; n <= 256; n++)
                for (unsigned flags = 0; flags <= ROSS_BASE64_URL; flags += ROSS_BASE64_URL) {
                        _cleanup_free_ char *e = ross_base64_encode(all, n, flags);
                        _cleanup_free_ unsigned char *d = NULL;
                        size_t len = 0;
                        if (strlen(e) != (n + 2) / 3 * 4 ||
                            ross_base64_decode(e, strlen(e), &d, &len) < 0 || len != n ||
                            memcmp(d, all, n) != 0 || d[n] != '\0')
                                round = false;
                }
        ok(round, "every byte and length 0-256 round-trips in both alphabets");

        /* what no encoder writes is refused */
        static const char *const bad[] = {
                "Zm9v!", "Z", "Zm9vY", "Zg=x", "Zg===", "Zm8==", "=Zg", "Zm9v=", "Zg=", "Zm\x80v",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                unsigned char *out = NULL;
                size_t len = 0;
                ok(ross_base64_decode(bad[i], strlen(bad[i]), &out, &len) == -EINVAL && !out,
                   "'%s' refused", bad[i]);
        }
        /* n bounds the input: what follows is not read */
        _cleanup_free_ unsigned char *part = NULL;
        size_t plen = 0;
        ok(ross_base64_decode("Zm9v!!!!", 4, &part, &plen) == 0 && plen == 3 &&
                   memcmp(part, "foo", 3) == 0,
           "only n characters are decoded");
}

int main(void)
{
        RossChallenge c;
        RossCreds cr;
        RossError err = {};

        base64_tests();
        ok(ross_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry."
                                "docker.io\",scope=\"repository:library/alpine:pull\"",
                                &c) == 0,
           "Docker Hub challenge parsed");
        is_str(c.scheme, "bearer", "scheme");
        is_str(c.realm, "https://auth.docker.io/token", "realm");
        is_str(c.service, "registry.docker.io", "service");
        is_str(c.scope, "repository:library/alpine:pull", "scope");
        ross_challenge_free(&c);

        ok(ross_challenge_parse("Basic realm=\"a \\\"quoted\\\" realm\"", &c) == 0, "basic parsed");
        is_str(c.scheme, "basic", "basic scheme");
        is_str(c.realm, "a \"quoted\" realm", "escaped quotes");
        ross_challenge_free(&c);

        ok(ross_challenge_parse("Negotiate abc", &c) < 0, "unsupported scheme refused");
        ok(ross_challenge_parse("Bearer realm=unquoted,service=s", &c) == 0 &&
                   STREQ(c.realm, "unquoted") && STREQ(c.service, "s"),
           "unquoted values");
        ross_challenge_free(&c);

        /* {"username":"u","password":"p:w"} in base64url without padding */
        ok(ross_creds_from_header("eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InA6dyJ9", &cr, &err) == 0,
           "X-Registry-Auth decoded");
        is_str(cr.username, "u", "username");
        is_str(cr.password, "p:w", "password");
        ross_creds_free(&cr);
        ok(ross_creds_from_header("e30=", &cr, &err) == 0 && !cr.username, "{} is anonymous");
        ok(ross_creds_from_header("", &cr, &err) == 0 && !cr.username, "empty is anonymous");
        ok(ross_creds_from_header("!!!", &cr, &err) == -EINVAL, "bad base64 refused");
        /* the same JSON, padded, in the standard alphabet and with a line break */
        ok(ross_creds_from_header("eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InA6dyJ9\n", &cr, &err) ==
                           0 &&
                   STREQ(cr.password, "p:w"),
           "X-Registry-Auth with a trailing newline");
        ross_creds_free(&cr);
        ok(ross_creds_from_header("eyJ1IjoiPz8+In0=", &cr, &err) == 0 && !cr.username,
           "standard alphabet ('+') accepted");
        ok(ross_creds_from_header("eyJ1IjoiPz8-In0", &cr, &err) == 0 && !cr.username,
           "URL-safe alphabet ('-') accepted");
        ok(ross_creds_from_header("e30=e30=", &cr, &err) == -EINVAL, "data after padding refused");
        {
                _cleanup_free_ char *big = xmalloc(64 * 1024 + 2);
                memset(big, 'A', 64 * 1024 + 1);
                big[64 * 1024 + 1] = '\0';
                ok(ross_creds_from_header(big, &cr, &err) == -EINVAL && strstr(err.msg, "64 KiB"),
                   "X-Registry-Auth over 64 KiB refused");
        }
        ok(ross_creds_from_header("WzFd", &cr, &err) == -EINVAL, "non-object refused");

        ross_token_cache_put("r", "s", "scope", "who", "tok", 300);
        char *t = ross_token_cache_get("r", "s", "scope", "who");
        is_str(t, "tok", "token cached");
        free(t);
        t = ross_token_cache_get("r", "s", "scope", "other");
        ok(t == NULL, "other credentials do not share the token");
        t = ross_token_cache_get("r", "s", "other-scope", "who");
        ok(t == NULL, "other scopes do not share the token");
        return tap_done();
}
