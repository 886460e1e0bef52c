/* SPDX-License-Identifier: Apache-2.0 */
#include <time.h>

#include "../basic/cleanup-sqlite.h"
#include "db-internal.h"

/* Docker's words for a name another container has, naming that container. */
static int name_conflict(RossDb *db, const char *name, RossError *err)
{
        _cleanup_free_ char *owner =
                ross_db_query_str(db, "SELECT id FROM containers WHERE name = ?", 1, ARGS(name));
        return ross_errx(err, EEXIST,
                         "Conflict. The container name \"/%s\" is already in use by container "
                         "\"%s\". You have to remove (or rename) that container to be able to "
                         "reuse that name.",
                         name, owner ? owner : "");
}

int ross_db_container_add(RossDb *db, const char *id, const char *name, const char *image_id,
                          const char *image_ref, const char *config_json, RossError *err)
{
        char now[32];
        snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
        DB_LOCKED(db);
        int rc;
        {
                _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                        ross_db_prep(db,
                                     "INSERT INTO containers(id, name, image_id, image_ref, "
                                     "created, config) VALUES (?, ?, ?, ?, CAST(? AS INTEGER), ?)",
                                     6, ARGS(id, name, image_id, image_ref, now, config_json));
                rc = sqlite3_step(st);
        }
        ross_db_containers_changed(db);
        if (rc == SQLITE_CONSTRAINT)
                return name_conflict(db, name, err);
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "record container %s: database: %s", name,
                                 sqlite3_errmsg(db->h));
        return 0;
}

static json_t *row(sqlite3_stmt *st)
{
        const char *config = (const char *)sqlite3_column_text(st, 5);
        json_t *cfg = json_loads(config ? config : "{}", 0, NULL);
        return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:I}", "Id",
                         (const char *)sqlite3_column_text(st, 0), "Name",
                         (const char *)sqlite3_column_text(st, 1), "ImageId",
                         (const char *)sqlite3_column_text(st, 2), "Image",
                         (const char *)sqlite3_column_text(st, 3), "Created",
                         (json_int_t)sqlite3_column_int64(st, 4), "Config",
                         cfg ? cfg : json_object(), "Version",
                         (json_int_t)sqlite3_column_int64(st, 6));
}

#define COLS "SELECT id, name, image_id, image_ref, created, config, version FROM containers"

int ross_db_container_fetch(RossDb *db, const char *id, json_t **ret, RossError *err)
{
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db, COLS " WHERE id = ?", 1, ARGS(id));
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = row(st);
                return 0;
        }
        if (rc == SQLITE_DONE)
                return ross_errx(err, ENOENT, "No such container: %s", id);
        return ross_errx(err, EIO, "read container %s: database: %s", id, sqlite3_errmsg(db->h));
}

int ross_db_container_get(RossDb *db, const char *id, json_t **ret)
{
        return ross_db_container_fetch(db, id, ret, NULL);
}

int ross_db_container_resolve(RossDb *db, const char *term, char **ret_id, RossError *err)
{
        const char *name = term[0] == '/' ? term + 1 : term;
        _cleanup_free_ char *id = NULL;
        json_auto_t *ids = NULL;
        int r;
        {
                DB_LOCKED(db);
                r = ross_db_query_str_checked(db,
                                              "SELECT id FROM containers WHERE name = ? OR id = ?",
                                              2, ARGS(name, term), &id);
                if (r == 0 && !id && strlen(term) >= 1 &&
                    strspn(term, "0123456789abcdef") == strlen(term)) {
                        _cleanup_free_ char *pattern = xasprintf("%s%%", term);
                        r = ross_db_query_strs_checked(
                                db, "SELECT id FROM containers WHERE id LIKE ? LIMIT 2", 1,
                                ARGS(pattern), &ids);
                }
                if (r < 0)
                        return ross_errx(err, EIO, "look up container %s: database: %s", term,
                                         sqlite3_errmsg(db->h));
        }
        size_t n = json_array_size(ids);
        if (!id && n == 1)
                id = xstrdup(json_string_value(json_array_get(ids, 0)));
        if (id) {
                *ret_id = TAKE_PTR(id);
                return 0;
        }
        if (n > 1)
                return ross_errx(err, EINVAL, "multiple IDs found with provided prefix: %s", term);
        return ross_errx(err, ENOENT, "No such container: %s", term);
}

