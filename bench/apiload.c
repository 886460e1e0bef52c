/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apiload: the load generator of bench/api, for an HTTP/1.1 API on a unix socket (Ross's,
 * dockerd's, podman's service).
 *
 *   apiload get [-c CONNECTIONS] [-d SECONDS | -n REQUESTS] SOCKET PATH...
 *
 * CONNECTIONS keep-alive connections (default 4), a thread each, send `GET PATH` one after
 * another (the PATHs in turn) for SECONDS (default 5) or until REQUESTS have been sent in
 * all. Each response is read whole (Content-Length or chunked, or to the close), and counts
 * as an error unless its status is 200. Prints one line of key=value: requests (answered
 * with 200), errors, seconds, rps, latency percentiles of the 200s in ms, the status of the
 * first non-200 answer (0: none) and client_cpu, the cores this program used on average
 * (well under 1 when it is not the bottleneck).
 *
 *   apiload events [-s SUBSCRIBERS] [-r ROUNDS] [-t TIMEOUT] SOCKET CONTAINER
 *
 * SUBSCRIBERS connections (default 20) stream `GET /events`; then, ROUNDS times (default 5,
 * after one round not counted), CONTAINER is started and stopped (`POST .../start`, `POST
 * .../stop?t=0`) on another connection. For each action: the time from sending its request
 * to every subscriber having read the container's event for it ("start"; for a stop "die",
 * which every engine sends, where podman leaves "stop" out when it sees the exit first), to
 * the first having it, and the action's own response time. An event that some subscriber
 * has not read after TIMEOUT seconds (default 10) counts as missed. Prints one line of
 * key=value with the medians over all actions.
 *
 * Exit status: 0 when something was measured (errors are counted, not fatal), 1 when not,
 * 2 for bad usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "../src/basic/macros.h"
#include "../src/basic/parse.h"
#include "../src/basic/socket.h"

#define API_PREFIX "/v1.41"
#define BUF_SIZE   (64 * 1024)
#define MAX_LINE   (16 * 1024)
/* one event line; Docker's are under 1 KiB */
#define MAX_EVENT (1024 * 1024)
#define MAX_CHUNK ((uint64_t)1 << 32)
/* a stalled daemon fails the run instead of hanging it */
#define IO_TIMEOUT_S 60

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* Nearest rank of sorted v[n]; NAN for none. */
static double percentile(const double *v, size_t n, double q)
{
        if (n == 0)
                return NAN;
        size_t rank = (size_t)ceil(q * (double)n);
        return v[rank ? rank - 1 : 0];
}

/* ---- one connection and the HTTP/1.1 it reads ---- */

typedef struct Conn {
        int fd;
        size_t off, len; /* unread bytes: buf[off .. off + len) */
        char buf[BUF_SIZE];
} Conn;

static void conn_close(Conn *c)
{
        c->fd = safe_close(c->fd);
        c->off = c->len = 0;
}

