/* SPDX-License-Identifier: Apache-2.0 */
/* GET /events: the daemon's events (src/event/events.h) as Docker streams them, a JSON
 * object a line, from `since` (kept history) on, until `until` or the client goes, with
 * Docker's filters. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../event/events.h"
#include "filters.h"
#include "handlers.h"

typedef struct EventStream {
        RossFilters f;
        double since, until; /* 0: none */
        int wfd;
} EventStream;

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* An id filter value matches the whole id or its start; a name matches whole. */
static bool id_or_name(const RossFilters *f, const char *key, const char *id, const char *name)
{
        json_t *values = ross_filters_values(f, key);
        const char *v;
        json_t *unused;
        if (!values)
                return true;
        json_object_foreach (values, v, unused) {
                if (id && *v && strncmp(id, v, strlen(v)) == 0)
                        return true;
                if (name && STREQ(name, v))
                        return true;
        }
        return false;
}

static bool keep(const EventStream *es, json_t *e)
{
        const RossFilters *f = &es->f;
        const char *type = json_string_value(json_object_get(e, "Type"));
        const char *action = json_string_value(json_object_get(e, "Action"));
        json_t *actor = json_object_get(e, "Actor");
        const char *id = json_string_value(json_object_get(actor, "ID"));
        json_t *attrs = json_object_get(actor, "Attributes");
        const char *name = json_string_value(json_object_get(attrs, "name"));
        if (ross_filters_contains(f, "type") && !ross_filters_exact(f, "type", type))
                return false;
        /* "health_status: healthy" is matched by health_status too */
        if (ross_filters_contains(f, "event")) {
                _cleanup_free_ char *head = xstrdup(action ? action : "");
                char *colon = strchr(head, ':');
                if (colon)
                        *colon = '\0';
                if (!ross_filters_exact(f, "event", action) &&
                    !ross_filters_exact(f, "event", head))
                        return false;
        }
        if (ross_filters_contains(f, "scope") && !ross_filters_exact(f, "scope", "local"))
                return false;
        if (ross_filters_contains(f, "label") && !ross_filters_match_kv(f, "label", attrs))
                return false;
        if (ross_filters_contains(f, "container") &&
            (!STREQ(type, "container") || !id_or_name(f, "container", id, name)))
                return false;
        if (ross_filters_contains(f, "image")) {
                const char *image = STREQ(type, "image")
                                            ? id
                                            : json_string_value(json_object_get(attrs, "image"));
                if (!image || (!ross_filters_exact(f, "image", image) &&
                               !id_or_name(f, "image", image, name)))
                        return false;
        }
        if (ross_filters_contains(f, "network") &&
            (!STREQ(type, "network") || !id_or_name(f, "network", id, name)))
                return false;
        if (ross_filters_contains(f, "volume") &&
            (!STREQ(type, "volume") || !ross_filters_exact(f, "volume", id)))
                return false;
        if (ross_filters_contains(f, "daemon") && !STREQ(type, "daemon"))
                return false;
        return true;
}

/* The reader went away: the response closed its end of the pipe. */
static bool reader_gone(int wfd)
{
        struct pollfd p = {.fd = wfd, .events = POLLOUT};
        return poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP));
}

static void *event_thread(void *ud)
{
        EventStream *es = ud;
        uint64_t cursor = ross_events_cursor(es->since);
        for (;;) {
                json_t *e = NULL;
                bool past = es->until > 0 && now_s() >= es->until;
                int r = ross_events_next(&cursor, &e, past ? 0 : 500);
                if (r == 1) {
                        double t = (double)json_integer_value(json_object_get(e, "timeNano")) / 1e9;
                        if (es->until > 0 && t > es->until) {
                                json_decref(e);
                                break;
                        }
                        bool ok = true;
                        if (keep(es, e)) {
                                /* one write with its newline: a client splitting the
                                 * stream at chunk ends never sees a lone "\n" */
                                _cleanup_free_ char *line = json_dumps(e, JSON_COMPACT);
                                _cleanup_free_ char *nl = xasprintf("%s\n", line);
                                ok = ross_write_all(es->wfd, nl, strlen(nl)) == 0;
                        }
                        json_decref(e);
                        if (!ok)
                                break;
                        continue;
                }
                if (past || reader_gone(es->wfd))
                        break;
        }
        close(es->wfd);
        ross_filters_done(&es->f);
        free(es);
        return NULL;
}

enum MHD_Result ross_api_events(RossRequest *req)
{
        static const char *const accepted[] = {"type",    "event",  "container", "image", "label",
                                               "network", "volume", "daemon",    "scope", NULL};
        RossError err = {};
        EventStream *es = xcalloc(1, sizeof(*es));
        if (ross_req_time(req, "since", &es->since, &err) < 0 ||
            ross_req_time(req, "until", &es->until, &err) < 0 ||
            ross_filters_parse(ross_req_query(req, "filters"), &es->f, &err) < 0 ||
            ross_filters_validate(&es->f, accepted, &err) < 0) {
                ross_filters_done(&es->f);
                free(es);
                return ross_reply_error(req, &err);
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                ross_filters_done(&es->f);
                free(es);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "pipe: %m");
        }
        es->wfd = p[1];
        pthread_t th;
        if (pthread_create(&th, NULL, event_thread, es) != 0) {
                close(p[0]);
                close(p[1]);
                ross_filters_done(&es->f);
                free(es);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no thread");
        }
        pthread_detach(th);
        return ross_reply_stream(req, p[0], "application/json");
}
