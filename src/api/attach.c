/* SPDX-License-Identifier: Apache-2.0 */
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../container/containers.h"
#include "../container/detach.h"
#include "../daemon/daemon.h"
#include "../shim/frame.h"
#include "handlers.h"

/*
 * POST /containers/{id}/attach: Docker's hijacked connection (101, Upgrade: tcp), joined to
 * the container's shim. The client's bytes become the container's stdin (until the detach
 * keys); the shim's frames go back as Docker's multiplexed stream, or raw with a tty. A
 * container that is not running yet is waited for: its start holds the output until this
 * client is connected, so nothing printed at once is lost.
 */
typedef struct AttachSession {
        RossContainers *c;
        char *id;
        char *exec_id; /* an exec's stream rather than the container's */
        bool tty, want_in, want_out, want_err;
        RossDetachKeys keys;
        int efd; /* waiting for the start: readable once it was tried; -EBADF when running */
        int sock, shim;
        struct MHD_UpgradeResponseHandle *urh;
        RossBuf early; /* the client's input before the shim was there */
        bool in_eof;   /* the client closed its side for writing */
} AttachSession;

static void session_free(AttachSession *a)
{
        if (a->efd >= 0) {
                ross_containers_attach_forget(a->c, a->efd);
                close(a->efd);
        }
        if (a->shim >= 0)
                close(a->shim);
        if (a->urh)
                MHD_upgrade_action(a->urh, MHD_UPGRADE_ACTION_CLOSE);
        ross_buf_free(&a->early);
        free(a->id);
        free(a->exec_id);
        free(a);
}

/* Input from the client for the container; false to end the session (detach keys). */
static bool forward_input(AttachSession *a, const char *p, size_t n)
{
        if (!a->want_in)
                return true;
        _cleanup_free_ char *out = xmalloc(n + ROSS_DETACH_KEYS_MAX);
        size_t on = 0;
        bool detach = ross_detach_keys_feed(&a->keys, p, n, out, &on);
        if (on && ross_frame_write(a->shim, ROSS_FRAME_STDIN, out, on) < 0)
                return false;
        if (detach)
                log_debug("attach to %.12s: detach keys read", a->id);
        return !detach;
}

/* Read from the client: data, EOF (half-close) or gone. Returns bytes, 0 EOF, <0 gone. */
static ssize_t read_client(AttachSession *a, char *buf, size_t n, short revents)
{
        ssize_t k = read(a->sock, buf, n);
        if (k > 0)
                return k;
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return -EAGAIN;
        if (k < 0)
                return -errno;
        /* shutdown(SHUT_WR) leaves the socket up; a close hangs it up */
        return (revents & POLLHUP) ? -EPIPE : 0;
}

