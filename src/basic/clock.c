/* SPDX-License-Identifier: Apache-2.0 */
#include <time.h>

#include "clock.h"

long ross_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

uint64_t ross_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void ross_deadline_in_ms(long ms, struct timespec *ret)
{
        clock_gettime(CLOCK_REALTIME, ret);
        ret->tv_sec += ms / 1000;
        ret->tv_nsec += (ms % 1000) * 1000000L;
        if (ret->tv_nsec >= 1000000000L) {
                ret->tv_sec++;
                ret->tv_nsec -= 1000000000L;
        }
}