static int conn_open(Conn *c, const char *socket_path, bool timeout)
{
        conn_close(c);
        int fd = ross_unix_connect(socket_path);
        if (fd < 0)
                return fd;
        if (timeout) {
                struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
                (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        }
        c->fd = fd;
        return 0;
}

static int conn_send(Conn *c, const char *data, size_t n)
{
        while (n > 0) {
                ssize_t k = send(c->fd, data, n, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return errno == EAGAIN ? -ETIMEDOUT : -errno;
                data += k;
                n -= (size_t)k;
        }
        return 0;
}

/* Read more into the buffer. -ECONNRESET when the peer has closed. */
static int conn_fill(Conn *c)
{
        if (c->len == 0)
                c->off = 0;
        else if (c->off > 0) {
                memmove(c->buf, c->buf + c->off, c->len);
                c->off = 0;
        }
        if (c->len == sizeof(c->buf))
                return -ENOBUFS;
        ssize_t n;
        do
                n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN ? -ETIMEDOUT : -errno;
        if (n == 0)
                return -ECONNRESET;
        c->len += (size_t)n;
        return 0;
}

/* The next line without its CRLF (or LF), NUL-terminated in the buffer: valid until the
 * next read from c. */
static int conn_line(Conn *c, char **ret)
{
        for (;;) {
                char *start = c->buf + c->off, *nl = memchr(start, '\n', c->len);
                if (nl) {
                        size_t n = (size_t)(nl - start);
                        *nl = '\0';
                        if (n > 0 && start[n - 1] == '\r')
                                start[n - 1] = '\0';
                        c->off += n + 1;
                        c->len -= n + 1;
                        *ret = start;
                        return 0;
                }
                if (c->len >= MAX_LINE)
                        return -E2BIG;
                int r = conn_fill(c);
                if (r < 0)
                        return r;
        }
}

typedef enum BodyMode {
        BODY_NONE,
        BODY_LENGTH,
        BODY_CHUNKED,
        BODY_TO_CLOSE,
} BodyMode;

typedef struct Response {
        int status;
        bool close; /* the server closes the connection after this response */
        BodyMode mode;
        uint64_t left;  /* BODY_LENGTH: bytes to come; BODY_CHUNKED: of this chunk */
        bool in_chunks; /* BODY_CHUNKED: a chunk's data has been read (its CRLF is next) */
        bool done;
} Response;

static char *trim(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
        return s;
}

/* The status line and the headers. */
static int read_head(Conn *c, Response *ret)
{
        Response r = {.mode = BODY_TO_CLOSE};
        char *line;
        int k = conn_line(c, &line);
        if (k < 0)
                return k;
        /* "HTTP/1.1 200 OK" */
        if (strlen(line) < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ' ||
            (line[12] != ' ' && line[12] != '\0'))
                return -EBADMSG;
        char code[4] = {line[9], line[10], line[11], '\0'};
        if (ross_parse_int(code, 100, 599, &r.status) < 0)
                return -EBADMSG;
        bool http10 = line[7] == '0', keep_alive = false, length = false, chunked = false;
        for (;;) {
                k = conn_line(c, &line);
                if (k < 0)
                        return k;
                if (!*line)
                        break;
                char *colon = strchr(line, ':');
                if (!colon)
                        return -EBADMSG;
                *colon = '\0';
                char *value = trim(colon + 1);
                if (strcasecmp(line, "Content-Length") == 0) {
                        if (ross_parse_u64(value, UINT64_MAX / 2, &r.left) < 0)
                                return -EBADMSG;
                        length = true;
                } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
                        /* chunked is the last coding when it is there at all */
                        size_t n = strlen(value);
                        chunked = n >= 7 && strcasecmp(value + n - 7, "chunked") == 0;
                } else if (strcasecmp(line, "Connection") == 0) {
                        if (strcasestr(value, "close"))
                                r.close = true;
                        if (strcasestr(value, "keep-alive"))
                                keep_alive = true;
                }
        }
        if (http10 && !keep_alive)
                r.close = true;
        if (r.status == 204 || r.status == 304 || r.status < 200)
                r.mode = BODY_NONE;
        else if (chunked)
                r.mode = BODY_CHUNKED;
        else if (length)
                r.mode = BODY_LENGTH;
        if (r.mode == BODY_TO_CLOSE)
                r.close = true;
        r.done = r.mode == BODY_NONE || (r.mode == BODY_LENGTH && r.left == 0);
        *ret = r;
        return 0;
}

/* The next piece of the body, in the connection's buffer (valid until the next read from
 * c). Returns 1 with a piece, 0 at the end of the body, or a negative errno. */
static int read_body(Conn *c, Response *r, const char **ret, size_t *ret_n)
{
        char *line;
        int k;

        if (r->done)
                return 0;
        if (r->mode == BODY_CHUNKED && r->left == 0) {
                if (r->in_chunks) {
                        /* the CRLF after a chunk's data */
                        k = conn_line(c, &line);
                        if (k < 0)
                                return k;
                        if (*line)
                                return -EBADMSG;
                }
                k = conn_line(c, &line);
                if (k < 0)
                        return k;
                char *ext = strchr(line, ';');
                if (ext)
                        *ext = '\0';
                uint64_t size;
                if (ross_parse_u64_hex(trim(line), MAX_CHUNK, &size) < 0)
                        return -EBADMSG;
                if (size == 0) {
                        /* trailers, up to the empty line */
                        do {
                                k = conn_line(c, &line);
                                if (k < 0)
                                        return k;
                        } while (*line);
                        r->done = true;
                        return 0;
                }
                r->left = size;
                r->in_chunks = true;
        }
        if (c->len == 0) {
                k = conn_fill(c);
                if (k == -ECONNRESET && r->mode == BODY_TO_CLOSE) {
                        r->done = true;
                        return 0;
                }
                if (k < 0)
                        return k;
        }
        size_t n = c->len;
        if (r->mode != BODY_TO_CLOSE && n > r->left)
                n = (size_t)r->left;
        *ret = c->buf + c->off;
        *ret_n = n;
        c->off += n;
        c->len -= n;
        if (r->mode != BODY_TO_CLOSE) {
                r->left -= n;
                if (r->mode == BODY_LENGTH && r->left == 0)
                        r->done = true;
        }
        return 1;
}

/* Read the rest of the body and drop it. */
static int skip_body(Conn *c, Response *r)
{
        const char *p;
        size_t n;
        int k;
        while ((k = read_body(c, r, &p, &n)) > 0)
                ;
        return k;
}

static char *request_for(const char *method, const char *path)
{
        char *s;
        if (asprintf(&s,
                     "%s " API_PREFIX "%s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: apiload\r\n"
                     "%s\r\n",
                     method, path, STREQ(method, "POST") ? "Content-Length: 0\r\n" : "") < 0)
                abort();
        return s;
}

/* ---- apiload get ---- */

typedef struct Load {
        const char *socket_path;
        char **requests;
        size_t n_requests;
        double deadline; /* 0: by count */
        uint64_t count, issued;
} Load;

typedef struct Worker {
        Load *load;
        size_t next;
        double *lat; /* ms */
        size_t n_lat, cap_lat;
        uint64_t errors;
        int bad_status;
        int io_error;
        double last;
        pthread_t thread;
} Worker;

static bool more(Worker *w)
{
        Load *l = w->load;
        if (l->deadline > 0)
                return now_s() < l->deadline;
        return __atomic_fetch_add(&l->issued, 1, __ATOMIC_RELAXED) < l->count;
}

static void *get_worker(void *arg)
{
        Worker *w = arg;
        Load *l = w->load;
        _cleanup_free_ Conn *c = xcalloc(1, sizeof(Conn));
        c->fd = -EBADF;
        unsigned failures = 0;

        while (more(w)) {
                if (c->fd < 0) {
                        int k = conn_open(c, l->socket_path, true);
                        if (k < 0) {
                                w->io_error = k;
                                w->errors++;
                                break;
                        }
                }
                const char *req = l->requests[w->next++ % l->n_requests];
                double t0 = now_s();
                Response r = {};
                int k = conn_send(c, req, strlen(req));
                if (k >= 0)
                        k = read_head(c, &r);
                if (k >= 0)
                        k = skip_body(c, &r);
                double t1 = now_s();
                if (k < 0) {
                        w->io_error = k;
                        w->errors++;
                        conn_close(c);
                        /* a daemon that keeps failing ends the thread, not the machine */
                        if (++failures >= 10)
                                break;
                        continue;
                }
                failures = 0;
                w->last = t1;
                if (r.status == 200) {
                        if (w->n_lat == w->cap_lat) {
                                w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 4096;
                                w->lat = xrealloc(w->lat, w->cap_lat * sizeof(double));
                        }
                        w->lat[w->n_lat++] = (t1 - t0) * 1e3;
                } else {
                        w->errors++;
                        if (!w->bad_status)
                                w->bad_status = r.status;
                }
                if (r.close)
                        conn_close(c);
        }
        conn_close(c);
        return NULL;
}

static double cpu_seconds(void)
{
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) < 0)
                return NAN;
        return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static _noreturn_ void usage(int status)
{
        fprintf(status ? stderr : stdout,
                "usage: apiload get [-c CONNECTIONS] [-d SECONDS | -n REQUESTS] SOCKET PATH...\n"
                "       apiload events [-s SUBSCRIBERS] [-r ROUNDS] [-t TIMEOUT] SOCKET "
                "CONTAINER\n");
        exit(status);
}