/* Before the start: keep the client's input, watch for it going away. */
static bool wait_for_start(AttachSession *a)
{
        char buf[65536];
        for (;;) {
                struct pollfd p[2] = {{.fd = a->efd, .events = POLLIN},
                                      {.fd = a->in_eof ? -1 : a->sock, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return false;
                }
                if (p[0].revents)
                        return true;
                if (p[1].revents) {
                        ssize_t k = read_client(a, buf, sizeof(buf), p[1].revents);
                        if (k == -EAGAIN)
                                continue;
                        if (k < 0)
                                return false;
                        if (k == 0)
                                a->in_eof = true;
                        else if (a->early.len + (size_t)k > ROSS_FRAME_MAX)
                                return false; /* nobody reads it: refuse to hold more */
                        else
                                ross_buf_append(&a->early, buf, (size_t)k);
                }
        }
}

/* Shim frames to the client: the streams it asked for, framed unless there is a tty. */
static bool forward_output(AttachSession *a, RossBuf *from)
{
        int type;
        const char *p;
        size_t n;
        bool bad;
        while (ross_frame_next(from, &type, &p, &n, &bad)) {
                bool want = (type == ROSS_FRAME_STDOUT && a->want_out) ||
                            (type == ROSS_FRAME_STDERR && a->want_err);
                int r = 0;
                if (want && a->tty)
                        r = ross_write_all(a->sock, p, n);
                else if (want)
                        r = ross_frame_write(a->sock, type, p, n);
                ross_frame_consume(from, n);
                if (r < 0)
                        return false;
        }
        return !bad;
}

static void *attach_thread(void *ud)
{
        AttachSession *a = ud;
        RossError err = {};
        RossBuf from = {.cap = ROSS_FRAME_MAX + 8};
        char buf[65536];

        /* blocking writes to the client; reads are driven by poll */
        fcntl(a->sock, F_SETFL, fcntl(a->sock, F_GETFL) & ~O_NONBLOCK);
        if (a->efd >= 0 && !wait_for_start(a))
                goto out;
        a->shim = a->exec_id ? ross_exec_attach_connect(a->c, a->exec_id, &err)
                             : ross_containers_attach_connect(a->c, a->id, true, &err);
        if (a->shim < 0) {
                log_debug("attach to %.12s: %s", a->id, err.msg);
                goto out;
        }
        if (a->early.len && !forward_input(a, a->early.data, a->early.len))
                goto out;
        if (a->in_eof && a->want_in)
                (void)ross_frame_write(a->shim, ROSS_FRAME_STDIN_EOF, NULL, 0);
        for (;;) {
                struct pollfd p[2] = {{.fd = a->in_eof ? -1 : a->sock, .events = POLLIN},
                                      {.fd = a->shim, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents) {
                        ssize_t k = read_client(a, buf, sizeof(buf), p[0].revents);
                        if (k > 0 && !forward_input(a, buf, (size_t)k))
                                break;
                        if (k == 0) {
                                a->in_eof = true;
                                if (a->want_in)
                                        (void)ross_frame_write(a->shim, ROSS_FRAME_STDIN_EOF, NULL,
                                                               0);
                        }
                        if (k < 0 && k != -EAGAIN)
                                break;
                }
                if (p[1].revents) {
                        ssize_t k = read(a->shim, buf, sizeof(buf));
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0 || ross_buf_append(&from, buf, (size_t)k) < 0 ||
                            !forward_output(a, &from))
                                break; /* the container is gone and its output sent */
                }
        }
out:
        ross_buf_free(&from);
        session_free(a);
        return NULL;
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
        AttachSession *a = cls;
        a->sock = sock;
        a->urh = urh;
        if (extra_in_size)
                ross_buf_append(&a->early, extra_in, extra_in_size);
        pthread_t th;
        if (pthread_create(&th, NULL, attach_thread, a) == 0)
                pthread_detach(th);
        else
                session_free(a);
}

/* 101 Switching Protocols: the session a takes the connection over. */
static enum MHD_Result reply_upgrade(RossRequest *req, AttachSession *a)
{
        struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgrade, a);
        MHD_add_response_header(resp, "Upgrade", "tcp");
        MHD_add_response_header(resp, "Content-Type",
                                a->tty ? "application/vnd.docker.raw-stream"
                                       : "application/vnd.docker.multiplexed-stream");
        ross_response_headers(resp);
        enum MHD_Result r = MHD_queue_response(req->conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
        MHD_destroy_response(resp);
        return r;
}

/* The h and w of a resize request; false (after the 400 reply) when they are not sizes. */
static bool size_query(RossRequest *req, unsigned *ret_rows, unsigned *ret_cols,
                       enum MHD_Result *ret_reply)
{
        const char *h = ross_req_query(req, "h"), *w = ross_req_query(req, "w");
        char *e1 = NULL, *e2 = NULL;
        long rows = h ? strtol(h, &e1, 10) : -1, cols = w ? strtol(w, &e2, 10) : -1;
        if (!h || !w || *e1 || *e2 || rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
                *ret_reply = ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                               "resize: h and w must be numbers from 0 to 65535");
                return false;
        }
        *ret_rows = (unsigned)rows;
        *ret_cols = (unsigned)cols;
        return true;
}

static RossContainers *svc(RossRequest *req)
{
        return &req->daemon->containers;
}

enum MHD_Result ross_api_container_attach(RossRequest *req, const char *ref)
{
        RossError err = {};
        _cleanup_free_ char *id = NULL;
        json_t *info = NULL;
        RossDetachKeys keys;
        if (ross_containers_resolve(svc(req), ref, &id, &err) < 0 ||
            ross_containers_inspect(svc(req), id, &info, &err) < 0)
                return ross_reply_error(req, &err);
        json_t *cfg = json_object_get(info, "Config");
        bool tty = json_is_true(json_object_get(cfg, "Tty"));
        bool open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
        json_decref(info);
        if (ross_detach_keys_parse(ross_req_query(req, "detachKeys"), &keys, &err) < 0)
                return ross_reply_error(req, &err);

