/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <unistd.h>

#include "progress.h"

void ross_progress_init(RossProgress *p, FILE *out, bool quiet)
{
        memset(p, 0, sizeof(*p));
        p->out = out;
        p->quiet = quiet;
        p->tty = isatty(fileno(out)) && getenv("TERM") && !STREQ(getenv("TERM"), "dumb");
}

void ross_progress_done(RossProgress *p)
{
        for (size_t i = 0; i < p->n_ids; i++) {
                free(p->ids[i]);
                free(p->last[i]);
        }
        free(p->ids);
        free(p->last);
        free(p->digest);
        free(p->note);
        p->ids = p->last = NULL;
        p->digest = p->note = NULL;
        p->n_ids = 0;
}

static size_t id_index(RossProgress *p, const char *id, bool *is_new)
{
        for (size_t i = 0; i < p->n_ids; i++)
                if (STREQ(p->ids[i], id)) {
                        *is_new = false;
                        return i;
                }
        p->ids = xrealloc(p->ids, (p->n_ids + 1) * sizeof(char *));
        p->last = xrealloc(p->last, (p->n_ids + 1) * sizeof(char *));
        p->ids[p->n_ids] = xstrdup(id);
        p->last[p->n_ids] = NULL;
        *is_new = true;
        return p->n_ids++;
}

/* Strip control characters: the stream comes from the network by way of the daemon. */
static void clean(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < ' ' || *s == 0x7f)
                        *s = '?';
}

int ross_progress_line(void *userdata, const char *line, size_t len)
{
        RossProgress *p = userdata;
        json_auto_t *j = json_loadb(line, len, 0, NULL);
        if (!j)
                return 0;

        const char *error = json_string_value(json_object_get(j, "error"));
        if (error) {
                if (!p->error.code)
                        ross_errx(&p->error, EIO, "%s", error);
                return 0;
        }
        /* aux lines carry results, not lines to print (a push's {"Tag", "Digest", "Size"}) */
        json_t *aux = json_object_get(j, "aux");
        if (json_is_object(aux) && !json_object_get(j, "status")) {
                const char *d = json_string_value(json_object_get(aux, "Digest"));
                if (d) {
                        free(p->digest);
                        p->digest = xstrdup(d);
                        clean(p->digest);
                }
                if (json_is_true(json_object_get(aux, "manifestPushedInsteadOfIndex"))) {
                        const char *from = json_string_value(
                                json_object_get(json_object_get(aux, "originalIndex"), "digest"));
                        const char *to = json_string_value(json_object_get(
                                json_object_get(aux, "selectedManifest"), "digest"));
                        free(p->note);
                        p->note = xasprintf("Not all multiplatform-content is present and only "
                                            "the available single-platform image was pushed\n"
                                            "%s -> %s",
                                            from ? from : "?", to ? to : "?");
                        clean(p->note + strcspn(p->note, "\n") + 1);
                }
                return 0;
        }
        const char *id_raw = json_string_value(json_object_get(j, "id"));
        const char *status_raw = json_string_value(json_object_get(j, "status"));
        const char *bar_raw = json_string_value(json_object_get(j, "progress"));
        _cleanup_free_ char *id = id_raw ? xstrdup(id_raw) : NULL;
        _cleanup_free_ char *status = xstrdup(status_raw ? status_raw : "");
        _cleanup_free_ char *bar = bar_raw ? xstrdup(bar_raw) : NULL;
        if (id)
                clean(id);
        clean(status);
        if (bar)
                clean(bar);

        if (strncmp(status, "Digest: ", 8) == 0) {
                free(p->digest);
                p->digest = xstrdup(status + 8);
        }
        if (p->quiet)
                return 0;

        if (!id) {
                fprintf(p->out, "%s\n", status);
                fflush(p->out);
                return 0;
        }

        bool is_new;
        size_t i = id_index(p, id, &is_new);
        if (p->tty) {
                /* Each id owns a line; redraw it where it is. */
                if (is_new)
                        fprintf(p->out, "\n");
                size_t up = p->n_ids - i;
                fprintf(p->out, "\033[%zuA\r\033[2K%s: %s%s%s\033[%zuB\r", up, id, status,
                        bar ? " " : "", bar ? bar : "", up);
        } else {
                if (p->last[i] && STREQ(p->last[i], status))
                        return 0;
                free(p->last[i]);
                p->last[i] = xstrdup(status);
                fprintf(p->out, "%s: %s\n", id, status);
        }
        fflush(p->out);
        return 0;
}
