/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>

#include "buf.h"

int ross_buf_append(RossBuf *b, const void *p, size_t n)
{
        size_t need;

        if (__builtin_add_overflow(b->len, n, &need) || (b->cap && need > b->cap)) {
                b->overflowed = true;
                return -EFBIG;
        }
        if (need + 1 > b->alloc) {
                size_t a = b->alloc ? b->alloc : 256;
                while (a < need + 1) {
                        if (__builtin_mul_overflow(a, 2, &a))
                                return -EFBIG;
                }
                b->data = xrealloc(b->data, a);
                b->alloc = a;
        }
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len = need;
        b->data[b->len] = '\0';
        return 0;
}

int ross_buf_printf(RossBuf *b, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return ross_buf_append(b, s, (size_t)n);
}

void ross_buf_free(RossBuf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->alloc = 0;
}

char *ross_buf_steal(RossBuf *b)
{
        char *p = b->data ? b->data : xstrdup("");
        b->data = NULL;
        b->len = b->alloc = 0;
        return p;
}
