/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/err.h"

/*
 * A container's resource use, as Docker's GET /containers/{id}/stats reports it
 * (ContainerStatsResponse). A sample is taken from the kernel's files (stats-kernel.h):
 * for a namespace container its cgroup (v1 or v2, whichever the host gives its
 * controllers), for a micro-VM the processes of its VMM; the network counters from the
 * container's network namespace either way. docs/stats.md says where each number comes
 * from.
 */

/* One network interface of the container's namespace. */
typedef struct RossStatsNet {
        char name[32];
        uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
        uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
} RossStatsNet;

/* One entry of blkio_stats: a device, an operation ("Read", "write", ...) and a count. */
typedef struct RossStatsBlkioEntry {
        uint64_t major, minor;
        char op[16];
        uint64_t value;
} RossStatsBlkioEntry;

/* blkio_stats' lists, in Docker's order; a list that is not set is null. */
enum {
        ROSS_BLKIO_SERVICE_BYTES,
        ROSS_BLKIO_SERVICED,
        ROSS_BLKIO_QUEUED,
        ROSS_BLKIO_SERVICE_TIME,
        ROSS_BLKIO_WAIT_TIME,
        ROSS_BLKIO_MERGED,
        ROSS_BLKIO_TIME,
        ROSS_BLKIO_SECTORS,
        ROSS_BLKIO_LISTS
};

typedef struct RossStatsBlkioList {
        bool set;
        RossStatsBlkioEntry *v;
        size_t n;
} RossStatsBlkioList;

typedef struct RossStatsCpu {
        uint64_t total, kernel, user; /* ns */
        uint64_t *percpu;             /* ns per CPU: cgroup v1 only */
        size_t n_percpu;
        uint64_t system; /* the host's CPU time, ns (/proc/stat) */
        uint32_t online; /* the host's CPUs */
        uint64_t periods, throttled_periods, throttled_time;
} RossStatsCpu;

/* memory_stats.stats: which keys (Docker's v1 set, its v2 set, or the VM's), sorted. */
typedef enum RossStatsMemKind {
        ROSS_STATS_MEM_NONE,
        ROSS_STATS_MEM_V1,
        ROSS_STATS_MEM_V2,
        ROSS_STATS_MEM_VM,
} RossStatsMemKind;

#define ROSS_STATS_MEM_KEYS_MAX 32

typedef struct RossStatsSample {
        char id[65];
        char *name;           /* "/name", as Docker's */
        struct timespec read; /* {0, 0}: no sample (a container that does not run) */
        int pid;              /* what was sampled (its init, a VM's shim): another run, another */
        RossStatsCpu cpu;
        RossStatsMemKind mem_kind;
        uint64_t mem_usage, mem_max_usage, mem_failcnt, mem_limit;
        uint64_t mem_stats[ROSS_STATS_MEM_KEYS_MAX]; /* by ross_stats_mem_keys() */
        uint64_t pids_current, pids_limit;
        RossStatsBlkioList blkio[ROSS_BLKIO_LISTS];
        bool have_networks; /* false: no "networks" (--network none or host) */
        RossStatsNet *nets;
        size_t n_nets;
} RossStatsSample;

void ross_stats_sample_free(RossStatsSample *s);
/* A deep copy of s into *ret. */
void ross_stats_sample_copy(const RossStatsSample *s, RossStatsSample *ret);
/* The memory_stats.stats keys of a kind, sorted as Go writes a map; *ret_n of them. */
const char *const *ross_stats_mem_keys(RossStatsMemKind kind, size_t *ret_n);
/* Add an entry to a blkio list (which is then set). */
void ross_stats_blkio_add(RossStatsBlkioList *l, uint64_t major, uint64_t minor, const char *op,
                          uint64_t value);

/*
 * The sample as Docker's JSON object, one line with its newline, appended to out. pre: the
 * sample before it (preread, precpu_stats), or NULL for none (the zero time and zero CPU
 * use, as Docker's first object of a stream and its one-shot answer have).
 */
void ross_stats_json(RossBuf *out, const RossStatsSample *s, const RossStatsSample *pre);

struct RossContainers;
typedef struct RossStatsSource RossStatsSource;

/* What a container's samples are taken from (ref: a name, id or id prefix). -ENOENT "No
 * such container: X". */
int ross_stats_open(struct RossContainers *c, const char *ref, RossStatsSource **ret,
                    RossError *err);
void ross_stats_close(RossStatsSource *s);
static inline void ross_stats_closep(RossStatsSource **s)
{
        if (*s)
                ross_stats_close(*s);
}
/* A sample now: a running (or paused) container's use; one that does not run gives
 * Docker's empty sample (its id and name, zeroes and the zero time). -ENOENT once the
 * container has been removed. */
int ross_stats_sample(RossStatsSource *s, RossStatsSample *ret, RossError *err);
/* The daemon's kept samples (stats-recent.h): keep cur, and a kept one to be cur's "before"
 * (false: none fits, the caller waits its second). No-ops without a daemon's store. */
void ross_stats_keep(RossStatsSource *s, const RossStatsSample *cur);
bool ross_stats_kept_before(RossStatsSource *s, const RossStatsSample *cur, RossStatsSample *ret);

/* Whether ret of the last ross_stats_sample is a real one. */
static inline bool ross_stats_sample_taken(const RossStatsSample *s)
{
        return s->read.tv_sec != 0 || s->read.tv_nsec != 0;
}