        AttachSession *a = xcalloc(1, sizeof(*a));
        a->c = svc(req);
        a->id = xstrdup(id);
        a->tty = tty;
        a->want_in = ross_req_query_bool(req, "stdin") && open_stdin;
        a->want_out = ross_req_query_bool(req, "stdout");
        a->want_err = ross_req_query_bool(req, "stderr");
        a->keys = keys;
        if (!tty)
                a->keys.n = 0; /* binary input must pass as it is: keys are a terminal thing */
        a->shim = a->efd = -EBADF;
        /* not running: this client waits for the next start, which waits for it */
        if (!ross_containers_running(svc(req), id)) {
                a->efd = ross_containers_attach_expect(svc(req), id);
                if (a->efd < 0) {
                        session_free(a);
                        return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                                 "attach: eventfd: %m");
                }
        }
        return reply_upgrade(req, a);
}

enum MHD_Result ross_api_container_resize(RossRequest *req, const char *ref)
{
        RossError err = {};
        unsigned rows, cols;
        enum MHD_Result bad;
        if (!size_query(req, &rows, &cols, &bad))
                return bad;
        if (ross_containers_resize(svc(req), ref, rows, cols, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_empty(req, MHD_HTTP_OK);
}

/* ---- exec: Docker's exec instances ---- */

enum MHD_Result ross_api_exec_create(RossRequest *req, const char *ref)
{
        RossError err = {};
        json_error_t jerr;
        _cleanup_free_ char *id = NULL;
        json_t *body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
        if (!json_is_object(body)) {
                json_decref(body);
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "invalid JSON: %s", jerr.text);
        }
        int r = ross_exec_create(svc(req), ref, body, &id, &err);
        json_decref(body);
        if (r < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_CREATED, json_pack("{s:s}", "Id", id));
}

enum MHD_Result ross_api_exec_start(RossRequest *req, const char *eid)
{
        RossError err = {};
        json_t *body = json_loadb(req->body.data ? req->body.data : "{}",
                                  req->body.data ? req->body.len : 2, 0, NULL);
        bool detach = json_is_true(json_object_get(body, "Detach"));
        json_decref(body);
        json_t *info = NULL;
        if (ross_exec_inspect(svc(req), eid, &info, &err) < 0)
                return ross_reply_error(req, &err);
        bool tty = json_is_true(json_object_get(json_object_get(info, "ProcessConfig"), "tty"));
        bool open_stdin = json_is_true(json_object_get(info, "OpenStdin"));
        _cleanup_free_ char *cid =
                xstrdup(json_string_value(json_object_get(info, "ContainerID")) ?: "");
        json_decref(info);
        int exec_status = 0;
        if (ross_exec_start(svc(req), eid, !detach, &exec_status, &err) < 0) {
                if (exec_status == 126 || exec_status == 127)
                        return ross_reply_json(req, MHD_HTTP_BAD_REQUEST,
                                               json_pack("{s:s}", "message", err.msg));
                return ross_reply_error(req, &err);
        }
        if (detach)
                return ross_reply_empty(req, MHD_HTTP_OK);

        AttachSession *a = xcalloc(1, sizeof(*a));
        a->c = svc(req);
        a->id = xstrdup(cid);
        a->exec_id = xstrdup(eid);
        a->tty = tty;
        a->want_in = open_stdin;
        a->want_out = a->want_err = true;
        (void)ross_detach_keys_parse(NULL, &a->keys, NULL);
        if (!tty)
                a->keys.n = 0;
        a->shim = a->efd = -EBADF;
        return reply_upgrade(req, a);
}

enum MHD_Result ross_api_exec_inspect(RossRequest *req, const char *eid)
{
        RossError err = {};
        json_t *o = NULL;
        if (ross_exec_inspect(svc(req), eid, &o, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, o);
}

enum MHD_Result ross_api_exec_resize(RossRequest *req, const char *eid)
{
        RossError err = {};
        unsigned rows, cols;
        enum MHD_Result bad;
        if (!size_query(req, &rows, &cols, &bad))
                return bad;
        if (ross_exec_resize(svc(req), eid, rows, cols, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_empty(req, MHD_HTTP_CREATED);
}
