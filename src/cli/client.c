/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>

#include "client.h"
#include "http.h"

int ross_client_init(RossClient *c, const char *host, RossError *err)
{
        if (!host)
                host = getenv("ROSS_HOST");
        if (STR_EMPTY(host))
                host = ROSS_DEFAULT_HOST;
        if (strncmp(host, "unix://", 7) == 0)
                host += 7;
        else if (strstr(host, "://"))
                return ross_errx(err, EINVAL, "unsupported host '%s': use unix:///path", host);
        if (host[0] != '/')
                return ross_errx(err, EINVAL, "host '%s' is not an absolute socket path", host);
        c->socket_path = xstrdup(host);
        return 0;
}

void ross_client_done(RossClient *c)
{
        free(c->socket_path);
        c->socket_path = NULL;
}

void ross_api_response_free(RossApiResponse *r)
{
        ross_buf_free(&r->body);
}

char *ross_client_escape(const char *s)
{
        RossBuf b = {};
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
                        ross_buf_append(&b, p, 1);
                else
                        ross_buf_printf(&b, "%%%02X", *p);
        }
        return ross_buf_steal(&b);
}

void ross_client_query_repo_tag(RossBuf *q, const char *ref)
{
        const char *slash = strrchr(ref, '/');
        const char *colon = strrchr(slash ? slash : ref, ':');
        _cleanup_free_ char *repo = colon ? xstrndup(ref, (size_t)(colon - ref)) : xstrdup(ref);
        _cleanup_free_ char *r = ross_client_escape(repo);
        ross_buf_printf(q, "&repo=%s", r);
        if (colon) {
                _cleanup_free_ char *t = ross_client_escape(colon + 1);
                ross_buf_printf(q, "&tag=%s", t);
        }
}

typedef struct Ctx {
        const RossApiCall *call;
        RossApiResponse *resp;
        RossBuf line;
        bool stream; /* a 2xx body goes to the call's callbacks */
} Ctx;

static int on_body(void *ud, const char *p, size_t n)
{
        Ctx *c = ud;
        if (!c->stream)
                return ross_buf_append(&c->resp->body, p, n) < 0 ? -1 : 0;
        if (c->call->on_raw)
                return c->call->on_raw(c->call->userdata, p, n);
        if (!c->call->on_line)
                return ross_buf_append(&c->resp->body, p, n) < 0 ? -1 : 0;
        for (size_t i = 0; i < n; i++) {
                if (p[i] != '\n') {
                        if (ross_buf_append(&c->line, p + i, 1) < 0)
                                return -1;
                        continue;
                }
                size_t len = c->line.len;
                while (len && c->line.data[len - 1] == '\r')
                        len--;
                if (len && c->call->on_line(c->call->userdata, c->line.data, len) < 0)
                        return -1;
                c->line.len = 0;
        }
        return 0;
}

static void ctx_done(Ctx *c)
{
        ross_buf_free(&c->line);
}

/* The answer to a call sent on fd: its head, then its body to the call's callbacks (2xx) or
 * into the error. */
static int read_answer(int fd, const char *socket_path, const RossApiCall *call,
                       RossApiResponse *ret, RossError *err)
{
        _cleanup_(ross_api_response_free)
                RossApiResponse resp = {.body = {.cap = 256 * 1024 * 1024}};
        _cleanup_(ctx_done)
                Ctx ctx = {.call = call, .resp = &resp, .line = {.cap = 16 * 1024 * 1024}};
        _cleanup_(ross_http_head_free) RossHttpHead head = {};
        int r = ross_http_read_head(fd, &head, err);
        if (r < 0)
                return r;
        resp.status = head.status;
        if (call->capture_header && call->captured)
                *call->captured = ross_http_head_value(&head, call->capture_header);
        /* 304 Not Modified (start of a running container) is no failure, as for Docker's
         * client */
        ctx.stream = head.status >= 200 && head.status < 300;
        r = ross_http_read_body(fd, &head, STREQ(call->method, "HEAD"), on_body, &ctx, err);
        if (r < 0)
                return r;
        if ((resp.status < 200 || resp.status >= 300) && resp.status != 304) {
                json_auto_t *j =
                        json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
                const char *m = json_string_value(json_object_get(j, "message"));
                int code = resp.status == 404                           ? ENOENT
                           : resp.status == 409                         ? EBUSY
                           : resp.status == 400                         ? EINVAL
                           : (resp.status == 401 || resp.status == 403) ? EACCES
                                                                        : EIO;
                if (!m && !resp.body.len)
                        return ross_errx(err, code, "the daemon answered HTTP %ld", resp.status);
                return ross_errx(err, code, "%s", m ? m : resp.body.data);
        }
        if (ret) {
                *ret = resp;
                resp = (RossApiResponse){};
        }
        return 0;
}

