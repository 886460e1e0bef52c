/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ross-cli stats: `docker stats`' table (or its JSON lines) of containers' resource use,
 * from GET /containers/{id}/stats. Each round asks every container for one sample
 * (stream=false, one-shot=true), a second after the last; CPU % comes from two samples'
 * cpu_stats as the docker CLI computes it from precpu_stats and cpu_stats, and the memory,
 * network and block figures as it sums them. One request per container and round keeps
 * the command single-threaded, and without names it sees containers start and stop by
 * listing them again each round.
 */
#include <getopt.h>
#include <jansson.h>
#include <time.h>

#include "../basic/clock.h"
#include "../basic/format.h"
#include "commands.h"

#define ROUND_MS 1000

typedef struct Row {
        char *ref;   /* as named on the command line, or the id from the list */
        json_t *cur; /* the last sample; NULL when there is none (an error, or gone) */
        json_t *prev;
        bool listed; /* still in the list (without names) */
} Row;

typedef struct Rows {
        Row *v;
        size_t n;
} Rows;

static void rows_free(Rows *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->v[i].ref);
                json_decref(r->v[i].cur);
                json_decref(r->v[i].prev);
        }
        free(r->v);
        *r = (Rows){};
}

static Row *rows_add(Rows *r, const char *ref)
{
        r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
        Row *row = &r->v[r->n++];
        *row = (Row){.ref = xstrdup(ref), .listed = true};
        return row;
}

static double num(json_t *o, const char *key)
{
        return json_number_value(json_object_get(o, key));
}

/* One sample of a container into row (the one before kept as prev). Its numbers may be
 * larger than jansson's integers (v2's "max"): they are read as doubles, which is all a
 * percentage or a size on the screen needs. */
static int sample(RossClient *c, Row *row, RossError *err)
{
        _cleanup_free_ char *esc = ross_client_escape(row->ref);
        _cleanup_free_ char *path =
                xasprintf("/containers/%s/stats?stream=false&one-shot=true", esc);
        _cleanup_(ross_api_response_free) RossApiResponse resp = {};
        RossApiCall call = {.method = "GET", .path = path};
        json_error_t jerr;
        int r = ross_client_call(c, &call, &resp, err);
        json_t *j = r < 0 ? NULL
                          : json_loadb(resp.body.data ? resp.body.data : "", resp.body.len,
                                       JSON_DECODE_INT_AS_REAL, &jerr);
        if (r == 0 && !json_is_object(j)) {
                json_decref(j);
                j = NULL;
                r = ross_errx(err, EBADMSG, "the daemon sent invalid JSON: %s", jerr.text);
        }
        json_decref(row->prev);
        row->prev = row->cur;
        row->cur = j;
        return r;
}

/* The docker CLI's calculateCPUPercentUnix. */
static double cpu_percent(json_t *pre, json_t *cur)
{
        json_t *pu = json_object_get(pre, "cpu_usage"), *cu = json_object_get(cur, "cpu_usage");
        double cpu_delta = num(cu, "total_usage") - num(pu, "total_usage");
        double system_delta = num(cur, "system_cpu_usage") - num(pre, "system_cpu_usage");
        double cpus = num(cur, "online_cpus");
        if (cpus == 0)
                cpus = (double)json_array_size(json_object_get(cu, "percpu_usage"));
        return system_delta > 0 && cpu_delta > 0 ? cpu_delta / system_delta * cpus * 100.0 : 0;
}

/* calculateMemUsageUnixNoCache: the usage without the inactive page cache (v1's
 * total_inactive_file, v2's inactive_file). */
static double mem_used(json_t *mem)
{
        json_t *st = json_object_get(mem, "stats");
        double usage = num(mem, "usage");
        json_t *v1 = json_object_get(st, "total_inactive_file");
        if (v1 && json_number_value(v1) < usage)
                return usage - json_number_value(v1);
        double v2 = num(st, "inactive_file");
        return v2 < usage ? usage - v2 : usage;
}

/* The columns of one container, as the docker CLI's formatter writes them. */
typedef struct Entry {
        char container[160], id[72], name[160], cpu[32], mem[64], mem_pct[32], net[64], block[64],
                pids[24];
} Entry;

