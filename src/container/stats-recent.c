/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which kept sample is a stats answer's "before". Docker's stream=false answer waits a
 * second between two samples so that precpu_stats is there; a client asking again and
 * again (a dashboard, docker stats --no-stream in a loop) then waits a second each time.
 * Here every answer's samples are kept, per container the two newest that are at least a
 * second apart; an answer whose container has a kept sample one to three seconds old takes
 * it as its "before" at once, so its CPU figures still span a second or more, as Docker's
 * do. Older than that (a client that asks once a minute) it is not the last second's use:
 * the answer waits its second, as Docker's does. A sample of another run of the container
 * (another pid, or counters that went back) is never a "before".
 */
#include <pthread.h>

#include "../basic/macros.h"
#include "stats-recent.h"

#define NSEC_PER_SEC 1000000000ULL
#define PRE_MIN_NS   (NSEC_PER_SEC * 9 / 10) /* a second, less what a sample takes */
#define PRE_MAX_NS   (3 * NSEC_PER_SEC)
#define FORGET_NS    (10 * NSEC_PER_SEC) /* a container nobody asked about lately */

typedef struct Kept {
        RossStatsSample s;
        uint64_t at; /* monotonic ns; 0: none */
} Kept;

typedef struct Entry {
        char id[65];
        Kept older, newer;
        struct Entry *next;
} Entry;

struct RossStatsRecent {
        pthread_mutex_t lock;
        Entry *entries;
};

RossStatsRecent *ross_stats_recent_new(void)
{
        RossStatsRecent *r = xcalloc(1, sizeof(*r));
        pthread_mutex_init(&r->lock, NULL);
        return r;
}

static void entry_free(Entry *e)
{
        ross_stats_sample_free(&e->older.s);
        ross_stats_sample_free(&e->newer.s);
        free(e);
}

void ross_stats_recent_free(RossStatsRecent *r)
{
        if (!r)
                return;
        while (r->entries) {
                Entry *e = r->entries;
                r->entries = e->next;
                entry_free(e);
        }
        pthread_mutex_destroy(&r->lock);
        free(r);
}

/* The entry of id, made if asked; the ones not touched for FORGET_NS go on the way. */
static Entry *entry_of(RossStatsRecent *r, const char *id, uint64_t now, bool make)
{
        Entry *found = NULL;
        for (Entry **pp = &r->entries; *pp;) {
                Entry *e = *pp;
                if (STREQ(e->id, id)) {
                        found = e;
                        pp = &e->next;
                } else if (now > e->newer.at + FORGET_NS) {
                        *pp = e->next;
                        entry_free(e);
                } else
                        pp = &e->next;
        }
        if (!found && make) {
                found = xcalloc(1, sizeof(*found));
                snprintf(found->id, sizeof(found->id), "%s", id);
                found->next = r->entries;
                r->entries = found;
        }
        return found;
}

void ross_stats_recent_keep(RossStatsRecent *r, const RossStatsSample *s, uint64_t now_ns)
{
        if (!ross_stats_sample_taken(s))
                return;
        pthread_mutex_lock(&r->lock);
        Entry *e = entry_of(r, s->id, now_ns, true);
        /* another run: what was kept is of no use to it */
        if (e->newer.at && e->newer.s.pid != s->pid) {
                ross_stats_sample_free(&e->older.s);
                ross_stats_sample_free(&e->newer.s);
                e->older.at = e->newer.at = 0;
        }
        if (!e->newer.at || now_ns >= e->newer.at + PRE_MIN_NS) {
                ross_stats_sample_free(&e->older.s);
                e->older = e->newer;
                ross_stats_sample_copy(s, &e->newer.s);
                e->newer.at = now_ns;
        }
        pthread_mutex_unlock(&r->lock);
}

/* Whether k can be cur's "before" at now. */
static bool fits(const Kept *k, const RossStatsSample *cur, uint64_t now)
{
        return k->at && now >= k->at + PRE_MIN_NS && now <= k->at + PRE_MAX_NS &&
               k->s.pid == cur->pid && k->s.cpu.total <= cur->cpu.total &&
               k->s.cpu.system <= cur->cpu.system;
}

bool ross_stats_recent_pre(RossStatsRecent *r, const RossStatsSample *cur, uint64_t now_ns,
                           RossStatsSample *ret)
{
        if (!ross_stats_sample_taken(cur))
                return false;
        pthread_mutex_lock(&r->lock);
        Entry *e = entry_of(r, cur->id, now_ns, false);
        const Kept *k = !e                             ? NULL
                        : fits(&e->newer, cur, now_ns) ? &e->newer
                        : fits(&e->older, cur, now_ns) ? &e->older
                                                       : NULL;
        if (k)
                ross_stats_sample_copy(&k->s, ret);
        pthread_mutex_unlock(&r->lock);
        return k != NULL;
}