static unsigned flag_uint(char opt, const char *s, unsigned min, unsigned max)
{
        int v;
        if (ross_parse_int(s, (int)min, (int)max, &v) < 0) {
                fprintf(stderr, "apiload: -%c %s: a number from %u to %u\n", opt, s, min, max);
                exit(2);
        }
        return (unsigned)v;
}

static double flag_seconds(char opt, const char *s)
{
        double v;
        if (ross_parse_decimal(s, 3600, &v, NULL) < 0 || v <= 0) {
                fprintf(stderr, "apiload: -%c %s: seconds, above 0 and at most 3600\n", opt, s);
                exit(2);
        }
        return v;
}

static int cmd_get(int argc, char **argv)
{
        unsigned conns = 4;
        double seconds = 5;
        uint64_t count = 0;
        int o;
        while ((o = getopt(argc, argv, "+c:d:n:h")) != -1) {
                switch (o) {
                case 'c':
                        conns = flag_uint('c', optarg, 1, 1024);
                        break;
                case 'd':
                        seconds = flag_seconds('d', optarg);
                        break;
                case 'n':
                        count = flag_uint('n', optarg, 1, 100000000);
                        break;
                case 'h':
                        usage(0);
                default:
                        usage(2);
                }
        }
        if (argc - optind < 2)
                usage(2);

        Load l = {.socket_path = argv[optind], .count = count};
        l.n_requests = (size_t)(argc - optind - 1);
        l.requests = xcalloc(l.n_requests, sizeof(char *));
        for (size_t i = 0; i < l.n_requests; i++) {
                const char *path = argv[optind + 1 + (int)i];
                if (path[0] != '/') {
                        fprintf(stderr, "apiload: %s: a path starts with /\n", path);
                        return 2;
                }
                l.requests[i] = request_for("GET", path);
        }

        _cleanup_free_ Worker *w = xcalloc(conns, sizeof(Worker));
        double cpu0 = cpu_seconds(), t0 = now_s();
        if (!count)
                l.deadline = t0 + seconds;
        for (unsigned i = 0; i < conns; i++) {
                w[i].load = &l;
                w[i].next = i; /* connections start at different paths */
                int k = pthread_create(&w[i].thread, NULL, get_worker, &w[i]);
                if (k != 0) {
                        fprintf(stderr, "apiload: a thread: %s\n", strerror(k));
                        return 1;
                }
        }
        for (unsigned i = 0; i < conns; i++)
                pthread_join(w[i].thread, NULL);
        double cpu = cpu_seconds() - cpu0;

        size_t n = 0;
        uint64_t errors = 0;
        int bad_status = 0, io_error = 0;
        double last = t0;
        for (unsigned i = 0; i < conns; i++) {
                n += w[i].n_lat;
                errors += w[i].errors;
                if (!bad_status)
                        bad_status = w[i].bad_status;
                if (!io_error)
                        io_error = w[i].io_error;
                if (w[i].last > last)
                        last = w[i].last;
        }
        _cleanup_free_ double *all = xcalloc(n, sizeof(double));
        size_t at = 0;
        for (unsigned i = 0; i < conns; i++) {
                memcpy(all + at, w[i].lat, w[i].n_lat * sizeof(double));
                at += w[i].n_lat;
                free(w[i].lat);
        }
        qsort(all, n, sizeof(double), cmp_double);
        /* up to the last answer: a request still out at the deadline is waited for */
        double elapsed = last - t0;
        printf("requests=%zu errors=%" PRIu64 " seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f "
               "p99_ms=%.3f max_ms=%.3f status=%d client_cpu=%.2f\n",
               n, errors, elapsed, elapsed > 0 ? (double)n / elapsed : 0.0,
               percentile(all, n, 0.50), percentile(all, n, 0.90), percentile(all, n, 0.99),
               n ? all[n - 1] : NAN, bad_status, elapsed > 0 ? cpu / elapsed : 0.0);
        if (io_error)
                fprintf(stderr, "apiload: %s: %s\n", l.socket_path, strerror(-io_error));
        if (bad_status)
                fprintf(stderr, "apiload: %s: a request was answered %d\n", l.socket_path,
                        bad_status);
        for (size_t i = 0; i < l.n_requests; i++)
                free(l.requests[i]);
        free(l.requests);
        return n > 0 ? 0 : 1;
}

