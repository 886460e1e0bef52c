/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "human.h"

void ross_human_duration(double seconds, char *buf, size_t n)
{
        long long s = seconds > 0 ? (long long)seconds : 0;
        long long minutes = s / 60;
        /* hours are rounded, the smaller units cut, as in go-units */
        long long hours = (long long)(seconds / 3600 + 0.5);
        if (s < 1)
                snprintf(buf, n, "Less than a second");
        else if (s == 1)
                snprintf(buf, n, "1 second");
        else if (s < 60)
                snprintf(buf, n, "%lld seconds", s);
        else if (minutes == 1)
                snprintf(buf, n, "About a minute");
        else if (minutes < 60)
                snprintf(buf, n, "%lld minutes", minutes);
        else if (hours == 1)
                snprintf(buf, n, "About an hour");
        else if (hours < 48)
                snprintf(buf, n, "%lld hours", hours);
        else if (hours < 24 * 7 * 2)
                snprintf(buf, n, "%lld days", hours / 24);
        else if (hours < 24 * 30 * 2)
                snprintf(buf, n, "%lld weeks", hours / 24 / 7);
        else if (hours < 24 * 365 * 2)
                snprintf(buf, n, "%lld months", hours / 24 / 30);
        else
                snprintf(buf, n, "%lld years", s / 3600 / 24 / 365);
}

/* whole, then rem (prec digits, their trailing zeros dropped) after a dot if any is left */
static void with_fraction(char *buf, size_t n, uint64_t whole, uint64_t rem, int prec,
                          const char *unit)
{
        char digits[16] = "";
        if (rem) {
                snprintf(digits, sizeof(digits), ".%0*llu", prec, (unsigned long long)rem);
                size_t k = strlen(digits);
                while (k > 1 && digits[k - 1] == '0')
                        digits[--k] = '\0';
        }
        snprintf(buf, n, "%llu%s%s", (unsigned long long)whole, digits, unit);
}

void ross_go_duration(int64_t ns, char *buf, size_t n)
{
        uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
        const char *sign = ns < 0 ? "-" : "";
        char body[64];
        if (u == 0)
                snprintf(body, sizeof(body), "0s");
        else if (u < 1000)
                snprintf(body, sizeof(body), "%lluns", (unsigned long long)u);
        else if (u < 1000000)
                with_fraction(body, sizeof(body), u / 1000, u % 1000, 3, "\u00b5s");
        else if (u < 1000000000)
                with_fraction(body, sizeof(body), u / 1000000, u % 1000000, 6, "ms");
        else {
                uint64_t s = u / 1000000000, h = s / 3600, m = s / 60 % 60;
                char sec[32], hm[48] = "";
                with_fraction(sec, sizeof(sec), s % 60, u % 1000000000, 9, "s");
                if (h)
                        snprintf(hm, sizeof(hm), "%lluh%llum", (unsigned long long)h,
                                 (unsigned long long)m);
                else if (m)
                        snprintf(hm, sizeof(hm), "%llum", (unsigned long long)m);
                snprintf(body, sizeof(body), "%s%s", hm, sec);
        }
        snprintf(buf, n, "%s%s", sign, body);
}
