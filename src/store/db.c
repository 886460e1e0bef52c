/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <sqlite3.h>
#include <time.h>

#include "../basic/cleanup-sqlite.h"
#include "../basic/log.h"
#include "../ref/reference.h"
#include "db.h"

#include "db-internal.h"

static const char schema[] =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "CREATE TABLE IF NOT EXISTS images ("
        "  id TEXT PRIMARY KEY, created TEXT, size INTEGER NOT NULL DEFAULT 0,"
        "  os TEXT, arch TEXT, variant TEXT, added INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS image_blobs ("
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  digest TEXT NOT NULL, kind TEXT NOT NULL, idx INTEGER NOT NULL,"
        "  size INTEGER NOT NULL, media_type TEXT,"
        "  PRIMARY KEY (image_id, digest, kind));"
        "CREATE INDEX IF NOT EXISTS image_blobs_digest ON image_blobs(digest);"
        "CREATE TABLE IF NOT EXISTS repo_digests ("
        "  name TEXT NOT NULL, digest TEXT NOT NULL,"
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  PRIMARY KEY (name, digest));"
        "CREATE TABLE IF NOT EXISTS tags ("
        "  name TEXT PRIMARY KEY,"
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
        "CREATE TABLE IF NOT EXISTS snapshots ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT, chain_id TEXT UNIQUE NOT NULL,"
        "  parent TEXT, diff_id TEXT NOT NULL, state TEXT NOT NULL,"
        "  size INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS image_snapshots ("
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  idx INTEGER NOT NULL, chain_id TEXT NOT NULL,"
        "  PRIMARY KEY (image_id, idx));"
        "CREATE INDEX IF NOT EXISTS image_snapshots_chain ON "
        "  image_snapshots(chain_id);"
        /* where each blob is known to be: the repositories a pull took it from and a push
         * put it in ("domain/path"), for cross-repository mounts (db_sources.c) */
        "CREATE TABLE IF NOT EXISTS blob_sources ("
        "  digest TEXT NOT NULL, repo TEXT NOT NULL, added INTEGER NOT NULL,"
        "  PRIMARY KEY (digest, repo));"
        "CREATE TABLE IF NOT EXISTS containers ("
        "  id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
        "  image_id TEXT NOT NULL, image_ref TEXT NOT NULL,"
        "  created INTEGER NOT NULL, config TEXT NOT NULL,"
        "  version INTEGER NOT NULL DEFAULT 0);";

/* containers.version came after the table: a database made before it gets the column (every
 * row at version 0). */
static int add_container_version(sqlite3 *h, char **ret_msg)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(h, "SELECT version FROM containers LIMIT 0", -1, &st, NULL);
        sqlite3_finalize(st);
        if (rc == SQLITE_OK)
                return SQLITE_OK;
        return sqlite3_exec(h,
                            "ALTER TABLE containers ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
                            NULL, NULL, ret_msg);
}

int ross_db_open(const char *path, RossDb **ret, RossError *err)
{
        sqlite3 *h = NULL;
        char *emsg = NULL;
        int rc;

        rc = sqlite3_open_v2(
                path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
        if (rc != SQLITE_OK) {
                int r = ross_errx(err, EIO, "open database '%s': %s", path,
                                  h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
                sqlite3_close(h);
                return r;
        }
        sqlite3_busy_timeout(h, 5000);
        if (sqlite3_exec(h, schema, NULL, NULL, &emsg) != SQLITE_OK ||
            add_container_version(h, &emsg) != SQLITE_OK) {
                int r = ross_errx(err, EIO, "set up database '%s': %s", path,
                                  emsg ? emsg : sqlite3_errmsg(h));
                sqlite3_free(emsg);
                sqlite3_close(h);
                return r;
        }
        RossDb *db = xcalloc(1, sizeof(*db));
        db->h = h;
        pthread_mutex_init(&db->lock, NULL);
        *ret = db;
        return 0;
}

void ross_db_close(RossDb *db)
{
        if (!db)
                return;
        sqlite3_close(db->h);
        pthread_mutex_destroy(&db->lock);
        free(db);
}

sqlite3_stmt *ross_db_prep(RossDb *db, const char *sql, int n, const char *const *args)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
                log_error("sql prepare '%s': %s", sql, sqlite3_errmsg(db->h));
                abort(); /* a bug in our SQL, not a runtime condition */
        }
        for (int i = 0; i < n; i++)
                sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
        return st;
}

