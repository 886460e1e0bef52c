/* SPDX-License-Identifier: Apache-2.0 */
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../container/container-events.h"
#include "../container/containers.h"
#include "../container/detach.h"
#include "../container/exec.h"
#include "../daemon/daemon.h"
#include "../shim/frame.h"
#include "../shim/log.h"
#include "../shim/shim.h"
#include "handlers.h"

/*
 * POST /containers/{id}/attach: Docker's hijacked connection (101, Upgrade: tcp), joined to
 * the container's shim. The client's bytes become the container's stdin (until the detach
 * keys); the shim's frames go back as Docker's multiplexed stream, or raw with a tty. With
 * logs=1 the log so far comes first (from the shim while it runs, so that the seam with
 * what follows is exact; from the file once it has exited); stream=0 stops there. With
 * stream=1, a container that is not running is waited for: its next start holds the output
 * until this client is connected, so nothing printed at once is lost.
 */
typedef struct AttachSession {
        RossContainers *c;
        char *id;
        char *exec_id; /* an exec's stream rather than the container's */
        bool raw;      /* no frames: the container's tty, or an exec start's Tty */
        bool want_in, want_out, want_err;
        bool logs, stream;   /* the container's log first; then the live output */
        bool running;        /* the container ran when asked */
        unsigned rows, cols; /* an exec's first terminal size (0: none given) */
        RossDetachKeys keys;
        int efd; /* waiting for the start: readable once it was tried; -EBADF otherwise */
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
        if (detach) {
                log_debug("attach to %.12s: detach keys read", a->id);
                /* Docker's: detach, or exec_detach with the exec's id */
                if (a->exec_id)
                        ross_container_event(a->c, a->id, "exec_detach",
                                             json_pack("{s:s}", "execID", a->exec_id));
                else
                        ross_container_event(a->c, a->id, "detach", NULL);
        }
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

/* Output to the client: framed, or raw. */
static int send_output(AttachSession *a, int type, const char *p, size_t n)
{
        return a->raw ? ross_write_all(a->sock, p, n) : ross_frame_write(a->sock, type, p, n);
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
                if (want)
                        r = send_output(a, type, p, n);
                ross_frame_consume(from, n);
                if (r < 0)
                        return false;
        }
        return !bad;
}

/* The container's log so far, from its file (the container does not run: nobody writes
 * it). false when the client is gone. */
static bool replay_file(AttachSession *a)
{
        _cleanup_free_ char *path = ross_containers_log_path(a->c, a->id);
        ShimLogReader r;
        int k = shim_log_reader_open(&r, path, false, -1);
        if (k < 0) {
                log_debug("attach to %.12s: open the log '%s': %s", a->id, path, strerror(-k));
                return true;
        }
        _cleanup_(ross_buf_free) RossBuf entry = {};
        bool ok = true;
        int stream;
        while (ok && (entry.len = 0, k = shim_log_reader_next(&r, &stream, &entry, NULL)) > 0) {
                bool want = stream == 2 ? a->want_err : a->want_out;
                if (want && entry.len)
                        ok = send_output(a, stream == 2 ? ROSS_FRAME_STDERR : ROSS_FRAME_STDOUT,
                                         entry.data, entry.len) == 0;
        }
        if (k < 0)
                log_debug("attach to %.12s: read the log: %s", a->id, strerror(-k));
        shim_log_reader_close(&r);
        return ok;
}

/* Some clients (docker-py: http.client's buffered reader, then the raw socket) lose what
 * comes in the same read as the response's head. On our unix socket the kernel says how
 * much we sent is still unread: wait (a little) until the head has been read, so that the
 * stream's first bytes come in a read of their own. */
