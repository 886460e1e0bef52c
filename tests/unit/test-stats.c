/* SPDX-License-Identifier: Apache-2.0 */
/* Stats: where a process's cgroups are (mountinfo and /proc/PID/cgroup, v1 and v2), what
 * their files give (fixture trees copied from a hybrid host's v1 controllers and written
 * as a v2 host's kernel has them), the /proc parsers with hostile lines, and Docker's JSON
 * of a sample. argv[1]: tests/unit/fixtures/stats. */
#include <inttypes.h>
#include <jansson.h>

#include "basic/buf.h"
#include "basic/fileio.h"
#include "basic/format.h"
#include "container/stats-kernel.h"
#include "container/stats.h"
#include "container/stats-recent.h"
#include "tap.h"

static const char *fixtures;

static char *fixture(const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", fixtures, name);
        char *text = NULL;
        if (ross_read_file(path, 1 << 20, &text, NULL, NULL) < 0) {
                printf("# cannot read %s\n", path);
                return xstrdup("");
        }
        return text;
}

/* A mountinfo fixture with its @ROOT@ made the fixtures' directory. */
static char *mountinfo(const char *name)
{
        _cleanup_free_ char *text = fixture(name);
        RossBuf b = {};
        for (const char *p = text, *at; *p; p = at + 6) {
                at = strstr(p, "@ROOT@");
                if (!at) {
                        ross_buf_printf(&b, "%s", p);
                        break;
                }
                ross_buf_append(&b, p, (size_t)(at - p));
                ross_buf_printf(&b, "%s", fixtures);
        }
        return ross_buf_steal(&b);
}

static char *in_fixtures(const char *rel)
{
        return xasprintf("%s/%s", fixtures, rel);
}

static uint64_t mem_stat(const RossStatsSample *s, const char *key)
{
        size_t n;
        const char *const *keys = ross_stats_mem_keys(s->mem_kind, &n);
        for (size_t i = 0; i < n; i++)
                if (STREQ(keys[i], key))
                        return s->mem_stats[i];
        return UINT64_MAX;
}

static json_t *json_of(const RossStatsSample *s, const RossStatsSample *pre)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        ross_stats_json(&b, s, pre);
        json_error_t e;
        json_t *j = json_loadb(b.data, b.len, JSON_DECODE_INT_AS_REAL, &e);
        if (!j)
                printf("# not JSON (%s): %s\n", e.text, b.data);
        return j;
}

static double jnum(json_t *o, const char *path)
{
        /* "a.b.c" */
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *k = strtok_r(copy, ".", &save); k; k = strtok_r(NULL, ".", &save))
                o = json_object_get(o, k);
        return json_is_number(o) ? json_number_value(o) : -1;
}

