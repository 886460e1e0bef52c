/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A duration as Docker's go-units HumanDuration writes it: "Less than a second",
 * "1 second", "5 seconds", "About a minute", "3 minutes", "About an hour", "2 hours",
 * "3 days", "2 weeks", "4 months", "2 years". Negative durations count as 0. */
void ross_human_duration(double seconds, char *buf, size_t n);

/* A duration as Go's time.Duration String() writes it: "0s", "300ms", "1.5s", "1m30s",
 * "1h0m0s", "250\u00b5s", "-2s". */
void ross_go_duration(int64_t ns, char *buf, size_t n);
