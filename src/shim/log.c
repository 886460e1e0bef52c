/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "../basic/fileio.h"
#include "log.h"

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

int shim_log_open(ShimLog *l, const char *path, uint64_t max, unsigned files)
{
        l->max = max;
        l->files = files ? files : 1;
        l->fd = -EBADF;
        if (!path) {
                l->path = NULL;
                return 0;
        }
        l->path = xstrdup(path);
        l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (l->fd < 0)
                return -errno;
        struct stat st;
        if (fstat(l->fd, &st) == 0)
                l->size = (uint64_t)st.st_size;
        return 0;
}

static char *backup_name(const char *path, unsigned k)
{
        return xasprintf("%s.%u", path, k);
}

/* Docker's order: the old file is closed before it is renamed, so a reader that sees the
 * rename has all there will ever be in it. */
static void rotate(ShimLog *l)
{
        l->fd = safe_close(l->fd);
        if (l->files <= 1) {
                /* no backups: a reader holding the old file reads it to its end */
                (void)unlink(l->path);
        } else {
                /* the backups there are (they are numbered without gaps), the last dropped
                 * when all files-1 are there */
                unsigned top = 0;
                for (;;) {
                        _cleanup_free_ char *next = backup_name(l->path, top + 1);
                        if (top + 1 >= l->files || access(next, F_OK) < 0)
                                break;
                        top++;
                }
                if (top == l->files - 1) {
                        _cleanup_free_ char *last = backup_name(l->path, top);
                        (void)unlink(last);
                        top--;
                }
                for (unsigned k = top; k >= 1; k--) {
                        _cleanup_free_ char *from = backup_name(l->path, k);
                        _cleanup_free_ char *to = backup_name(l->path, k + 1);
                        (void)rename(from, to);
                }
                _cleanup_free_ char *first = backup_name(l->path, 1);
                (void)rename(l->path, first);
        }
        l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
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
        if (!l->path)
                return;
        RossBuf *b = &l->partial[stream - 1];
        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t take = nl ? (size_t)(nl - p) + 1 : n;
                if (b->len + take > SHIM_LOG_LINE_MAX)
                        take = SHIM_LOG_LINE_MAX - b->len;
                ross_buf_append(b, p, take);
                p += take;
                n -= take;
                if (b->data[b->len - 1] == '\n' || b->len >= SHIM_LOG_LINE_MAX) {
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
        l->fd = safe_close(l->fd);
        ross_buf_free(&l->partial[0]);
        ross_buf_free(&l->partial[1]);
        free(l->path);
        l->path = NULL;
}