static void test_v1(void)
{
        _cleanup_free_ char *mi = mountinfo("v1/mountinfo");
        _cleanup_free_ char *cg = fixture("v1/cgroup");
        RossCgroupMounts m = {};
        RossCgroupDirs d = {};
        ross_cgroup_mounts_parse(mi, &m);
        ok(m.n == 10, "v1: the ten cgroup mounts of a hybrid host (%zu)", m.n);
        ross_cgroup_dirs_find(&m, cg, &d);
        _cleanup_free_ char *want_acct = in_fixtures("v1/fs/cpuacct/ross/c0ffee");
        _cleanup_free_ char *want_blk = in_fixtures("v1/fs/blk io/ross/c0ffee");
        _cleanup_free_ char *want_uni = in_fixtures("v1/fs/unified/ross/c0ffee");
        is_str(d.cpuacct, want_acct, "v1: cpuacct's directory");
        is_str(d.blkio, want_blk, "v1: a mount point with an escaped space (\\040)");
        is_str(d.unified, want_uni, "v1: the hybrid host's v2 directory too");
        ok(ross_cgroup_dirs_v1(&d), "v1: the v1 controllers are the ones read (as Docker)");

        RossStatsSample s = {};
        ok(ross_cgroup_read(&d, &s, NULL) == 0, "v1: read");
        ok(s.cpu.total == 583883000245ULL, "v1: total_usage from cpuacct.usage");
        ok(s.cpu.n_percpu == 2 && s.cpu.percpu[0] == 283629888602ULL &&
                   s.cpu.percpu[1] == 300254991536ULL,
           "v1: percpu_usage from cpuacct.usage_percpu");
        ok(s.cpu.user == 582380000000ULL && s.cpu.kernel == 1500000000ULL,
           "v1: user and kernel from cpuacct.stat's ticks (%" PRIu64 ", %" PRIu64 ")", s.cpu.user,
           s.cpu.kernel);
        ok(s.cpu.periods == 120 && s.cpu.throttled_periods == 7 &&
                   s.cpu.throttled_time == 350000000,
           "v1: throttling_data from cpu.stat");
        ok(s.mem_kind == ROSS_STATS_MEM_V1 && s.mem_usage == 208896 && s.mem_max_usage == 524288 &&
                   s.mem_limit == 104857600 && s.mem_failcnt == 0,
           "v1: usage, max_usage, limit, failcnt");
        ok(mem_stat(&s, "total_rss") == 61440 && mem_stat(&s, "pgfault") == 73 &&
                   mem_stat(&s, "hierarchical_memory_limit") == 9223372036854771712ULL,
           "v1: memory.stat's keys");
        ok(s.pids_current == 1 && s.pids_limit == 64, "v1: pids.current and pids.max");
        const RossStatsBlkioList *sb = &s.blkio[ROSS_BLKIO_SERVICE_BYTES];
        ok(sb->set && sb->n == 12 && sb->v[0].major == 8 && sb->v[0].minor == 0 &&
                   STREQ(sb->v[0].op, "Read") && sb->v[0].value == 1052672 &&
                   STREQ(sb->v[1].op, "Write") && sb->v[1].value == 209715200 &&
                   sb->v[6].major == 253 && sb->v[6].minor == 1,
           "v1: io_service_bytes_recursive from the throttle layer's file, \"Total\" line left "
           "out");
        ok(s.blkio[ROSS_BLKIO_SERVICED].n == 12 && s.blkio[ROSS_BLKIO_SERVICED].v[1].value == 1600,
           "v1: io_serviced_recursive");
        ok(s.blkio[ROSS_BLKIO_QUEUED].set && s.blkio[ROSS_BLKIO_QUEUED].n == 0,
           "v1: the other lists empty, not null, as Docker's");

        snprintf(s.id, sizeof(s.id), "c0ffee");
        s.name = xstrdup("/spin");
        s.read = (struct timespec){1700000000, 120000000};
        json_auto_t *j = json_of(&s, NULL);
        ok(j != NULL, "v1: Docker's JSON");
        ok(json_array_size(
                   json_object_get(json_object_get(j, "blkio_stats"), "io_queue_recursive")) == 0 &&
                   json_is_array(json_object_get(json_object_get(j, "blkio_stats"),
                                                 "io_queue_recursive")),
           "v1 JSON: io_queue_recursive is []");
        ok(json_object_size(json_object_get(json_object_get(j, "memory_stats"), "stats")) == 32,
           "v1 JSON: the 32 keys of Docker's v1 memory stats");
        ok(jnum(j, "memory_stats.limit") == 104857600 && jnum(j, "pids_stats.limit") == 64,
           "v1 JSON: the limits");
        ok(json_array_size(
                   json_object_get(json_object_get(json_object_get(j, "cpu_stats"), "cpu_usage"),
                                   "percpu_usage")) == 2,
           "v1 JSON: percpu_usage");
        is_str(json_string_value(json_object_get(j, "read")), "2023-11-14T22:13:20.12Z",
               "JSON: read in RFC 3339 with nanoseconds, trailing zeros dropped");
        is_str(json_string_value(json_object_get(j, "preread")), "0001-01-01T00:00:00Z",
               "JSON: no previous sample: Go's zero time");
        ok(!json_object_get(j, "networks"), "JSON: no networks: no key (as Docker's)");
        ross_stats_sample_free(&s);
        ross_cgroup_dirs_free(&d);
        ross_cgroup_mounts_free(&m);
}