int ross_db_exec(RossDb *db, const char *sql, int n, const char *const *args)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(db, sql, n, args);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
                log_debug("sql '%s': %s", sql, sqlite3_errmsg(db->h));
                return -EIO;
        }
        return 0;
}

/* One INSERT of image_put: -EIO on a failure. */
static int insert_blob(RossDb *db, const RossImageRecord *rec, size_t i)
{
        const RossImageBlob *b = &rec->blobs[i];
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db,
                             "INSERT OR IGNORE INTO image_blobs(image_id, digest, kind, idx, size, "
                             "media_type) VALUES (?,?,?,?,?,?)",
                             3, ARGS(rec->id, b->digest, b->kind));
        sqlite3_bind_int64(st, 4, (sqlite3_int64)i);
        sqlite3_bind_int64(st, 5, b->size);
        sqlite3_bind_text(st, 6, b->media_type, -1, SQLITE_TRANSIENT);
        return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

int ross_db_image_put(RossDb *db, const RossImageRecord *rec, RossError *err)
{
        char added[32], size[32];
        int r = 0;

        snprintf(added, sizeof(added), "%lld", (long long)time(NULL));
        snprintf(size, sizeof(size), "%lld", (long long)rec->size);

        DB_LOCKED(db);
        if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return ross_errx(err, EIO, "record image %s: database: %s", rec->id,
                                 sqlite3_errmsg(db->h));
        r = EXEC(db,
                 "INSERT OR IGNORE INTO images(id, created, size, os, arch, variant, added) "
                 "VALUES (?,?,CAST(? AS INTEGER),?,?,?,CAST(? AS INTEGER))",
                 rec->id, rec->created, size, rec->os, rec->arch, rec->variant, added);
        for (size_t i = 0; r == 0 && i < rec->n_blobs; i++) {
                r = insert_blob(db, rec, i);
                const char *kind = rec->blobs[i].kind;
                if (r == 0 && rec->source && (STREQ(kind, "layer") || STREQ(kind, "config")))
                        r = ross_db_blob_source_put(db, rec->blobs[i].digest, rec->source);
        }
        for (size_t i = 0; r == 0 && i < rec->n_chain_ids; i++) {
                char idx[32];
                snprintf(idx, sizeof(idx), "%zu", i);
                r = EXEC(db,
                         "INSERT OR REPLACE INTO image_snapshots(image_id, idx, chain_id) "
                         "VALUES (?, CAST(? AS INTEGER), ?)",
                         rec->id, idx, rec->chain_ids[i]);
        }
        if (r == 0 && rec->repo_digest)
                r = EXEC(db,
                         "INSERT OR REPLACE INTO repo_digests(name, digest, image_id) "
                         "VALUES (?,?,?)",
                         rec->name, rec->repo_digest, rec->id);
        if (r == 0 && rec->tag) {
                _cleanup_free_ char *nt = xasprintf("%s:%s", rec->name, rec->tag);
                r = EXEC(db, "INSERT OR REPLACE INTO tags(name, image_id) VALUES (?,?)", nt,
                         rec->id);
        }
        if (r == 0 && sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                r = -EIO;
        if (r < 0) {
                r = ross_errx(err, EIO, "record image %s: database: %s", rec->id,
                              sqlite3_errmsg(db->h));
                sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        }
        return r;
}

char *ross_db_query_str(RossDb *db, const char *sql, int n, const char *const *args)
{
        char *v = NULL;
        (void)ross_db_query_str_checked(db, sql, n, args, &v);
        return v;
}

int ross_db_query_str_checked(RossDb *db, const char *sql, int n, const char *const *args,
                              char **ret)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(db, sql, n, args);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);
                *ret = t ? xstrdup((const char *)t) : NULL;
                return 0;
        }
        if (rc != SQLITE_DONE) {
                log_debug("sql '%s': %s", sql, sqlite3_errmsg(db->h));
                return -EIO;
        }
        *ret = NULL;
        return 0;
}

