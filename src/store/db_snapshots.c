/* SPDX-License-Identifier: Apache-2.0 */
#include <time.h>

#include "../basic/cleanup-sqlite.h"
#include "../basic/log.h"
#include "db-internal.h"

int ross_db_snapshot_reserve(RossDb *db, const char *chain_id, const char *parent,
                             const char *diff_id, int64_t *ret_id, RossError *err)
{
        char now[32];
        snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db,
                             "INSERT INTO snapshots(chain_id, parent, diff_id, state, created) "
                             "VALUES (?, ?, ?, 'unpacking', CAST(? AS INTEGER))",
                             4, ARGS(chain_id, parent, diff_id, now));
        int rc = sqlite3_step(st);
        if (rc == SQLITE_CONSTRAINT)
                return -EEXIST;
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "reserve snapshot %s: database: %s", chain_id,
                                 sqlite3_errmsg(db->h));
        *ret_id = sqlite3_last_insert_rowid(db->h);
        return 0;
}

int ross_db_snapshot_commit(RossDb *db, int64_t id, int64_t size, RossError *err)
{
        char sid[32], ssize[32];
        snprintf(sid, sizeof(sid), "%lld", (long long)id);
        snprintf(ssize, sizeof(ssize), "%lld", (long long)size);
        DB_LOCKED(db);
        if (EXEC(db,
                 "UPDATE snapshots SET state = 'committed', size = CAST(? AS INTEGER) "
                 "WHERE id = CAST(? AS INTEGER)",
                 ssize, sid) < 0)
                return ross_errx(err, EIO, "commit snapshot %lld: database: %s", (long long)id,
                                 sqlite3_errmsg(db->h));
        return 0;
}

void ross_db_snapshot_delete(RossDb *db, int64_t id)
{
        char sid[32];
        snprintf(sid, sizeof(sid), "%lld", (long long)id);
        DB_LOCKED(db);
        /* the row stays: recovery at the next start drops it with its tree */
        if (EXEC(db, "DELETE FROM snapshots WHERE id = CAST(? AS INTEGER)", sid) < 0)
                log_debug("forget snapshot %s: %s", sid, sqlite3_errmsg(db->h));
}

int ross_db_snapshot_get(RossDb *db, const char *chain_id, RossSnapshotRow *ret)
{
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(
                db, "SELECT id, state = 'committed', size FROM snapshots WHERE chain_id = ?", 1,
                ARGS(chain_id));
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW) {
                log_debug("read snapshot %s: %s", chain_id, sqlite3_errmsg(db->h));
                return -EIO;
        }
        ret->id = sqlite3_column_int64(st, 0);
        ret->committed = sqlite3_column_int(st, 1) != 0;
        ret->size = sqlite3_column_int64(st, 2);
        return 0;
}

static int rows(RossDb *db, const char *sql, int n, const char *const *args, json_t **ret,
                RossError *err)
{
        json_auto_t *a = json_array();
        int rc;
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(db, sql, n, args);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                json_array_append_new(a,
                                      json_pack("{s:I, s:s, s:b}", "id",
                                                (json_int_t)sqlite3_column_int64(st, 0), "chain_id",
                                                (const char *)sqlite3_column_text(st, 1),
                                                "committed", sqlite3_column_int(st, 2)));
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "list snapshots: %s", sqlite3_errmsg(db->h));
        *ret = TAKE_PTR(a);
        return 0;
}

int ross_db_snapshot_list(RossDb *db, json_t **ret, RossError *err)
{
        return rows(db, "SELECT id, chain_id, state = 'committed' FROM snapshots ORDER BY id", 0,
                    NULL, ret, err);
}

int ross_db_snapshot_unused(RossDb *db, json_t **ret, RossError *err)
{
        return rows(db,
                    "SELECT id, chain_id, 1 FROM snapshots WHERE state = 'committed' AND "
                    "chain_id NOT IN (SELECT chain_id FROM image_snapshots) ORDER BY id DESC",
                    0, NULL, ret, err);
}

int ross_db_image_snapshot_ids(RossDb *db, const char *image_id, json_t **ret, RossError *err)
{
        json_auto_t *a = json_array();
        int rc;
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st =
                ross_db_prep(db,
                             "SELECT s.id FROM image_snapshots i JOIN snapshots s ON "
                             "s.chain_id = i.chain_id WHERE i.image_id = ? AND "
                             "s.state = 'committed' ORDER BY i.idx",
                             1, ARGS(image_id));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                json_array_append_new(a, json_integer(sqlite3_column_int64(st, 0)));
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "read the snapshots of image %s: database: %s", image_id,
                                 sqlite3_errmsg(db->h));
        *ret = TAKE_PTR(a);
        return 0;
}

int ross_db_image_layers(RossDb *db, json_t **ret, RossError *err)
{
        json_auto_t *a = json_array();
        int rc;
        DB_LOCKED(db);
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = ross_db_prep(
                db,
                "SELECT i.image_id, s.id, s.size FROM image_snapshots i JOIN snapshots "
                "s ON s.chain_id = i.chain_id WHERE s.state = 'committed' ORDER BY "
                "i.image_id, i.idx",
                0, NULL);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "image",
                                                   (const char *)sqlite3_column_text(st, 0), "id",
                                                   (json_int_t)sqlite3_column_int64(st, 1), "size",
                                                   (json_int_t)sqlite3_column_int64(st, 2)));
        if (rc != SQLITE_DONE)
                return ross_errx(err, EIO, "read the images' layers: database: %s",
                                 sqlite3_errmsg(db->h));
        *ret = TAKE_PTR(a);
        return 0;
}
