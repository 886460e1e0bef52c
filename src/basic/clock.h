/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock: for deadlines and timeouts, never the time of day. */
long ross_now_ms(void);
/* Nanoseconds on the monotonic clock. */
uint64_t ross_now_ns(void);
/* The time of day ms milliseconds from now: a deadline for pthread_cond_timedwait on a
 * condition variable with its default (realtime) clock. */
void ross_deadline_in_ms(long ms, struct timespec *ret);
