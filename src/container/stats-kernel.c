/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <sys/stat.h>

#include "../basic/fileio.h"
#include "../basic/parse.h"
#include "stats-kernel.h"

/* cgroup files are small; memory.stat is the longest at a few KiB */
#define CGROUP_FILE_MAX (256 * 1024)

/* The next line of *p (without its newline) as a string of its own (caller frees), or NULL
 * at the end. */
static char *next_line(const char **p)
{
        if (!**p)
                return NULL;
        const char *nl = strchr(*p, '\n');
        size_t n = nl ? (size_t)(nl - *p) : strlen(*p);
        char *line = xstrndup(*p, n);
        *p += nl ? n + 1 : n;
        return line;
}

/* Split line in place on spaces and tabs into at most max fields; how many. */
static size_t split(char *line, char **fields, size_t max)
{
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " \t", &save); t && n < max; t = strtok_r(NULL, " \t", &save))
                fields[n++] = t;
        return n;
}

int ross_stats_kv(const char *text, const char *key, uint64_t *ret)
{
        const char *p = text ? text : "";
        char *line;
        while ((line = next_line(&p))) {
                char *f[3];
                uint64_t v;
                bool hit = split(line, f, 3) == 2 && STREQ(f[0], key) &&
                           ross_parse_u64(f[1], UINT64_MAX, &v) == 0;
                free(line);
                if (hit) {
                        *ret = v;
                        return 0;
                }
        }
        return -ENOENT;
}

int ross_stats_single(const char *text, uint64_t max, uint64_t *ret)
{
        if (!text)
                return -EINVAL;
        if (STREQ(text, "max") || STREQ(text, "max\n")) {
                *ret = max;
                return 0;
        }
        return ross_parse_u64(text, UINT64_MAX, ret);
}

void ross_stats_blkio_v1(const char *text, RossStatsBlkioList *l)
{
        const char *p = text ? text : "";
        char *line;
        l->set = true;
        while ((line = next_line(&p))) {
                char *f[4];
                size_t n = split(line, f, 4);
                unsigned maj, min;
                char tail;
                uint64_t v;
                /* "8:0 Read 4096", or "8:0 4096" for the files without operations */
                if ((n == 3 || n == 2) && sscanf(f[0], "%u:%u%c", &maj, &min, &tail) == 2 &&
                    (n == 2 || strlen(f[1]) < sizeof(l->v[0].op)) &&
                    ross_parse_u64(f[n - 1], UINT64_MAX, &v) == 0)
                        ross_stats_blkio_add(l, maj, min, n == 3 ? f[1] : "", v);
                free(line);
        }
}

void ross_stats_io_v2(const char *text, RossStatsBlkioList *l)
{
        const char *p = text ? text : "";
        char *line;
        while ((line = next_line(&p))) {
                char *f[32];
                size_t n = split(line, f, ELEMENTSOF(f));
                unsigned maj, min;
                char tail;
                if (n >= 1 && sscanf(f[0], "%u:%u%c", &maj, &min, &tail) == 2) {
                        uint64_t rbytes = 0, wbytes = 0, v;
                        for (size_t i = 1; i < n; i++) {
                                char *eq = strchr(f[i], '=');
                                if (!eq || ross_parse_u64(eq + 1, UINT64_MAX, &v) < 0)
                                        continue;
                                *eq = '\0';
                                if (STREQ(f[i], "rbytes"))
                                        rbytes = v;
                                else if (STREQ(f[i], "wbytes"))
                                        wbytes = v;
                        }
                        ross_stats_blkio_add(l, maj, min, "read", rbytes);
                        ross_stats_blkio_add(l, maj, min, "write", wbytes);
                }
                free(line);
        }
}

void ross_stats_percpu(const char *text, uint64_t **ret, size_t *ret_n)
{
        _cleanup_free_ char *copy = xstrdup(text ? text : "");
        uint64_t *v = NULL;
        size_t n = 0;
        char *save = NULL;
        uint64_t x;
        for (char *t = strtok_r(copy, " \t\n", &save);
             t && n < ROSS_STATS_CPUS_MAX && ross_parse_u64(t, UINT64_MAX, &x) == 0;
             t = strtok_r(NULL, " \t\n", &save)) {
                v = xrealloc(v, (n + 1) * sizeof(*v));
                v[n++] = x;
        }
        *ret = v;
        *ret_n = n;
}

