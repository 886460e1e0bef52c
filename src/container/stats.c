/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "../backend/backend.h"
#include "../backend/vm.h"
#include "../basic/clock.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "config.h"
#include "containers.h"
#include "network.h"
#include "stats-kernel.h"
#include "stats-recent.h"
#include "stats.h"

#define PROC_FILE_MAX  (4 * 1024 * 1024) /* /proc/stat of a big machine, mountinfo */
#define VM_PROCS_MAX   4096              /* processes of one VM's tree that are counted */
#define NSEC_PER_SEC   1000000000ULL
#define ZERO_TIME_TEXT "0001-01-01T00:00:00Z" /* Go's zero time */

/* Docker's memory_stats.stats keys (moby daemon/stats_unix.go), sorted as Go writes a map. */
static const char *const mem_keys_v1[] = {
        "active_anon",
        "active_file",
        "cache",
        "dirty",
        "hierarchical_memory_limit",
        "hierarchical_memsw_limit",
        "inactive_anon",
        "inactive_file",
        "mapped_file",
        "pgfault",
        "pgmajfault",
        "pgpgin",
        "pgpgout",
        "rss",
        "rss_huge",
        "total_active_anon",
        "total_active_file",
        "total_cache",
        "total_dirty",
        "total_inactive_anon",
        "total_inactive_file",
        "total_mapped_file",
        "total_pgfault",
        "total_pgmajfault",
        "total_pgpgin",
        "total_pgpgout",
        "total_rss",
        "total_rss_huge",
        "total_unevictable",
        "total_writeback",
        "unevictable",
        "writeback",
};
static const char *const mem_keys_v2[] = {
        "active_anon",
        "active_file",
        "anon",
        "anon_thp",
        "file",
        "file_dirty",
        "file_mapped",
        "file_writeback",
        "inactive_anon",
        "inactive_file",
        "kernel_stack",
        "pgactivate",
        "pgdeactivate",
        "pgfault",
        "pglazyfree",
        "pglazyfreed",
        "pgmajfault",
        "pgrefill",
        "pgscan",
        "pgsteal",
        "shmem",
        "slab",
        "slab_reclaimable",
        "slab_unreclaimable",
        "sock",
        "thp_collapse_alloc",
        "thp_fault_alloc",
        "unevictable",
        "workingset_activate",
        "workingset_nodereclaim",
        "workingset_refault",
};
/* a VM's: its processes' proportional and resident set sizes */
static const char *const mem_keys_vm[] = {"pss", "rss"};

const char *const *ross_stats_mem_keys(RossStatsMemKind kind, size_t *ret_n)
{
        switch (kind) {
        case ROSS_STATS_MEM_V1:
                *ret_n = ELEMENTSOF(mem_keys_v1);
                return mem_keys_v1;
        case ROSS_STATS_MEM_V2:
                *ret_n = ELEMENTSOF(mem_keys_v2);
                return mem_keys_v2;
        case ROSS_STATS_MEM_VM:
                *ret_n = ELEMENTSOF(mem_keys_vm);
                return mem_keys_vm;
        default:
                *ret_n = 0;
                return NULL;
        }
}

_Static_assert(ELEMENTSOF(mem_keys_v1) <= ROSS_STATS_MEM_KEYS_MAX, "memory keys");
_Static_assert(ELEMENTSOF(mem_keys_v2) <= ROSS_STATS_MEM_KEYS_MAX, "memory keys");

void ross_stats_blkio_add(RossStatsBlkioList *l, uint64_t major, uint64_t minor, const char *op,
                          uint64_t value)
{
        l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
        RossStatsBlkioEntry *e = &l->v[l->n++];
        *e = (RossStatsBlkioEntry){.major = major, .minor = minor, .value = value};
        snprintf(e->op, sizeof(e->op), "%s", op);
        l->set = true;
}

void ross_stats_sample_free(RossStatsSample *s)
{
        free(s->name);
        free(s->cpu.percpu);
        for (size_t i = 0; i < ROSS_BLKIO_LISTS; i++)
                free(s->blkio[i].v);
        free(s->nets);
        *s = (RossStatsSample){};
}

static void *dup_bytes(const void *p, size_t n)
{
        if (!p || n == 0)
                return NULL;
        void *q = xmalloc(n);
        memcpy(q, p, n);
        return q;
}

