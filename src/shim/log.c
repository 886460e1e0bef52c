/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "../basic/fileio.h"
#include "log.h"

#define LINE_MAX_BYTES (16 * 1024)

void shim_now_rfc3339(char *buf, size_t n)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + k, n - k, ".%09ldZ", ts.tv_nsec);
}

/* Length of the valid UTF-8 sequence at p (0 if it is not one). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
        size_t len;
        uint32_t cp;
        if (p[0] < 0x80)
                return 1;
        if ((p[0] & 0xe0) == 0xc0)
                len = 2, cp = p[0] & 0x1f;
        else if ((p[0] & 0xf0) == 0xe0)
                len = 3, cp = p[0] & 0x0f;
        else if ((p[0] & 0xf8) == 0xf0)
                len = 4, cp = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        /* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        return len;
}

void shim_json_escape(RossBuf *b, const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;
        while (i < n) {
                unsigned char ch = p[i];
                if (ch == '"' || ch == '\\') {
                        char e[2] = {'\\', (char)ch};
                        ross_buf_append(b, e, 2);
                        i++;
                } else if (ch < 0x20) {
                        char e[8];
                        const char *named = ch == '\n'   ? "\\n"
                                            : ch == '\r' ? "\\r"
                                            : ch == '\t' ? "\\t"
                                                         : NULL;
                        if (named)
                                ross_buf_append(b, named, 2);
                        else {
                                snprintf(e, sizeof(e), "\\u%04x", ch);
                                ross_buf_append(b, e, 6);
                        }
                        i++;
                } else {
                        size_t k = utf8_len(p + i, n - i);
                        if (k == 0) {
                                ross_buf_append(b, "\xef\xbf\xbd", 3);
                                i++;
                        } else {
                                ross_buf_append(b, p + i, k);
                                i += k;
                        }
                }
        }
}

int shim_log_open(ShimLog *l, const char *path, uint64_t max)
{
        l->path = xstrdup(path);
        l->max = max;
        l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (l->fd < 0)
                return -errno;
        struct stat st;
        if (fstat(l->fd, &st) == 0)
                l->size = (uint64_t)st.st_size;
        return 0;
}

static void rotate(ShimLog *l)
{
        _cleanup_free_ char *old = xasprintf("%s.1", l->path);
        close(l->fd);
        (void)rename(l->path, old);
        l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        l->size = 0;
}

static void write_entry(ShimLog *l, int stream, const char *p, size_t n)
{
        char when[64];
        shim_now_rfc3339(when, sizeof(when));
        _cleanup_(ross_buf_free) RossBuf b = {};
        ross_buf_append(&b, "{\"log\":\"", 8);
        shim_json_escape(&b, p, n);
        ross_buf_printf(&b, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
                        stream == 1 ? "stdout" : "stderr", when);
        if (l->size + b.len > l->max && l->size > 0)
                rotate(l);
        if (l->fd >= 0 && ross_write_all(l->fd, b.data, b.len) == 0)
                l->size += b.len;
}

void shim_log_take(ShimLog *l, int stream, const char *p, size_t n, bool flush_now)
{
        RossBuf *b = &l->partial[stream - 1];
        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t take = nl ? (size_t)(nl - p) + 1 : n;
                if (b->len + take > LINE_MAX_BYTES)
                        take = LINE_MAX_BYTES - b->len;
                ross_buf_append(b, p, take);
                p += take;
                n -= take;
                if (b->data[b->len - 1] == '\n' || b->len >= LINE_MAX_BYTES) {
                        write_entry(l, stream, b->data, b->len);
                        b->len = 0;
                }
        }
        if (flush_now && b->len) {
                write_entry(l, stream, b->data, b->len);
                b->len = 0;
        }
}

void shim_log_flush(ShimLog *l)
{
        for (int i = 0; i < 2; i++)
                if (l->partial[i].len) {
                        write_entry(l, i + 1, l->partial[i].data, l->partial[i].len);
                        l->partial[i].len = 0;
                }
}

void shim_log_close(ShimLog *l)
{
        shim_log_flush(l);
        if (l->fd >= 0)
                close(l->fd);
        l->fd = -1;
        ross_buf_free(&l->partial[0]);
        ross_buf_free(&l->partial[1]);
        free(l->path);
        l->path = NULL;
}

/* ---- reading it back ---- */