int ross_client_call(RossClient *c, const RossApiCall *call, RossApiResponse *ret, RossError *err)
{
        _cleanup_free_ char *extra = NULL;
        int r;

        _cleanup_close_ int fd = ross_http_connect(c->socket_path, err);
        if (fd < 0)
                return fd;
        if (call->registry_auth)
                extra = xasprintf("X-Registry-Auth: %s\r\n", call->registry_auth);
        r = ross_http_send(fd, call->method, call->path, extra, call->body,
                           call->body ? strlen(call->body) : 0);
        if (r < 0)
                return ross_err(err, -r, "talking to the Ross daemon at unix://%s", c->socket_path);
        return read_answer(fd, c->socket_path, call, ret, err);
}

struct RossUpload {
        RossClient *c;
        RossApiCall call;
        int fd;
        bool broken; /* the daemon stopped reading: the rest is not sent */
};

void ross_client_upload_free(RossUpload *u)
{
        if (!u)
                return;
        safe_close(u->fd);
        free(u);
}

int ross_client_upload_begin(RossClient *c, const RossApiCall *call, const char *content_type,
                             RossUpload **ret, RossError *err)
{
        int fd = ross_http_connect(c->socket_path, err);
        if (fd < 0)
                return fd;
        /* a daemon that closes early is an EPIPE here, and its answer is read after */
        signal(SIGPIPE, SIG_IGN);
        int r = ross_http_send_chunked_head(fd, call->method, call->path, NULL, content_type);
        if (r < 0) {
                close(fd);
                return ross_err(err, -r, "talking to the Ross daemon at unix://%s", c->socket_path);
        }
        RossUpload *u = xcalloc(1, sizeof(*u));
        u->c = c;
        u->call = *call;
        u->fd = fd;
        *ret = u;
        return 0;
}

int ross_client_upload_write(void *upload, const void *p, size_t n)
{
        RossUpload *u = upload;
        if (u->broken)
                return 0;
        if (ross_http_send_chunk(u->fd, p, n) < 0)
                u->broken = true; /* what the daemon says comes with the answer */
        return 0;
}

int ross_client_upload_fd(RossUpload *u, int fd, const char *what, RossError *err)
{
        char buf[64 * 1024];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return ross_err(err, errno, "read %s", what);
                if (n == 0)
                        return 0;
                (void)ross_client_upload_write(u, buf, (size_t)n);
                /* the daemon stopped reading: its answer says why, the rest is not sent */
                if (u->broken)
                        return 0;
        }
}

int ross_client_upload_end(RossUpload *u, RossApiResponse *ret, RossError *err)
{
        if (!u->broken)
                (void)ross_http_send_chunked_end(u->fd);
        int r = read_answer(u->fd, u->c->socket_path, &u->call, ret, err);
        ross_client_upload_free(u);
        return r;
}

int ross_client_json(RossClient *c, const char *method, const char *path, const char *body,
                     json_t **ret, RossError *err)
{
        _cleanup_(ross_api_response_free) RossApiResponse resp = {};
        RossApiCall call = {.method = method, .path = path, .body = body};
        json_auto_t *j = NULL;
        json_error_t jerr;
        int r = ross_client_call(c, &call, &resp, err);
        if (r < 0)
                return r;
        if (resp.body.len > 0) {
                j = json_loadb(resp.body.data, resp.body.len, 0, &jerr);
                if (!j)
                        return ross_errx(err, EBADMSG, "the daemon sent invalid JSON: %s",
                                         jerr.text);
        }
        if (ret)
                *ret = TAKE_PTR(j);
        return 0;
}