void ross_stats_sample_copy(const RossStatsSample *s, RossStatsSample *ret)
{
        *ret = *s;
        ret->name = s->name ? xstrdup(s->name) : NULL;
        ret->cpu.percpu = dup_bytes(s->cpu.percpu, s->cpu.n_percpu * sizeof(*s->cpu.percpu));
        for (size_t i = 0; i < ROSS_BLKIO_LISTS; i++)
                ret->blkio[i].v = dup_bytes(s->blkio[i].v, s->blkio[i].n * sizeof(*s->blkio[i].v));
        ret->nets = dup_bytes(s->nets, s->n_nets * sizeof(*s->nets));
}

/* ---- Docker's JSON ---- */

/* A JSON string; bytes that are not UTF-8 (an interface's name may hold any) as '?'. */
static void put_str(RossBuf *b, const char *s)
{
        json_t *j = json_string(s);
        if (!j) {
                _cleanup_free_ char *ascii = xstrdup(s);
                for (char *p = ascii; *p; p++)
                        if ((unsigned char)*p >= 0x80)
                                *p = '?';
                j = json_string(ascii);
        }
        char *t = json_dumps(j, JSON_ENCODE_ANY);
        json_decref(j);
        ross_buf_printf(b, "%s", t ? t : "\"\"");
        free(t);
}

/* Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped. */
static void put_time(RossBuf *b, const struct timespec *t)
{
        if (t->tv_sec == 0 && t->tv_nsec == 0) {
                ross_buf_printf(b, "\"%s\"", ZERO_TIME_TEXT);
                return;
        }
        struct tm tm;
        char when[32], frac[16] = "";
        gmtime_r(&t->tv_sec, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        if (t->tv_nsec > 0) {
                snprintf(frac, sizeof(frac), ".%09ld", t->tv_nsec);
                for (size_t k = strlen(frac); frac[k - 1] == '0'; k--)
                        frac[k - 1] = '\0';
        }
        ross_buf_printf(b, "\"%s%sZ\"", when, frac);
}

/* ",\"key\":N" for a Go field with omitempty: nothing when it is 0. */
static void put_opt(RossBuf *b, bool *first, const char *key, uint64_t v)
{
        if (!v)
                return;
        ross_buf_printf(b, "%s\"%s\":%" PRIu64, *first ? "" : ",", key, v);
        *first = false;
}

static void put_cpu(RossBuf *b, const RossStatsCpu *c)
{
        ross_buf_printf(b, "{\"cpu_usage\":{\"total_usage\":%" PRIu64, c->total);
        if (c->n_percpu) {
                ross_buf_printf(b, ",\"percpu_usage\":[");
                for (size_t i = 0; i < c->n_percpu; i++)
                        ross_buf_printf(b, "%s%" PRIu64, i ? "," : "", c->percpu[i]);
                ross_buf_printf(b, "]");
        }
        ross_buf_printf(b,
                        ",\"usage_in_kernelmode\":%" PRIu64 ",\"usage_in_usermode\":%" PRIu64 "}",
                        c->kernel, c->user);
        if (c->system)
                ross_buf_printf(b, ",\"system_cpu_usage\":%" PRIu64, c->system);
        if (c->online)
                ross_buf_printf(b, ",\"online_cpus\":%" PRIu32, c->online);
        ross_buf_printf(b,
                        ",\"throttling_data\":{\"periods\":%" PRIu64
                        ",\"throttled_periods\":%" PRIu64 ",\"throttled_time\":%" PRIu64 "}}",
                        c->periods, c->throttled_periods, c->throttled_time);
}

static void put_blkio(RossBuf *b, const RossStatsSample *s)
{
        static const char *const names[ROSS_BLKIO_LISTS] = {
                [ROSS_BLKIO_SERVICE_BYTES] = "io_service_bytes_recursive",
                [ROSS_BLKIO_SERVICED] = "io_serviced_recursive",
                [ROSS_BLKIO_QUEUED] = "io_queue_recursive",
                [ROSS_BLKIO_SERVICE_TIME] = "io_service_time_recursive",
                [ROSS_BLKIO_WAIT_TIME] = "io_wait_time_recursive",
                [ROSS_BLKIO_MERGED] = "io_merged_recursive",
                [ROSS_BLKIO_TIME] = "io_time_recursive",
                [ROSS_BLKIO_SECTORS] = "sectors_recursive",
        };
        ross_buf_printf(b, "{");
        for (size_t i = 0; i < ROSS_BLKIO_LISTS; i++) {
                const RossStatsBlkioList *l = &s->blkio[i];
                ross_buf_printf(b, "%s\"%s\":", i ? "," : "", names[i]);
                if (!l->set) {
                        ross_buf_printf(b, "null");
                        continue;
                }
                ross_buf_printf(b, "[");
                for (size_t k = 0; k < l->n; k++) {
                        ross_buf_printf(b, "%s{\"major\":%" PRIu64 ",\"minor\":%" PRIu64 ",\"op\":",
                                        k ? "," : "", l->v[k].major, l->v[k].minor);
                        put_str(b, l->v[k].op);
                        ross_buf_printf(b, ",\"value\":%" PRIu64 "}", l->v[k].value);
                }
                ross_buf_printf(b, "]");
        }
        ross_buf_printf(b, "}");
}

static void put_memory(RossBuf *b, const RossStatsSample *s)
{
        bool first = true;
        size_t n;
        const char *const *keys = ross_stats_mem_keys(s->mem_kind, &n);
        ross_buf_printf(b, "{");
        put_opt(b, &first, "usage", s->mem_usage);
        put_opt(b, &first, "max_usage", s->mem_max_usage);
        if (n) {
                ross_buf_printf(b, "%s\"stats\":{", first ? "" : ",");
                for (size_t i = 0; i < n; i++)
                        ross_buf_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "", keys[i],
                                        s->mem_stats[i]);
                ross_buf_printf(b, "}");
                first = false;
        }
        put_opt(b, &first, "failcnt", s->mem_failcnt);
        put_opt(b, &first, "limit", s->mem_limit);
        ross_buf_printf(b, "}");
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const RossStatsNet *)a)->name, ((const RossStatsNet *)b)->name);
}

