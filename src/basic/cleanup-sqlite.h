/* SPDX-License-Identifier: Apache-2.0 */
/* Scope cleanup for SQLite statements: _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL; */
#pragma once

#include <sqlite3.h>

static inline void sqlite3_finalizep(sqlite3_stmt **p)
{
        if (*p)
                sqlite3_finalize(*p);
}
