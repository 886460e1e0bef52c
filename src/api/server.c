/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "../basic/log.h"
#include "../basic/parse.h"
#include "config.h"
#include "server.h"

struct RossServer {
        struct MHD_Daemon *mhd;
        int fd;
        char *path;
};

const char *ross_req_query(RossRequest *req, const char *key)
{
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool ross_req_query_bool(RossRequest *req, const char *key)
{
        const char *v = ross_req_query(req, key);
        return v && (STREQ(v, "1") || STREQ(v, "true") || STREQ(v, "True"));
}

int ross_req_bool(RossRequest *req, const char *key, bool def, bool *ret, RossError *err)
{
        const char *v = ross_req_query(req, key);
        if (!v) {
                *ret = def;
                return 0;
        }
        if (!*v || strcasecmp(v, "none") == 0) {
                *ret = false;
                return 0;
        }
        if (ross_parse_bool(v, ret) < 0)
                return ross_errx(err, EINVAL, "invalid value for %s: '%s' is not a boolean", key,
                                 v);
        return 0;
}

int ross_req_time(RossRequest *req, const char *key, double *ret, RossError *err)
{
        const char *v = ross_req_query(req, key);
        *ret = 0;
        if (STR_EMPTY(v))
                return 0;
        if (ross_parse_unix_seconds(v, 0, INT64_MAX / 2, ret) == 0)
                return 0;
        double t = ross_parse_rfc3339(v);
        if (t > 0) {
                *ret = t;
                return 0;
        }
        return ross_errx(err, EINVAL, "invalid value for %s: '%s' is not a Unix time or RFC 3339",
                         key, v);
}

const char *ross_req_header(RossRequest *req, const char *key)
{
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, key);
}

void ross_response_headers(struct MHD_Response *resp)
{
        MHD_add_response_header(resp, "Api-Version", ROSS_API_VERSION);
        MHD_add_response_header(resp, "Docker-Experimental", "false");
        MHD_add_response_header(resp, "Ostype", "linux");
        MHD_add_response_header(resp, "Server", "Ross/" ROSS_VERSION " (linux)");
}

/* MHD takes a response only in its own callback: a streaming handler's waits for the end
 * of the body (on_request queues it then). */
static enum MHD_Result queue_response(RossRequest *req, unsigned status, struct MHD_Response *resp)
{
        if (req->streaming) {
                if (req->deferred)
                        MHD_destroy_response(req->deferred);
                req->deferred = resp;
                req->deferred_status = status;
                return MHD_YES;
        }
        enum MHD_Result r = MHD_queue_response(req->conn, status, resp);
        MHD_destroy_response(resp);
        log_debug("api: %s %s -> %u", req->method, req->path, status);
        return r;
}

enum MHD_Result ross_reply_response(RossRequest *req, unsigned status, struct MHD_Response *resp)
{
        ross_response_headers(resp);
        return queue_response(req, status, resp);
}

static enum MHD_Result queue(RossRequest *req, unsigned status, const char *ctype, char *data,
                             size_t len)
{
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (ctype)
                MHD_add_response_header(resp, "Content-Type", ctype);
        ross_response_headers(resp);
        return queue_response(req, status, resp);
}

enum MHD_Result ross_reply_json(RossRequest *req, unsigned status, json_t *body)
{
        char *s = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (!s)
                s = xstrdup("{}");
        size_t n = strlen(s);
        s = xrealloc(s, n + 2);
        s[n] = '\n';
        s[n + 1] = '\0';
        return queue(req, status, "application/json", s, n + 1);
}

enum MHD_Result ross_reply_json_text(RossRequest *req, unsigned status, RossBuf *body)
{
        (void)ross_buf_append(body, "\n", 1);
        size_t n = body->len;
        return queue(req, status, "application/json", ross_buf_steal(body), n);
}

enum MHD_Result ross_reply_text(RossRequest *req, unsigned status, const char *ctype,
                                const char *text)
{
        return queue(req, status, ctype, xstrdup(text), strlen(text));
}

json_t *ross_req_json_object(RossRequest *req, RossError *err)
{
        json_error_t jerr;
        json_t *body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
        if (!json_is_object(body)) {
                json_decref(body);
                ross_errx(err, EINVAL, "invalid JSON: %s", body ? "not an object" : jerr.text);
                return NULL;
        }
        return body;
}

enum MHD_Result ross_reply_empty(RossRequest *req, unsigned status)
{
        return queue(req, status, NULL, xstrdup(""), 0);
}