static void put_networks(RossBuf *b, const RossStatsSample *s)
{
        /* a map: Go writes its keys sorted */
        _cleanup_free_ RossStatsNet *v = xmalloc((s->n_nets + 1) * sizeof(*v));
        memcpy(v, s->nets, s->n_nets * sizeof(*v));
        qsort(v, s->n_nets, sizeof(*v), by_name);
        ross_buf_printf(b, ",\"networks\":{");
        for (size_t i = 0; i < s->n_nets; i++) {
                const RossStatsNet *e = &v[i];
                ross_buf_printf(b, "%s", i ? "," : "");
                put_str(b, e->name);
                ross_buf_printf(b,
                                ":{\"rx_bytes\":%" PRIu64 ",\"rx_packets\":%" PRIu64
                                ",\"rx_errors\":%" PRIu64 ",\"rx_dropped\":%" PRIu64
                                ",\"tx_bytes\":%" PRIu64 ",\"tx_packets\":%" PRIu64
                                ",\"tx_errors\":%" PRIu64 ",\"tx_dropped\":%" PRIu64 "}",
                                e->rx_bytes, e->rx_packets, e->rx_errors, e->rx_dropped,
                                e->tx_bytes, e->tx_packets, e->tx_errors, e->tx_dropped);
        }
        ross_buf_printf(b, "}");
}

void ross_stats_json(RossBuf *out, const RossStatsSample *s, const RossStatsSample *pre)
{
        static const struct timespec zero_time;
        static const RossStatsCpu zero_cpu;
        bool first = true;
        /* the field order of Docker's StatsJSON at API 1.45 */
        ross_buf_printf(out, "{\"read\":");
        put_time(out, &s->read);
        ross_buf_printf(out, ",\"preread\":");
        put_time(out, pre ? &pre->read : &zero_time);
        ross_buf_printf(out, ",\"pids_stats\":{");
        put_opt(out, &first, "current", s->pids_current);
        put_opt(out, &first, "limit", s->pids_limit);
        ross_buf_printf(out, "},\"blkio_stats\":");
        put_blkio(out, s);
        ross_buf_printf(out, ",\"num_procs\":0,\"storage_stats\":{},\"cpu_stats\":");
        put_cpu(out, &s->cpu);
        ross_buf_printf(out, ",\"precpu_stats\":");
        put_cpu(out, pre ? &pre->cpu : &zero_cpu);
        ross_buf_printf(out, ",\"memory_stats\":");
        put_memory(out, s);
        ross_buf_printf(out, ",\"name\":");
        put_str(out, s->name ? s->name : "");
        ross_buf_printf(out, ",\"id\":");
        put_str(out, s->id);
        if (s->have_networks && s->n_nets)
                put_networks(out, s);
        ross_buf_printf(out, "}\n");
}

