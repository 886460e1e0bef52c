/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "macros.h"

/* A growable byte buffer, always NUL-terminated, with an optional size cap. */
typedef struct RossBuf {
        char *data;
        size_t len;
        size_t alloc;
        size_t cap;      /* 0: no cap */
        bool overflowed; /* an append was refused because of the cap */
} RossBuf;

/* Append n bytes; returns -EFBIG (and sets overflowed) past the cap. */
int ross_buf_append(RossBuf *b, const void *p, size_t n);
int ross_buf_printf(RossBuf *b, const char *fmt, ...) _printf_(2, 3);
void ross_buf_free(RossBuf *b);
/* Hand the data to the caller (never NULL); the buffer is empty afterwards. */
char *ross_buf_steal(RossBuf *b);