/* ---- apiload events ---- */

typedef struct Fanout {
        const char *socket_path;
        const char *container;
        size_t n_subs;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        size_t n_ready, n_failed; /* subscribers with their response head / gone */
        const char *want;         /* the action awaited now; NULL: none */
        double *seen;             /* [n_subs]: when each read it; 0: not yet */
        size_t n_seen;
} Fanout;

typedef struct Subscriber {
        Fanout *f;
        size_t index;
        int fd; /* for the main thread's shutdown() */
        pthread_t thread;
} Subscriber;

/* The string value of "key" in a JSON object line, copied into out; false if absent. Only
 * for the top level of an event line, whose keys and values here have no escapes. */
static bool json_string_field(const char *line, const char *key, char *out, size_t size)
{
        char pat[64];
        snprintf(pat, sizeof(pat), "\"%s\"", key);
        const char *p = strstr(line, pat);
        if (!p)
                return false;
        p += strlen(pat);
        while (*p == ' ')
                p++;
        if (*p++ != ':')
                return false;
        while (*p == ' ')
                p++;
        if (*p++ != '"')
                return false;
        const char *end = strchr(p, '"');
        if (!end || (size_t)(end - p) >= size)
                return false;
        memcpy(out, p, (size_t)(end - p));
        out[end - p] = '\0';
        return true;
}

