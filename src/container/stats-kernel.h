/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>

#include "../basic/err.h"
#include "stats.h"

/*
 * The kernel's files a stats sample is read from, and their parsers: a process's cgroups
 * (/proc/PID/cgroup against the cgroup mounts of /proc/self/mountinfo), the v1 files
 * (cpuacct, cpu, memory, pids, blkio) and the v2 ones (cpu.stat, memory.*, pids.*,
 * io.stat), /proc/stat, /proc/meminfo, /proc/net/dev and /proc/PID/stat. What the
 * numbers become is Docker's mapping (moby's daemon/stats_unix.go over containerd's
 * cgroups package); docs/stats.md has it. The parsers take any text: a line they cannot
 * read is left out, never trusted.
 */

/* A cgroup hierarchy mounted here: v1 (with its controllers) or v2. */
typedef struct RossCgroupMount {
        char *root;        /* the cgroup the mount shows at its mount point ("/") */
        char *point;       /* where it is mounted */
        char *controllers; /* v1: "cpu,cpuacct"; NULL for v2 */
} RossCgroupMount;

typedef struct RossCgroupMounts {
        RossCgroupMount *v;
        size_t n;
} RossCgroupMounts;

/* The cgroup mounts of mountinfo text (/proc/self/mountinfo); the first mount of each
 * hierarchy wins, as the kernel lists them. */
void ross_cgroup_mounts_parse(const char *mountinfo, RossCgroupMounts *ret);
void ross_cgroup_mounts_free(RossCgroupMounts *m);

/* The directories of a process's cgroups that stats read; NULL where there is none. */
typedef struct RossCgroupDirs {
        char *cpuacct, *cpu, *memory, *pids, *blkio; /* v1 controllers */
        char *unified;                               /* the v2 cgroup */
} RossCgroupDirs;

void ross_cgroup_dirs_free(RossCgroupDirs *d);
/* Its directories from its /proc/PID/cgroup text. A path that leaves its hierarchy's
 * mount (a "/.." of another cgroup namespace) gives none. */
void ross_cgroup_dirs_find(const RossCgroupMounts *m, const char *proc_cgroup, RossCgroupDirs *ret);
/* Whether the process has v1 controllers that stats read: then those are read, as Docker
 * does on a hybrid host; else its v2 cgroup. */
bool ross_cgroup_dirs_v1(const RossCgroupDirs *d);

/* cpu_stats.cpu_usage and throttling, memory_stats (its limit as the cgroup has it: the
 * caller caps "no limit" to the machine's memory), pids_stats and blkio_stats of the
 * cgroup, into s. Files that are missing leave their numbers zero. -ENOENT when there is
 * no cgroup at all. */
int ross_cgroup_read(const RossCgroupDirs *d, RossStatsSample *s, RossError *err);

/* "key value" lines (cpu.stat, memory.stat, cpuacct.stat, ...): the value of key; -ENOENT
 * when it is not there. */
int ross_stats_kv(const char *text, const char *key, uint64_t *ret);
/* A one-number file (memory.current, pids.max): the number, or max for "max". -EINVAL
 * when it is neither. */
int ross_stats_single(const char *text, uint64_t max, uint64_t *ret);
/* blkio.* (v1: "MAJ:MIN Op N" lines, or "MAJ:MIN N"; "Total N" left out) into l. */
void ross_stats_blkio_v1(const char *text, RossStatsBlkioList *l);
/* io.stat (v2: "MAJ:MIN rbytes=N wbytes=N rios=N ...") as Docker maps it: a "read" and a
 * "write" entry (rbytes, wbytes) per device into l. */
void ross_stats_io_v2(const char *text, RossStatsBlkioList *l);
/* /proc/stat: the host's CPU time in ns (the first seven fields of "cpu", as Docker adds
 * them, at ticks per second) and the number of "cpuN" lines. -EINVAL without "cpu". */
int ross_stats_proc_stat(const char *text, long ticks, uint64_t *ret_system, uint32_t *ret_cpus);
/* A "Key:  N kB" line of /proc/meminfo or /proc/PID/smaps_rollup (key with its colon):
 * N in bytes, 0 if it is not there. */
uint64_t ross_stats_kb(const char *text, const char *key);
/* cpuacct.usage_percpu: its numbers (ROSS_STATS_CPUS_MAX at most; caller frees *ret). */
#define ROSS_STATS_CPUS_MAX 8192
void ross_stats_percpu(const char *text, uint64_t **ret, size_t *ret_n);
/* /proc/net/dev: each interface but "lo" (caller frees *ret). */
void ross_stats_net_dev(const char *text, RossStatsNet **ret, size_t *ret_n);
/* /proc/PID/stat: user and system time in ticks, and the number of threads. -EINVAL when
 * it is not one. */
int ross_stats_pid_stat(const char *text, uint64_t *ret_utime, uint64_t *ret_stime,
                        uint64_t *ret_threads);