static void test_v2(void)
{
        _cleanup_free_ char *mi = mountinfo("v2/mountinfo");
        _cleanup_free_ char *cg = fixture("v2/cgroup");
        RossCgroupMounts m = {};
        RossCgroupDirs d = {};
        ross_cgroup_mounts_parse(mi, &m);
        ok(m.n == 1 && !m.v[0].controllers, "v2: one cgroup2 mount");
        ross_cgroup_dirs_find(&m, cg, &d);
        _cleanup_free_ char *want = in_fixtures("v2/fs/system.slice/docker-c0ffee.scope");
        is_str(d.unified, want, "v2: the container's directory");
        ok(!ross_cgroup_dirs_v1(&d), "v2: no v1 controllers");

        RossStatsSample s = {};
        ok(ross_cgroup_read(&d, &s, NULL) == 0, "v2: read");
        ok(s.cpu.total == 2456789000ULL && s.cpu.user == 2000000000ULL &&
                   s.cpu.kernel == 456789000ULL && s.cpu.n_percpu == 0,
           "v2: cpu.stat's usec as ns, no percpu_usage");
        ok(s.cpu.periods == 50 && s.cpu.throttled_periods == 3 &&
                   s.cpu.throttled_time == 120000000ULL,
           "v2: throttling from cpu.stat (throttled_usec as ns)");
        ok(s.mem_kind == ROSS_STATS_MEM_V2 && s.mem_usage == 54525952 &&
                   s.mem_limit == UINT64_MAX && s.mem_failcnt == 1 && s.mem_max_usage == 0,
           "v2: memory.current, memory.max \"max\", memory.events' oom as failcnt, no max_usage");
        ok(mem_stat(&s, "inactive_file") == 6291456 && mem_stat(&s, "anon") == 41943040 &&
                   mem_stat(&s, "thp_collapse_alloc") == 1 &&
                   mem_stat(&s, "workingset_refault") == 0,
           "v2: memory.stat's keys (a key this kernel has not: 0)");
        ok(s.pids_current == 5 && s.pids_limit == UINT64_MAX,
           "v2: pids.max \"max\" as the largest number (containerd's)");
        const RossStatsBlkioList *sb = &s.blkio[ROSS_BLKIO_SERVICE_BYTES];
        ok(sb->set && sb->n == 4 && STREQ(sb->v[0].op, "read") && sb->v[0].value == 1052672 &&
                   STREQ(sb->v[1].op, "write") && sb->v[1].value == 52428800 &&
                   sb->v[2].major == 253 && sb->v[3].value == 0,
           "v2: io.stat as a read and a write entry per device");
        ok(!s.blkio[ROSS_BLKIO_SERVICED].set, "v2: the other lists are null");

        snprintf(s.id, sizeof(s.id), "c0ffee");
        s.name = xstrdup("/v2");
        s.read = (struct timespec){1700000000, 0};
        _cleanup_(ross_buf_free) RossBuf b = {};
        ross_stats_json(&b, &s, NULL);
        ok(strstr(b.data, "\"pids_stats\":{\"current\":5,\"limit\":18446744073709551615}") != NULL,
           "v2 JSON: an unsigned 64-bit limit written exactly");
        json_auto_t *j = json_of(&s, NULL);
        ok(json_object_size(json_object_get(json_object_get(j, "memory_stats"), "stats")) == 31,
           "v2 JSON: the 31 keys of Docker's v2 memory stats");
        ok(json_is_null(json_object_get(json_object_get(j, "blkio_stats"), "sectors_recursive")),
           "v2 JSON: sectors_recursive null");
        ok(!json_object_get(json_object_get(j, "memory_stats"), "max_usage"),
           "v2 JSON: no max_usage");
        is_str(json_string_value(json_object_get(j, "read")), "2023-11-14T22:13:20Z",
               "JSON: whole seconds without a fraction");
        ross_stats_sample_free(&s);
        ross_cgroup_dirs_free(&d);

        /* limits set; no io.stat, no memory.events */
        ross_cgroup_dirs_find(&m, "0::/system.slice/limited.scope\n", &d);
        RossStatsSample l = {};
        ok(ross_cgroup_read(&d, &l, NULL) == 0 && l.mem_limit == 104857600 && l.pids_limit == 100 &&
                   l.mem_failcnt == 0 && !l.blkio[ROSS_BLKIO_SERVICE_BYTES].set,
           "v2: memory.max and pids.max set; no io.stat: io_service_bytes_recursive null");
        ross_stats_sample_free(&l);
        ross_cgroup_dirs_free(&d);

        /* nothing of it mounted */
        RossCgroupMounts none = {};
        ross_cgroup_dirs_find(&none, cg, &d);
        RossError err = {};
        ok(ross_cgroup_read(&d, &l, &err) == -ENOENT, "no cgroup mounted: -ENOENT (%s)", err.msg);
        ross_stats_sample_free(&l);
        ross_cgroup_dirs_free(&d);
        ross_cgroup_mounts_free(&m);
}

