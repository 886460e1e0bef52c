/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "stats.h"

/*
 * The samples a stats answer made lately, kept so that the next stream=false answer has its
 * precpu_stats at once instead of a second's wait: per container the two newest samples
 * kept at least a second apart (stats-recent.c says which is given). Safe from any thread.
 */
typedef struct RossStatsRecent RossStatsRecent;

RossStatsRecent *ross_stats_recent_new(void);
void ross_stats_recent_free(RossStatsRecent *r);

/* Keep s (taken at the monotonic time now_ns) if the newest kept one of its container is a
 * second older or more. A sample that is not a real one is not kept. */
void ross_stats_recent_keep(RossStatsRecent *r, const RossStatsSample *s, uint64_t now_ns);

/* A copy of a kept sample of cur's container and run that is between one and three seconds
 * older than now_ns (the newest such), into *ret; false when there is none. */
bool ross_stats_recent_pre(RossStatsRecent *r, const RossStatsSample *cur, uint64_t now_ns,
                           RossStatsSample *ret);