json_t *ross_db_query_strs(RossDb *db, const char *sql, int n, const char *const *args)
{
        json_t *a = NULL;
        (void)ross_db_query_strs_checked(db, sql, n, args, &a);
        return a;
}

int ross_db_query_strs_checked(RossDb *db, const char *sql, int n, const char *const *args,
                               json_t **ret)
{
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(db, sql, n, args);
        json_t *a = json_array();
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                if (sqlite3_column_text(st, 0))
                        json_array_append_new(
                                a, json_string((const char *)sqlite3_column_text(st, 0)));
        *ret = a; /* what was read, even after an error */
        if (rc != SQLITE_DONE) {
                log_debug("sql '%s': %s", sql, sqlite3_errmsg(db->h));
                return -EIO;
        }
        return 0;
}

bool ross_db_image_exists(RossDb *db, const char *id)
{
        DB_LOCKED(db);
        _cleanup_free_ char *v =
                ross_db_query_str(db, "SELECT id FROM images WHERE id = ?", 1, ARGS(id));
        return v != NULL;
}

int ross_db_tag_get(RossDb *db, const char *name_tag, char **ret_id, RossError *err)
{
        char *v = NULL;
        DB_LOCKED(db);
        if (ross_db_query_str_checked(db, "SELECT image_id FROM tags WHERE name = ?", 1,
                                      ARGS(name_tag), &v) < 0)
                return ross_errx(err, EIO, "look up tag %s: database: %s", name_tag,
                                 sqlite3_errmsg(db->h));
        if (!v)
                return -ENOENT;
        *ret_id = v;
        return 0;
}