/* ---- a container's samples ---- */

struct RossStatsSource {
        RossContainers *c;
        char id[65];
        bool vm;           /* a micro-VM: its VMM's processes, not a cgroup */
        bool no_network;   /* --network none: only lo, which Docker does not report */
        int64_t vm_memory; /* the VM's memory, its limit */
        RossCgroupMounts mounts;
        uint64_t machine_memory;
        long ticks;
        struct stat own_netns; /* the daemon's network namespace (--network host shares it) */
};

int ross_stats_open(RossContainers *c, const char *ref, RossStatsSource **ret, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0 || (r = ross_containers_config_load(c, id, &row, &cfg, err)) < 0)
                return r;
        const RossBackend *be = ross_backend_find(cfg.runtime);
        RossStatsSource *s = xcalloc(1, sizeof(*s));
        s->c = c;
        snprintf(s->id, sizeof(s->id), "%s", id);
        s->vm = be && !STREQ(be->kind, "oci");
        s->vm_memory = s->vm ? ross_vm_memory(&cfg) : 0;
        s->no_network = cfg.net.mode && STREQ(cfg.net.mode, "none");
        _cleanup_free_ char *mountinfo = NULL, *meminfo = NULL;
        if (ross_read_file("/proc/self/mountinfo", PROC_FILE_MAX, &mountinfo, NULL, NULL) == 0)
                ross_cgroup_mounts_parse(mountinfo, &s->mounts);
        if (ross_read_file("/proc/meminfo", PROC_FILE_MAX, &meminfo, NULL, NULL) == 0)
                s->machine_memory = ross_stats_kb(meminfo, "MemTotal:");
        s->ticks = sysconf(_SC_CLK_TCK);
        if (s->ticks <= 0)
                s->ticks = 100;
        if (stat("/proc/self/ns/net", &s->own_netns) < 0)
                s->own_netns = (struct stat){};
        *ret = s;
        return 0;
}

void ross_stats_keep(RossStatsSource *s, const RossStatsSample *cur)
{
        if (s->c->stats_recent)
                ross_stats_recent_keep(s->c->stats_recent, cur, ross_now_ns());
}

bool ross_stats_kept_before(RossStatsSource *s, const RossStatsSample *cur, RossStatsSample *ret)
{
        return s->c->stats_recent &&
               ross_stats_recent_pre(s->c->stats_recent, cur, ross_now_ns(), ret);
}

void ross_stats_close(RossStatsSource *s)
{
        ross_cgroup_mounts_free(&s->mounts);
        free(s);
}

static int read_pid_file(RossStatsSource *s, const char *file, pid_t *ret)
{
        _cleanup_free_ char *path = ross_containers_path(s->c, s->id, file);
        _cleanup_free_ char *text = NULL;
        int v;
        if (ross_read_file(path, 64, &text, NULL, NULL) < 0 ||
            ross_parse_int(text, 1, INT32_MAX, &v) < 0)
                return -ENOENT;
        *ret = (pid_t)v;
        return 0;
}

/* ---- network counters, read inside the namespace ---- */

typedef struct NetnsRead {
        int fd;
        RossStatsNet *v;
        size_t n;
        int r;
} NetnsRead;

/* A tun/tap device: a VMM's end of its NIC; the namespace's eth0 carries the same traffic
 * (redirected to and from it), so it is not counted twice. */
static bool is_tun(int sk, const char *name)
{
        struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
        struct ifreq ifr = {};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
        ifr.ifr_data = (void *)&info;
        return sk >= 0 && ioctl(sk, SIOCETHTOOL, &ifr) == 0 && STREQ(info.driver, "tun");
}

/* A thread of its own enters the namespace (setns moves only the calling thread) and
 * reads /proc/thread-self/net/dev there; the namespace goes with the thread. */
