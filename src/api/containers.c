/* SPDX-License-Identifier: Apache-2.0 */
#include <poll.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../container/config.h"
#include "../container/containers.h"
#include "../shim/log.h"
#include "../daemon/daemon.h"
#include "filters.h"
#include "../container/container-events.h"
#include "handlers.h"

static RossContainers *svc(RossRequest *req)
{
        return &req->daemon->containers;
}

enum MHD_Result ross_api_containers_create(RossRequest *req)
{
        RossError err = {};
        json_error_t jerr;
        _cleanup_free_ char *id = NULL;
        json_t *body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
        if (!body)
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "invalid JSON: %s", jerr.text);
        int r = ross_containers_create(svc(req), body, ross_req_query(req, "name"), &id, &err);
        json_decref(body);
        if (r < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_CREATED,
                               json_pack("{s:s, s:[]}", "Id", id, "Warnings"));
}

typedef struct AutoRemove {
        RossContainers *c;
        char *id;
} AutoRemove;

static void *auto_remove(void *ud)
{
        AutoRemove *a = ud;
        int code;
        (void)ross_containers_wait(a->c, a->id, &code, NULL);
        (void)ross_containers_remove(a->c, a->id, true, true, NULL);
        free(a->id);
        free(a);
        return NULL;
}

enum MHD_Result ross_api_container_start(RossRequest *req, const char *ref)
{
        RossError err = {};
        int exec_status = 0;
        if (ross_containers_start(svc(req), ref, &exec_status, &err) < 0) {
                /* Docker: starting a running container is 304 Not Modified */
                if (err.code == EALREADY)
                        return ross_reply_empty(req, MHD_HTTP_NOT_MODIFIED);
                if (exec_status == 126 || exec_status == 127)
                        return ross_reply_json(req, MHD_HTTP_BAD_REQUEST,
                                               json_pack("{s:s}", "message", err.msg));
                return ross_reply_error(req, &err);
        }
        json_t *info = NULL;
        if (ross_containers_inspect(svc(req), ref, &info, NULL) == 0 &&
            json_is_true(json_object_get(json_object_get(info, "HostConfig"), "AutoRemove"))) {
                /* --rm is the daemon's job, so it works with -d too */
                AutoRemove *a = xcalloc(1, sizeof(*a));
                a->c = svc(req);
                a->id = xstrdup(json_string_value(json_object_get(info, "Id")));
                pthread_t th;
                if (pthread_create(&th, NULL, auto_remove, a) == 0)
                        pthread_detach(th);
                else {
                        free(a->id);
                        free(a);
                }
        }
        json_decref(info);
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}

typedef struct WaitJob {
        RossContainers *c;
        char *id;
        char *cond;
        double t; /* when the request came */
        int wfd;
} WaitJob;

static void *wait_thread(void *ud)
{
        WaitJob *w = ud;
        int code = 0;
        bool next = w->cond && (STREQ(w->cond, "next-exit") || STREQ(w->cond, "removed"));
        bool removed = w->cond && STREQ(w->cond, "removed");

        /* an exit that happens after the request (docker run asks before it starts) */
        if (next)
                ross_containers_wait_next_exit(w->c, w->id, w->t);
        if (ross_containers_wait(w->c, w->id, &code, NULL) < 0)
                (void)ross_containers_removed_exit(w->id, &code);
        if (removed)
                ross_containers_wait_removed(w->c, w->id);
        char body[96];
        int n = snprintf(body, sizeof(body), "{\"StatusCode\":%d,\"Error\":null}\n", code);
        (void)ross_write_all(w->wfd, body, (size_t)n);
        close(w->wfd);
        free(w->id);
        free(w->cond);
        free(w);
        return NULL;
}

