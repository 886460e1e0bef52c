/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the stats readers (src/container/stats-kernel.c). Any bytes as the
 * kernel's files: every parser takes them without harm; the cgroup directories found
 * from any mountinfo and /proc/PID/cgroup stay under a mount point and never hold a ".."
 * component; and a sample with whatever interfaces /proc/net/dev gave is valid JSON. The
 * input is split at its first NUL: mountinfo before, everything else after. */
#include <jansson.h>
#include <stdlib.h>

#include "basic/buf.h"
#include "container/stats-kernel.h"
#include "container/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_dir(const RossCgroupMounts *m, const char *dir)
{
        if (!dir)
                return;
        bool under = false;
        for (size_t i = 0; i < m->n && !under; i++) {
                size_t k = strlen(m->v[i].point);
                under = strncmp(dir, m->v[i].point, k) == 0 && (dir[k] == '\0' || dir[k] == '/');
        }
        if (!under)
                abort(); /* a directory outside every mount */
        for (const char *p = dir; (p = strstr(p, "/..")); p += 3)
                if (p[3] == '\0' || p[3] == '/') {
                        /* only a mount point itself may hold one (it is the host's path) */
                        bool in_point = false;
                        for (size_t i = 0; i < m->n; i++)
                                if (strstr(m->v[i].point, "/.."))
                                        in_point = true;
                        if (!in_point)
                                abort();
                }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* text parsers read C strings: the input up to its first NUL, then the rest */
        char *text = malloc(size + 1);
        if (!text)
                abort();
        memcpy(text, data, size);
        text[size] = '\0';
        size_t first = strlen(text);
        const char *rest = first < size ? text + first + 1 : "";

        RossCgroupMounts m = {};
        RossCgroupDirs d = {};
        ross_cgroup_mounts_parse(text, &m);
        ross_cgroup_dirs_find(&m, rest, &d);
        check_dir(&m, d.cpuacct);
        check_dir(&m, d.cpu);
        check_dir(&m, d.memory);
        check_dir(&m, d.pids);
        check_dir(&m, d.blkio);
        check_dir(&m, d.unified);
        ross_cgroup_dirs_free(&d);
        ross_cgroup_mounts_free(&m);

        uint64_t v, a, b, c;
        uint32_t cpus;
        (void)ross_stats_kv(rest, "nr_periods", &v);
        (void)ross_stats_single(rest, UINT64_MAX, &v);
        (void)ross_stats_proc_stat(rest, 100, &v, &cpus);
        (void)ross_stats_kb(rest, "MemTotal:");
        (void)ross_stats_pid_stat(rest, &a, &b, &c);
        uint64_t *pc = NULL;
        size_t npc = 0;
        ross_stats_percpu(rest, &pc, &npc);

        RossStatsSample s = {.name = strdup("/fuzz")};
        s.cpu.percpu = pc;
        s.cpu.n_percpu = npc;
        ross_stats_blkio_v1(rest, &s.blkio[ROSS_BLKIO_SERVICED]);
        ross_stats_io_v2(rest, &s.blkio[ROSS_BLKIO_SERVICE_BYTES]);
        ross_stats_net_dev(rest, &s.nets, &s.n_nets);
        s.have_networks = true;
        s.read.tv_sec = 1;
        RossBuf out = {};
        ross_stats_json(&out, &s, &s);
        json_t *j = json_loadb(out.data, out.len, JSON_DECODE_INT_AS_REAL, NULL);
        if (!json_is_object(j))
                abort(); /* the sample's JSON is not JSON */
        json_decref(j);
        ross_buf_free(&out);
        ross_stats_sample_free(&s);
        free(text);
        return 0;
}
