/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The summary cache (src/container/summary-cache.c): its rows and resolve beside the
 * database's own answers, and when a kept part is still used: each thing its key holds,
 * changed in turn, makes it stale. One pause of 2.1 s (the racy window), for keys worth
 * keeping.
 */
#include <stdbool.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "container/containers.h"
#include "container/summary-cache.h"
#include "shim/shim.h"
#include "store/db.h"
#include "tap.h"

static char ids[6][65];

static void make_id(char *out, char first, char second)
{
        memset(out, '0', 64);
        out[0] = first;
        out[1] = second;
        out[63] = (char)('1' + (second % 8));
        out[64] = '\0';
}

/* The cache's answer and the database's for term: the same code, id and message. */
static void same_resolve(RossContainers *c, const char *term)
{
        RossError e1 = {}, e2 = {};
        char *a = NULL, *b = NULL;
        int64_t version = -2;
        int r1 = ross_summary_cache_resolve(c, term, &a, &version, &e1);
        int r2 = ross_db_container_resolve(c->db, term, &b, &e2);
        bool same = r1 == r2 && (r1 < 0 ? STREQ(e1.msg, e2.msg) : STREQ(a, b));
        ok(same, "resolve '%s': %d %s / %d %s", term, r1, r1 < 0 ? e1.msg : a, r2,
           r2 < 0 ? e2.msg : b);
        free(a);
        free(b);
}

static void replace(const char *dir, const char *file, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        (void)ross_write_file_replace(p, text, strlen(text), 0600, NULL);
}