enum MHD_Result ross_api_container_wait(RossRequest *req, const char *ref)
{
        RossError err = {};
        _cleanup_free_ char *id = NULL;
        const char *cond = ross_req_query(req, "condition");
        if (ross_containers_resolve(svc(req), ref, &id, &err) < 0) {
                /* removed a moment ago (--rm): its exit code is still known by its id */
                int code;
                if (err.code == ENOENT && ross_containers_removed_exit(ref, &code))
                        return ross_reply_json(
                                req, MHD_HTTP_OK,
                                json_pack("{s:i, s:n}", "StatusCode", code, "Error"));
                return ross_reply_error(req, &err);
        }
        /* The status line goes out at once, the body when the container exits: Docker's
         * client waits for the headers before it starts the container. */
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "pipe: %m");
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        WaitJob *w = xcalloc(1, sizeof(*w));
        w->c = svc(req);
        w->id = xstrdup(id);
        w->cond = cond ? xstrdup(cond) : NULL;
        w->t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
        w->wfd = p[1];
        pthread_t th;
        if (pthread_create(&th, NULL, wait_thread, w) != 0) {
                close(p[0]);
                close(p[1]);
                free(w->id);
                free(w->cond);
                free(w);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no thread");
        }
        pthread_detach(th);
        return ross_reply_stream(req, p[0], "application/json");
}

enum MHD_Result ross_api_container_kill(RossRequest *req, const char *ref)
{
        RossError err = {};
        if (ross_containers_kill(svc(req), ref, ross_req_query(req, "signal"), &err) < 0) {
                /* Docker's router wraps every kill error so */
                ross_err_prefix(&err, "cannot kill container: %s", ref);
                return ross_reply_error(req, &err);
        }
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}

/* ?t=N for stop and restart: seconds before SIGKILL; -1 (absent): the container's own. */
static int stop_timeout(RossRequest *req, int *ret, RossError *err)
{
        const char *t = ross_req_query(req, "t");
        *ret = -1;
        if (!t)
                return 0;
        if (ross_parse_int(t, -1, 24 * 3600, ret) < 0)
                return ross_errx(err, EINVAL,
                                 "invalid value for t: '%s' is not a number of seconds (-1 to "
                                 "86400)",
                                 t);
        return 0;
}

