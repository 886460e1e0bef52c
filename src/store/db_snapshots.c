/* SPDX-License-Identifier: Apache-2.0 */
#include <time.h>

#include "db-internal.h"

int ross_db_snapshot_reserve(RossDb *db, const char *chain_id, const char *parent,
                             const char *diff_id, int64_t *ret_id, RossError *err)
{
        char now[32];
        snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st = ross_db_prep(db,
                                        "INSERT INTO snapshots(chain_id, parent, diff_id, state, "
                                        "created) VALUES (?, ?, ?, 'unpacking', "
                                        "CAST(? AS INTEGER))",
                                        4, ARGS(chain_id, parent, diff_id, now));
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        int64_t id = sqlite3_last_insert_rowid(db->h);
        int r = 0;
        if (rc == SQLITE_CONSTRAINT)
                r = -EEXIST;
        else if (rc != SQLITE_DONE)
                r = ross_errx(err, EIO, "reserve snapshot %s: database: %s", chain_id,
                              sqlite3_errmsg(db->h));
        pthread_mutex_unlock(&db->lock);
        if (r < 0)
                return r;
        *ret_id = id;
        return 0;
}

int ross_db_snapshot_commit(RossDb *db, int64_t id, int64_t size, RossError *err)
{
        char sid[32], ssize[32];
        snprintf(sid, sizeof(sid), "%lld", (long long)id);
        snprintf(ssize, sizeof(ssize), "%lld", (long long)size);
        pthread_mutex_lock(&db->lock);
        int r = EXEC(db,
                     "UPDATE snapshots SET state = 'committed', size = CAST(? AS INTEGER) "
                     "WHERE id = CAST(? AS INTEGER)",
                     ssize, sid);
        if (r < 0)
                r = ross_errx(err, EIO, "commit snapshot %lld: database: %s", (long long)id,
                              sqlite3_errmsg(db->h));
        pthread_mutex_unlock(&db->lock);
        return r;
}

void ross_db_snapshot_delete(RossDb *db, int64_t id)
{
        char sid[32];
        snprintf(sid, sizeof(sid), "%lld", (long long)id);
        pthread_mutex_lock(&db->lock);
        (void)EXEC(db, "DELETE FROM snapshots WHERE id = CAST(? AS INTEGER)", sid);
        pthread_mutex_unlock(&db->lock);
}

int ross_db_snapshot_get(RossDb *db, const char *chain_id, RossSnapshotRow *ret)
{
        int r = -ENOENT;
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st = ross_db_prep(db,
                                        "SELECT id, state = 'committed', size FROM snapshots "
                                        "WHERE chain_id = ?",
                                        1, ARGS(chain_id));
        if (sqlite3_step(st) == SQLITE_ROW) {
                ret->id = sqlite3_column_int64(st, 0);
                ret->committed = sqlite3_column_int(st, 1) != 0;
                ret->size = sqlite3_column_int64(st, 2);
                r = 0;
        }
        sqlite3_finalize(st);
        pthread_mutex_unlock(&db->lock);
        return r;
}

static json_t *rows(RossDb *db, const char *sql, int n, const char *const *args)
{
        json_t *a = json_array();
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st = ross_db_prep(db, sql, n, args);
        while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(a,
                                      json_pack("{s:I, s:s, s:b}", "id",
                                                (json_int_t)sqlite3_column_int64(st, 0), "chain_id",
                                                (const char *)sqlite3_column_text(st, 1),
                                                "committed", sqlite3_column_int(st, 2)));
        sqlite3_finalize(st);
        pthread_mutex_unlock(&db->lock);
        return a;
}

json_t *ross_db_snapshot_list(RossDb *db)
{
        return rows(db, "SELECT id, chain_id, state = 'committed' FROM snapshots ORDER BY id", 0,
                    NULL);
}

json_t *ross_db_snapshot_unused(RossDb *db)
{
        return rows(db,
                    "SELECT id, chain_id, 1 FROM snapshots WHERE state = 'committed' AND "
                    "chain_id NOT IN (SELECT chain_id FROM image_snapshots) ORDER BY id DESC",
                    0, NULL);
}

json_t *ross_db_image_snapshot_ids(RossDb *db, const char *image_id)
{
        json_t *a = json_array();
        pthread_mutex_lock(&db->lock);
        sqlite3_stmt *st = ross_db_prep(db,
                                        "SELECT s.id FROM image_snapshots i JOIN snapshots s ON "
                                        "s.chain_id = i.chain_id WHERE i.image_id = ? AND "
                                        "s.state = 'committed' ORDER BY i.idx",
                                        1, ARGS(image_id));
        while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(a, json_integer(sqlite3_column_int64(st, 0)));
        sqlite3_finalize(st);
        pthread_mutex_unlock(&db->lock);
        return a;
}
