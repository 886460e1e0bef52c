/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "format.h"

void ross_format_size(double v, char *buf, size_t n)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        size_t i = 0;
        while (v >= 1000.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1000.0;
                i++;
        }
        snprintf(buf, n, "%.3g%s", v, units[i]);
}

void ross_format_bytes(double v, char *buf, size_t n)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        size_t i = 0;
        while (v >= 1024.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1024.0;
                i++;
        }
        snprintf(buf, n, "%.4g%s", v, units[i]);
}