static void on_event(Subscriber *s, const char *line)
{
        Fanout *f = s->f;
        char action[64];
        if (!json_string_field(line, "Action", action, sizeof(action)) ||
            !strstr(line, f->container))
                return;
        double t = now_s();
        pthread_mutex_lock(&f->lock);
        if (f->want && STREQ(action, f->want) && f->seen[s->index] == 0) {
                f->seen[s->index] = t;
                f->n_seen++;
                pthread_cond_broadcast(&f->cond);
        }
        pthread_mutex_unlock(&f->lock);
}

/* Closes c under the lock: the main thread may be about to shut its fd down. */
static void subscriber_gone(Subscriber *s, Conn *c, bool ready, int err)
{
        Fanout *f = s->f;
        pthread_mutex_lock(&f->lock);
        s->fd = -EBADF;
        conn_close(c);
        if (!ready)
                f->n_failed++;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->lock);
        if (err < 0 && err != -ECONNRESET && err != -EPIPE)
                fprintf(stderr, "apiload: subscriber %zu: %s\n", s->index, strerror(-err));
}

static void *subscriber(void *arg)
{
        Subscriber *s = arg;
        Fanout *f = s->f;
        _cleanup_free_ Conn *c = xcalloc(1, sizeof(Conn));
        c->fd = -EBADF;
        _cleanup_free_ char *req = request_for("GET", "/events");
        _cleanup_free_ char *line = xmalloc(MAX_EVENT);
        size_t n_line = 0;
        Response r = {};

        int k = conn_open(c, f->socket_path, false);
        if (k >= 0) {
                pthread_mutex_lock(&f->lock);
                s->fd = c->fd;
                pthread_mutex_unlock(&f->lock);
                k = conn_send(c, req, strlen(req));
        }
        if (k >= 0)
                k = read_head(c, &r);
        if (k >= 0 && r.status != 200) {
                fprintf(stderr, "apiload: GET /events answered %d\n", r.status);
                k = -EPROTO;
        }
        if (k < 0) {
                subscriber_gone(s, c, false, k);
                return NULL;
        }
        pthread_mutex_lock(&f->lock);
        f->n_ready++;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->lock);

        const char *p;
        size_t n;
        while ((k = read_body(c, &r, &p, &n)) > 0) {
                for (size_t i = 0; i < n; i++) {
                        if (p[i] == '\n') {
                                line[n_line] = '\0';
                                on_event(s, line);
                                n_line = 0;
                        } else if (n_line < MAX_EVENT - 1) {
                                line[n_line++] = p[i];
                        }
                }
        }
        subscriber_gone(s, c, true, k);
        return NULL;
}

