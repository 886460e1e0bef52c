/* SPDX-License-Identifier: Apache-2.0 */
#include <time.h>

#include "clock.h"

long ross_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}
