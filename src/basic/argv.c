/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdbool.h>

#include "argv.h"

static int take(RossArgv *a, char *s)
{
        size_t max = a->max ? a->max : ROSS_ARGV_MAX;

        if (a->n >= max) {
                free(s);
                a->overflowed = true;
                return -E2BIG;
        }
        if (a->n + 2 > a->alloc) {
                size_t na = a->alloc ? a->alloc * 2 : 16;
                a->v = xrealloc(a->v, na * sizeof(char *));
                a->alloc = na;
        }
        a->v[a->n++] = s;
        a->v[a->n] = NULL;
        return 0;
}

int ross_argv_add(RossArgv *a, const char *s)
{
        return take(a, xstrdup(s));
}

int ross_argv_addf(RossArgv *a, const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        return take(a, s);
}

int ross_argv_addv(RossArgv *a, const char *const *list)
{
        for (; list && *list; list++) {
                int r = ross_argv_add(a, *list);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ross_argv_ok(const RossArgv *a)
{
        return a->overflowed ? -E2BIG : 0;
}

char *const *ross_argv_get(RossArgv *a)
{
        if (!a->v) {
                a->v = xcalloc(16, sizeof(char *));
                a->alloc = 16;
        }
        return a->v;
}

void ross_argv_free(RossArgv *a)
{
        for (size_t i = 0; i < a->n; i++)
                free(a->v[i]);
        free(a->v);
        a->v = NULL;
        a->n = a->alloc = 0;
        a->overflowed = false;
}
