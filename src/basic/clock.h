/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Milliseconds on the monotonic clock: for deadlines and timeouts, never the time of day. */
long ross_now_ms(void);
