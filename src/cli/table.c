/* SPDX-License-Identifier: Apache-2.0 */
#include "../basic/macros.h"
#include "table.h"

static size_t width_of(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        n++;
        return n;
}

void ross_table_add(RossTable *t, size_t n, const char *const *cells)
{
        if (!t->rows)
                t->rows = json_array();
        json_t *row = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(row, json_string_nocheck(cells[i] ? cells[i] : ""));
        json_array_append_new(t->rows, row);
}

void ross_table_add_json(RossTable *t, json_t *cells)
{
        if (!t->rows)
                t->rows = json_array();
        json_t *row = json_array(), *c;
        size_t i;
        json_array_foreach (cells, i, c)
                json_array_append_new(row, json_string_nocheck(json_string_value(c) ?: ""));
        json_array_append_new(t->rows, row);
}

void ross_table_print(const RossTable *t, FILE *f, size_t minwidth, size_t padding)
{
        size_t ncols = 0, i;
        json_t *row;
        json_array_foreach (t->rows, i, row)
                if (json_array_size(row) > ncols)
                        ncols = json_array_size(row);
        _cleanup_free_ size_t *w = calloc(ncols ? ncols : 1, sizeof(size_t));
        if (!w)
                abort();
        json_array_foreach (t->rows, i, row)
                for (size_t k = 0; k + 1 < json_array_size(row); k++) {
                        size_t n = width_of(json_string_value(json_array_get(row, k))) + padding;
                        if (n > w[k])
                                w[k] = n;
                }
        json_array_foreach (t->rows, i, row) {
                size_t n = json_array_size(row);
                for (size_t k = 0; k < n; k++) {
                        const char *s = json_string_value(json_array_get(row, k));
                        fputs(s, f);
                        if (k + 1 < n) {
                                size_t col = w[k] > minwidth ? w[k] : minwidth;
                                for (size_t p = width_of(s); p < col; p++)
                                        fputc(' ', f);
                        }
                }
                fputc('\n', f);
        }
}

void ross_table_done(RossTable *t)
{
        json_decref(t->rows);
        t->rows = NULL;
}
