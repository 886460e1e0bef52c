/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the container log back (log.h): the line decoder, and the reader that goes
 * through the rotated files by their inodes. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* An entry's line is at most 16 KiB of text escaped (6 bytes each at worst) and a little
 * more; anything much longer is not ours. */
#define ENTRY_LINE_MAX (SHIM_LOG_LINE_MAX * 6 + 4096)
#define CHUNK          65536

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

int shim_log_decode(const char *line, size_t n, int *ret_stream, RossBuf *out, RossBuf *ret_time)
{
        _cleanup_(ross_buf_free) RossBuf when = {.cap = 128};
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
                } else if (STREQ(key.data ? key.data : "", "time")) {
                        when.len = 0;
                        r = json_string(&p, end, &when);
                } else
                        r = json_string(&p, end, NULL); /* attrs: strings too */
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
        if (ret_time) {
                ret_time->len = 0;
                ross_buf_append(ret_time, when.data ? when.data : "", when.len);
        }
        return 0;
bad:
        out->len = mark;
        if (out->data)
                out->data[mark] = '\0';
        return -EINVAL;
}

/* ---- the files ---- */

/* Backups are numbered without gaps but for the one a rotation is moving at that moment:
 * a search through them ends at two missing in a row. */
#define MISSING_END 2
/* An open raced by a rotation is tried again this often, then the reader goes on with
 * what it has. */
#define RACE_TRIES 5

static char *name_of(const char *path, unsigned k)
{
        return k == 0 ? xstrdup(path) : xasprintf("%s.%u", path, k);
}

static bool stat_name(const char *path, unsigned k, struct stat *st)
{
        _cleanup_free_ char *n = name_of(path, k);
        return stat(n, st) == 0;
}

static bool same(const struct stat *st, const ShimLogFile *f)
{
        return st->st_dev == f->dev && st->st_ino == f->ino;
}