static void entry_of(const Row *row, bool trunc, Entry *e)
{
        json_t *s = row->cur;
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *id = json_string_value(json_object_get(s, "id"));
        snprintf(e->container, sizeof(e->container), "%s", row->ref);
        if (name && *name == '/')
                name++;
        snprintf(e->name, sizeof(e->name), "%s", STR_EMPTY(name) ? "--" : name);
        snprintf(e->id, sizeof(e->id), "%.*s", trunc ? 12 : 64, id ? id : "");
        if (!s) {
                /* no sample (removed, or the daemon refused): the docker CLI's "--" */
                snprintf(e->cpu, sizeof(e->cpu), "--");
                snprintf(e->mem, sizeof(e->mem), "-- / --");
                snprintf(e->mem_pct, sizeof(e->mem_pct), "--");
                snprintf(e->net, sizeof(e->net), "--");
                snprintf(e->block, sizeof(e->block), "--");
                snprintf(e->pids, sizeof(e->pids), "--");
                return;
        }
        json_t *cpu = json_object_get(s, "cpu_stats");
        json_t *pre = row->prev ? json_object_get(row->prev, "cpu_stats")
                                : json_object_get(s, "precpu_stats");
        snprintf(e->cpu, sizeof(e->cpu), "%.2f%%", cpu_percent(pre, cpu));

        json_t *mem = json_object_get(s, "memory_stats");
        double used = mem_used(mem), limit = num(mem, "limit");
        char a[32], b[32];
        ross_format_bytes(used, a, sizeof(a));
        ross_format_bytes(limit, b, sizeof(b));
        snprintf(e->mem, sizeof(e->mem), "%s / %s", a, b);
        snprintf(e->mem_pct, sizeof(e->mem_pct), "%.2f%%", limit != 0 ? used / limit * 100 : 0);

        double rx = 0, tx = 0;
        const char *k;
        json_t *v;
        json_object_foreach (json_object_get(s, "networks"), k, v) {
                rx += num(v, "rx_bytes");
                tx += num(v, "tx_bytes");
        }
        ross_format_size(rx, a, sizeof(a));
        ross_format_size(tx, b, sizeof(b));
        snprintf(e->net, sizeof(e->net), "%s / %s", a, b);

        /* calculateBlockIO: by the first letter of the operation, any case */
        double rd = 0, wr = 0;
        size_t i;
        json_array_foreach (
                json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive"), i,
                v) {
                const char *op = json_string_value(json_object_get(v, "op"));
                if (op && (*op == 'r' || *op == 'R'))
                        rd += num(v, "value");
                else if (op && (*op == 'w' || *op == 'W'))
                        wr += num(v, "value");
        }
        ross_format_size(rd, a, sizeof(a));
        ross_format_size(wr, b, sizeof(b));
        snprintf(e->block, sizeof(e->block), "%s / %s", a, b);
        snprintf(e->pids, sizeof(e->pids), "%.0f",
                 num(json_object_get(s, "pids_stats"), "current"));
}

#define COLUMNS 8

static const char *const headers[COLUMNS] = {
        "CONTAINER ID", "NAME",    "CPU %",     "MEM USAGE / LIMIT",
        "MEM %",        "NET I/O", "BLOCK I/O", "PIDS",
};

static void cells_of(const Entry *e, const char *cells[COLUMNS])
{
        const char *v[COLUMNS] = {e->id,      e->name, e->cpu,   e->mem,
                                  e->mem_pct, e->net,  e->block, e->pids};
        memcpy(cells, v, sizeof(v));
}

/* The table as the docker CLI's tabwriter lays it out (cells padded by 3, at least 10
 * wide, the last column as it is). */
static void render_table(RossBuf *out, const Entry *e, size_t n)
{
        size_t w[COLUMNS];
        const char *cells[COLUMNS];
        for (size_t c = 0; c < COLUMNS; c++)
                w[c] = strlen(headers[c]);
        for (size_t i = 0; i < n; i++) {
                cells_of(&e[i], cells);
                for (size_t c = 0; c < COLUMNS; c++)
                        if (strlen(cells[c]) > w[c])
                                w[c] = strlen(cells[c]);
        }
        for (size_t i = 0; i <= n; i++) {
                if (i == 0)
                        memcpy(cells, headers, sizeof(cells));
                else
                        cells_of(&e[i - 1], cells);
                for (size_t c = 0; c < COLUMNS; c++) {
                        size_t width = w[c] + 3 < 10 ? 10 : w[c] + 3;
                        if (c + 1 < COLUMNS)
                                ross_buf_printf(out, "%-*s", (int)width, cells[c]);
                        else
                                ross_buf_printf(out, "%s\n", cells[c]);
                }
        }
}

/* The docker CLI's --format json: one object a container, its keys sorted. */
static void render_json(RossBuf *out, const Entry *e, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                json_auto_t *o =
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO",
                                  e[i].block, "CPUPerc", e[i].cpu, "Container", e[i].container,
                                  "ID", e[i].id, "MemPerc", e[i].mem_pct, "MemUsage", e[i].mem,
                                  "Name", e[i].name, "NetIO", e[i].net, "PIDs", e[i].pids);
                _cleanup_free_ char *t = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
                if (t)
                        ross_buf_printf(out, "%s\n", t);
        }
}

/* Without names: the containers running now (all with -a), newest first; rows of those
 * gone are dropped, new ones added. */
