/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>

#include "base64.h"

char *ross_base64_encode(const void *data, size_t n, unsigned flags)
{
        static const char std[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        static const char url[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *a = flags & ROSS_BASE64_URL ? url : std;
        const uint8_t *p = data;

        if (n > (SIZE_MAX - 1) / 4 * 3 - 2)
                abort();
        char *out = xmalloc((n + 2) / 3 * 4 + 1);
        char *o = out;
        for (; n >= 3; n -= 3, p += 3) {
                uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
                *o++ = a[v >> 18];
                *o++ = a[(v >> 12) & 63];
                *o++ = a[(v >> 6) & 63];
                *o++ = a[v & 63];
        }
        if (n > 0) {
                uint32_t v = (uint32_t)p[0] << 16 | (n == 2 ? (uint32_t)p[1] << 8 : 0);
                *o++ = a[v >> 18];
                *o++ = a[(v >> 12) & 63];
                *o++ = n == 2 ? a[(v >> 6) & 63] : '=';
                *o++ = '=';
        }
        *o = '\0';
        return out;
}

/* The 6-bit value of c in either alphabet, or -1. */
static int sextet(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+' || c == '-')
                return 62;
        if (c == '/' || c == '_')
                return 63;
        return -1;
}

int ross_base64_decode(const char *in, size_t n, unsigned char **ret, size_t *ret_len)
{
        _cleanup_free_ unsigned char *out = xmalloc(n / 4 * 3 + 3);
        size_t len = 0, chars = 0, pad = 0;
        uint32_t acc = 0;

        for (size_t i = 0; i < n; i++) {
                char c = in[i];
                if (isspace((unsigned char)c))
                        continue;
                if (c == '=') {
                        pad++;
                        continue;
                }
                int v = sextet(c);
                if (v < 0 || pad > 0)
                        return -EINVAL; /* outside the alphabets, or data after '=' */
                acc = acc << 6 | (uint32_t)v;
                if (++chars % 4 == 0) {
                        out[len++] = (uint8_t)(acc >> 16);
                        out[len++] = (uint8_t)(acc >> 8);
                        out[len++] = (uint8_t)acc;
                        acc = 0;
                }
        }
        switch (chars % 4) {
        case 0:
                if (pad > 0)
                        return -EINVAL;
                break;
        case 1:
                return -EINVAL;
        case 2: /* 12 bits: one byte */
                if (pad != 0 && pad != 2)
                        return -EINVAL;
                out[len++] = (uint8_t)(acc >> 4);
                break;
        case 3: /* 18 bits: two bytes */
                if (pad > 1)
                        return -EINVAL;
                out[len++] = (uint8_t)(acc >> 10);
                out[len++] = (uint8_t)(acc >> 2);
                break;
        }
        out[len] = '\0';
        *ret = TAKE_PTR(out);
        *ret_len = len;
        return 0;
}