static void test_dirs(void)
{
        RossCgroupMounts m = {};
        RossCgroupDirs d = {};
        ross_cgroup_mounts_parse(
                "1 0 0:1 / /cg/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                "2 0 0:2 /docker/x /cg/memory rw - cgroup cgroup rw,memory\n"
                "3 0 0:3 / /cg/unified rw - cgroup2 cgroup2 rw\n"
                "4 0 0:4 / /cg/pids2 rw shared:3 master:1 - cgroup cgroup rw,pids\n"
                "garbage\n"
                "5 0 0:5 / relative rw - cgroup cgroup rw,blkio\n"
                "6 0 0:6 / /x rw - cgroup\n"
                "\n",
                &m);
        ok(m.n == 4, "mountinfo: odd lines left out (%zu mounts)", m.n);
        ross_cgroup_dirs_find(&m,
                              "4:cpu,cpuacct:/docker/x\n3:memory:/docker/x/sub\n"
                              "2:pids:/../../outside\n0::/\nbad line\n1:blkio:/docker/x\n",
                              &d);
        is_str(d.cpu, "/cg/cpu,cpuacct/docker/x", "a joint cpu,cpuacct hierarchy: cpu");
        is_str(d.cpuacct, "/cg/cpu,cpuacct/docker/x", "... and cpuacct");
        is_str(d.memory, "/cg/memory/sub", "a mount of a cgroup below the root");
        ok(d.pids == NULL, "a path out of this cgroup namespace (/../..): none");
        is_str(d.unified, "/cg/unified", "v2 at the mount's root");
        ok(d.blkio == NULL, "a controller mounted nowhere (a relative mount point): none");
        ross_cgroup_dirs_free(&d);
        ross_cgroup_dirs_find(&m, "3:memory:/docker/xy\n4:memory:/docker/x\n", &d);
        is_str(d.memory, "/cg/memory", "/docker/xy is not below /docker/x; the next line is");
        ross_cgroup_dirs_free(&d);
        ross_cgroup_dirs_find(&m, "3:memory:/docker/x/..\n", &d);
        ok(d.memory == NULL, "a path ending in /..: none");
        ross_cgroup_dirs_free(&d);
        ross_cgroup_dirs_find(&m, NULL, &d);
        ok(!ross_cgroup_dirs_v1(&d) && !d.unified, "no cgroup text: nothing");
        ross_cgroup_dirs_free(&d);
        ross_cgroup_mounts_free(&m);
}

