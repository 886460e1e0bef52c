/* SPDX-License-Identifier: Apache-2.0 */
/* Where blobs are known to be (blob_sources), and what a push records. */
#include <time.h>

#include "../basic/cleanup-sqlite.h"
#include "../basic/log.h"
#include "db-internal.h"

int ross_db_blob_source_put(RossDb *db, const char *digest, const char *repo)
{
        char added[32];
        snprintf(added, sizeof(added), "%lld", (long long)time(NULL));
        return EXEC(db,
                    "INSERT OR REPLACE INTO blob_sources(digest, repo, added) "
                    "VALUES (?, ?, CAST(? AS INTEGER))",
                    digest, repo, added);
}

json_t *ross_db_blob_sources(RossDb *db, const char *digest)
{
        json_t *a = NULL;
        DB_LOCKED(db);
        if (ross_db_query_strs_checked(db,
                                       "SELECT repo FROM blob_sources WHERE digest = ? "
                                       "ORDER BY added DESC, rowid DESC LIMIT 16",
                                       1, ARGS(digest), &a) < 0)
                log_debug("blob sources of %s: database: %s", digest, sqlite3_errmsg(db->h));
        return a;
}

int ross_db_push_record(RossDb *db, const char *image_id, const char *repo, const char *digest,
                        json_t *digests, RossError *err)
{
        json_t *v;
        size_t i;
        int r;

        DB_LOCKED(db);
        if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return ross_errx(err, EIO, "record push of %s: database: %s", repo,
                                 sqlite3_errmsg(db->h));
        _cleanup_free_ char *have =
                ross_db_query_str(db, "SELECT id FROM images WHERE id = ?", 1, ARGS(image_id));
        r = 0;
        if (have) {
                r = EXEC(db,
                         "INSERT OR REPLACE INTO repo_digests(name, digest, image_id) "
                         "VALUES (?,?,?)",
                         repo, digest, image_id);
                json_array_foreach (digests, i, v)
                        if (r == 0)
                                r = ross_db_blob_source_put(db, json_string_value(v), repo);
        }
        if (r == 0 && sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                r = -EIO;
        if (r < 0) {
                r = ross_errx(err, EIO, "record push of %s: database: %s", repo,
                              sqlite3_errmsg(db->h));
                sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        }
        return r;
}

int ross_db_repo_tags(RossDb *db, const char *name, json_t **ret, RossError *err)
{
        _cleanup_free_ char *prefix = xasprintf("%s:", name);
        json_t *a = NULL;
        DB_LOCKED(db);
        int r = ross_db_query_strs_checked(db,
                                           "SELECT substr(name, length(?1) + 1) FROM tags WHERE "
                                           "substr(name, 1, length(?1)) = ?1 ORDER BY name",
                                           1, ARGS(prefix), &a);
        if (r < 0) {
                json_decref(a);
                return ross_errx(err, EIO, "list the tags of %s: database: %s", name,
                                 sqlite3_errmsg(db->h));
        }
        *ret = a;
        return 0;
}