unsigned ross_http_status_for(int code)
{
        switch (code) {
        case ENOENT:
                return MHD_HTTP_NOT_FOUND;
        case EINVAL:
                return MHD_HTTP_BAD_REQUEST;
        case EEXIST:
        case EBUSY:
                return MHD_HTTP_CONFLICT;
        case EACCES:
        case EPERM:
                return MHD_HTTP_FORBIDDEN;
        case ENOSYS:
        case EOPNOTSUPP:
                return MHD_HTTP_NOT_IMPLEMENTED;
        default:
                return MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
}

enum MHD_Result ross_reply_error(RossRequest *req, const RossError *err)
{
        log_debug("api: %s %s failed: %s", req->method, req->path, err->msg);
        return ross_reply_json(req, ross_http_status_for(err->code),
                               json_pack("{s:s}", "message", err->msg));
}

enum MHD_Result ross_reply_errorf(RossRequest *req, unsigned status, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                abort(); /* out of memory, as xasprintf */
        log_debug("api: %s %s failed: %s", req->method, req->path, msg);
        return ross_reply_json(req, status, json_pack("{s:s}", "message", msg));
}

/* The streamed body is over (or the client is gone): the handler gets its EOF. */
static void end_stream(RossRequest *req)
{
        if (!req->streaming)
                return;
        req->upload_fd = safe_close(req->upload_fd);
        pthread_join(req->handler, NULL);
        req->streaming = false;
}

static void request_free(RossRequest *req)
{
        if (!req)
                return;
        end_stream(req);
        if (req->deferred)
                MHD_destroy_response(req->deferred);
        safe_close(req->upload_fd);
        free(req->path);
        for (size_t i = 0; i < req->n_segs; i++)
                free(req->segs[i]);
        free(req->segs);
        ross_buf_free(&req->body);
        free(req);
}

/* "/v1.45/images/json" -> "/images/json" */
static const char *strip_version(const char *url)
{
        if (url[0] == '/' && url[1] == 'v' && url[2] >= '0' && url[2] <= '9') {
                const char *p = url + 2;
                while ((*p >= '0' && *p <= '9') || *p == '.')
                        p++;
                if (*p == '/')
                        return p;
        }
        return url;
}

static void split_path(RossRequest *req)
{
        _cleanup_free_ char *copy = xstrdup(req->path);
        char *save = NULL;
        size_t alloc = 8;
        req->segs = xcalloc(alloc, sizeof(char *));
        for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
                if (req->n_segs + 2 > alloc) {
                        alloc *= 2;
                        req->segs = xrealloc(req->segs, alloc * sizeof(char *));
                }
                char *seg = xstrdup(t);
                MHD_http_unescape(seg);
                req->segs[req->n_segs++] = seg;
        }
        req->segs[req->n_segs] = NULL;
}

static void *stream_handler(void *ud)
{
        RossRequest *req = ud;
        req->handler_result = ross_api_dispatch(req);
        /* the body is the handler's no more: the rest of an upload goes nowhere */
        req->body_fd = safe_close(req->body_fd);
        return NULL;
}

/* Start the handler of a streamed body, reading it from a socket we write the upload to. */
static enum MHD_Result start_stream(RossRequest *req)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return MHD_NO;
        req->body_fd = sv[0];
        req->upload_fd = sv[1];
        req->streaming = true;
        if (pthread_create(&req->handler, NULL, stream_handler, req) != 0) {
                req->streaming = false;
                req->body_fd = safe_close(req->body_fd);
                req->upload_fd = safe_close(req->upload_fd);
                return MHD_NO;
        }
        log_debug("api: %s %s (body streamed)", req->method, req->path);
        return MHD_YES;
}

/* A piece of a streamed body to its handler; once it has stopped reading, dropped. */
static void feed_stream(RossRequest *req, const char *p, size_t n)
{
        while (n > 0 && req->upload_fd >= 0) {
                ssize_t k = send(req->upload_fd, p, n, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        req->upload_fd = safe_close(req->upload_fd);
                        return;
                }
                p += k;
                n -= (size_t)k;
        }
}

static enum MHD_Result finish_stream(RossRequest *req)
{
        end_stream(req);
        if (!req->deferred)
                return MHD_NO; /* the handler queued no answer: the connection goes */
        struct MHD_Response *resp = TAKE_PTR(req->deferred);
        enum MHD_Result r = MHD_queue_response(req->conn, req->deferred_status, resp);
        MHD_destroy_response(resp);
        log_debug("api: %s %s -> %u", req->method, req->path, req->deferred_status);
        return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
        RossDaemon *d = cls;
        RossRequest *req = *con_cls;