/* An entry's line is at most 16 KiB of text escaped (6 bytes each at worst) and a little
 * more; anything much longer is not ours. */
#define ENTRY_LINE_MAX (LINE_MAX_BYTES * 6 + 4096)

static void skip_ws(const char **p, const char *end)
{
        while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n'))
                (*p)++;
}

static int hex4(const char *p, const char *end, uint32_t *ret)
{
        uint32_t v = 0;
        if (end - p < 4)
                return -EINVAL;
        for (int i = 0; i < 4; i++) {
                char ch = p[i];
                v <<= 4;
                if (ch >= '0' && ch <= '9')
                        v |= (uint32_t)(ch - '0');
                else if (ch >= 'a' && ch <= 'f')
                        v |= (uint32_t)(ch - 'a' + 10);
                else if (ch >= 'A' && ch <= 'F')
                        v |= (uint32_t)(ch - 'A' + 10);
                else
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

static void put_utf8(RossBuf *b, uint32_t cp)
{
        unsigned char u[4];
        size_t n;
        if (cp < 0x80)
                u[0] = (unsigned char)cp, n = 1;
        else if (cp < 0x800)
                u[0] = (unsigned char)(0xc0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3f)),
                n = 2;
        else if (cp < 0x10000)
                u[0] = (unsigned char)(0xe0 | cp >> 12),
                u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
                u[2] = (unsigned char)(0x80 | (cp & 0x3f)), n = 3;
        else
                u[0] = (unsigned char)(0xf0 | cp >> 18),
                u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)),
                u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
                u[3] = (unsigned char)(0x80 | (cp & 0x3f)), n = 4;
        ross_buf_append(b, u, n);
}

/* A JSON string at *p (at its opening quote); its text appended to out (NULL: dropped).
 * A lone surrogate becomes U+FFFD, as Go's decoder makes it. */
