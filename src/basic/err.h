/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "macros.h"

/*
 * An error a user will read. Filled where the failure happens, with context
 * prepended at module borders. The code is a positive errno value.
 */
typedef struct RossError {
        int code;
        char msg[2048];
} RossError;

/* Set the message, append strerror(errnum), return -errnum. err may be NULL. */
int ross_err(RossError *err, int errnum, const char *fmt, ...) _printf_(3, 4);
/* Set the message without strerror; return -errnum. */
int ross_errx(RossError *err, int errnum, const char *fmt, ...) _printf_(3, 4);
/* Prepend "context: " to the message already there; return -err->code. */
int ross_err_prefix(RossError *err, const char *fmt, ...) _printf_(2, 3);

static inline void ross_err_clear(RossError *err)
{
        if (err) {
                err->code = 0;
                err->msg[0] = '\0';
        }
}
