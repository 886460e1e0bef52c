/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

void ross_vm_put_u32(unsigned char out[4], uint32_t v)
{
        out[0] = (unsigned char)(v >> 24);
        out[1] = (unsigned char)(v >> 16);
        out[2] = (unsigned char)(v >> 8);
        out[3] = (unsigned char)v;
}

uint32_t ross_vm_get_u32(const void *p)
{
        const unsigned char *u = p;
        return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

void ross_vm_frame(RossBuf *b, int type, uint32_t session, const void *p, size_t n)
{
        unsigned char h[12] = {(unsigned char)type};
        ross_vm_put_u32(h + 4, (uint32_t)(n + 4));
        ross_vm_put_u32(h + 8, session);
        ross_buf_append(b, h, sizeof(h));
        if (n)
                ross_buf_append(b, p, n);
}

bool ross_vm_frame_next(const RossBuf *b, int *ret_type, uint32_t *ret_session, const char **ret_p,
                        size_t *ret_n, bool *ret_bad)
{
        *ret_bad = false;
        if (b->len < 8)
                return false;
        const unsigned char *h = (const unsigned char *)b->data;
        size_t n = ross_vm_get_u32(h + 4);
        if (h[1] || h[2] || h[3] || n < 4 || n > ROSS_VM_FRAME_MAX) {
                *ret_bad = true;
                return false;
        }
        if (b->len - 8 < n)
                return false;
        *ret_type = h[0];
        *ret_session = ross_vm_get_u32(h + 8);
        *ret_p = b->data + 12;
        *ret_n = n - 4;
        return true;
}

void ross_vm_consume(RossBuf *b, size_t n)
{
        size_t whole = 12 + n;
        memmove(b->data, b->data + whole, b->len - whole);
        b->len -= whole;
        b->data[b->len] = '\0';
}

void ross_vm_cfg_add(RossBuf *b, const char *key, const char *value)
{
        static const char hex[] = "0123456789abcdef";
        ross_buf_append(b, key, strlen(key));
        ross_buf_append(b, "=", 1);
        for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
                if (*p == '\\')
                        ross_buf_append(b, "\\\\", 2);
                else if (*p == '\n')
                        ross_buf_append(b, "\\n", 2);
                else if (*p < 0x20 || *p == 0x7f) {
                        char e[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
                        ross_buf_append(b, e, 4);
                } else
                        ross_buf_append(b, p, 1);
        }
        ross_buf_append(b, "\n", 1);
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int ross_vm_cfg_next(const char *text, size_t len, size_t *pos, char **ret_key, char **ret_value)
{
        size_t i = *pos;
        while (i < len && text[i] == '\n')
                i++; /* empty lines */
        if (i >= len) {
                *pos = i;
                return 0;
        }
        const char *line = text + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        const char *eq = memchr(line, '=', n);
        /* a raw NUL would cut the key or the value short: the encoder writes \x.. for
         * every other control byte and has no way to write NUL at all */
        if (!eq || eq == line || memchr(line, '\0', n))
                return -EINVAL;
        RossBuf v = {};
        for (const char *p = eq + 1; p < line + n; p++) {
                char c = *p;
                if (c == '\\') {
                        if (p + 1 >= line + n) {
                                ross_buf_free(&v);
                                return -EINVAL;
                        }
                        c = *++p;
                        if (c == 'n')
                                c = '\n';
                        else if (c == 'x') {
                                int hi = p + 2 < line + n ? hexval(p[1]) : -1;
                                int lo = hi >= 0 ? hexval(p[2]) : -1;
                                if (lo < 0 || (hi == 0 && lo == 0)) {
                                        ross_buf_free(&v);
                                        return -EINVAL;
                                }
                                c = (char)(hi << 4 | lo);
                                p += 2;
                        } else if (c != '\\') {
                                ross_buf_free(&v);
                                return -EINVAL;
                        }
                }
                ross_buf_append(&v, &c, 1);
        }
        char *key = malloc((size_t)(eq - line) + 1);
        if (!key) {
                ross_buf_free(&v);
                return -ENOMEM;
        }
        memcpy(key, line, (size_t)(eq - line));
        key[eq - line] = '\0';
        *ret_key = key;
        *ret_value = ross_buf_steal(&v);
        *pos = i + n + (nl ? 1 : 0);
        return 1;
}
