/* SPDX-License-Identifier: Apache-2.0 */
#include <time.h>

#include "db-internal.h"

int ross_db_container_add(RossDb *db, const char *id, const char *name, const char *image_id,
                          const char *image_ref, const char *config_json, RossError *err)
{
        char now[32];
        snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st =
                ross_db_prep(db,
                             "INSERT INTO containers(id, name, image_id, image_ref, "
                             "created, config) VALUES (?, ?, ?, ?, CAST(? AS INTEGER), ?)",
                             6, ARGS(id, name, image_id, image_ref, now, config_json));
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        pthread_mutex_unlock(&db->lock);
        if (rc == SQLITE_CONSTRAINT)
                return ross_errx(err, EEXIST,
                                 "Conflict. The container name \"/%s\" is already in use by "
                                 "another container",
                                 name);
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "record container %s: database error", name);
        return 0;
}

static json_t *row(sqlite3_stmt *st)
{
        const char *config = (const char *)sqlite3_column_text(st, 5);
        json_t *cfg = json_loads(config ? config : "{}", 0, NULL);
        return json_pack(
                "{s:s, s:s, s:s, s:s, s:I, s:o}", "Id", (const char *)sqlite3_column_text(st, 0),
                "Name", (const char *)sqlite3_column_text(st, 1), "ImageId",
                (const char *)sqlite3_column_text(st, 2), "Image",
                (const char *)sqlite3_column_text(st, 3), "Created",
                (json_int_t)sqlite3_column_int64(st, 4), "Config", cfg ? cfg : json_object());
}

#define COLS "SELECT id, name, image_id, image_ref, created, config FROM containers"

int ross_db_container_get(RossDb *db, const char *id, json_t **ret)
{
        int r = -ENOENT;
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st = ross_db_prep(db, COLS " WHERE id = ?", 1, ARGS(id));
        if (sqlite3_step(st) == SQLITE_ROW) {
                *ret = row(st);
                r = 0;
        }
        sqlite3_finalize(st);
        pthread_mutex_unlock(&db->lock);
        return r;
}

int ross_db_container_resolve(RossDb *db, const char *term, char **ret_id, RossError *err)
{
        const char *name = term[0] == '/' ? term + 1 : term;
        pthread_mutex_lock(&db->lock);
        char *id = ross_db_query_str(db, "SELECT id FROM containers WHERE name = ? OR id = ?", 2,
                                     ARGS(name, term));
        json_t *ids = NULL;
        if (!id && strlen(term) >= 1 && strspn(term, "0123456789abcdef") == strlen(term)) {
                _cleanup_free_ char *pattern = xasprintf("%s%%", term);
                ids = ross_db_query_strs(db, "SELECT id FROM containers WHERE id LIKE ? LIMIT 2", 1,
                                         ARGS(pattern));
        }
        pthread_mutex_unlock(&db->lock);
        if (!id && json_array_size(ids) == 1)
                id = xstrdup(json_string_value(json_array_get(ids, 0)));
        size_t n = json_array_size(ids);
        json_decref(ids);
        if (id) {
                *ret_id = id;
                return 0;
        }
        if (n > 1)
                return ross_errx(err, EINVAL, "multiple containers match the prefix %s", term);
        return ross_errx(err, ENOENT, "No such container: %s", term);
}

json_t *ross_db_container_list(RossDb *db)
{
        json_t *a = json_array();
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st = ross_db_prep(db, COLS " ORDER BY created DESC, rowid DESC", 0, NULL);
        while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(a, row(st));
        sqlite3_finalize(st);
        pthread_mutex_unlock(&db->lock);
        return a;
}

int ross_db_container_delete(RossDb *db, const char *id)
{
        pthread_mutex_lock(&db->lock);
        int r = EXEC(db, "DELETE FROM containers WHERE id = ?", id);
        pthread_mutex_unlock(&db->lock);
        return r;
}

int ross_db_container_rename(RossDb *db, const char *id, const char *name, RossError *err)
{
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st =
                ross_db_prep(db, "UPDATE containers SET name = ? WHERE id = ?", 2, ARGS(name, id));
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        pthread_mutex_unlock(&db->lock);
        if (rc == SQLITE_CONSTRAINT)
                return ross_errx(err, EEXIST,
                                 "Conflict. The container name \"/%s\" is already in use", name);
        return rc == SQLITE_DONE ? 0 : ross_errx(err, EIO, "rename: database error");
}

int ross_db_image_containers(RossDb *db, const char *image_id)
{
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st = ross_db_prep(db, "SELECT COUNT(*) FROM containers WHERE image_id = ?", 1,
                                        ARGS(image_id));
        int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        pthread_mutex_unlock(&db->lock);
        return n;
}
