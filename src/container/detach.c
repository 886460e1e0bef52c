/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <strings.h>

#include "../basic/macros.h"
#include "detach.h"

static int parse_key(const char *k, size_t len, unsigned char *ret)
{
        if (len == 1) {
                *ret = (unsigned char)k[0];
                return 0;
        }
        if (len == 6 && strncasecmp(k, "ctrl-", 5) == 0) {
                char ch = k[5];
                if (ch >= 'a' && ch <= 'z') {
                        *ret = (unsigned char)(ch - 'a' + 1);
                        return 0;
                }
                if (ch >= 'A' && ch <= 'Z') {
                        *ret = (unsigned char)(ch - 'A' + 1);
                        return 0;
                }
                const char *sym = strchr("@[\\]^_", ch);
                if (ch && sym) {
                        *ret = (unsigned char)(ch - '@'); /* ctrl-@ is NUL ... ctrl-_ is 31 */
                        return 0;
                }
        }
        return -EINVAL;
}

int ross_detach_keys_parse(const char *spec, RossDetachKeys *ret, RossError *err)
{
        RossDetachKeys d = {};
        if (!spec)
                spec = ROSS_DETACH_KEYS_DEFAULT;
        const char *p = spec;
        while (*p) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                if (d.n >= ROSS_DETACH_KEYS_MAX)
                        return ross_errx(err, EINVAL, "invalid detach keys \"%s\": too many keys",
                                         spec);
                if (parse_key(p, len, &d.keys[d.n]) < 0)
                        return ross_errx(err, EINVAL,
                                         "invalid detach keys \"%s\": \"%.*s\" is not a key "
                                         "(use ctrl-<a-z@[\\]^_> or one character, "
                                         "separated by commas)",
                                         spec, (int)len, p);
                d.n++;
                p += len;
                if (*p == ',' && *++p == '\0')
                        return ross_errx(err, EINVAL, "invalid detach keys \"%s\"", spec);
        }
        *ret = d;
        return 0;
}

bool ross_detach_keys_feed(RossDetachKeys *d, const char *in, size_t n, char *out,
                           size_t *ret_out_n)
{
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)in[i];
                if (d->n == 0) {
                        out[o++] = (char)ch;
                        continue;
                }
                if (ch == d->keys[d->matched]) {
                        if (++d->matched == d->n) {
                                d->matched = 0;
                                *ret_out_n = o;
                                return true;
                        }
                        continue;
                }
                /* the sequence broke: what was held back was input after all */
                memcpy(out + o, d->keys, d->matched);
                o += d->matched;
                d->matched = 0;
                if (ch == d->keys[0])
                        d->matched = 1;
                else
                        out[o++] = (char)ch;
        }
        *ret_out_n = o;
        return false;
}
