/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "../basic/fileio.h"
#include "../basic/parse.h"
#include "../basic/socket.h"
#include "http.h"

#define HEAD_MAX (64 * 1024)

int ross_http_connect(const char *socket_path, RossError *err)
{
        int fd = ross_unix_connect(socket_path);
        if (fd >= 0)
                return fd;
        if (fd == -ENOENT || fd == -ECONNREFUSED)
                return ross_errx(err, ECONNREFUSED,
                                 "cannot connect to the Ross daemon at unix://%s: is ross-daemon "
                                 "running?",
                                 socket_path);
        return ross_errx(err, -fd, "cannot connect to the Ross daemon at unix://%s: %s",
                         socket_path, strerror(-fd));
}

int ross_http_send(int fd, const char *method, const char *path, const char *extra_headers,
                   const char *body, size_t body_len)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        ross_buf_printf(&b,
                        "%s %s HTTP/1.1\r\nHost: ross\r\nUser-Agent: ross-cli\r\n%s"
                        "Content-Length: %zu\r\n%s\r\n",
                        method, path, extra_headers ? extra_headers : "", body_len,
                        body ? "Content-Type: application/json\r\n" : "");
        if (body_len)
                ross_buf_append(&b, body, body_len);
        return ross_write_all(fd, b.data, b.len);
}

int ross_http_send_chunked_head(int fd, const char *method, const char *path,
                                const char *extra_headers, const char *content_type)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        ross_buf_printf(&b,
                        "%s %s HTTP/1.1\r\nHost: ross\r\nUser-Agent: ross-cli\r\n%s"
                        "Transfer-Encoding: chunked\r\nContent-Type: %s\r\n\r\n",
                        method, path, extra_headers ? extra_headers : "", content_type);
        return ross_write_all(fd, b.data, b.len);
}

int ross_http_send_chunk(int fd, const void *p, size_t n)
{
        char size[32];
        if (!n)
                return 0;
        int k = snprintf(size, sizeof(size), "%zx\r\n", n);
        int r = ross_write_all(fd, size, (size_t)k);
        if (r == 0)
                r = ross_write_all(fd, p, n);
        if (r == 0)
                r = ross_write_all(fd, "\r\n", 2);
        return r;
}

int ross_http_send_chunked_end(int fd)
{
        return ross_write_all(fd, "0\r\n\r\n", 5);
}

static const char *header(const char *head, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
                if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
                        const char *v = p + 3 + n;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        return v;
                }
        return NULL;
}

/* "HTTP/1.x NNN ...": the status code, or -EBADMSG. */
static int status_code(const char *line, int *ret)
{
        if (strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) || line[8] != ' ')
                return -EBADMSG;
        _cleanup_free_ char *num = xstrndup(line + 9, strcspn(line + 9, " \r\n"));
        return ross_parse_int(num, 100, 999, ret) < 0 ? -EBADMSG : 0;
}

int ross_http_read_head(int fd, RossHttpHead *ret, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf b = {.cap = HEAD_MAX};
        char buf[16384];
        char *end = NULL;
        while (!(end = b.data ? strstr(b.data, "\r\n\r\n") : NULL)) {
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0 || ross_buf_append(&b, buf, (size_t)k) < 0)
                        return ross_errx(err, EIO, "the daemon closed the connection%s",
                                         b.overflowed ? " after a head over 64 KiB" : "");
        }
        _cleanup_(ross_http_head_free) RossHttpHead h = {.content_length = -1};
        size_t head_len = (size_t)(end - b.data) + 4;
        ross_buf_append(&h.rest, b.data + head_len, b.len - head_len);
        b.data[head_len - 2] = '\0'; /* keep one \r\n for the header search */
        if (status_code(b.data, &h.status) < 0) {
                size_t n = strcspn(b.data, "\r\n");
                return ross_errx(err, EBADMSG, "the daemon sent no HTTP answer: '%.*s'",
                                 (int)(n < 64 ? n : 64), b.data);
        }
        const char *v = header(b.data, "Content-Length");
        if (v) {
                _cleanup_free_ char *num = xstrndup(v, strcspn(v, " \r\n"));
                int64_t cl;
                if (ross_parse_i64(num, 0, INT64_MAX, &cl) < 0)
                        return ross_errx(err, EBADMSG, "the daemon sent a bad Content-Length '%s'",
                                         num);
                h.content_length = cl;
        }
        v = header(b.data, "Transfer-Encoding");
        h.chunked = v && strncasecmp(v, "chunked", 7) == 0;
        ross_buf_append(&h.text, b.data, strlen(b.data));
        *ret = h;
        h.rest = (RossBuf){}; /* now *ret's */
        h.text = (RossBuf){};
        return 0;
}

char *ross_http_head_value(const RossHttpHead *h, const char *name)
{
        const char *v = h->text.data ? header(h->text.data, name) : NULL;
        return v ? xstrndup(v, strcspn(v, "\r\n")) : NULL;
}

void ross_http_head_free(RossHttpHead *h)
{
        ross_buf_free(&h->rest);
        ross_buf_free(&h->text);
}

/* Fill the buffer up to at least n bytes; false at EOF. */
static bool fill(int fd, RossBuf *b, size_t n)
{
        char buf[65536];
        while (b->len < n) {
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                ross_buf_append(b, buf, (size_t)k);
        }
        return true;
}

static void drop_front(RossBuf *b, size_t n)
{
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
}

int ross_http_read_body(int fd, RossHttpHead *h, bool no_body, RossHttpBodyFn fn, void *ud,
                        RossError *err)
{
        RossBuf *b = &h->rest;
        if (no_body || h->status == 204 || h->status == 304)
                return 0;
        if (h->chunked) {
                for (;;) {
                        char *crlf;
                        while (!(crlf = b->data ? memmem(b->data, b->len, "\r\n", 2) : NULL))
                                if (b->len > 1024 || !fill(fd, b, b->len + 1))
                                        return ross_errx(err, EIO, "the daemon's answer broke off");
                        /* the size, then maybe ";extension" */
                        _cleanup_free_ char *num = xstrndup(b->data, strcspn(b->data, ";\r\n"));
                        uint64_t size;
                        if (ross_parse_u64_hex(num, 1ULL << 40, &size) < 0)
                                return ross_errx(err, EBADMSG,
                                                 "bad chunk size '%.32s' from the daemon", num);
                        drop_front(b, (size_t)(crlf - b->data) + 2);
                        if (size == 0)
                                return 0;
                        /* hand over the chunk as it arrives */
                        while (size > 0) {
                                if (b->len == 0 && !fill(fd, b, 1))
                                        return ross_errx(err, EIO, "the daemon's answer broke off");
                                size_t take = b->len < size ? b->len : (size_t)size;
                                if (fn(ud, b->data, take) < 0)
                                        return 0;
                                drop_front(b, take);
                                size -= take;
                        }
                        if (!fill(fd, b, 2))
                                return ross_errx(err, EIO, "the daemon's answer broke off");
                        drop_front(b, 2);
                }
        }
        long long left = h->content_length;
        for (;;) {
                if (b->len) {
                        size_t take = left >= 0 && (long long)b->len > left ? (size_t)left : b->len;
                        if (take && fn(ud, b->data, take) < 0)
                                return 0;
                        if (left >= 0)
                                left -= (long long)take;
                        b->len = 0;
                }
                if (left == 0)
                        return 0;
                if (!fill(fd, b, 1)) {
                        if (left > 0)
                                return ross_errx(err, EIO, "the daemon's answer broke off");
                        return 0;
                }
        }
}
