/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../basic/err.h"

/*
 * Detach keys, in Docker's notation: a comma-separated list of keys, each "ctrl-X" (X one
 * of a-z @ [ \ ] ^ _) or a single character. The default is "ctrl-p,ctrl-q"; an empty
 * string turns detaching off.
 */
#define ROSS_DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
#define ROSS_DETACH_KEYS_MAX     16

typedef struct RossDetachKeys {
        unsigned char keys[ROSS_DETACH_KEYS_MAX];
        size_t n;       /* 0: off */
        size_t matched; /* how much of the sequence the input ended with so far */
} RossDetachKeys;

/* spec NULL: the default. */
int ross_detach_keys_parse(const char *spec, RossDetachKeys *ret, RossError *err);

/* Pass input through the matcher: what the container should get goes to out (which has room
 * for n + ROSS_DETACH_KEYS_MAX bytes), a partial match is held back. Returns true when the
 * whole sequence was typed; out then holds what came before it. */
bool ross_detach_keys_feed(RossDetachKeys *d, const char *in, size_t n, char *out,
                           size_t *ret_out_n);
