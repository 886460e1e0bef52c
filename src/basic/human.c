/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

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