static void *netns_thread(void *ud)
{
        NetnsRead *j = ud;
        _cleanup_free_ char *text = NULL;
        if (setns(j->fd, CLONE_NEWNET) < 0) {
                j->r = -errno;
                return NULL;
        }
        if ((j->r = ross_read_file("/proc/thread-self/net/dev", PROC_FILE_MAX, &text, NULL, NULL)) <
            0)
                return NULL;
        ross_stats_net_dev(text, &j->v, &j->n);
        _cleanup_close_ int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        size_t kept = 0;
        for (size_t i = 0; i < j->n; i++)
                if (!is_tun(sk, j->v[i].name))
                        j->v[kept++] = j->v[i];
        j->n = kept;
        return NULL;
}

static void sample_networks(RossStatsSource *s, const char *ns_path, RossStatsSample *ret)
{
        struct stat st;
        if (s->no_network)
                return; /* nothing to enter the namespace for */
        if (stat(ns_path, &st) < 0)
                return; /* no namespace of its own: no network (a VM on none) */
        /* the host's network (--network host): Docker reports no interfaces for it */
        if (st.st_dev == s->own_netns.st_dev && st.st_ino == s->own_netns.st_ino)
                return;
        NetnsRead j = {.fd = open(ns_path, O_RDONLY | O_CLOEXEC), .r = -EBADF};
        pthread_t th;
        if (j.fd < 0)
                return;
        if (pthread_create(&th, NULL, netns_thread, &j) == 0)
                pthread_join(th, NULL);
        close(j.fd);
        if (j.r < 0) {
                log_debug("stats of %.12s: the network namespace %s: %s", s->id, ns_path,
                          strerror(-j.r));
                free(j.v);
                return;
        }
        /* none: only lo, which is not reported; Docker then leaves "networks" out */
        ret->nets = j.v;
        ret->n_nets = j.n;
        ret->have_networks = j.n > 0;
}

/* ---- a namespace container: its cgroup ---- */

static void sample_cgroup(RossStatsSource *s, pid_t pid, RossStatsSample *ret)
{
        _cleanup_free_ char *cgpath = xasprintf("/proc/%d/cgroup", (int)pid);
        _cleanup_free_ char *cg = NULL;
        _cleanup_(ross_cgroup_dirs_free) RossCgroupDirs dirs = {};
        RossError e = {};
        if (ross_read_file(cgpath, PROC_FILE_MAX, &cg, NULL, NULL) == 0) {
                ross_cgroup_dirs_find(&s->mounts, cg, &dirs);
                if (ross_cgroup_read(&dirs, ret, &e) < 0)
                        log_debug("stats of %.12s: %s", s->id, e.msg);
        }
        _cleanup_free_ char *ns = xasprintf("/proc/%d/ns/net", (int)pid);
        sample_networks(s, ns, ret);
}

/* ---- a micro-VM: the processes of its VMM ---- */

/* The shim's descendants (the VMM, its helpers, their children), breadth first. */
static size_t vm_processes(pid_t shim, pid_t *out, size_t max)
{
        size_t n = 0;
        pid_t parent = shim;
        for (size_t next = 0;; parent = out[next++]) {
                _cleanup_free_ char *tdir = xasprintf("/proc/%d/task", (int)parent);
                _cleanup_(closedirp) DIR *d = opendir(tdir);
                struct dirent *de;
                while (d && (de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        _cleanup_free_ char *path = xasprintf("%s/%s/children", tdir, de->d_name);
                        _cleanup_free_ char *text = NULL;
                        if (ross_read_file(path, PROC_FILE_MAX, &text, NULL, NULL) < 0)
                                continue;
                        char *save = NULL;
                        for (char *t = strtok_r(text, " \n", &save); t && n < max;
                             t = strtok_r(NULL, " \n", &save)) {
                                int p;
                                if (ross_parse_int(t, 1, INT32_MAX, &p) == 0)
                                        out[n++] = (pid_t)p;
                        }
                }
                if (next >= n)
                        break;
        }
        return n;
}

static char *proc_text(pid_t pid, const char *file)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
        char *text = NULL;
        if (ross_read_file(path, PROC_FILE_MAX, &text, NULL, NULL) < 0)
                return NULL;
        return text;
}