static bool is_hex_prefix(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* The image a name[:tag] or name@digest points at: 0 with *ret_id NULL if none, -EIO. */
static int resolve_name(RossDb *db, const RossRef *ref, const char *term, char **ret_id,
                        RossError *err)
{
        _cleanup_free_ char *name = ross_ref_name(ref);
        _cleanup_free_ char *nt = ref->digest ? NULL : ross_ref_string(ref);
        DB_LOCKED(db);
        int r = ref->digest
                        ? ross_db_query_str_checked(db,
                                                    "SELECT image_id FROM repo_digests WHERE "
                                                    "name = ? AND digest = ?",
                                                    2, ARGS(name, ref->digest), ret_id)
                        : ross_db_query_str_checked(db, "SELECT image_id FROM tags WHERE name = ?",
                                                    1, ARGS(nt), ret_id);
        /* a database failure is no "No such image" */
        if (r < 0)
                return ross_errx(err, EIO, "look up image %s: database: %s", term,
                                 sqlite3_errmsg(db->h));
        return 0;
}

/* The ids that start with a hex prefix (two at most: one more says it is ambiguous). */
static int resolve_prefix(RossDb *db, const char *hex, const char *term, json_t **ret,
                          RossError *err)
{
        _cleanup_free_ char *pattern = xasprintf("sha256:%s%%", hex);
        json_auto_t *ids = NULL;
        DB_LOCKED(db);
        if (ross_db_query_strs_checked(db, "SELECT id FROM images WHERE id LIKE ? LIMIT 2", 1,
                                       ARGS(pattern), &ids) < 0)
                return ross_errx(err, EIO, "look up image %s: database: %s", term,
                                 sqlite3_errmsg(db->h));
        *ret = TAKE_PTR(ids);
        return 0;
}

int ross_db_image_resolve(RossDb *db, const char *term, char **ret_id, RossError *err)
{
        _cleanup_(ross_ref_freep) RossRef ref = {};
        _cleanup_free_ char *id = NULL;
        int r;

        /* A name first, as Docker does: "abc" can be both a repository and an id prefix. */
        if (ross_ref_parse(term, &ref, NULL) == 0) {
                r = resolve_name(db, &ref, term, &id, err);
                if (r < 0)
                        return r;
                if (id) {
                        *ret_id = TAKE_PTR(id);
                        return 0;
                }
        }

        const char *hex = strncmp(term, "sha256:", 7) == 0 ? term + 7 : term;
        if (is_hex_prefix(hex)) {
                json_auto_t *ids = NULL;
                r = resolve_prefix(db, hex, term, &ids, err);
                if (r < 0)
                        return r;
                size_t n = json_array_size(ids);
                if (n > 1)
                        return ross_errx(err, EINVAL,
                                         "image id prefix '%s' is ambiguous: it matches more "
                                         "than one image",
                                         term);
                if (n == 1) {
                        *ret_id = xstrdup(json_string_value(json_array_get(ids, 0)));
                        return 0;
                }
        }
        return ross_errx(err, ENOENT, "No such image: %s", term);
}

/* Familiar forms of a list of full references ("docker.io/library/alpine:3" -> "alpine:3"). */
static json_t *familiar_list(json_t *full)
{
        json_t *out = json_array(), *v;
        size_t i;
        json_array_foreach (full, i, v) {
                _cleanup_free_ char *f = ross_ref_familiar(json_string_value(v));
                json_array_append_new(out, json_string(f));
        }
        return out;
}

/* The summary of the row st is on. Caller holds the lock. */
static int image_row(RossDb *db, sqlite3_stmt *st, json_t **ret, RossError *err)
{
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *created = (const char *)sqlite3_column_text(st, 1);
        json_auto_t *tags = NULL, *digests = NULL;

        if (ross_db_query_strs_checked(db, "SELECT name FROM tags WHERE image_id = ? ORDER BY name",
                                       1, ARGS(id), &tags) < 0 ||
            ross_db_query_strs_checked(db,
                                       "SELECT name || '@' || digest FROM repo_digests WHERE "
                                       "image_id = ? ORDER BY 1",
                                       1, ARGS(id), &digests) < 0)
                return ross_errx(err, EIO, "read image %s: database: %s", id,
                                 sqlite3_errmsg(db->h));

        json_t *o = json_object();
        json_object_set_new(o, "Id", json_string(id));
        json_object_set_new(o, "Created", json_string(created ? created : ""));
        json_object_set_new(o, "Size", json_integer(sqlite3_column_int64(st, 2)));
        json_object_set_new(o, "Os", json_string((const char *)sqlite3_column_text(st, 3)));
        json_object_set_new(o, "Architecture",
                            json_string((const char *)sqlite3_column_text(st, 4)));
        if (sqlite3_column_text(st, 5))
                json_object_set_new(o, "Variant",
                                    json_string((const char *)sqlite3_column_text(st, 5)));
        json_object_set_new(o, "Added", json_integer(sqlite3_column_int64(st, 6)));
        json_object_set_new(o, "RepoTags", familiar_list(tags));
        json_object_set_new(o, "RepoDigests", familiar_list(digests));
        *ret = o;
        return 0;
}

#define IMAGE_COLS "SELECT id, created, size, os, arch, variant, added FROM images"

int ross_db_image_get(RossDb *db, const char *id, json_t **ret, RossError *err)
{
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db, IMAGE_COLS " WHERE id = ?", 1, ARGS(id));
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                return image_row(db, st, ret, err);
        if (rc == SQLITE_DONE)
                return ross_errx(err, ENOENT, "No such image: %s", id);
        return ross_errx(err, EIO, "read image %s: database: %s", id, sqlite3_errmsg(db->h));
}

int ross_db_image_list(RossDb *db, json_t **ret, RossError *err)
{
        json_auto_t *a = json_array();
        int rc;
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db, IMAGE_COLS " ORDER BY added DESC, id", 0, NULL);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                json_t *o = NULL;
                int r = image_row(db, st, &o, err);
                if (r < 0)
                        return r;
                json_array_append_new(a, o);
        }
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "list images: database: %s", sqlite3_errmsg(db->h));
        *ret = TAKE_PTR(a);
        return 0;
}

int ross_db_image_blobs(RossDb *db, const char *id, json_t **ret, RossError *err)
{
        json_auto_t *a = json_array();
        int rc;
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db,
                             "SELECT digest, kind, size, media_type FROM image_blobs WHERE "
                             "image_id = ? ORDER BY idx",
                             1, ARGS(id));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *mt = (const char *)sqlite3_column_text(st, 3);
                json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s?}", "digest",
                                                   (const char *)sqlite3_column_text(st, 0), "kind",
                                                   (const char *)sqlite3_column_text(st, 1), "size",
                                                   (json_int_t)sqlite3_column_int64(st, 2),
                                                   "mediaType", mt));
        }
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "read the blobs of image %s: database: %s", id,
                                 sqlite3_errmsg(db->h));
        *ret = TAKE_PTR(a);
        return 0;
}