int ross_stats_proc_stat(const char *text, long ticks, uint64_t *ret_system, uint32_t *ret_cpus)
{
        const char *p = text ? text : "";
        char *line;
        uint64_t total = 0;
        uint32_t cpus = 0;
        bool seen = false;
        if (ticks <= 0)
                return -EINVAL;
        /* the cpu lines come first (glibc's get_nprocs_conf reads them so too) */
        while ((line = next_line(&p)) && strncmp(line, "cpu", 3) == 0) {
                if (line[3] >= '0' && line[3] <= '9')
                        cpus++;
                else if (line[3] == ' ') {
                        char *f[8];
                        size_t n = split(line, f, 8);
                        uint64_t v, sum = 0;
                        bool good = n == 8;
                        for (size_t i = 1; good && i < 8; i++)
                                good = ross_parse_u64(f[i], UINT64_MAX, &v) == 0 &&
                                       !__builtin_add_overflow(sum, v, &sum);
                        if (good) {
                                /* ticks to ns without overflow for any real uptime */
                                total = sum / (uint64_t)ticks * 1000000000ULL +
                                        sum % (uint64_t)ticks * 1000000000ULL / (uint64_t)ticks;
                                seen = true;
                        }
                }
                free(line);
        }
        free(line);
        if (!seen)
                return -EINVAL;
        *ret_system = total;
        *ret_cpus = cpus;
        return 0;
}

uint64_t ross_stats_kb(const char *text, const char *key)
{
        const char *p = text ? text : "";
        char *line;
        uint64_t kb = 0;
        while ((line = next_line(&p))) {
                char *f[4];
                size_t n = split(line, f, 4);
                bool hit = n == 3 && STREQ(f[0], key) && STREQ(f[2], "kB") &&
                           ross_parse_u64(f[1], UINT64_MAX / 1024, &kb) == 0;
                free(line);
                if (hit)
                        return kb * 1024;
        }
        return 0;
}

void ross_stats_net_dev(const char *text, RossStatsNet **ret, size_t *ret_n)
{
        const char *p = text ? text : "";
        char *line;
        RossStatsNet *v = NULL;
        size_t n = 0;
        while ((line = next_line(&p))) {
                /* "  eth0: 1296 16 0 0 0 0 0 0 936 12 0 0 0 0 0 0"; the two heading lines
                 * have no colon */
                char *colon = strchr(line, ':');
                char *name = line + strspn(line, " \t");
                char *f[17];
                uint64_t num[16];
                bool good = colon && colon > name && (size_t)(colon - name) < sizeof(v->name);
                if (good) {
                        *colon = '\0';
                        good = !STREQ(name, "lo") && split(colon + 1, f, 17) == 16;
                }
                for (size_t i = 0; good && i < 16; i++)
                        good = ross_parse_u64(f[i], UINT64_MAX, &num[i]) == 0;
                if (good) {
                        v = xrealloc(v, (n + 1) * sizeof(*v));
                        RossStatsNet *e = &v[n++];
                        *e = (RossStatsNet){
                                .rx_bytes = num[0],
                                .rx_packets = num[1],
                                .rx_errors = num[2],
                                .rx_dropped = num[3],
                                .tx_bytes = num[8],
                                .tx_packets = num[9],
                                .tx_errors = num[10],
                                .tx_dropped = num[11],
                        };
                        snprintf(e->name, sizeof(e->name), "%s", name);
                }
                free(line);
        }
        *ret = v;
        *ret_n = n;
}

int ross_stats_pid_stat(const char *text, uint64_t *ret_utime, uint64_t *ret_stime,
                        uint64_t *ret_threads)
{
        /* "PID (COMM) S PPID ...": the command may hold spaces and parentheses, so the
         * fields start after the last ')' */
        const char *close = text ? strrchr(text, ')') : NULL;
        if (!close)
                return -EINVAL;
        _cleanup_free_ char *rest = xstrdup(close + 1);
        char *nl = strchr(rest, '\n');
        if (nl)
                *nl = '\0';
        char *f[20];
        uint64_t ut, st, th;
        /* after the command: state is field 3, utime 14, stime 15, num_threads 20 */
        if (split(rest, f, 20) < 18 || ross_parse_u64(f[11], UINT64_MAX, &ut) < 0 ||
            ross_parse_u64(f[12], UINT64_MAX, &st) < 0 ||
            ross_parse_u64(f[17], UINT64_MAX, &th) < 0)
                return -EINVAL;
        *ret_utime = ut;
        *ret_stime = st;
        *ret_threads = th;
        return 0;
}

