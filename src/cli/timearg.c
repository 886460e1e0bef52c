/* SPDX-License-Identifier: Apache-2.0 */
/* --since and --until, as the docker CLI takes them: a time, or a duration back from now. */
#include <time.h>

#include "../basic/parse.h"
#include "commands.h"

/* A Go duration's units that a --since may use; "m" after "ms" so "ms" is seen first. */
static const struct {
        const char *name;
        double seconds;
} units[] = {
        {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"h", 3600}, {"m", 60}, {"s", 1},
};

int ross_cli_time_arg(const char *flag, const char *v, char **ret)
{
        double t;
        if (ross_parse_unix_seconds(v, 0, INT64_MAX / 2, &t) == 0 || ross_parse_rfc3339(v) > 0) {
                *ret = ross_client_escape(v);
                return 0;
        }
        /* "10m", "1h30m", "1.5s": before now */
        double total = 0;
        const char *p = v;
        while (*p) {
                double n;
                const char *rest;
                size_t i;
                if (ross_parse_decimal(p, 1e9, &n, &rest) < 0)
                        break;
                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (strncmp(rest, units[i].name, strlen(units[i].name)) == 0)
                                break;
                if (i == ELEMENTSOF(units))
                        break;
                total += n * units[i].seconds;
                p = rest + strlen(units[i].name);
        }
        if (*p || p == v) {
                ross_cli_error("invalid argument \"%s\" for %s: a Unix time, RFC 3339, or a "
                               "duration such as 10m",
                               v, flag);
                return -EINVAL;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        *ret = xasprintf("%.9f", (double)now.tv_sec + (double)now.tv_nsec / 1e9 - total);
        return 0;
}