/* What a round does, and the event each subscriber awaits for it. */
static const struct {
        const char *verb, *event;
} actions[] = {
        {"start", "start"},
        {"stop", "die"},
};

static void add_ms(double **v, size_t *n, double ms)
{
        *v = xrealloc(*v, (*n + 1) * sizeof(double));
        (*v)[(*n)++] = ms;
}

/* For pthread_cond_timedwait on a condition made with CLOCK_MONOTONIC. */
static void deadline_in(struct timespec *ts, double seconds)
{
        clock_gettime(CLOCK_MONOTONIC, ts);
        double ns = (double)ts->tv_nsec + seconds * 1e9;
        ts->tv_sec += (time_t)(ns / 1e9);
        ts->tv_nsec = (long)fmod(ns, 1e9);
}

/* One action on the control connection and the wait for its event everywhere. Returns 0
 * with the times in ms, 1 when some subscriber missed it, or a negative errno. */
static int one_action(Fanout *f, Conn *ctl, const char *verb, const char *event, double timeout,
                      double *ret_all, double *ret_first, double *ret_answer)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "/containers/%s/%s", f->container,
                     STREQ(verb, "stop") ? "stop?t=0" : verb) < 0)
                abort();
        _cleanup_free_ char *req = request_for("POST", path);

        pthread_mutex_lock(&f->lock);
        for (size_t i = 0; i < f->n_subs; i++)
                f->seen[i] = 0;
        f->n_seen = 0;
        f->want = event;
        pthread_mutex_unlock(&f->lock);

        double t0 = now_s();
        Response r = {};
        int k = conn_send(ctl, req, strlen(req));
        if (k >= 0)
                k = read_head(ctl, &r);
        if (k >= 0)
                k = skip_body(ctl, &r);
        double answered = now_s();
        if (k < 0)
                return k;
        if (r.close)
                conn_close(ctl);
        if (r.status != 204 && r.status != 304) {
                fprintf(stderr, "apiload: POST %s answered %d\n", path, r.status);
                return -EPROTO;
        }

        struct timespec until;
        deadline_in(&until, timeout);
        pthread_mutex_lock(&f->lock);
        while (f->n_seen < f->n_subs)
                if (pthread_cond_timedwait(&f->cond, &f->lock, &until) == ETIMEDOUT)
                        break;
        bool all = f->n_seen == f->n_subs;
        double first = 0, last = 0;
        for (size_t i = 0; i < f->n_subs; i++) {
                double t = f->seen[i];
                if (t == 0)
                        continue;
                if (first == 0 || t < first)
                        first = t;
                if (t > last)
                        last = t;
        }
        size_t missed = f->n_subs - f->n_seen;
        f->want = NULL;
        pthread_mutex_unlock(&f->lock);
        if (!all) {
                fprintf(stderr, "apiload: %zu of %zu subscribers did not get \"%s\" in %.0f s\n",
                        missed, f->n_subs, event, timeout);
                return 1;
        }
        *ret_all = (last - t0) * 1e3;
        *ret_first = (first - t0) * 1e3;
        *ret_answer = (answered - t0) * 1e3;
        return 0;
}