/* ---- where the cgroups are ---- */

/* mountinfo's octal escapes (\040 for a space, \011, \012, \134) undone, in place. */
static void unescape(char *s)
{
        char *w = s;
        for (const char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = '\0';
}

void ross_cgroup_mounts_parse(const char *mountinfo, RossCgroupMounts *ret)
{
        const char *p = mountinfo ? mountinfo : "";
        char *line;
        RossCgroupMounts m = {};
        while ((line = next_line(&p))) {
                /* ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
                char *f[64];
                size_t n = split(line, f, ELEMENTSOF(f)), dash = 6;
                while (dash < n && !STREQ(f[dash], "-"))
                        dash++;
                bool v1 = dash + 3 < n && STREQ(f[dash + 1], "cgroup");
                bool v2 = dash + 1 < n && STREQ(f[dash + 1], "cgroup2");
                if (n >= 6 && (v1 || v2) && f[3][0] == '/' && f[4][0] == '/') {
                        unescape(f[3]);
                        unescape(f[4]);
                        m.v = xrealloc(m.v, (m.n + 1) * sizeof(*m.v));
                        m.v[m.n++] = (RossCgroupMount){
                                .root = xstrdup(f[3]),
                                .point = xstrdup(f[4]),
                                .controllers = v1 ? xstrdup(f[dash + 3]) : NULL,
                        };
                }
                free(line);
        }
        *ret = m;
}

void ross_cgroup_mounts_free(RossCgroupMounts *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->v[i].root);
                free(m->v[i].point);
                free(m->v[i].controllers);
        }
        free(m->v);
        *m = (RossCgroupMounts){};
}

void ross_cgroup_dirs_free(RossCgroupDirs *d)
{
        free(d->cpuacct);
        free(d->cpu);
        free(d->memory);
        free(d->pids);
        free(d->blkio);
        free(d->unified);
        *d = (RossCgroupDirs){};
}

/* Is name one of the comma-separated words of list? */
static bool has_word(const char *list, const char *name)
{
        size_t k = strlen(name);
        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, ",");
                if (n == k && strncmp(p, name, k) == 0)
                        return true;
                p += n;
                p += *p == ',';
        }
        return false;
}

/* A path with a ".." in it: never one of the cgroups of this namespace. */
static bool has_dotdot(const char *path)
{
        for (const char *p = path; (p = strstr(p, "..")); p += 2)
                if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
                        return true;
        return false;
}

/* The directory of cgroup path in the first mount of its hierarchy that shows it. */
static char *dir_of(const RossCgroupMounts *m, const char *controller, const char *path)
{
        if (path[0] != '/' || has_dotdot(path))
                return NULL;
        for (size_t i = 0; i < m->n; i++) {
                const RossCgroupMount *mt = &m->v[i];
                if (controller ? !has_word(mt->controllers, controller) : mt->controllers != NULL)
                        continue;
                size_t k = strlen(mt->root);
                while (k > 1 && mt->root[k - 1] == '/')
                        k--;
                const char *rest;
                if (k == 1)
                        rest = path;
                else if (strncmp(path, mt->root, k) == 0 && (path[k] == '\0' || path[k] == '/'))
                        rest = path + k;
                else
                        continue;
                return STREQ(rest, "/") || !*rest ? xstrdup(mt->point)
                                                  : xasprintf("%s%s", mt->point, rest);
        }
        return NULL;
}

void ross_cgroup_dirs_find(const RossCgroupMounts *m, const char *proc_cgroup, RossCgroupDirs *ret)
{
        static const char *const wanted[] = {"cpuacct", "cpu", "memory", "pids", "blkio"};
        RossCgroupDirs d = {};
        char **slots[] = {&d.cpuacct, &d.cpu, &d.memory, &d.pids, &d.blkio};
        const char *p = proc_cgroup ? proc_cgroup : "";
        char *line;
        while ((line = next_line(&p))) {
                /* "ID:CONTROLLERS:PATH" (the path may hold colons); v2 is "0::PATH" */
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (c2) {
                        *c1 = *c2 = '\0';
                        const char *ctl = c1 + 1, *path = c2 + 1;
                        if (!*ctl && STREQ(line, "0")) {
                                if (!d.unified)
                                        d.unified = dir_of(m, NULL, path);
                        } else
                                for (size_t i = 0; i < ELEMENTSOF(wanted); i++)
                                        if (!*slots[i] && has_word(ctl, wanted[i]))
                                                *slots[i] = dir_of(m, wanted[i], path);
                }
                free(line);
        }
        *ret = d;
}

bool ross_cgroup_dirs_v1(const RossCgroupDirs *d)
{
        return d->cpuacct || d->cpu || d->memory || d->pids || d->blkio;
}

/* A cgroup file's text, or NULL when it cannot be read. */
static char *cg_read(const char *dir, const char *file)
{
        if (!dir)
                return NULL;
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        char *text = NULL;
        if (ross_read_file(path, CGROUP_FILE_MAX, &text, NULL, NULL) < 0)
                return NULL;
        return text;
}

static uint64_t cg_single(const char *dir, const char *file, uint64_t max)
{
        _cleanup_free_ char *t = cg_read(dir, file);
        uint64_t v = 0;
        if (t && ross_stats_single(t, max, &v) < 0)
                v = 0;
        return v;
}

static uint64_t kv_or_zero(const char *text, const char *key)
{
        uint64_t v = 0;
        (void)ross_stats_kv(text, key, &v);
        return v;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
        uint64_t r;
        return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* memory.stat's keys into s->mem_stats, by the kind's key table. */
static void mem_stat_keys(const char *text, RossStatsSample *s, RossStatsMemKind kind)
{
        size_t n;
        const char *const *keys = ross_stats_mem_keys(kind, &n);
        s->mem_kind = kind;
        for (size_t i = 0; i < n; i++)
                s->mem_stats[i] = kv_or_zero(text, keys[i]);
}

static void read_v1(const RossCgroupDirs *d, RossStatsSample *s)
{
        long tck = sysconf(_SC_CLK_TCK);
        uint64_t ticks = tck > 0 ? (uint64_t)tck : 100;
        if (d->cpuacct) {
                _cleanup_free_ char *stat = cg_read(d->cpuacct, "cpuacct.stat");
                _cleanup_free_ char *percpu = cg_read(d->cpuacct, "cpuacct.usage_percpu");
                s->cpu.total = cg_single(d->cpuacct, "cpuacct.usage", 0);
                s->cpu.user = mul_sat(kv_or_zero(stat, "user"), 1000000000ULL) / ticks;
                s->cpu.kernel = mul_sat(kv_or_zero(stat, "system"), 1000000000ULL) / ticks;
                ross_stats_percpu(percpu, &s->cpu.percpu, &s->cpu.n_percpu);
        }
        if (d->cpu) {
                _cleanup_free_ char *stat = cg_read(d->cpu, "cpu.stat");
                s->cpu.periods = kv_or_zero(stat, "nr_periods");
                s->cpu.throttled_periods = kv_or_zero(stat, "nr_throttled");
                s->cpu.throttled_time = kv_or_zero(stat, "throttled_time");
        }
        _cleanup_free_ char *mstat = cg_read(d->memory, "memory.stat");
        if (mstat) {
                mem_stat_keys(mstat, s, ROSS_STATS_MEM_V1);
                s->mem_usage = cg_single(d->memory, "memory.usage_in_bytes", 0);
                s->mem_max_usage = cg_single(d->memory, "memory.max_usage_in_bytes", 0);
                s->mem_failcnt = cg_single(d->memory, "memory.failcnt", 0);
                s->mem_limit = cg_single(d->memory, "memory.limit_in_bytes", 0);
        }
        if (d->pids) {
                s->pids_current = cg_single(d->pids, "pids.current", 0);
                /* v1's "max" is 0, no limit (containerd keeps it so) */
                s->pids_limit = cg_single(d->pids, "pids.max", 0);
        }
        if (d->blkio) {
                /* CFQ's (and BFQ's) recursive files where the kernel has them, else the
                 * throttle layer's, as containerd reads them */
                static const struct {
                        int list;
                        const char *file;
                } cfq[] = {
                        {ROSS_BLKIO_SECTORS, "blkio.sectors_recursive"},
                        {ROSS_BLKIO_SERVICE_BYTES, "blkio.io_service_bytes_recursive"},
                        {ROSS_BLKIO_SERVICED, "blkio.io_serviced_recursive"},
                        {ROSS_BLKIO_QUEUED, "blkio.io_queued_recursive"},
                        {ROSS_BLKIO_SERVICE_TIME, "blkio.io_service_time_recursive"},
                        {ROSS_BLKIO_WAIT_TIME, "blkio.io_wait_time_recursive"},
                        {ROSS_BLKIO_MERGED, "blkio.io_merged_recursive"},
                        {ROSS_BLKIO_TIME, "blkio.time_recursive"},
                };
                _cleanup_free_ char *probe = xasprintf("%s/blkio.io_serviced_recursive", d->blkio);
                struct stat st;
                size_t found = 0;
                for (size_t i = 0; i < ROSS_BLKIO_LISTS; i++)
                        s->blkio[i].set = true;
                if (lstat(probe, &st) == 0)
                        for (size_t i = 0; i < ELEMENTSOF(cfq); i++) {
                                _cleanup_free_ char *t = cg_read(d->blkio, cfq[i].file);
                                ross_stats_blkio_v1(t, &s->blkio[cfq[i].list]);
                                found += s->blkio[cfq[i].list].n;
                        }
                if (found == 0) {
                        _cleanup_free_ char *serviced =
                                cg_read(d->blkio, "blkio.throttle.io_serviced");
                        _cleanup_free_ char *bytes =
                                cg_read(d->blkio, "blkio.throttle.io_service_bytes");
                        ross_stats_blkio_v1(serviced, &s->blkio[ROSS_BLKIO_SERVICED]);
                        ross_stats_blkio_v1(bytes, &s->blkio[ROSS_BLKIO_SERVICE_BYTES]);
                }
        }
}

static void read_v2(const char *dir, RossStatsSample *s)
{
        _cleanup_free_ char *cpu = cg_read(dir, "cpu.stat");
        s->cpu.total = mul_sat(kv_or_zero(cpu, "usage_usec"), 1000);
        s->cpu.user = mul_sat(kv_or_zero(cpu, "user_usec"), 1000);
        s->cpu.kernel = mul_sat(kv_or_zero(cpu, "system_usec"), 1000);
        s->cpu.periods = kv_or_zero(cpu, "nr_periods");
        s->cpu.throttled_periods = kv_or_zero(cpu, "nr_throttled");
        s->cpu.throttled_time = mul_sat(kv_or_zero(cpu, "throttled_usec"), 1000);

        /* Docker fills memory_stats on v2 even without the memory controller (zeroes) */
        _cleanup_free_ char *mstat = cg_read(dir, "memory.stat");
        _cleanup_free_ char *events = cg_read(dir, "memory.events");
        mem_stat_keys(mstat, s, ROSS_STATS_MEM_V2);
        s->mem_usage = cg_single(dir, "memory.current", UINT64_MAX);
        s->mem_limit = cg_single(dir, "memory.max", UINT64_MAX);
        s->mem_failcnt = kv_or_zero(events, "oom");

        /* v2's "max" is the largest number, as containerd reads it */
        s->pids_current = cg_single(dir, "pids.current", UINT64_MAX);
        s->pids_limit = cg_single(dir, "pids.max", UINT64_MAX);

        _cleanup_free_ char *io = cg_read(dir, "io.stat");
        ross_stats_io_v2(io, &s->blkio[ROSS_BLKIO_SERVICE_BYTES]);
}

int ross_cgroup_read(const RossCgroupDirs *d, RossStatsSample *s, RossError *err)
{
        if (ross_cgroup_dirs_v1(d))
                read_v1(d, s);
        else if (d->unified)
                read_v2(d->unified, s);
        else
                return ross_errx(err, ENOENT, "no cgroup of the container is mounted here");
        return 0;
}