        if (!req) {
                req = xcalloc(1, sizeof(*req));
                req->conn = conn;
                req->method = method;
                req->daemon = d;
                req->path = xstrdup(strip_version(url));
                req->body.cap = ROSS_API_BODY_MAX;
                req->body_fd = -EBADF;
                req->upload_fd = -EBADF;
                split_path(req);
                *con_cls = req;
                if (ross_api_streams_body(req))
                        return start_stream(req);
                return MHD_YES;
        }
        if (req->streaming || req->deferred) {
                if (*upload_size) {
                        feed_stream(req, upload_data, *upload_size);
                        *upload_size = 0;
                        return MHD_YES;
                }
                return finish_stream(req);
        }
        if (*upload_size) {
                /* Past the cap we keep reading to answer 413 rather than reset the socket. */
                (void)ross_buf_append(&req->body, upload_data, *upload_size);
                *upload_size = 0;
                return MHD_YES;
        }
        if (req->body.overflowed)
                return ross_reply_errorf(req, MHD_HTTP_CONTENT_TOO_LARGE,
                                         "request body larger than %d bytes", ROSS_API_BODY_MAX);
        log_debug("api: %s %s", method, url);
        return ross_api_dispatch(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        request_free(*con_cls);
        *con_cls = NULL;
}

static int listen_unix(const char *path, RossError *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return ross_errx(err, ENAMETOOLONG, "socket path '%s' is too long", path);
        strcpy(sa.sun_path, path);

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return ross_err(err, errno, "create socket '%s'", path);
        /* A socket file left by a daemon that died is stale; a live one answers connect. */
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return ross_errx(err, EADDRINUSE, "another daemon is already serving on '%s'",
                                 path);
        unlink(path);
        mode_t old = umask(0117);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return ross_err(err, errno, "bind '%s'", path);
        if (chmod(path, 0660) < 0 || listen(fd, 128) < 0)
                return ross_err(err, errno, "listen on '%s'", path);
        return TAKE_FD(fd);
}

int ross_server_start(RossDaemon *d, const char *socket_path, RossServer **ret, RossError *err)
{
        int fd = listen_unix(socket_path, err);
        if (fd < 0)
                return fd;

        struct MHD_Daemon *mhd =
                MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                         MHD_ALLOW_UPGRADE | MHD_USE_ITC,
                                 0, NULL, NULL, on_request, d, MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_END);
        if (!mhd) {
                close(fd);
                unlink(socket_path);
                return ross_errx(err, EIO, "cannot start the API server on '%s'", socket_path);
        }
        RossServer *s = xcalloc(1, sizeof(*s));
        s->mhd = mhd;
        s->fd = fd;
        s->path = xstrdup(socket_path);
        *ret = s;
        return 0;
}

void ross_server_stop(RossServer *s)
{
        if (!s)
                return;
        MHD_stop_daemon(s->mhd);
        close(s->fd);
        unlink(s->path);
        free(s->path);
        free(s);
}

bool ross_server_busy(RossServer *s)
{
        const union MHD_DaemonInfo *i =
                MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        return i && i->num_connections > 0;
}

void ross_server_unlink(RossServer *s)
{
        unlink(s->path);
}

/* A streamed body: its fd, and what to run once MHD is done with it. */
typedef struct Stream {
        int fd;
        RossStreamFree on_free;
        void *userdata;
} Stream;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        Stream *s = cls;
        for (;;) {
                ssize_t n = read(s->fd, buf, max);
                if (n > 0)
                        return n;
                if (n == 0)
                        return MHD_CONTENT_READER_END_OF_STREAM;
                if (errno != EINTR)
                        return MHD_CONTENT_READER_END_WITH_ERROR;
        }
}

static void stream_free(void *cls)
{
        Stream *s = cls;
        if (s->on_free)
                s->on_free(s->userdata);
        else
                safe_close(s->fd);
        free(s);
}

struct MHD_Response *ross_stream_response(int fd, const char *ctype, size_t block_size,
                                          RossStreamFree on_free, void *userdata)
{
        Stream *s = xcalloc(1, sizeof(*s));
        s->fd = fd;
        s->on_free = on_free;
        s->userdata = userdata;
        struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, block_size,
                                                                      stream_read, s, stream_free);
        MHD_add_response_header(resp, "Content-Type", ctype);
        return resp;
}

enum MHD_Result ross_reply_stream(RossRequest *req, int fd, const char *ctype)
{
        return ross_reply_response(req, MHD_HTTP_OK,
                                   ross_stream_response(fd, ctype, 32 * 1024, NULL, NULL));
}
