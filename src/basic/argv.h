/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

#include "macros.h"

/*
 * A bounded builder for argument vectors (and any NULL-terminated list of strings): it
 * grows as needed up to max entries (0: ROSS_ARGV_MAX), always NULL-terminated, and owns
 * copies of what is added. Past the bound an add fails with -E2BIG and sets overflowed,
 * so a caller may add freely and check once with ross_argv_ok().
 */
#define ROSS_ARGV_MAX 4096

typedef struct RossArgv {
        char **v;
        size_t n;
        size_t alloc;
        size_t max;
        bool overflowed;
} RossArgv;

int ross_argv_add(RossArgv *a, const char *s);
int ross_argv_addf(RossArgv *a, const char *fmt, ...) _printf_(2, 3);
/* Add each of the NULL-terminated list. */
int ross_argv_addv(RossArgv *a, const char *const *list);
/* 0, or -E2BIG when an add was refused. */
int ross_argv_ok(const RossArgv *a);
/* The vector for exec* (never NULL: an empty builder gives an empty list). */
char *const *ross_argv_get(RossArgv *a);
void ross_argv_free(RossArgv *a);