int ross_db_tag_set(RossDb *db, const char *name_tag, const char *id, RossError *err)
{
        DB_LOCKED(db);
        if (EXEC(db, "INSERT OR REPLACE INTO tags(name, image_id) VALUES (?,?)", name_tag, id) < 0)
                return ross_errx(err, EIO, "tag %s: database: %s", name_tag, sqlite3_errmsg(db->h));
        return 0;
}

int ross_db_tag_remove(RossDb *db, const char *name_tag, RossError *err)
{
        DB_LOCKED(db);
        if (EXEC(db, "DELETE FROM tags WHERE name = ?", name_tag) < 0)
                return ross_errx(err, EIO, "untag %s: database: %s", name_tag,
                                 sqlite3_errmsg(db->h));
        if (sqlite3_changes(db->h) == 0)
                return ross_errx(err, ENOENT, "No such image: %s", name_tag);
        return 0;
}

int ross_db_image_tag_count(RossDb *db, const char *id)
{
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db, "SELECT COUNT(*) FROM tags WHERE image_id = ?", 1, ARGS(id));
        if (sqlite3_step(st) != SQLITE_ROW) {
                log_debug("count the tags of %s: %s", id, sqlite3_errmsg(db->h));
                return 0;
        }
        return sqlite3_column_int(st, 0);
}

/* The digests of mine that no image_blobs row has any more. Caller holds the lock. */
static int orphans_of(RossDb *db, json_t *mine, json_t **ret)
{
        json_auto_t *orphans = json_array();
        json_t *v;
        size_t i;
        json_array_foreach (mine, i, v) {
                _cleanup_free_ char *still = NULL;
                if (ross_db_query_str_checked(db,
                                              "SELECT digest FROM image_blobs WHERE digest = ? "
                                              "LIMIT 1",
                                              1, ARGS(json_string_value(v)), &still) < 0)
                        return -EIO;
                if (!still)
                        json_array_append(orphans, v);
        }
        *ret = TAKE_PTR(orphans);
        return 0;
}

int ross_db_image_delete(RossDb *db, const char *id, json_t **ret_orphans, RossError *err)
{
        json_auto_t *mine = NULL, *orphans = NULL;
        DB_LOCKED(db);
        if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return ross_errx(err, EIO, "delete image %s: database: %s", id,
                                 sqlite3_errmsg(db->h));
        /* a blob that a failed read left out would stay; one it wrongly put in would go:
         * every read here must succeed */
        int r = ross_db_query_strs_checked(
                db, "SELECT DISTINCT digest FROM image_blobs WHERE image_id = ?", 1, ARGS(id),
                &mine);
        if (r == 0)
                r = EXEC(db, "DELETE FROM images WHERE id = ?", id);
        if (r == 0)
                r = orphans_of(db, mine, &orphans);
        if (r == 0)
                r = ross_db_exec(db,
                                 "DELETE FROM blob_sources WHERE digest NOT IN "
                                 "(SELECT digest FROM image_blobs)",
                                 0, NULL);
        if (r == 0 && sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                r = -EIO;
        if (r < 0) {
                r = ross_errx(err, EIO, "delete image %s: database: %s", id, sqlite3_errmsg(db->h));
                sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        *ret_orphans = TAKE_PTR(orphans);
        return 0;
}

int ross_db_referenced_blobs(RossDb *db, json_t **ret, RossError *err)
{
        json_auto_t *a = NULL;
        {
                DB_LOCKED(db);
                if (ross_db_query_strs_checked(db, "SELECT DISTINCT digest FROM image_blobs", 0,
                                               NULL, &a) < 0)
                        return ross_errx(err, EIO, "list the blobs images use: database: %s",
                                         sqlite3_errmsg(db->h));
        }
        json_t *set = json_object(), *v;
        size_t i;
        json_array_foreach (a, i, v)
                json_object_set_new(set, json_string_value(v), json_true());
        *ret = set;
        return 0;
}