static int refresh(RossClient *c, Rows *rows, bool all)
{
        json_auto_t *list = NULL;
        _cleanup_free_ char *path = xasprintf("/containers/json?all=%d", all);
        if (ross_cli_call(c, "GET", path, NULL, &list) < 0)
                return -EIO;
        for (size_t i = 0; i < rows->n; i++)
                rows->v[i].listed = false;
        json_t *e;
        size_t k;
        json_array_foreach (list, k, e) {
                const char *id = json_string_value(json_object_get(e, "Id"));
                bool known = false;
                for (size_t i = 0; id && i < rows->n && !known; i++)
                        if (STREQ(rows->v[i].ref, id))
                                known = rows->v[i].listed = true;
                if (id && !known)
                        rows_add(rows, id);
        }
        size_t kept = 0;
        for (size_t i = 0; i < rows->n; i++) {
                if (rows->v[i].listed) {
                        rows->v[kept++] = rows->v[i];
                        continue;
                }
                free(rows->v[i].ref);
                json_decref(rows->v[i].cur);
                json_decref(rows->v[i].prev);
        }
        rows->n = kept;
        return 0;
}

/* A sample of every row. With names (strict), a container that is not there is an error
 * at the start, as for the docker CLI; later, and without names, its row shows "--". */
static int round_of(RossClient *c, Rows *rows, bool strict)
{
        int rc = 0;
        for (size_t i = 0; i < rows->n; i++) {
                RossError err = {};
                if (sample(c, &rows->v[i], &err) < 0 && strict) {
                        ross_cli_error("%s", err.msg);
                        rc = -err.code;
                }
        }
        return rc;
}

static void sleep_ms(long ms)
{
        if (ms <= 0)
                return;
        struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};
        while (nanosleep(&t, &t) < 0 && errno == EINTR)
                ;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli stats [OPTIONS] [CONTAINER...]   (also: container stats)\n"
                   "\n"
                   "Show containers' resource use (CPU, memory, network and block I/O, "
                   "processes), redrawn every second;\n"
                   "without names, the running containers'.\n"
                   "\n"
                   "Options:\n"
                   "  -a, --all              all containers (default: the running ones)\n"
                   "      --no-stream        print once and exit\n"
                   "      --no-trunc         full container ids\n"
                   "      --format FORMAT    table (default) or json: a JSON object a "
                   "container, a line each\n"
                   "  -h, --help             show this help\n");
}

int ross_cmd_container_stats(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"all", no_argument, NULL, 'a'},      {"no-stream", no_argument, NULL, 'S'},
                {"no-trunc", no_argument, NULL, 'T'}, {"format", required_argument, NULL, 'F'},
                {"help", no_argument, NULL, 'h'},     {},
        };
        bool all = false, no_stream = false, trunc = true;
        const char *format = "table";
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
                switch (ch) {
                case 'a':
                        all = true;
                        break;
                case 'S':
                        no_stream = true;
                        break;
                case 'T':
                        trunc = false;
                        break;
                case 'F':
                        format = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 125;
                }
        }
        if (!STREQ(format, "table") && !STREQ(format, "json")) {
                ross_cli_error("--format: '%s' is not 'table' or 'json'", format);
                return 125;
        }
        bool named = optind < argc;
        _cleanup_(rows_free) Rows rows = {};
        for (int i = optind; i < argc; i++)
                rows_add(&rows, argv[i]);

        long start = ross_now_ms();
        if (!named && refresh(c, &rows, all) < 0)
                return 1;
        if (round_of(c, &rows, named) < 0)
                return 1;
        for (;;) {
                /* the second sample a second after the first, then one a second */
                sleep_ms(start + ROUND_MS - ross_now_ms());
                start = ross_now_ms();
                if (!named && refresh(c, &rows, all) < 0)
                        return 1;
                (void)round_of(c, &rows, false);

                _cleanup_free_ Entry *e = xcalloc(rows.n + 1, sizeof(Entry));
                for (size_t i = 0; i < rows.n; i++)
                        entry_of(&rows.v[i], trunc, &e[i]);
                _cleanup_(ross_buf_free) RossBuf out = {};
                if (STREQ(format, "json"))
                        render_json(&out, e, rows.n);
                else if (no_stream) {
                        /* nothing running: the docker CLI prints nothing at all */
                        if (rows.n)
                                render_table(&out, e, rows.n);
                } else {
                        /* redrawn in place: home, each line cleared to its end, then the
                         * rest of the screen (a shorter table than the last) */
                        _cleanup_(ross_buf_free) RossBuf table = {};
                        render_table(&table, e, rows.n);
                        ross_buf_printf(&out, "\033[H");
                        for (const char *p = table.data ? table.data : "", *nl;
                             (nl = strchr(p, '\n')); p = nl + 1)
                                ross_buf_printf(&out, "%.*s\033[K\n", (int)(nl - p), p);
                        ross_buf_printf(&out, "\033[J");
                }
                if (out.len &&
                    (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0))
                        return 1; /* the reader went away */
                if (no_stream)
                        return 0;
        }
}