int ross_db_container_list(RossDb *db, json_t **ret, RossError *err)
{
        json_auto_t *a = json_array();
        int rc;
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db, COLS " ORDER BY created DESC, rowid DESC", 0, NULL);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                json_array_append_new(a, row(st));
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "list containers: database: %s", sqlite3_errmsg(db->h));
        *ret = TAKE_PTR(a);
        return 0;
}

uint64_t ross_db_container_generation(RossDb *db)
{
        return __atomic_load_n(&db->containers_gen, __ATOMIC_SEQ_CST);
}

void ross_db_container_stamps_free(RossDbContainerStamp *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].id);
                free(v[i].name);
        }
        free(v);
}

int ross_db_container_stamps(RossDb *db, RossDbContainerStamp **ret, size_t *ret_n,
                             uint64_t *ret_gen, RossError *err)
{
        RossDbContainerStamp *v = NULL;
        size_t n = 0, alloc = 0;
        int rc;
        DB_LOCKED(db);
        /* under the lock the writers bump it in: the rows read are those of this generation */
        uint64_t gen = ross_db_container_generation(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(
                db, "SELECT id, name, version FROM containers ORDER BY created DESC, rowid DESC", 0,
                NULL);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == alloc) {
                        size_t bytes;
                        alloc = alloc ? alloc * 2 : 64;
                        if (__builtin_mul_overflow(alloc, sizeof(*v), &bytes))
                                abort(); /* more rows than memory */
                        v = xrealloc(v, bytes);
                }
                const char *id = (const char *)sqlite3_column_text(st, 0);
                const char *name = (const char *)sqlite3_column_text(st, 1);
                v[n++] = (RossDbContainerStamp){.id = xstrdup(id ?: ""),
                                                .name = xstrdup(name ?: ""),
                                                .version = sqlite3_column_int64(st, 2)};
        }
        if (rc != SQLITE_DONE) {
                ross_db_container_stamps_free(v, n);
                return ross_errx(err, EIO, "list containers: database: %s", sqlite3_errmsg(db->h));
        }
        *ret = v;
        *ret_n = n;
        *ret_gen = gen;
        return 0;
}

int ross_db_container_delete(RossDb *db, const char *id, RossError *err)
{
        DB_LOCKED(db);
        int r = EXEC(db, "DELETE FROM containers WHERE id = ?", id);
        ross_db_containers_changed(db);
        if (r < 0)
                return ross_errx(err, EIO, "forget container %s: database: %s", id,
                                 sqlite3_errmsg(db->h));
        return 0;
}

int ross_db_container_rename(RossDb *db, const char *id, const char *name, RossError *err)
{
        DB_LOCKED(db);
        int rc;
        {
                _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(
                        db, "UPDATE containers SET name = ?, version = version + 1 WHERE id = ?", 2,
                        ARGS(name, id));
                rc = sqlite3_step(st);
        }
        ross_db_containers_changed(db);
        if (rc == SQLITE_CONSTRAINT)
                return name_conflict(db, name, err);
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "rename container %s: database: %s", id,
                                 sqlite3_errmsg(db->h));
        return 0;
}

int ross_db_container_set_config(RossDb *db, const char *id, const char *config_json,
                                 RossError *err)
{
        DB_LOCKED(db);
        int rc;
        {
                _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                        ross_db_prep(db,
                                     "UPDATE containers SET config = ?, version = version + 1 "
                                     "WHERE id = ?",
                                     2, ARGS(config_json, id));
                rc = sqlite3_step(st);
        }
        ross_db_containers_changed(db);
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "update container %s: database: %s", id,
                                 sqlite3_errmsg(db->h));
        return 0;
}

int ross_db_image_containers(RossDb *db, const char *image_id, RossError *err)
{
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(
                db, "SELECT COUNT(*) FROM containers WHERE image_id = ?", 1, ARGS(image_id));
        /* a failure is no count: never a reason to delete */
        if (sqlite3_step(st) != SQLITE_ROW)
                return ross_errx(err, EIO, "count the containers of image %s: database: %s",
                                 image_id, sqlite3_errmsg(db->h));
        return sqlite3_column_int(st, 0);
}