enum MHD_Result ross_api_container_stop(RossRequest *req, const char *ref)
{
        RossError err = {};
        int t;
        if (stop_timeout(req, &t, &err) < 0 || ross_containers_stop(svc(req), ref, t, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result ross_api_container_delete(RossRequest *req, const char *ref)
{
        RossError err = {};
        bool force, volumes;
        if (ross_req_bool(req, "force", false, &force, &err) < 0 ||
            ross_req_bool(req, "v", false, &volumes, &err) < 0 ||
            ross_containers_remove(svc(req), ref, force, volumes, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}

static int resolve_container(void *ud, const char *ref, char **ret_id, RossError *err)
{
        return ross_containers_resolve(ud, ref, ret_id, err);
}

static int resolve_image(void *ud, const char *ref, char **ret_id, RossError *err)
{
        RossContainers *c = ud;
        return ross_db_image_resolve(c->db, ref, ret_id, err);
}

enum MHD_Result ross_api_containers_list(RossRequest *req)
{
        RossError err = {};
        RossContainerFilter cf = {};
        RossFilterResolvers res = {resolve_container, resolve_image, svc(req)};
        bool all, size;
        int limit = -1;
        const char *lim = ross_req_query(req, "limit");
        _cleanup_(ross_buf_free) RossBuf list = {};
        if (ross_req_bool(req, "all", false, &all, &err) < 0 ||
            ross_req_bool(req, "size", false, &size, &err) < 0)
                return ross_reply_error(req, &err);
        if (!STR_EMPTY(lim) && ross_parse_int(lim, INT32_MIN, INT32_MAX, &limit) < 0)
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                         "invalid value for limit: '%s' is not a number", lim);
        if (ross_container_filter_init(&cf, ross_req_query(req, "filters"), all, limit, &res,
                                       &err) < 0)
                return ross_reply_error(req, &err);
        int r = ross_containers_list_text(svc(req), ross_container_filter_pick, &cf, &list, &err);
        ross_container_filter_done(&cf);
        if (r < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json_text(req, MHD_HTTP_OK, &list);
}

enum MHD_Result ross_api_container_inspect(RossRequest *req, const char *ref)
{
        RossError err = {};
        _cleanup_(ross_buf_free) RossBuf o = {};
        if (ross_containers_inspect_text(svc(req), ref, &o, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json_text(req, MHD_HTTP_OK, &o);
}

/* ---- logs: the JSON-lines files as Docker's stream, followed if asked ---- */

typedef struct LogStream {
        RossContainers *c;
        char *id, *path;
        bool out, err_, follow, timestamps, tty;
        int64_t tail;        /* -1: all */
        double since, until; /* 0: none */
        int wfd;
} LogStream;

static void log_stream_free(LogStream *ls)
{
        if (!ls)
                return;
        safe_close(ls->wfd);
        free(ls->id);
        free(ls->path);
        free(ls);
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One entry for the client, if its stream and time are asked for (framed unless the
 * container has a tty); false when the client is gone. */
static bool take_entry(LogStream *ls, int stream, const RossBuf *text, const char *when)
{
        if ((stream == 1 && !ls->out) || (stream == 2 && !ls->err_))
                return true;
        if (ls->since > 0 || ls->until > 0) {
                double t = ross_parse_rfc3339(when);
                if ((ls->since > 0 && t < ls->since) || (ls->until > 0 && t > ls->until))
                        return true;
        }
        _cleanup_(ross_buf_free) RossBuf b = {};
        if (ls->timestamps)
                ross_buf_printf(&b, "%s ", when);
        ross_buf_append(&b, text->data ? text->data : "", text->len);
        if (!ls->tty) {
                unsigned char h[8] = {(unsigned char)stream,
                                      0,
                                      0,
                                      0,
                                      (unsigned char)(b.len >> 24),
                                      (unsigned char)(b.len >> 16),
                                      (unsigned char)(b.len >> 8),
                                      (unsigned char)b.len};
                if (ross_write_all(ls->wfd, h, 8) < 0)
                        return false;
        }
        return ross_write_all(ls->wfd, b.data, b.len) == 0;
}

/* With follow: until the log is written to, the client goes or a quarter second passed. */
static void wait_for_more(LogStream *ls, int ino)
{
        struct pollfd p[2] = {{.fd = ino, .events = POLLIN}, {.fd = ls->wfd, .events = 0}};
        if (poll(p, 2, 250) > 0 && (p[0].revents & POLLIN)) {
                char evbuf[4096];
                while (read(ino, evbuf, sizeof(evbuf)) > 0)
                        ;
        }
}

static void *log_thread(void *ud)
{
        LogStream *ls = ud;
        /* woken by writes to the log, its rotations, and the exit file appearing beside it */
        _cleanup_close_ int ino = ls->follow ? inotify_init1(IN_CLOEXEC | IN_NONBLOCK) : -EBADF;
        if (ino >= 0) {
                _cleanup_free_ char *dir = xstrdup(ls->path);
                char *slash = strrchr(dir, '/');
                if (slash)
                        *slash = '\0';
                inotify_add_watch(ino, dir,
                                  IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE);
        }
        ShimLogReader r;
        int k = shim_log_reader_open(&r, ls->path, ls->follow, ls->tail);
        if (k < 0)
                log_debug("logs of %.12s: open '%s': %s", ls->id, ls->path, strerror(-k));
        _cleanup_(ross_buf_free) RossBuf text = {}, when = {};
        bool gone = false;
        for (bool last = false; k >= 0;) {
                int stream = 0;
                while (!gone &&
                       (text.len = 0, k = shim_log_reader_next(&r, &stream, &text, &when)) > 0)
                        gone = !take_entry(ls, stream, &text, when.data ? when.data : "");
                if (k < 0)
                        log_debug("logs of %.12s: read: %s", ls->id, strerror(-k));
                if (gone || k < 0 || !ls->follow || last)
                        break;
                /* until passed, or the container is gone: what is there yet, then the end */
                if ((ls->until > 0 && now_s() >= ls->until) ||
                    !ross_containers_running(ls->c, ls->id)) {
                        last = true;
                        continue;
                }
                wait_for_more(ls, ino);
        }
        shim_log_reader_close(&r);
        log_stream_free(ls);
        return NULL;
}

static int log_options(RossRequest *req, LogStream *ls, RossError *err)
{
        int r;
        if ((r = ross_req_bool(req, "stdout", false, &ls->out, err)) < 0 ||
            (r = ross_req_bool(req, "stderr", false, &ls->err_, err)) < 0 ||
            (r = ross_req_bool(req, "follow", false, &ls->follow, err)) < 0 ||
            (r = ross_req_bool(req, "timestamps", false, &ls->timestamps, err)) < 0 ||
            (r = ross_req_time(req, "since", &ls->since, err)) < 0 ||
            (r = ross_req_time(req, "until", &ls->until, err)) < 0)
                return r;
        /* Docker: "all", or a count of lines (a negative one is all) */
        const char *tail = ross_req_query(req, "tail");
        int64_t t = -1;
        if (!STR_EMPTY(tail) && !STREQ(tail, "all") &&
            ross_parse_i64(tail, INT64_MIN, INT64_MAX, &t) < 0)
                return ross_errx(err, EINVAL, "invalid value for tail: '%s' is not a number", tail);
        ls->tail = t < 0 ? -1 : t;
        if (!ls->out && !ls->err_)
                ls->out = ls->err_ = true;
        return 0;
}

enum MHD_Result ross_api_container_logs(RossRequest *req, const char *ref)
{
        RossError err = {};
        _cleanup_free_ char *id = NULL;
        json_auto_t *info = NULL, *row = NULL;
        if (ross_containers_resolve(svc(req), ref, &id, &err) < 0 ||
            ross_containers_inspect(svc(req), id, &info, &err) < 0)
                return ross_reply_error(req, &err);
        LogStream *ls = xcalloc(1, sizeof(*ls));
        ls->c = svc(req);
        ls->id = xstrdup(id);
        ls->path = ross_containers_log_path(svc(req), id);
        ls->tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
        ls->wfd = -EBADF;
        if (log_options(req, ls, &err) < 0) {
                log_stream_free(ls);
                return ross_reply_error(req, &err);
        }
        /* a container that logs nothing: Docker's answer for a driver it cannot read */
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        if (ross_containers_config_load(svc(req), id, &row, &cfg, NULL) == 0 && cfg.log.none) {
                log_stream_free(ls);
                return ross_reply_errorf(req, MHD_HTTP_NOT_IMPLEMENTED,
                                         "configured logging driver does not support reading");
        }

        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                log_stream_free(ls);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "pipe: %m");
        }
        const bool tty = ls->tty;
        ls->wfd = p[1];
        pthread_t th;
        if (pthread_create(&th, NULL, log_thread, ls) != 0) {
                close(p[0]);
                log_stream_free(ls);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no thread");
        }
        pthread_detach(th);
        /* ls belongs to the thread now */
        return ross_reply_stream(req, p[0],
                                 tty ? "application/vnd.docker.raw-stream"
                                     : "application/vnd.docker.multiplexed-stream");
}

enum MHD_Result ross_api_container_rename(RossRequest *req, const char *ref)
{
        RossError err = {};
        if (ross_containers_rename(svc(req), ref, ross_req_query(req, "name"), &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result ross_api_container_pause(RossRequest *req, const char *ref, bool pause)
{
        RossError err = {};
        if (ross_containers_pause(svc(req), ref, pause, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result ross_api_container_update(RossRequest *req, const char *ref)
{
        RossError err = {};
        json_auto_t *body = ross_req_json_object(req, &err);
        if (!body || ross_containers_update(svc(req), ref, body, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, json_pack("{s:[]}", "Warnings"));
}

enum MHD_Result ross_api_container_restart(RossRequest *req, const char *ref)
{
        RossError err = {};
        int exec_status = 0, t;
        if (stop_timeout(req, &t, &err) < 0 || ross_containers_stop(svc(req), ref, t, &err) < 0 ||
            ross_containers_start(svc(req), ref, &exec_status, &err) < 0)
                return ross_reply_error(req, &err);
        _cleanup_free_ char *id = NULL;
        if (ross_containers_resolve(svc(req), ref, &id, NULL) == 0)
                ross_container_event(svc(req), id, "restart", NULL);
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}