static void sample_vm(RossStatsSource *s, pid_t shim, RossStatsSample *ret)
{
        _cleanup_free_ pid_t *procs = xcalloc(VM_PROCS_MAX, sizeof(pid_t));
        size_t n = vm_processes(shim, procs, VM_PROCS_MAX);
        uint64_t ut = 0, st = 0, threads = 0, pss = 0, rss = 0, rb = 0, wb = 0;
        long page = sysconf(_SC_PAGESIZE);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *stat = proc_text(procs[i], "stat");
                _cleanup_free_ char *rollup = proc_text(procs[i], "smaps_rollup");
                _cleanup_free_ char *io = proc_text(procs[i], "io");
                uint64_t u, k, t, v;
                if (!stat || ross_stats_pid_stat(stat, &u, &k, &t) < 0)
                        continue; /* gone meanwhile */
                ut += u;
                st += k;
                threads += t;
                if (rollup) {
                        pss += ross_stats_kb(rollup, "Pss:");
                        rss += ross_stats_kb(rollup, "Rss:");
                } else {
                        /* no smaps_rollup (before Linux 4.14): statm's resident pages */
                        _cleanup_free_ char *statm = proc_text(procs[i], "statm");
                        char *f = statm ? strchr(statm, ' ') : NULL;
                        char *end = f ? strchr(f + 1, ' ') : NULL;
                        if (end)
                                *end = '\0';
                        if (f && ross_parse_u64(f + 1, UINT64_MAX / 65536, &v) == 0)
                                rss += v * (uint64_t)(page > 0 ? page : 4096);
                }
                if (io && ross_stats_kv(io, "read_bytes:", &v) == 0)
                        rb += v;
                if (io && ross_stats_kv(io, "write_bytes:", &v) == 0)
                        wb += v;
        }
        uint64_t tk = (uint64_t)s->ticks;
        ret->cpu.user = ut / tk * NSEC_PER_SEC + ut % tk * NSEC_PER_SEC / tk;
        ret->cpu.kernel = st / tk * NSEC_PER_SEC + st % tk * NSEC_PER_SEC / tk;
        ret->cpu.total = ret->cpu.user + ret->cpu.kernel;
        ret->mem_kind = ROSS_STATS_MEM_VM;
        ret->mem_stats[0] = pss;
        ret->mem_stats[1] = rss;
        ret->mem_usage = pss ? pss : rss;
        ret->mem_limit = (uint64_t)s->vm_memory;
        ret->pids_current = threads;
        /* the VMM's own reads and writes: no one device (the VM's disks are files) */
        ross_stats_blkio_add(&ret->blkio[ROSS_BLKIO_SERVICE_BYTES], 0, 0, "read", rb);
        ross_stats_blkio_add(&ret->blkio[ROSS_BLKIO_SERVICE_BYTES], 0, 0, "write", wb);
        _cleanup_free_ char *ns = ross_container_net_namespace(s->c, s->id);
        sample_networks(s, ns, ret);
}

int ross_stats_sample(RossStatsSource *s, RossStatsSample *ret, RossError *err)
{
        _cleanup_(json_decrefp) json_t *row = NULL;
        int r = ross_db_container_fetch(s->c->db, s->id, &row, err);
        if (r < 0)
                return r;
        RossStatsSample out = {};
        snprintf(out.id, sizeof(out.id), "%s", s->id);
        out.name = xasprintf("/%s", json_string_value(json_object_get(row, "Name")) ?: "");
        pid_t pid = 0;
        if (!ross_containers_running(s->c, s->id) ||
            read_pid_file(s, s->vm ? "shim.pid" : "container.pid", &pid) < 0) {
                *ret = out;
                return 0;
        }
        clock_gettime(CLOCK_REALTIME, &out.read);
        out.pid = (int)pid;
        if (s->vm)
                sample_vm(s, pid, &out);
        else
                sample_cgroup(s, pid, &out);
        /* the host's CPU time beside the container's, as Docker samples it */
        _cleanup_free_ char *stat = NULL;
        if (ross_read_file("/proc/stat", PROC_FILE_MAX, &stat, NULL, NULL) == 0)
                (void)ross_stats_proc_stat(stat, s->ticks, &out.cpu.system, &out.cpu.online);
        /* no limit is the machine's memory, as Docker shows it */
        if (s->machine_memory && out.mem_limit > s->machine_memory)
                out.mem_limit = s->machine_memory;
        *ret = out;
        return 0;
}