static void wait_head_read(int sock)
{
        for (int i = 0; i < 2000; i++) {
                int unread = 0;
                if (ioctl(sock, SIOCOUTQ, &unread) < 0 || unread <= 0)
                        return;
                struct timespec ts = {0, 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

/* The exec's start, now that the client holds the stream (Docker's order: the command runs
 * once the stream is there). A failure goes to the client as text, as Docker writes it; the
 * exec's exit code (126/127) says the rest. false when it did not start. */
static bool start_exec(AttachSession *a)
{
        RossError err = {};
        int status = 0;
        if (ross_exec_start_sized(a->c, a->exec_id, true, a->rows, a->cols, &status, &err) == 0)
                return true;
        log_debug("exec %s: %s", a->exec_id, err.msg);
        _cleanup_free_ char *text = status > 0
                                            ? xasprintf("OCI runtime exec failed: %s\r\n", err.msg)
                                            : xasprintf("%s\r\n", err.msg);
        (void)send_output(a, ROSS_FRAME_STDOUT, text, strlen(text));
        return false;
}

/* Connect to the shim of a container that ran when asked; with logs and/or stream=0 the
 * shim replays the log itself. Falls back to the file when the container has just gone. */
static int connect_running(AttachSession *a, RossError *err)
{
        unsigned flags = (a->logs ? ROSS_HELLO_LOGS : 0) | (a->stream ? 0 : ROSS_HELLO_NO_STREAM);
        if (!flags)
                return ross_containers_attach_connect(a->c, a->id, true, err);
        _cleanup_free_ char *sock = xasprintf("%s/%s/attach.sock", a->c->dir, a->id);
        int fd = ross_shim_attach_hello(sock, flags);
        if (fd < 0) {
                if (a->logs)
                        (void)replay_file(a);
                return ross_errx(err, -fd, "container %.12s is not running", a->id);
        }
        return fd;
}

/* Connect the session to its shim (after an exec's start, the log's replay or the wait
 * for a start, as asked); false when there is nothing to copy. */
static bool session_connect(AttachSession *a)
{
        RossError err = {};
        if (a->exec_id) {
                if (!start_exec(a))
                        return false;
                a->shim = ross_exec_attach_connect(a->c, a->exec_id, &err);
        } else if (a->running)
                a->shim = connect_running(a, &err);
        else {
                /* not running: the log as it is, then (stream=1) the next start's output */
                if (a->logs && !replay_file(a))
                        return false;
                if (a->efd < 0 || !wait_for_start(a))
                        return false;
                a->shim = ross_containers_attach_connect(a->c, a->id, true, &err);
        }
        if (a->shim < 0) {
                log_debug("attach to %.12s: %s", a->id, err.msg);
                return false;
        }
        return true;
}

static void session_freep(AttachSession **a)
{
        if (*a)
                session_free(*a);
}

static void *attach_thread(void *ud)
{
        _cleanup_(session_freep) AttachSession *a = ud;
        _cleanup_(ross_buf_free) RossBuf from = {.cap = ROSS_FRAME_MAX + 8};
        char buf[65536];

        /* blocking writes to the client; reads are driven by poll */
        fcntl(a->sock, F_SETFL, fcntl(a->sock, F_GETFL) & ~O_NONBLOCK);
        wait_head_read(a->sock);
        if (!session_connect(a))
                return NULL;
        if (a->early.len && !forward_input(a, a->early.data, a->early.len))
                return NULL;
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
                                a->raw ? "application/vnd.docker.raw-stream"
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
        int rows, cols;
        if (!h || !w) {
                *ret_reply = ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                               "resize: h and w must be numbers from 0 to 65535");
                return false;
        }
        bool bad_h = ross_parse_int(h, 0, 65535, &rows) < 0;
        if (bad_h || ross_parse_int(w, 0, 65535, &cols) < 0) {
                *ret_reply = ross_reply_errorf(
                        req, MHD_HTTP_BAD_REQUEST,
                        "resize: h and w must be numbers from 0 to 65535, not %s '%s'",
                        bad_h ? "h" : "w", bad_h ? h : w);
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
        json_auto_t *info = NULL;
        RossDetachKeys keys;
        bool want_in, want_out, want_err, logs, stream;
        if (ross_containers_resolve(svc(req), ref, &id, &err) < 0 ||
            ross_containers_inspect(svc(req), id, &info, &err) < 0)
                return ross_reply_error(req, &err);
        json_t *cfg = json_object_get(info, "Config");
        bool tty = json_is_true(json_object_get(cfg, "Tty"));
        bool open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
        if (ross_detach_keys_parse(ross_req_query(req, "detachKeys"), &keys, &err) < 0 ||
            ross_req_bool(req, "stdin", false, &want_in, &err) < 0 ||
            ross_req_bool(req, "stdout", false, &want_out, &err) < 0 ||
            ross_req_bool(req, "stderr", false, &want_err, &err) < 0 ||
            ross_req_bool(req, "logs", false, &logs, &err) < 0 ||
            ross_req_bool(req, "stream", false, &stream, &err) < 0)
                return ross_reply_error(req, &err);

        AttachSession *a = xcalloc(1, sizeof(*a));
        a->c = svc(req);
        a->id = xstrdup(id);
        a->raw = tty;
        a->want_in = want_in && open_stdin;
        a->want_out = want_out;
        a->want_err = want_err;
        a->logs = logs;
        a->stream = stream;
        a->keys = keys;
        if (!tty)
                a->keys.n = 0; /* binary input must pass as it is: keys are a terminal thing */
        a->shim = a->efd = -EBADF;
        a->running = ross_containers_running(svc(req), id);
        /* not running: a streaming client waits for the next start, which waits for it */
        if (!a->running && a->stream) {
                a->efd = ross_containers_attach_expect(svc(req), id);
                if (a->efd < 0) {
                        session_free(a);
                        return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                                 "attach: eventfd: %m");
                }
        }
        ross_container_event(svc(req), id, "attach", NULL);
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
        json_auto_t *body =
                json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
        if (!json_is_object(body))
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "invalid JSON: %s",
                                         body ? "not an object" : jerr.text);
        int r = ross_exec_create(svc(req), ref, body, &id, &err);
        if (r < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_CREATED, json_pack("{s:s}", "Id", id));
}

enum MHD_Result ross_api_exec_start(RossRequest *req, const char *eid)
{
        RossError err = {};
        json_error_t jerr;
        json_auto_t *body =
                req->body.len ? json_loadb(req->body.data, req->body.len, 0, &jerr) : json_object();
        if (!json_is_object(body))
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "invalid JSON: %s",
                                         body ? "not an object" : jerr.text);
        bool detach = json_is_true(json_object_get(body, "Detach"));
        /* the start's Tty says how the stream is framed (Docker's, API 1.42 on); the
         * create's, whether the command has a terminal */
        bool raw = json_is_true(json_object_get(body, "Tty"));
        unsigned rows = 0, cols = 0;
        if (ross_exec_console_size(json_object_get(body, "ConsoleSize"), &rows, &cols, &err) < 0)
                return ross_reply_error(req, &err);
        json_auto_t *info = NULL;
        if (ross_exec_inspect(svc(req), eid, &info, &err) < 0)
                return ross_reply_error(req, &err);
        json_t *pc = json_object_get(info, "ProcessConfig");
        bool tty = json_is_true(json_object_get(pc, "tty"));
        const char *cid = json_string_value(json_object_get(info, "ContainerID")) ?: "";
        if (!raw)
                rows = cols = 0; /* no console without a tty, as Docker */
        if (json_is_true(json_object_get(info, "Running")) ||
            !json_is_null(json_object_get(info, "ExitCode")))
                return ross_reply_errorf(req, MHD_HTTP_CONFLICT, "exec %s has already been started",
                                         eid);
        if (!ross_containers_running(svc(req), cid))
                return ross_reply_errorf(req, MHD_HTTP_CONFLICT, "container %.12s is not running",
                                         cid);
        /* before the upgrade, as Docker answers it */
        if (ross_containers_paused(svc(req), cid))
                return ross_reply_errorf(
                        req, MHD_HTTP_CONFLICT,
                        "Container %s is paused, unpause the container before exec", cid);
        if (detach) {
                int exec_status = 0;
                if (ross_exec_start_sized(svc(req), eid, false, rows, cols, &exec_status, &err) <
                    0) {
                        /* Docker's answer for a command that is not there or cannot run */
                        if (exec_status == 126 || exec_status == 127)
                                return ross_reply_json(req, MHD_HTTP_BAD_REQUEST,
                                                       json_pack("{s:s}", "message", err.msg));
                        return ross_reply_error(req, &err);
                }
                return ross_reply_empty(req, MHD_HTTP_OK);
        }

        AttachSession *a = xcalloc(1, sizeof(*a));
        a->c = svc(req);
        a->id = xstrdup(cid);
        a->exec_id = xstrdup(eid);
        a->raw = raw;
        a->rows = rows;
        a->cols = cols;
        a->want_in = json_is_true(json_object_get(info, "OpenStdin"));
        a->want_out = json_is_true(json_object_get(info, "OpenStdout"));
        a->want_err = json_is_true(json_object_get(info, "OpenStderr"));
        /* the create's DetachKeys ("": the default), on a terminal only */
        const char *keys = json_string_value(json_object_get(info, "DetachKeys"));
        (void)ross_detach_keys_parse(STR_EMPTY(keys) ? NULL : keys, &a->keys, NULL);
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