static void write_in_place(const char *dir, const char *file, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        FILE *f = fopen(p, "r+");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

/* A part with no data, kept for id at version. */
static RossCached *keep(RossContainers *c, const char *id, int64_t version)
{
        RossCached *p = ross_cached_new(c, id, version);
        ross_summary_cache_put(c, id, ROSS_CACHED_INSPECT, p);
        return p;
}

static bool kept(RossContainers *c, const char *id, int64_t version, RossCached *want)
{
        RossCached *p = ross_summary_cache_get(c, id, version, ROSS_CACHED_INSPECT);
        bool same = p && p == want;
        ross_cached_unref(p);
        return same;
}

int main(void)
{
        char tmpl[] = "/tmp/ross-test-summary-XXXXXX";
        char *tmp = mkdtemp(tmpl);
        RossError err = {};
        RossNetworks nets = {};
        RossContainers c = {.networks = &nets};
        _cleanup_free_ char *dbp = xasprintf("%s/ross.db", tmp);
        c.dir = xasprintf("%s/containers", tmp);
        ok(ross_db_open(dbp, &c.db, &err) == 0, "open the database");
        ok(ross_mkdir_p(c.dir, 0700, &err) == 0 &&
                   ross_summary_cache_new(c.dir, &c.summaries, &err) == 0,
           "a cache");

        /* ---- rows and resolve ---- */
        make_id(ids[0], 'a', 'a');
        make_id(ids[1], 'a', 'b');
        make_id(ids[2], 'b', 'c');
        make_id(ids[3], 'c', 'd');
        static const char *const names[] = {"first", "second", "third", NULL};
        uint64_t g0 = ross_db_container_generation(c.db);
        for (int i = 0; i < 3; i++)
                ross_db_container_add(c.db, ids[i], names[i], "sha256:x", "img", "{}", &err);
        /* a name that is another container's id */
        ross_db_container_add(c.db, ids[3], ids[0], "sha256:x", "img", "{}", &err);
        ok(ross_db_container_generation(c.db) == g0 + 4, "each add moves the generation");
        RossCacheRows *rows = NULL;
        ok(ross_summary_cache_rows(&c, &rows, &err) == 0 && rows->n == 4, "four rows");
        /* the same second: the last added first */
        ok(rows && STREQ(rows->v[0].id, ids[3]) && STREQ(rows->v[3].id, ids[0]) &&
                   rows->v[1].version == 0,
           "newest first, at version 0");
        RossCacheRows *again = NULL;
        ok(ross_summary_cache_rows(&c, &again, &err) == 0 && again == rows,
           "kept while the generation stays");
        ross_cache_rows_unref(again);
        ross_cache_rows_unref(rows);

        const char *terms[] = {ids[1], "second", "/second", "a", "ab",   "b",    "bc", "B",
                               "",     "nosuch", "/",       "c", ids[0], ids[3], "aa", NULL};
        for (size_t i = 0; terms[i]; i++)
                same_resolve(&c, terms[i]);

        ok(ross_db_container_rename(c.db, ids[1], "renamed", &err) == 0, "rename");
        ok(ross_db_container_set_config(c.db, ids[1], "{\"a\":1}", &err) == 0, "set_config");
        ok(ross_summary_cache_rows(&c, &rows, &err) == 0 && rows->v[2].version == 2 &&
                   STREQ(rows->v[2].name, "renamed"),
           "rename and set_config: read again, version 2");
        ross_cache_rows_unref(rows);
        same_resolve(&c, "second");
        same_resolve(&c, "renamed");
        {
                json_auto_t *row = NULL;
                ok(ross_db_container_fetch(c.db, ids[1], &row, &err) == 0 &&
                           json_integer_value(json_object_get(row, "Version")) == 2,
                   "a fetched row has its version");
        }

        /* ---- keys ---- */
        make_id(ids[4], 'd', 'e');
        make_id(ids[5], 'e', 'f');
        ross_db_container_add(c.db, ids[4], "fifth", "sha256:x", "img", "{}", &err);
        ross_db_container_add(c.db, ids[5], "sixth", "sha256:x", "img", "{}", &err);
        char *d[6];
        for (int i = 0; i < 6; i++) {
                d[i] = ross_containers_path(&c, ids[i], NULL);
                ross_mkdir_p(d[i], 0755, &err);
        }
        replace(d[0], "started", "1");
        /* d1, d4 and d5 run: their "shim" (this process) holds each one's lock; each has a
         * pid file and net/ */
        int locks[6] = {-1, -1, -1, -1, -1, -1};
        for (int i = 1; i < 6; i++) {
                if (i == 2 || i == 3)
                        continue;
                locks[i] = ross_shim_lock(d[i]);
                replace(d[i], "started", "1");
                replace(d[i], "container.pid", "1234");
                _cleanup_free_ char *net = xasprintf("%s/net", d[i]);
                ross_mkdir_p(net, 0755, &err);
                replace(d[i], "net/0-start.status", "{}");
        }
        {
                RossCached *fresh = ross_cached_new(&c, ids[0], 0);
                ok(fresh->key.racy, "a key of a directory changed just now is racy");
                ross_summary_cache_put(&c, ids[0], ROSS_CACHED_INSPECT, fresh);
                ok(!kept(&c, ids[0], 0, fresh), "and is not kept");
                ross_cached_unref(fresh);
        }
        usleep(2100 * 1000);

        RossCached *p0 = keep(&c, ids[0], 0);
        ok(!p0->key.racy && !p0->key.running && p0->key.started_file, "d0: kept, not running");
        ok(kept(&c, ids[0], 0, p0), "d0: used while nothing changed");
        ok(!kept(&c, ids[0], 1, p0), "d0: not for another row version");
        nets.gen++;
        ok(!kept(&c, ids[0], 0, p0), "d0: not once the network definitions changed");
        nets.gen--;
        ok(kept(&c, ids[0], 0, p0), "d0: (the same generation again)");
        replace(d[0], "exit.json", "{\"ExitCode\":3}");
        ok(!kept(&c, ids[0], 0, p0), "d0: not once a file was renamed into its directory");
        ross_cached_unref(p0);
        RossCached *again0 = keep(&c, ids[0], 0);
        ok(again0->key.racy && !kept(&c, ids[0], 0, again0), "d0: racy now, not kept");
        ross_cached_unref(again0);

        RossCached *p1 = keep(&c, ids[1], 2);
        ok(!p1->key.racy && p1->key.running, "d1: kept, running");
        ok(kept(&c, ids[1], 2, p1), "d1: used while nothing changed");
        write_in_place(d[1], "net/0-start.status", "{\"x\":1}");
        ok(!kept(&c, ids[1], 2, p1), "d1: not once net/ has an entry written in place");
        ross_cached_unref(p1);

        RossCached *p4 = keep(&c, ids[4], 0);
        ok(kept(&c, ids[4], 0, p4) && p4->key.running, "d4: kept, running");
        write_in_place(d[4], "container.pid", "5678");
        ok(!kept(&c, ids[4], 0, p4), "d4: not once container.pid was written in place");
        ross_cached_unref(p4);

        /* liveness: the lock let go, nothing on disk changed */
        RossCached *p5 = keep(&c, ids[5], 0);
        ok(kept(&c, ids[5], 0, p5) && p5->key.running, "d5: kept while its shim lives");
        close(locks[5]);
        ok(!kept(&c, ids[5], 0, p5), "d5: not once its shim's lock is gone");
        ross_cached_unref(p5);

        RossCached *p2 = keep(&c, ids[2], 0);
        ok(kept(&c, ids[2], 0, p2) && !p2->key.started_file, "d2: kept, never started");

        /* a removed container's parts go when the rows are read again */
        ok(ross_db_container_delete(c.db, ids[2], &err) == 0, "delete d2's row");
        ok(ross_summary_cache_rows(&c, &rows, &err) == 0 && rows->n == 5, "five rows");
        ross_cache_rows_unref(rows);
        ok(!kept(&c, ids[2], 0, p2), "d2: its part dropped");
        ross_cached_unref(p2);

        for (int i = 0; i < 6; i++) {
                if (locks[i] >= 0 && i != 5)
                        close(locks[i]);
                free(d[i]);
        }
        ross_summary_cache_free(c.summaries);
        ross_db_close(c.db);
        free(c.dir);
        ross_rm_rf(tmp);
        return tap_done();
}
