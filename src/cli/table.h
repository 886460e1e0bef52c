/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Docker's tables (its tabwriter): each column as wide as its widest cell plus padding, and
 * at least minwidth; the last column is not padded. Cells are counted in characters (UTF-8).
 */
typedef struct RossTable {
        json_t *rows; /* arrays of strings */
} RossTable;

/* Add a row of n cells (a NULL cell is empty). */
void ross_table_add(RossTable *t, size_t n, const char *const *cells);
/* Add a row of the strings of a JSON array. */
void ross_table_add_json(RossTable *t, json_t *cells);
void ross_table_print(const RossTable *t, FILE *f, size_t minwidth, size_t padding);
void ross_table_done(RossTable *t);
