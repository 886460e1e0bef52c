/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the db*.c files only. */
#pragma once

#include <pthread.h>
#include <sqlite3.h>

#include "db.h"

struct RossDb {
        sqlite3 *h;
        pthread_mutex_t lock;
        /* one more at each write to the containers table (ross_db_container_generation) */
        uint64_t containers_gen;
};

/* A write to the containers table was made (or tried): caller holds the lock. */
static inline void ross_db_containers_changed(RossDb *db)
{
        __atomic_add_fetch(&db->containers_gen, 1, __ATOMIC_SEQ_CST);
}

/* Take db->lock for the rest of the scope: DB_LOCKED(db); before the scope's statements, so
 * that they are finalized (and SQLite's error message read) before the lock goes
 * (cleanups run in the reverse order of declaration). */
static inline RossDb *ross_db_lock(RossDb *db)
{
        pthread_mutex_lock(&db->lock);
        return db;
}

static inline void ross_db_unlockp(RossDb **db)
{
        if (*db)
                pthread_mutex_unlock(&(*db)->lock);
}

#define DB_LOCKED(db) _cleanup_(ross_db_unlockp) _unused_ RossDb *_db_locked_ = ross_db_lock(db)

/* Prepare, bind text arguments (NULL allowed), and return the statement. A bad statement is
 * a bug in Ross, not a runtime condition: it aborts. */
sqlite3_stmt *ross_db_prep(RossDb *db, const char *sql, int n, const char *const *args);
/* Run one statement; -EIO on failure. Caller holds the lock. */
int ross_db_exec(RossDb *db, const char *sql, int n, const char *const *args);
/* First column of the first row as a string, or NULL. Caller holds the lock. */
char *ross_db_query_str(RossDb *db, const char *sql, int n, const char *const *args);
/* All values of the first column as a JSON array of strings. Caller holds the lock. */
json_t *ross_db_query_strs(RossDb *db, const char *sql, int n, const char *const *args);
/* The same, telling a database failure (-EIO; sqlite3_errmsg(db->h) says what, until the
 * lock is let go) from no row (0, *ret NULL). Caller holds the lock. */
int ross_db_query_str_checked(RossDb *db, const char *sql, int n, const char *const *args,
                              char **ret);
/* *ret is always set (what was read before a failure); -EIO on a failure. */
int ross_db_query_strs_checked(RossDb *db, const char *sql, int n, const char *const *args,
                               json_t **ret);

/* Record that repo ("domain/path") has the blob digest (db_sources.c). Caller holds the
 * lock. */
int ross_db_blob_source_put(RossDb *db, const char *digest, const char *repo);

#define ARGS(...)                                                                                  \
        (const char *const[])                                                                      \
        {                                                                                          \
                __VA_ARGS__                                                                        \
        }
#define NARGS(...)         ((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))
#define EXEC(db, sql, ...) ross_db_exec(db, sql, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__))
