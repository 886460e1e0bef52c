/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny TAP emitter for unit tests run by `meson test`. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
        do {                                                                                       \
                bool _c = (cond); /* evaluated once: cond may have effects */                      \
                tap_n++;                                                                           \
                if (!_c)                                                                           \
                        tap_failed++;                                                              \
                printf("%s %d - ", _c ? "ok" : "not ok", tap_n);                                   \
                printf(__VA_ARGS__);                                                               \
                printf("\n");                                                                      \
        } while (0)

#define is_str(a, b, ...)                                                                          \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                bool _eq = (_a && _b) ? strcmp(_a, _b) == 0 : _a == _b;                            \
                ok(_eq, __VA_ARGS__);                                                              \
                if (!_eq)                                                                          \
                        printf("#   got '%s', want '%s'\n", _a ? _a : "(null)",                    \
                               _b ? _b : "(null)");                                                \
        } while (0)

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