/* NAME (k 0) or NAME.k, open: 0, -ENOENT when there is none, else a negative errno. */
static int open_name(const char *path, unsigned k, ShimLogFile *ret)
{
        _cleanup_free_ char *n = name_of(path, k);
        _cleanup_close_ int fd = open(n, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        *ret = (ShimLogFile){.fd = TAKE_FD(fd),
                             .dev = st.st_dev,
                             .ino = st.st_ino,
                             .idx = k,
                             .size = (uint64_t)st.st_size};
        return 0;
}

/* Where f is named now, searched from where it was (a rotation only ever moves a file up):
 * its index (f->idx updated), -1 when it has no name any more. */
static int locate(const char *path, ShimLogFile *f)
{
        unsigned missing = 0;
        for (unsigned k = f->idx; missing < MISSING_END && k < INT_MAX; k++) {
                struct stat st;
                if (!stat_name(path, k, &st)) {
                        missing++;
                        continue;
                }
                missing = 0;
                if (same(&st, f)) {
                        f->idx = k;
                        return (int)k;
                }
        }
        return -1;
}

/* The highest backup there is; 0: none. */
static unsigned oldest(const char *path)
{
        unsigned top = 0, missing = 0;
        for (unsigned k = 1; missing < MISSING_END && k < INT_MAX; k++) {
                struct stat st;
                if (stat_name(path, k, &st)) {
                        top = k;
                        missing = 0;
                } else
                        missing++;
        }
        return top;
}

static void drop_files(ShimLogReader *r)
{
        r->cur.fd = safe_close(r->cur.fd);
        for (size_t i = r->next_pending; i < r->n_pending; i++)
                safe_close(r->pending[i].fd);
        free(r->pending);
        r->pending = NULL;
        r->n_pending = r->next_pending = 0;
}

static void hold(ShimLogReader *r, ShimLogFile f, uint64_t off)
{
        safe_close(r->cur.fd);
        r->cur = f;
        r->off = off;
        r->drained = false;
}

/*
 * Back from end in fd, counting lines: *need is how many are still wanted; the first
 * newline met of all (*first) ends the last line and is not counted. 1 with *ret_pos where
 * the wanted lines begin, 0 when the whole file is among them (*need lowered by its
 * lines), else a negative errno.
 */
static int count_back(int fd, uint64_t end, uint64_t *need, bool *first, uint64_t *ret_pos)
{
        char buf[CHUNK];
        uint64_t pos = end;
        while (pos > 0) {
                size_t n = pos < CHUNK ? (size_t)pos : CHUNK;
                ssize_t k = pread(fd, buf, n, (off_t)(pos - n));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if ((size_t)k != n)
                        return -EIO; /* shorter than it was: nobody truncates these */
                pos -= n;
                for (size_t i = n; i-- > 0;) {
                        if (buf[i] != '\n')
                                continue;
                        if (*first) {
                                *first = false;
                                continue;
                        }
                        if (--*need == 0) {
                                *ret_pos = pos + i + 1;
                                return 1;
                        }
                }
        }
        return 0;
}

/* Open what there is, newest first into files (n of them, at most SHIM_LOG_FILES_MAX, each
 * once); -EAGAIN when a rotation came between the opens (files still hold what was found),
 * else a negative errno. */
static int open_all(const char *path, ShimLogFile *files, size_t *ret_n)
{
        size_t n = 0;
        unsigned missing = 0;
        int r = 0;
        bool raced = false;
        for (unsigned k = 0; missing < MISSING_END && k < INT_MAX && n < SHIM_LOG_FILES_MAX; k++) {
                ShimLogFile f;
                r = open_name(path, k, &f);
                if (r == -ENOENT) {
                        r = 0;
                        if (k > 0)
                                missing++;
                        continue;
                }
                if (r < 0)
                        break;
                missing = 0;
                /* renamed up between two opens: the same file twice, kept once */
                bool dup = false;
                for (size_t i = 0; i < n && !dup; i++)
                        dup = files[i].dev == f.dev && files[i].ino == f.ino;
                if (dup) {
                        safe_close(f.fd);
                        raced = true;
                        continue;
                }
                files[n++] = f;
        }
        if (r == 0 && raced)
                r = -EAGAIN;
        /* and none of them moved once they were all open */
        for (size_t i = 0; i < n && r == 0; i++) {
                struct stat st;
                if (!stat_name(path, files[i].idx, &st) || !same(&st, &files[i]))
                        r = -EAGAIN;
        }
        *ret_n = n;
        return r;
}

/* The files, and where reading begins; -EAGAIN when a rotation came in the way, unless
 * accept_race (then what was found is taken as it is). */
static int start(ShimLogReader *r, int64_t tail, bool accept_race)
{
        drop_files(r);
        ShimLogFile *files = xcalloc(SHIM_LOG_FILES_MAX, sizeof(*files));
        size_t n = 0;
        int k = open_all(r->path, files, &n);
        if (k == -EAGAIN && accept_race)
                k = 0;
        /* where reading begins (files are newest first): the oldest; with a tail, the file
         * and offset its first line is at */
        size_t from = n ? n - 1 : 0;
        uint64_t off = 0;
        if (k == 0 && n > 0 && tail == 0) {
                from = 0;
                off = files[0].size;
        } else if (k == 0 && n > 0 && tail > 0) {
                uint64_t need = (uint64_t)tail, pos = 0;
                bool first = true;
                for (size_t i = 0; i < n; i++) {
                        int c = count_back(files[i].fd, files[i].size, &need, &first, &pos);
                        if (c < 0)
                                k = c;
                        if (c != 0) {
                                from = i;
                                off = pos;
                                break;
                        }
                }
        }
        if (k < 0) {
                for (size_t i = 0; i < n; i++)
                        safe_close(files[i].fd);
                free(files);
                return k;
        }
        /* oldest first: the one to begin with, then the ones after it */
        for (size_t i = from + 1; i < n; i++)
                files[i].fd = safe_close(files[i].fd);
        r->pending = xcalloc(from + 1, sizeof(*r->pending));
        for (size_t i = 0; i + 1 <= from; i++)
                r->pending[i] = files[from - 1 - i];
        r->n_pending = from;
        if (n > 0)
                hold(r, files[from], off);
        free(files);
        return 0;
}

int shim_log_reader_open(ShimLogReader *r, const char *path, bool follow, int64_t tail)
{
        *r = (ShimLogReader){.cur = {.fd = -EBADF}, .follow = follow};
        if (!path) {
                r->done = true;
                return 0;
        }
        r->path = xstrdup(path);
        int k = -EAGAIN;
        /* rotating without a pause: at last as it is */
        for (int i = 0; i <= RACE_TRIES && k == -EAGAIN; i++)
                k = start(r, tail, i == RACE_TRIES);
        if (k < 0) {
                shim_log_reader_close(r);
                return k;
        }
        return 0;
}

/* With follow, past what there was at open: the file after the one held, which is now at
 * index j (-1: it has no name any more, and every file there is came after it). */
static int next_by_name(ShimLogReader *r, int j)
{
        for (int i = 0; i < RACE_TRIES; i++) {
                unsigned want = j > 0 ? (unsigned)j - 1 : oldest(r->path);
                ShimLogFile f;
                int k = open_name(r->path, want, &f);
                if (k < 0 && k != -ENOENT)
                        return k;
                if (k == 0) {
                        /* the one held did not move meanwhile: f is the one after it */
                        int again = j > 0 ? locate(r->path, &r->cur) : -1;
                        if (again == j && !(f.dev == r->cur.dev && f.ino == r->cur.ino)) {
                                hold(r, f, 0);
                                return 0;
                        }
                        safe_close(f.fd);
                        j = again;
                        continue;
                }
                j = locate(r->path, &r->cur); /* a rotation is moving them just now */
        }
        /* rotations faster than this reader: on with NAME when it is there */
        r->cur.fd = safe_close(r->cur.fd);
        return 0;
}

/* A file's last line without its newline ends with the file: 1 when one was ended. */
static int end_line(ShimLogReader *r)
{
        if (r->buf.len == r->pos && !r->skipping)
                return 0;
        ross_buf_append(&r->buf, "\n", 1);
        return 1;
}

/* The end of the file held (for now): 1 when the next one is held (or a last line was
 * ended), 0 at the end (with follow: nothing yet), or a negative errno. */
static int file_end(ShimLogReader *r)
{
        if (r->next_pending < r->n_pending) {
                /* a file that was there at open is whole: on with the next one */
                (void)end_line(r);
                hold(r, r->pending[r->next_pending++], 0);
                return 1;
        }
        if (!r->follow) {
                r->done = true;
                return end_line(r);
        }
        int j = locate(r->path, &r->cur);
        if (j == 0)
                return 0; /* still written to: more later */
        if (!r->drained) {
                /* renamed away: once more for what was written before the rename */
                r->drained = true;
                return 1;
        }
        (void)end_line(r);
        int k = next_by_name(r, j);
        return k < 0 ? k : 1;
}

/* More bytes into buf: 1 (perhaps none, when a file ended: look again); 0 at the end (with
 * follow: nothing yet); a negative errno. */
static int fill(ShimLogReader *r)
{
        if (r->done)
                return 0;
        if (r->cur.fd < 0) {
                if (!r->follow) {
                        r->done = true;
                        return end_line(r);
                }
                ShimLogFile f;
                int k = open_name(r->path, 0, &f);
                if (k == -ENOENT)
                        return 0; /* not there yet */
                if (k < 0)
                        return k;
                hold(r, f, 0);
        }
        /* without follow a file ends where it ended at open */
        uint64_t limit = r->follow ? UINT64_MAX : r->cur.size;
        if (r->off < limit) {
                char chunk[CHUNK];
                size_t want = limit - r->off < CHUNK ? (size_t)(limit - r->off) : CHUNK;
                ssize_t k;
                do
                        k = pread(r->cur.fd, chunk, want, (off_t)r->off);
                while (k < 0 && errno == EINTR);
                if (k < 0)
                        return -errno;
                if (k > 0) {
                        r->off += (uint64_t)k;
                        ross_buf_append(&r->buf, chunk, (size_t)k);
                        return 1;
                }
        }
        return file_end(r);
}

int shim_log_reader_next(ShimLogReader *r, int *ret_stream, RossBuf *out, RossBuf *ret_time)
{
        size_t scanned = r->pos;
        for (;;) {
                char *nl = r->buf.len > scanned
                                   ? memchr(r->buf.data + scanned, '\n', r->buf.len - scanned)
                                   : NULL;
                if (nl) {
                        size_t n = (size_t)(nl - (r->buf.data + r->pos));
                        bool skip = r->skipping;
                        r->skipping = false;
                        int st = 0;
                        int dr =
                                skip ? -EINVAL
                                     : shim_log_decode(r->buf.data + r->pos, n, &st, out, ret_time);
                        r->pos += n + 1;
                        scanned = r->pos;
                        if (dr == 0) {
                                *ret_stream = st;
                                return 1;
                        }
                        continue;
                }
                /* what was taken goes before more is read */
                size_t keep = r->buf.len - r->pos;
                if (r->pos) {
                        memmove(r->buf.data, r->buf.data + r->pos, keep);
                        r->buf.len = keep;
                        r->buf.data[keep] = '\0';
                        r->pos = 0;
                }
                scanned = keep;
                if (keep > ENTRY_LINE_MAX) {
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
        drop_files(r);
        free(r->path);
        r->path = NULL;
        ross_buf_free(&r->buf);
        r->pos = 0;
        r->done = true;
}