static void test_proc(void)
{
        _cleanup_free_ char *stat = fixture("proc/stat");
        uint64_t sys = 0, a, b, c;
        uint32_t cpus = 0;
        ok(ross_stats_proc_stat(stat, 100, &sys, &cpus) == 0 &&
                   sys == (1710419ULL + 79 + 571795 + 6047943 + 24147 + 0 + 8247) * 10000000ULL &&
                   cpus == 2,
           "/proc/stat: the first seven fields of cpu in ns, two CPUs (%" PRIu64 ", %u)", sys,
           cpus);
        ok(ross_stats_proc_stat("cpu  1 2 3\n", 100, &sys, &cpus) == -EINVAL,
           "/proc/stat: too few fields");
        ok(ross_stats_proc_stat("intr 5\n", 100, &sys, &cpus) == -EINVAL, "/proc/stat: no cpu");
        ok(ross_stats_proc_stat("cpu  18446744073709551615 1 0 0 0 0 0\n", 100, &sys, &cpus) ==
                   -EINVAL,
           "/proc/stat: a sum that overflows");
        ok(ross_stats_proc_stat(stat, 0, &sys, &cpus) == -EINVAL, "/proc/stat: no tick rate");

        _cleanup_free_ char *mi = fixture("proc/meminfo");
        ok(ross_stats_kb(mi, "MemTotal:") == 24684092ULL * 1024, "/proc/meminfo: MemTotal");
        ok(ross_stats_kb("MemTotal: 5\n", "MemTotal:") == 0, "a kB line without its unit: 0");
        ok(ross_stats_kb("MemTotal: 36028797018963968 kB\n", "MemTotal:") == 0,
           "a kB count that overflows in bytes: 0");
        _cleanup_free_ char *roll = fixture("proc/smaps_rollup");
        ok(ross_stats_kb(roll, "Pss:") == 263689ULL * 1024 &&
                   ross_stats_kb(roll, "Rss:") == 269628ULL * 1024,
           "smaps_rollup: Pss and Rss");

        _cleanup_free_ char *netdev = fixture("proc/net-dev");
        RossStatsNet *v = NULL;
        size_t n = 0;
        ross_stats_net_dev(netdev, &v, &n);
        ok(n == 2 && STREQ(v[0].name, "eth0") && STREQ(v[1].name, "tap0"),
           "/proc/net/dev: every interface but lo");
        ok(n >= 1 && v[0].rx_bytes == 1296734 && v[0].rx_packets == 9120 && v[0].rx_errors == 1 &&
                   v[0].rx_dropped == 2 && v[0].tx_bytes == 936012 && v[0].tx_packets == 7002 &&
                   v[0].tx_errors == 3 && v[0].tx_dropped == 4,
           "/proc/net/dev: eth0's counters");
        free(v);
        ross_stats_net_dev(
                "x: 1 2 3\n: 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n"
                "averyveryveryverylongnameofaninterface: 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n"
                "e\"1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -16\n"
                "ok: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                &v, &n);
        ok(n == 1 && STREQ(v[0].name, "ok") && v[0].tx_dropped == 12,
           "/proc/net/dev: short, nameless, overlong and negative lines left out");
        free(v);

        _cleanup_free_ char *ps = fixture("proc/pid-stat");
        ok(ross_stats_pid_stat(ps, &a, &b, &c) == 0 && a == 34440 && b == 416 && c == 5,
           "/proc/PID/stat: utime, stime, threads past a command with spaces and parentheses");
        ok(ross_stats_pid_stat("12 (x y", &a, &b, &c) == -EINVAL, "/proc/PID/stat: no ')'");
        ok(ross_stats_pid_stat("12 (x) S 1 2 3", &a, &b, &c) == -EINVAL,
           "/proc/PID/stat: cut short");
        ok(ross_stats_pid_stat(NULL, &a, &b, &c) == -EINVAL, "/proc/PID/stat: none");

        _cleanup_free_ char *io = fixture("proc/io");
        ok(ross_stats_kv(io, "read_bytes:", &a) == 0 && a == 319488, "/proc/PID/io: read_bytes");
}

static void test_small_parsers(void)
{
        uint64_t v = 7;
        ok(ross_stats_kv("junk\nnr_periods 5\n", "nr_periods", &v) == 0 && v == 5,
           "kv: a key after a bad line");
        ok(ross_stats_kv("nr_periods 18446744073709551616\n", "nr_periods", &v) == -ENOENT,
           "kv: a value past 64 bits is not one");
        ok(ross_stats_kv("nr_periods 1 2\nnr_periods -3\n", "nr_periods", &v) == -ENOENT,
           "kv: three fields, a negative value: not ones");
        ok(ross_stats_kv(NULL, "x", &v) == -ENOENT, "kv: no text");
        ok(ross_stats_single("max\n", 42, &v) == 0 && v == 42, "single: max");
        ok(ross_stats_single("123\n", 42, &v) == 0 && v == 123, "single: a number");
        ok(ross_stats_single("-1\n", 42, &v) < 0 && ross_stats_single("1 2", 42, &v) < 0 &&
                   ross_stats_single("", 42, &v) < 0,
           "single: negative, two numbers, empty are not ones");

        RossStatsBlkioList l = {};
        ross_stats_blkio_v1("8:0 Read 10\nTotal 10\nbad\n8:x Read 1\n8:0 Averyveryverylongop 1\n"
                            "9:1 77\n8:0 Write 1 2\n",
                            &l);
        ok(l.set && l.n == 2 && l.v[0].value == 10 && STREQ(l.v[1].op, "") && l.v[1].major == 9 &&
                   l.v[1].value == 77,
           "blkio v1: good lines kept, bad ones left out (%zu)", l.n);
        free(l.v);
        l = (RossStatsBlkioList){};
        ross_stats_io_v2("8:0 rbytes=1 wbytes=2 rios=3 x=y =4 wbytes=\nnonsense\n259:0\n", &l);
        ok(l.n == 4 && l.v[0].value == 1 && l.v[1].value == 2 && l.v[2].major == 259 &&
                   l.v[3].value == 0,
           "io.stat: rbytes and wbytes; a device without counters is zeroes");
        free(l.v);

        uint64_t *pc = NULL;
        size_t n = 0;
        ross_stats_percpu("1 2 x 4\n", &pc, &n);
        ok(n == 2 && pc[1] == 2, "usage_percpu: the numbers before a bad one");
        free(pc);
}

static void test_json(void)
{
        RossStatsSample s = {.name = xstrdup("/stopped")};
        snprintf(s.id, sizeof(s.id), "abc");
        _cleanup_(ross_buf_free) RossBuf b = {};
        ross_stats_json(&b, &s, NULL);
        /* what Docker sends for a container that does not run */
        is_str(b.data,
               "{\"read\":\"0001-01-01T00:00:00Z\",\"preread\":\"0001-01-01T00:00:00Z\","
               "\"pids_stats\":{},\"blkio_stats\":{\"io_service_bytes_recursive\":null,"
               "\"io_serviced_recursive\":null,\"io_queue_recursive\":null,"
               "\"io_service_time_recursive\":null,\"io_wait_time_recursive\":null,"
               "\"io_merged_recursive\":null,\"io_time_recursive\":null,"
               "\"sectors_recursive\":null},\"num_procs\":0,\"storage_stats\":{},"
               "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":0,\"usage_in_kernelmode\":0,"
               "\"usage_in_usermode\":0},\"throttling_data\":{\"periods\":0,"
               "\"throttled_periods\":0,\"throttled_time\":0}},\"precpu_stats\":{\"cpu_usage\":"
               "{\"total_usage\":0,\"usage_in_kernelmode\":0,\"usage_in_usermode\":0},"
               "\"throttling_data\":{\"periods\":0,\"throttled_periods\":0,"
               "\"throttled_time\":0}},\"memory_stats\":{},\"name\":\"/stopped\",\"id\":\"abc\"}\n",
               "JSON: the empty sample of a container that does not run, as Docker's");

        RossStatsSample pre = {.read = {1700000000, 5}};
        pre.cpu = (RossStatsCpu){.total = 100, .system = 1000, .online = 2};
        s.read = (struct timespec){1700000001, 5};
        s.cpu = (RossStatsCpu){.total = 300, .system = 3000, .online = 2};
        s.have_networks = true;
        s.nets = xcalloc(3, sizeof(RossStatsNet));
        s.n_nets = 3;
        snprintf(s.nets[0].name, sizeof(s.nets[0].name), "eth1");
        snprintf(s.nets[1].name, sizeof(s.nets[1].name), "e\"\\\x01\xff");
        snprintf(s.nets[2].name, sizeof(s.nets[2].name), "eth0");
        s.nets[2].rx_bytes = 5;
        json_auto_t *j = json_of(&s, &pre);
        ok(j != NULL, "JSON: an interface name with a quote, a backslash, a control byte and "
                      "a byte that is not UTF-8");
        is_str(json_string_value(json_object_get(j, "preread")), "2023-11-14T22:13:20.000000005Z",
               "JSON: preread from the sample before");
        ok(jnum(j, "precpu_stats.cpu_usage.total_usage") == 100 &&
                   jnum(j, "precpu_stats.system_cpu_usage") == 1000 &&
                   jnum(j, "cpu_stats.online_cpus") == 2,
           "JSON: precpu_stats from the sample before");
        ok(jnum(j, "networks.eth0.rx_bytes") == 5 &&
                   json_object_size(json_object_get(j, "networks")) == 3,
           "JSON: the networks");
        ross_buf_free(&b);
        ross_stats_json(&b, &s, &pre);
        const char *e0 = strstr(b.data, "\"eth0\""), *e1 = strstr(b.data, "\"eth1\"");
        ok(e0 && e1 && e0 < e1, "JSON: networks sorted by name, as Go writes a map");
        ross_stats_sample_free(&s);
}

static void test_format(void)
{
        char buf[32];
        ross_format_bytes(0, buf, sizeof(buf));
        is_str(buf, "0B", "bytes: 0B");
        ross_format_bytes(208896, buf, sizeof(buf));
        is_str(buf, "204KiB", "bytes: 204KiB");
        ross_format_bytes(104857600, buf, sizeof(buf));
        is_str(buf, "100MiB", "bytes: 100MiB");
        ross_format_bytes(25276510208.0, buf, sizeof(buf));
        is_str(buf, "23.54GiB", "bytes: 23.54GiB (four digits, as units.BytesSize)");
}

/* A sample of container id, run pid, at CPU time total (ns), with a name and a network. */
static RossStatsSample sample_at(const char *id, int pid, uint64_t total, uint64_t system)
{
        RossStatsSample s = {.pid = pid, .read = {.tv_sec = 1}};
        snprintf(s.id, sizeof(s.id), "%s", id);
        s.name = strdup("/c");
        s.cpu.total = total;
        s.cpu.system = system;
        s.nets = calloc(1, sizeof(*s.nets));
        s.n_nets = 1;
        snprintf(s.nets[0].name, sizeof(s.nets[0].name), "eth0");
        return s;
}

static void test_recent(void)
{
        const uint64_t S = 1000000000ULL;
        RossStatsRecent *r = ross_stats_recent_new();
        RossStatsSample a = sample_at("aa", 10, 100, 1000), got = {};
        ok(!ross_stats_recent_pre(r, &a, 5 * S, &got), "recent: nothing kept, no before");
        ross_stats_recent_keep(r, &a, 5 * S);
        RossStatsSample b = sample_at("aa", 10, 200, 2000);
        ok(!ross_stats_recent_pre(r, &b, 5 * S + S / 2, &got),
           "recent: a sample half a second old is too close to be a before");
        ok(ross_stats_recent_pre(r, &b, 6 * S, &got) && got.cpu.total == 100 &&
                   STREQ(got.name, "/c") && got.n_nets == 1 && STREQ(got.nets[0].name, "eth0"),
           "recent: a second old: a deep copy of it");
        ross_stats_sample_free(&got);
        /* kept at 6.0 beside the one of 5.0; 6.5 then gives the older, 7.0 the newer */
        ross_stats_recent_keep(r, &b, 6 * S);
        RossStatsSample c = sample_at("aa", 10, 300, 3000);
        ross_stats_recent_keep(r, &c, 6 * S + S / 4); /* too soon after b: not kept */
        ok(ross_stats_recent_pre(r, &c, 6 * S + S / 2, &got) && got.cpu.total == 100,
           "recent: the newest kept is too new: the older one");
        ross_stats_sample_free(&got);
        ok(ross_stats_recent_pre(r, &c, 7 * S, &got) && got.cpu.total == 200,
           "recent: the newest one a second or more old wins");
        ross_stats_sample_free(&got);
        ok(!ross_stats_recent_pre(r, &c, 9 * S + S / 2, &got),
           "recent: over three seconds old: not the last second's use");
        RossStatsSample other = sample_at("aa", 11, 5, 4000);
        ok(!ross_stats_recent_pre(r, &other, 7 * S, &got), "recent: another run's is no before");
        RossStatsSample back = sample_at("aa", 10, 50, 4000);
        ok(!ross_stats_recent_pre(r, &back, 7 * S, &got), "recent: counters that went back");
        RossStatsSample none = {};
        snprintf(none.id, sizeof(none.id), "aa");
        ross_stats_recent_keep(r, &none, 8 * S);
        ok(ross_stats_recent_pre(r, &c, 7 * S, &got) && got.cpu.total == 200,
           "recent: an empty sample (not running) is not kept");
        ross_stats_sample_free(&got);
        /* a new run replaces what was kept */
        ross_stats_recent_keep(r, &other, 8 * S);
        ok(!ross_stats_recent_pre(r, &c, 9 * S, &got),
           "recent: after a new run, the old one's are gone");
        RossStatsSample other2 = sample_at("aa", 11, 50, 5000);
        ok(ross_stats_recent_pre(r, &other2, 9 * S, &got) && got.cpu.total == 5,
           "recent: the new run's own sample");
        ross_stats_sample_free(&got);
        /* another container, much later: the first one's entry is forgotten on the way */
        RossStatsSample d = sample_at("bb", 20, 1, 1);
        ross_stats_recent_keep(r, &d, 100 * S);
        ok(!ross_stats_recent_pre(r, &other2, 100 * S + S, &got), "recent: old entries forgotten");
        ross_stats_sample_free(&a);
        ross_stats_sample_free(&b);
        ross_stats_sample_free(&c);
        ross_stats_sample_free(&other);
        ross_stats_sample_free(&other2);
        ross_stats_sample_free(&back);
        ross_stats_sample_free(&d);
        ross_stats_recent_free(r);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                printf("Bail out! usage: test-stats FIXTURES_DIR\n");
                return 1;
        }
        fixtures = argv[1];
        test_v1();
        test_v2();
        test_dirs();
        test_proc();
        test_small_parsers();
        test_json();
        test_format();
        test_recent();
        return tap_done();
}
