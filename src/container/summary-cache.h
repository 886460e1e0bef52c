/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/err.h"
#include "../store/db.h"

/*
 * The summary cache: what GET /containers/json and GET /containers/{id}/json answer for each
 * container, as the containers service made it (containers.c), kept until something it was
 * made from changes; and the containers' ids, names and row versions, kept until the
 * database's containers change. When a kept part is stale: the rule at the top of
 * summary-cache.c. Every function is safe to call from any thread.
 */

struct RossContainers;
typedef struct RossSummaryCache RossSummaryCache;

/* A cache for the containers whose directories are in containers_dir. */
int ross_summary_cache_new(const char *containers_dir, RossSummaryCache **ret, RossError *err);
void ross_summary_cache_free(RossSummaryCache *sc);

/* The rows of the containers table, newest first, as read at database generation gen.
 * Immutable, shared: ross_cache_rows_unref when done. */
typedef struct RossCacheRows {
        unsigned ref;
        uint64_t gen;
        size_t n;
        RossDbContainerStamp *v;
        /* summary-cache.c's: v by id and by name, open addressing (slot: index + 1, 0 none) */
        size_t n_index;
        size_t *by_id, *by_name;
} RossCacheRows;

/* The rows as they are now: the ones kept if the database has not changed since, else
 * read again. -EIO with the database's words. */
int ross_summary_cache_rows(struct RossContainers *c, RossCacheRows **ret, RossError *err);
void ross_cache_rows_unref(RossCacheRows *r);
/* ross_db_container_resolve (a name, full id or unique id prefix), answered from the rows;
 * the same answers and messages. *ret_version: the row's version, -1 when the database
 * answered. */
int ross_summary_cache_resolve(struct RossContainers *c, const char *term, char **ret_id,
                               int64_t *ret_version, RossError *err);

/* What a file or directory was when a part was made. */
typedef struct RossStamp {
        bool exists;
        uint64_t dev, ino, size;
        struct timespec mtime, ctime;
} RossStamp;

/* Everything a container's parts are made from, taken before they are made. */
typedef struct RossCacheKey {
        int64_t version;       /* of the row the part was made from */
        uint64_t networks_gen; /* of the network definitions */
        RossStamp dir;         /* <containers>/<id> */
        /* in it, at that stamp */
        bool exit_file, lock_file, started_file;
        bool running; /* its shim holds shim.lock and it has not written exit.json */
        bool pending; /* exited, and a restart policy's start waits */
        /* while running: container.pid (its runtime writes it in place), net/, and each
         * entry of net/ (netavark writes its answers there in place) */
        RossStamp pid, net;
        RossBuf net_entries;
        bool racy; /* a stamp so recent that a change after it might not show */
} RossCacheKey;

/* Part kinds, each kept on its own for a container. */
typedef enum RossCachedKind {
        ROSS_CACHED_SUMMARY, /* its list entry and what the list filters look at */
        ROSS_CACHED_INSPECT, /* its inspect answer, as JSON text */
        ROSS_CACHED_KINDS,
} RossCachedKind;

/* A part: its key and the data made after the key was taken. Immutable once kept, shared. */
typedef struct RossCached {
        unsigned ref;
        RossCacheKey key;
        void *data;
        void (*free_data)(void *data);
} RossCached;

/* A part with its key taken now, for the row version of container id, and no data yet: the
 * caller makes the data from what the key says (running, pending) and from the files and
 * the row, then may keep it with ross_summary_cache_put. */
RossCached *ross_cached_new(struct RossContainers *c, const char *id, int64_t version);
void ross_cached_unref(RossCached *p);
static inline void ross_cached_unrefp(RossCached **p)
{
        ross_cached_unref(*p);
}

/* The part of kind kept for container id if nothing it was made from has changed since (a new
 * reference; version: the container's row version now), else NULL. */
RossCached *ross_summary_cache_get(struct RossContainers *c, const char *id, int64_t version,
                                   RossCachedKind kind);
/* Keep p (it takes a reference) in place of the part of kind kept for id, unless its key is
 * racy: then nothing is kept and the next ask makes it again. */
void ross_summary_cache_put(struct RossContainers *c, const char *id, RossCachedKind kind,
                            RossCached *p);