static int cmd_events(int argc, char **argv)
{
        unsigned n_subs = 20, rounds = 5;
        double timeout = 10;
        int o;
        while ((o = getopt(argc, argv, "+s:r:t:h")) != -1) {
                switch (o) {
                case 's':
                        n_subs = flag_uint('s', optarg, 1, 1024);
                        break;
                case 'r':
                        rounds = flag_uint('r', optarg, 1, 1000);
                        break;
                case 't':
                        timeout = flag_seconds('t', optarg);
                        break;
                case 'h':
                        usage(0);
                default:
                        usage(2);
                }
        }
        if (argc - optind != 2)
                usage(2);

        Fanout f = {.socket_path = argv[optind], .container = argv[optind + 1], .n_subs = n_subs};
        pthread_mutex_init(&f.lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&f.cond, &ca);
        _cleanup_free_ double *seen = xcalloc(n_subs, sizeof(double));
        f.seen = seen;
        _cleanup_free_ Subscriber *subs = xcalloc(n_subs, sizeof(Subscriber));
        for (unsigned i = 0; i < n_subs; i++) {
                subs[i] = (Subscriber){.f = &f, .index = i, .fd = -EBADF};
                int k = pthread_create(&subs[i].thread, NULL, subscriber, &subs[i]);
                if (k != 0) {
                        fprintf(stderr, "apiload: a thread: %s\n", strerror(k));
                        return 1;
                }
        }

        struct timespec until;
        deadline_in(&until, timeout);
        pthread_mutex_lock(&f.lock);
        while (f.n_ready + f.n_failed < n_subs)
                if (pthread_cond_timedwait(&f.cond, &f.lock, &until) == ETIMEDOUT)
                        break;
        bool ready = f.n_ready == n_subs;
        pthread_mutex_unlock(&f.lock);

        _cleanup_free_ Conn *ctl = xcalloc(1, sizeof(Conn));
        ctl->fd = -EBADF;
        _cleanup_free_ double *all = NULL, *first = NULL, *answer = NULL;
        size_t n_all = 0, n_first = 0, n_answer = 0, missed = 0;
        int failed = 0;
        if (!ready)
                fprintf(stderr, "apiload: %zu of %u subscribers are streaming events\n", f.n_ready,
                        n_subs);
        /* round 0 is not counted: it shows every stream delivers before anything is timed */
        for (unsigned round = 0; ready && round <= rounds && !failed; round++) {
                for (size_t v = 0; v < ELEMENTSOF(actions); v++) {
                        if (ctl->fd < 0 && (failed = conn_open(ctl, f.socket_path, true)) < 0) {
                                fprintf(stderr, "apiload: %s: %s\n", f.socket_path,
                                        strerror(-failed));
                                break;
                        }
                        double a, fi, an;
                        int k = one_action(&f, ctl, actions[v].verb, actions[v].event, timeout, &a,
                                           &fi, &an);
                        if (k < 0) {
                                if (k != -EPROTO)
                                        fprintf(stderr, "apiload: %s %s: %s\n", actions[v].verb,
                                                f.container, strerror(-k));
                                failed = k;
                                break;
                        }
                        if (round == 0)
                                continue;
                        if (k == 1) {
                                missed++;
                                continue;
                        }
                        add_ms(&all, &n_all, a);
                        add_ms(&first, &n_first, fi);
                        add_ms(&answer, &n_answer, an);
                }
        }

        pthread_mutex_lock(&f.lock);
        for (unsigned i = 0; i < n_subs; i++)
                if (subs[i].fd >= 0)
                        (void)shutdown(subs[i].fd, SHUT_RDWR);
        pthread_mutex_unlock(&f.lock);
        for (unsigned i = 0; i < n_subs; i++)
                pthread_join(subs[i].thread, NULL);
        conn_close(ctl);

        qsort(all, n_all, sizeof(double), cmp_double);
        qsort(first, n_first, sizeof(double), cmp_double);
        qsort(answer, n_answer, sizeof(double), cmp_double);
        printf("events=%zu missed=%zu subscribers=%zu all_p50_ms=%.3f all_max_ms=%.3f "
               "first_p50_ms=%.3f answer_p50_ms=%.3f\n",
               n_all, missed, f.n_ready, percentile(all, n_all, 0.5), n_all ? all[n_all - 1] : NAN,
               percentile(first, n_first, 0.5), percentile(answer, n_answer, 0.5));
        return n_all > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
        if (argc < 2)
                usage(2);
        if (STREQ(argv[1], "-h") || STREQ(argv[1], "--help"))
                usage(0);
        if (STREQ(argv[1], "get"))
                return cmd_get(argc - 1, argv + 1);
        if (STREQ(argv[1], "events"))
                return cmd_events(argc - 1, argv + 1);
        usage(2);
}
