/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The summary cache (summary-cache.h): each container's list entry and inspect answer, kept.
 *
 * The rule. A container's parts are made from its database row; the files of its directory
 * <data>/containers/<id> (started, exit.json, paused, container.pid, health.json,
 * restart.json, net/); whether its shim is alive; whether a restart of it is pending; and the
 * network definitions (the ids and names its networks resolve to). A kept part is used only
 * while each of these is as it was when the part was made, told apart so:
 *
 * - The row: its version (db.h: 0 when added, one more at each rename and set_config; a
 *   removed container's id never comes back) is the one the part was made from.
 * - The directory: its stamp (inode, size, mtime, ctime) is the one taken before the part was
 *   made. The files the parts read there are replaced whole by renaming a temporary file into
 *   place (ross_write_file_replace: started and paused by the daemon, exit.json by the shim,
 *   health.json, restart.json), or created, or removed: each of those changes the directory's
 *   mtime and ctime. What the directory held at its stamp (exit.json, shim.lock, started)
 *   holds while the stamp does.
 * - The files written in place get stamps of their own: container.pid (the OCI runtime
 *   creates it, then writes it) and every entry of net/ (netavark writes its answers into the
 *   .status files opened for it; ports.json and netns are replaced), with net/ itself. The
 *   parts read them only while the container runs, so they are stamped only then.
 * - Liveness is looked at every time: a shim killed with SIGKILL changes nothing on disk, its
 *   lock just goes. Where the directory says it cannot be alive (exit.json there: running
 *   is "no exit.json and a live shim"; no shim.lock), that is the answer without a look.
 * - A pending restart (restart.c, in memory) is looked at every time it can matter: the
 *   container has started once and is not running.
 * - The network definitions: their generation (networks.h) is the one the part saw.
 *
 * Stamps have a granularity: a file system stamps a change with a clock that moves in ticks
 * (some keep only seconds), so two changes close together can leave the same stamp. A key
 * holding a stamp less than RACY_NS older than the moment the key was taken is racy (as git
 * calls such index entries): its part answers the request it was made for and is not kept.
 * Any change after a key that is not racy leaves a stamp the key does not hold.
 *
 * The rows (id, name, version of each container, newest first) are kept with the database
 * generation they were read at (ross_db_container_generation: one more at each write of the
 * containers table); read again when it has moved, and then the parts of the containers gone
 * are dropped. One daemon owns a data dir: nothing else writes its database or its network
 * definitions.
 *
 * Memory: at most one part of each kind per container (a list entry is about 1 KiB of JSON
 * text, an inspect answer 3.5 to 4 KiB for a plain container), made when first asked for.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#include "../basic/fileio.h"
#include "../basic/macros.h"
#include "../shim/shim.h"
#include "containers.h"
#include "restart.h"
#include "summary-cache.h"

#define NS_PER_S 1000000000LL
/* longer than a clock tick and a file system's one-second granularity together */
#define RACY_NS (2 * NS_PER_S)

typedef struct Slot {
        char *id;
        RossCached *part[ROSS_CACHED_KINDS];
        uint64_t seen; /* the sweep that last found its id among the rows */
        struct Slot *next;
} Slot;

struct RossSummaryCache {
        int dfd; /* <data>/containers: a container's directory is stamped by its id alone */
        pthread_mutex_t lock; /* held for lookups and swaps only, never across a syscall */
        RossCacheRows *rows;
        Slot **buckets;
        size_t n_buckets, n_slots;
        uint64_t sweeps;
};

int ross_summary_cache_new(const char *containers_dir, RossSummaryCache **ret, RossError *err)
{
        int dfd = open(containers_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return ross_err(err, errno, "open '%s'", containers_dir);
        RossSummaryCache *sc = xcalloc(1, sizeof(*sc));
        sc->dfd = dfd;
        pthread_mutex_init(&sc->lock, NULL);
        sc->n_buckets = 64;
        sc->buckets = xcalloc(sc->n_buckets, sizeof(Slot *));
        *ret = sc;
        return 0;
}

static void slot_free(Slot *s)
{
        for (size_t k = 0; k < ROSS_CACHED_KINDS; k++)
                ross_cached_unref(s->part[k]);
        free(s->id);
        free(s);
}

void ross_summary_cache_free(RossSummaryCache *sc)
{
        if (!sc)
                return;
        for (size_t b = 0; b < sc->n_buckets; b++)
                for (Slot *s = sc->buckets[b], *next; s; s = next) {
                        next = s->next;
                        slot_free(s);
                }
        free(sc->buckets);
        ross_cache_rows_unref(sc->rows);
        pthread_mutex_destroy(&sc->lock);
        safe_close(sc->dfd);
        free(sc);
}

/* ---- the map: id -> slot (FNV-1a), under sc->lock ---- */

static uint64_t hash_of(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (const char *p = s; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        return h;
}

static size_t bucket_of(const RossSummaryCache *sc, const char *id)
{
        return (size_t)(hash_of(id) & (sc->n_buckets - 1));
}

static Slot *slot_find(RossSummaryCache *sc, const char *id)
{
        for (Slot *s = sc->buckets[bucket_of(sc, id)]; s; s = s->next)
                if (STREQ(s->id, id))
                        return s;
        return NULL;
}

static void grow(RossSummaryCache *sc)
{
        size_t old_n = sc->n_buckets;
        Slot **old = sc->buckets;
        sc->n_buckets = old_n * 2;
        sc->buckets = xcalloc(sc->n_buckets, sizeof(Slot *));
        for (size_t b = 0; b < old_n; b++)
                for (Slot *s = old[b], *next; s; s = next) {
                        next = s->next;
                        size_t nb = bucket_of(sc, s->id);
                        s->next = sc->buckets[nb];
                        sc->buckets[nb] = s;
                }
        free(old);
}

static Slot *slot_add(RossSummaryCache *sc, const char *id)
{
        if (sc->n_slots >= sc->n_buckets)
                grow(sc);
        Slot *s = xcalloc(1, sizeof(*s));
        s->id = xstrdup(id);
        s->seen = sc->sweeps;
        size_t b = bucket_of(sc, id);
        s->next = sc->buckets[b];
        sc->buckets[b] = s;
        sc->n_slots++;
        return s;
}

/* Drop the slots of containers that are not among rows. */
static void sweep(RossSummaryCache *sc, const RossCacheRows *rows)
{
        uint64_t mark = ++sc->sweeps;
        for (size_t i = 0; i < rows->n; i++) {
                Slot *s = slot_find(sc, rows->v[i].id);
                if (s)
                        s->seen = mark;
        }
        for (size_t b = 0; b < sc->n_buckets; b++)
                for (Slot **pp = &sc->buckets[b]; *pp;) {
                        Slot *s = *pp;
                        if (s->seen == mark) {
                                pp = &s->next;
                                continue;
                        }
                        *pp = s->next;
                        slot_free(s);
                        sc->n_slots--;
                }
}

/* ---- the rows ---- */

static RossCacheRows *rows_ref(RossCacheRows *r)
{
        __atomic_add_fetch(&r->ref, 1, __ATOMIC_RELAXED);
        return r;
}

void ross_cache_rows_unref(RossCacheRows *r)
{
        if (!r || __atomic_sub_fetch(&r->ref, 1, __ATOMIC_ACQ_REL) > 0)
                return;
        ross_db_container_stamps_free(r->v, r->n);
        free(r->by_id);
        free(r->by_name);
        free(r);
}

static const char *row_field(const RossDbContainerStamp *v, bool by_name)
{
        return by_name ? v->name : v->id;
}

static void index_add(RossCacheRows *r, size_t *table, bool by_name, size_t i)
{
        size_t mask = r->n_index - 1;
        for (size_t k = hash_of(row_field(&r->v[i], by_name)) & mask;; k = (k + 1) & mask)
                if (table[k] == 0) {
                        table[k] = i + 1;
                        return;
                }
}

/* The row whose id (or name) is key, or NULL. Both are unique in the table. */
static const RossDbContainerStamp *index_find(const RossCacheRows *r, const size_t *table,
                                              bool by_name, const char *key)
{
        size_t mask = r->n_index - 1;
        for (size_t k = hash_of(key) & mask; table[k] != 0; k = (k + 1) & mask)
                if (STREQ(row_field(&r->v[table[k] - 1], by_name), key))
                        return &r->v[table[k] - 1];
        return NULL;
}

static void index_build(RossCacheRows *r)
{
        r->n_index = 16;
        while (r->n_index < 2 * r->n + 1)
                r->n_index *= 2;
        r->by_id = xcalloc(r->n_index, sizeof(size_t));
        r->by_name = xcalloc(r->n_index, sizeof(size_t));
        for (size_t i = 0; i < r->n; i++) {
                index_add(r, r->by_id, false, i);
                index_add(r, r->by_name, true, i);
        }
}

int ross_summary_cache_rows(RossContainers *c, RossCacheRows **ret, RossError *err)
{
        RossSummaryCache *sc = c->summaries;
        uint64_t gen = ross_db_container_generation(c->db);
        pthread_mutex_lock(&sc->lock);
        RossCacheRows *kept = sc->rows && sc->rows->gen == gen ? rows_ref(sc->rows) : NULL;
        pthread_mutex_unlock(&sc->lock);
        if (kept) {
                *ret = kept;
                return 0;
        }
        RossCacheRows *r = xcalloc(1, sizeof(*r));
        r->ref = 1;
        int e = ross_db_container_stamps(c->db, &r->v, &r->n, &r->gen, err);
        if (e < 0) {
                free(r);
                return e;
        }
        index_build(r);
        pthread_mutex_lock(&sc->lock);
        /* another request may have read newer ones meanwhile */
        if (!sc->rows || sc->rows->gen <= r->gen) {
                ross_cache_rows_unref(sc->rows);
                sc->rows = rows_ref(r);
                sweep(sc, r);
        }
        pthread_mutex_unlock(&sc->lock);
        *ret = r;
        return 0;
}

/* The database's answer: no version known. */
static int db_resolve(RossContainers *c, const char *term, char **ret_id, int64_t *ret_version,
                      RossError *err)
{
        int r = ross_db_container_resolve(c->db, term, ret_id, err);
        if (r == 0)
                *ret_version = -1;
        return r;
}

int ross_summary_cache_resolve(RossContainers *c, const char *term, char **ret_id,
                               int64_t *ret_version, RossError *err)
{
        RossCacheRows *rows = NULL;
        if (ross_summary_cache_rows(c, &rows, NULL) < 0)
                return db_resolve(c, term, ret_id, ret_version, err);
        const char *name = term[0] == '/' ? term + 1 : term;
        const RossDbContainerStamp *by_name = index_find(rows, rows->by_name, true, name);
        const RossDbContainerStamp *hit = index_find(rows, rows->by_id, false, term);
        size_t exact = (by_name != NULL) + (hit != NULL && hit != by_name), prefixed = 0;
        if (!hit)
                hit = by_name;
        /* the database's query takes an id prefix only when nothing matches exactly, and only
         * lowercase hex (the ids' alphabet: its LIKE ignoring case changes nothing) */
        size_t len = strlen(term);
        if (exact == 0 && len >= 1 && strspn(term, "0123456789abcdef") == len)
                for (size_t i = 0; i < rows->n && prefixed < 2; i++)
                        if (strncmp(rows->v[i].id, term, len) == 0) {
                                hit = &rows->v[i];
                                prefixed++;
                        }
        bool one = hit && (exact == 1 || (exact == 0 && prefixed == 1));
        _cleanup_free_ char *id = one ? xstrdup(hit->id) : NULL;
        int64_t version = one ? hit->version : -1;
        ross_cache_rows_unref(rows);
        /* a name that is another container's id: which one wins is the database's to say */
        if (exact > 1)
                return db_resolve(c, term, ret_id, ret_version, err);
        if (id) {
                *ret_id = TAKE_PTR(id);
                *ret_version = version;
                return 0;
        }
        if (prefixed > 1)
                return ross_errx(err, EINVAL, "multiple IDs found with provided prefix: %s", term);
        return ross_errx(err, ENOENT, "No such container: %s", term);
}

/* ---- stamps and keys ---- */

static int64_t ns_of(const struct timespec *t)
{
        return (int64_t)t->tv_sec * NS_PER_S + t->tv_nsec;
}

static void stamp_at(int dfd, const char *path, RossStamp *ret)
{
        struct stat st;
        *ret = (RossStamp){};
        if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return;
        *ret = (RossStamp){
                .exists = true,
                .dev = (uint64_t)st.st_dev,
                .ino = (uint64_t)st.st_ino,
                .size = (uint64_t)st.st_size,
                .mtime = st.st_mtim,
                .ctime = st.st_ctim,
        };
}

static bool stamp_eq(const RossStamp *a, const RossStamp *b)
{
        if (a->exists != b->exists)
                return false;
        return !a->exists ||
               (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
                ns_of(&a->mtime) == ns_of(&b->mtime) && ns_of(&a->ctime) == ns_of(&b->ctime));
}

/* Too close to now (or after it: a clock set back) to tell a later change from it? */
static bool stamp_racy(const RossStamp *s, int64_t now)
{
        return s->exists && (ns_of(&s->mtime) > now - RACY_NS || ns_of(&s->ctime) > now - RACY_NS);
}

static void put_u64(RossBuf *b, uint64_t v)
{
        (void)ross_buf_append(b, &v, sizeof(v));
}

/* net/'s entries, each its name and stamp, in the order the directory gives them (an
 * unchanged directory gives the same). */
static void net_entries(int dfd, const char *path, int64_t now, RossBuf *out, bool *racy)
{
        int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_(closedirp) DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (fd >= 0 && !d)
                close(fd);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                        continue;
                RossStamp s;
                stamp_at(dirfd(d), de->d_name, &s);
                (void)ross_buf_append(out, de->d_name, strlen(de->d_name) + 1);
                put_u64(out, s.exists);
                put_u64(out, s.dev);
                put_u64(out, s.ino);
                put_u64(out, s.size);
                put_u64(out, (uint64_t)ns_of(&s.mtime));
                put_u64(out, (uint64_t)ns_of(&s.ctime));
                if (stamp_racy(&s, now))
                        *racy = true;
        }
}

static int64_t now_ns(void)
{
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        return ns_of(&t);
}

static bool exists_in(int dfd, const char *id, const char *file)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", id, file);
        struct stat st;
        return fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The stamps of a running container's files written in place. */
static void running_stamps(int dfd, const char *id, int64_t now, RossCacheKey *k)
{
        _cleanup_free_ char *pid = xasprintf("%s/container.pid", id);
        _cleanup_free_ char *net = xasprintf("%s/net", id);
        stamp_at(dfd, pid, &k->pid);
        stamp_at(dfd, net, &k->net);
        if (k->net.exists)
                net_entries(dfd, net, now, &k->net_entries, &k->racy);
        if (stamp_racy(&k->pid, now) || stamp_racy(&k->net, now))
                k->racy = true;
}

static void key_take(RossContainers *c, const char *id, int64_t version, RossCacheKey *k)
{
        int dfd = c->summaries->dfd;
        /* the clock first: every stamp taken after it is of a change before it, or later */
        int64_t now = now_ns();
        *k = (RossCacheKey){.version = version};
        k->networks_gen = ross_networks_generation(c->networks);
        stamp_at(dfd, id, &k->dir);
        k->racy = stamp_racy(&k->dir, now);
        if (k->dir.exists) {
                k->exit_file = exists_in(dfd, id, "exit.json");
                k->lock_file = exists_in(dfd, id, "shim.lock");
                k->started_file = exists_in(dfd, id, "started");
        }
        k->running = !k->exit_file && k->lock_file && ross_shim_alive_at(dfd, id);
        k->pending = !k->running && k->started_file && ross_restart_pending(c, id);
        if (k->running)
                running_stamps(dfd, id, now, k);
}

/* Is the container now as k says? Looks only as far as the first difference. */
static bool key_holds(RossContainers *c, const char *id, int64_t version, const RossCacheKey *k)
{
        if (k->version != version || k->networks_gen != ross_networks_generation(c->networks))
                return false;
        RossStamp s;
        stamp_at(c->summaries->dfd, id, &s);
        if (!stamp_eq(&s, &k->dir))
                return false;
        /* where it cannot be alive, no look and no path */
        if (k->exit_file || !k->lock_file) {
                bool pending = k->started_file && ross_restart_pending(c, id);
                return !k->running && pending == k->pending;
        }
        bool running = ross_shim_alive_at(c->summaries->dfd, id);
        if (running != k->running)
                return false;
        bool pending = !running && k->started_file && ross_restart_pending(c, id);
        if (pending != k->pending)
                return false;
        if (!running)
                return true;
        RossCacheKey now = {};
        running_stamps(c->summaries->dfd, id, now_ns(), &now);
        bool same = stamp_eq(&now.pid, &k->pid) && stamp_eq(&now.net, &k->net) &&
                    now.net_entries.len == k->net_entries.len &&
                    (now.net_entries.len == 0 ||
                     memcmp(now.net_entries.data, k->net_entries.data, now.net_entries.len) == 0);
        ross_buf_free(&now.net_entries);
        return same;
}

/* ---- parts ---- */

RossCached *ross_cached_new(RossContainers *c, const char *id, int64_t version)
{
        RossCached *p = xcalloc(1, sizeof(*p));
        p->ref = 1;
        key_take(c, id, version, &p->key);
        return p;
}

static RossCached *cached_ref(RossCached *p)
{
        __atomic_add_fetch(&p->ref, 1, __ATOMIC_RELAXED);
        return p;
}

void ross_cached_unref(RossCached *p)
{
        if (!p || __atomic_sub_fetch(&p->ref, 1, __ATOMIC_ACQ_REL) > 0)
                return;
        if (p->free_data)
                p->free_data(p->data);
        ross_buf_free(&p->key.net_entries);
        free(p);
}

RossCached *ross_summary_cache_get(RossContainers *c, const char *id, int64_t version,
                                   RossCachedKind kind)
{
        RossSummaryCache *sc = c->summaries;
        pthread_mutex_lock(&sc->lock);
        Slot *s = slot_find(sc, id);
        RossCached *p = s && s->part[kind] ? cached_ref(s->part[kind]) : NULL;
        pthread_mutex_unlock(&sc->lock);
        if (p && !key_holds(c, id, version, &p->key)) {
                ross_cached_unref(p);
                return NULL;
        }
        return p;
}

void ross_summary_cache_put(RossContainers *c, const char *id, RossCachedKind kind, RossCached *p)
{
        RossSummaryCache *sc = c->summaries;
        if (p->key.racy)
                return;
        pthread_mutex_lock(&sc->lock);
        Slot *s = slot_find(sc, id) ?: slot_add(sc, id);
        RossCached *old = s->part[kind];
        s->part[kind] = cached_ref(p);
        pthread_mutex_unlock(&sc->lock);
        ross_cached_unref(old);
}
