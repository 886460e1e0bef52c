/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>

#include "err.h"

static int set(RossError *err, int errnum, bool with_strerror, const char *fmt, va_list ap)
{
        if (errnum < 0)
                errnum = -errnum;
        if (errnum == 0)
                errnum = EIO;
        if (!err)
                return -errnum;

        char buf[sizeof(err->msg)];
        vsnprintf(buf, sizeof(buf), fmt, ap);
        if (with_strerror)
                snprintf(err->msg, sizeof(err->msg), "%s: %s", buf, strerror(errnum));
        else
                snprintf(err->msg, sizeof(err->msg), "%s", buf);
        err->code = errnum;
        return -errnum;
}

int ross_err(RossError *err, int errnum, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = set(err, errnum, true, fmt, ap);
        va_end(ap);
        return r;
}

int ross_errx(RossError *err, int errnum, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = set(err, errnum, false, fmt, ap);
        va_end(ap);
        return r;
}

int ross_err_prefix(RossError *err, const char *fmt, ...)
{
        if (!err)
                return -EIO;

        /* the context, whatever its length; the whole is cut only at the message's size */
        _cleanup_free_ char *prefix = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&prefix, fmt, ap);
        va_end(ap);
        if (n < 0)
                prefix = NULL; /* out of memory: the message stays as it was */

        if (prefix) {
                char old[sizeof(err->msg)];
                memcpy(old, err->msg, sizeof(old));
                snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
        }
        if (err->code == 0)
                err->code = EIO;
        return -err->code;
}