static int json_string(const char **p, const char *end, RossBuf *out)
{
        const char *s = *p;
        if (s >= end || *s != '"')
                return -EINVAL;
        s++;
        _cleanup_(ross_buf_free) RossBuf scratch = {};
        RossBuf *b = out ? out : &scratch;
        int r = -EINVAL;
        while (s < end) {
                const char *run = s;
                while (s < end && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
                        s++;
                ross_buf_append(b, run, (size_t)(s - run));
                if (s >= end || (unsigned char)*s < 0x20)
                        break;
                if (*s == '"') {
                        *p = s + 1;
                        r = 0;
                        break;
                }
                /* a backslash */
                if (++s >= end)
                        break;
                char ch = *s++;
                const char *simple = strchr("\"\\/bfnrt", ch);
                if (ch && simple) {
                        static const char to[] = "\"\\/\b\f\n\r\t";
                        ross_buf_append(b, &to[simple - "\"\\/bfnrt"], 1);
                        continue;
                }
                uint32_t cp, lo;
                if (ch != 'u' || hex4(s, end, &cp) < 0)
                        break;
                s += 4;
                if (cp >= 0xd800 && cp < 0xdc00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u' &&
                    hex4(s + 2, end, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        s += 6;
                } else if (cp >= 0xd800 && cp < 0xe000)
                        cp = 0xfffd;
                put_utf8(b, cp);
        }
        return r;
}

int shim_log_decode(const char *line, size_t n, int *ret_stream, RossBuf *out)
{
        const char *p = line, *end = line + n;
        size_t mark = out->len;
        bool have_log = false;
        int stream = 0;
        skip_ws(&p, end);
        if (p >= end || *p++ != '{')
                return -EINVAL;
        skip_ws(&p, end);
        if (p < end && *p == '}')
                return -EINVAL; /* an empty object is no entry */
        for (;;) {
                _cleanup_(ross_buf_free) RossBuf key = {.cap = 64};
                skip_ws(&p, end);
                int r = json_string(&p, end, &key);
                skip_ws(&p, end);
                if (r < 0 || p >= end || *p++ != ':')
                        goto bad;
                skip_ws(&p, end);
                if (STREQ(key.data ? key.data : "", "log") && !have_log) {
                        r = json_string(&p, end, out);
                        have_log = r == 0;
                } else if (STREQ(key.data ? key.data : "", "stream")) {
                        _cleanup_(ross_buf_free) RossBuf v = {.cap = 16};
                        r = json_string(&p, end, &v);
                        stream = r < 0 || !v.data          ? 0
                                 : STREQ(v.data, "stdout") ? 1
                                 : STREQ(v.data, "stderr") ? 2
                                                           : 0;
                } else
                        r = json_string(&p, end, NULL); /* time, attrs: strings too */
                if (r < 0)
                        goto bad;
                skip_ws(&p, end);
                if (p < end && *p == ',') {
                        p++;
                        continue;
                }
                if (p < end && *p == '}') {
                        p++;
                        break;
                }
                goto bad;
        }
        skip_ws(&p, end);
        if (p != end || !have_log || stream == 0)
                goto bad;
        *ret_stream = stream;
        return 0;
bad:
        out->len = mark;
        if (out->data)
                out->data[mark] = '\0';
        return -EINVAL;
}

int shim_log_reader_open(ShimLogReader *r, const char *path)
{
        *r = (ShimLogReader){.fd = {-EBADF, -EBADF}};
        _cleanup_free_ char *old = xasprintf("%s.1", path);
        const char *paths[2] = {old, path};
        for (int i = 0; i < 2; i++) {
                r->fd[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
                struct stat st;
                if (r->fd[i] < 0 && errno != ENOENT) {
                        int e = -errno;
                        shim_log_reader_close(r);
                        return e;
                }
                if (r->fd[i] >= 0 && fstat(r->fd[i], &st) == 0)
                        r->left[i] = (uint64_t)st.st_size;
        }
        return 0;
}

/* More bytes of the current file into buf; false when both files are done. */
static int fill(ShimLogReader *r)
{
        while (r->cur < 2) {
                if (r->fd[r->cur] < 0 || r->left[r->cur] == 0) {
                        if (r->fd[r->cur] >= 0)
                                close(r->fd[r->cur]);
                        r->fd[r->cur] = -EBADF;
                        /* a file's last line without its newline ends with the file */
                        if (r->buf.len)
                                ross_buf_append(&r->buf, "\n", 1);
                        r->cur++;
                        if (r->buf.len)
                                return 1;
                        continue;
                }
                char chunk[65536];
                size_t want =
                        r->left[r->cur] < sizeof(chunk) ? (size_t)r->left[r->cur] : sizeof(chunk);
                ssize_t k = read(r->fd[r->cur], chunk, want);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0) {
                        r->left[r->cur] = 0; /* shorter than it was: truncated */
                        continue;
                }
                r->left[r->cur] -= (uint64_t)k;
                ross_buf_append(&r->buf, chunk, (size_t)k);
                return 1;
        }
        return 0;
}

int shim_log_reader_next(ShimLogReader *r, int *ret_stream, RossBuf *out)
{
        size_t scanned = 0;
        for (;;) {
                char *nl = r->buf.len > scanned
                                   ? memchr(r->buf.data + scanned, '\n', r->buf.len - scanned)
                                   : NULL;
                if (nl) {
                        size_t n = (size_t)(nl - r->buf.data);
                        bool skip = r->skipping;
                        r->skipping = false;
                        int st = 0;
                        int dr = skip ? -EINVAL : shim_log_decode(r->buf.data, n, &st, out);
                        memmove(r->buf.data, nl + 1, r->buf.len - n - 1);
                        r->buf.len -= n + 1;
                        scanned = 0;
                        if (dr == 0) {
                                *ret_stream = st;
                                return 1;
                        }
                        continue;
                }
                scanned = r->buf.len;
                if (r->buf.len > ENTRY_LINE_MAX) {
                        /* not an entry: drop it up to its newline */
                        r->skipping = true;
                        r->buf.len = scanned = 0;
                }
                int k = fill(r);
                if (k <= 0)
                        return k;
        }
}

void shim_log_reader_close(ShimLogReader *r)
{
        for (int i = 0; i < 2; i++)
                if (r->fd[i] >= 0)
                        close(r->fd[i]);
        r->fd[0] = r->fd[1] = -EBADF;
        ross_buf_free(&r->buf);
}
