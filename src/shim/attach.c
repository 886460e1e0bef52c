/* SPDX-License-Identifier: Apache-2.0 */
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "../backend/backend.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/socket.h"
#include "frame.h"
#include "shim-internal.h"

/* A client that lets this much output pile up unread is dropped, not waited for. */
#define CLIENT_OUT_MAX (8 * 1024 * 1024)

int shim_attach_listen(Shim *s, const char *path)
{
        s->listen_fd = ross_unix_listen(path, 16);
        return s->listen_fd < 0 ? s->listen_fd : 0;
}

static void drop(Shim *s, ShimClient *c)
{
        for (ShimClient **pp = &s->clients; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        if (c->session && s->be->session_gone)
                s->be->session_gone(s, c);
        close(c->fd);
        ross_buf_free(&c->in);
        ross_buf_free(&c->out);
        if (c->replay) {
                shim_log_reader_close(c->replay);
                free(c->replay);
        }
        ross_buf_free(&c->tail);
        ross_buf_free(&c->held);
        free(c);
}

/* The replay's end: what was unfinished at the HELLO, then what came since. */
static void replay_done(ShimClient *c)
{
        shim_log_reader_close(c->replay);
        free(c->replay);
        c->replay = NULL;
        ross_buf_append(&c->out, c->tail.data, c->tail.len);
        ross_buf_append(&c->out, c->held.data, c->held.len);
        ross_buf_free(&c->tail);
        ross_buf_free(&c->held);
        if (!c->live)
                c->done = true;
}

/* Queue the next part of the log for a client replaying it (a bounded amount at a time:
 * the rest comes as the client reads). */
static void pump_replay(ShimClient *c)
{
        _cleanup_(ross_buf_free) RossBuf entry = {};
        while (c->replay && c->out.len < 256 * 1024) {
                int stream = 0;
                entry.len = 0;
                int r = shim_log_reader_next(c->replay, &stream, &entry, NULL);
                if (r <= 0) {
                        if (r < 0)
                                log_debug("attach client on fd %d: reading the log: %s", c->fd,
                                          strerror(-r));
                        replay_done(c);
                        break;
                }
                if (entry.len == 0)
                        continue;
                ross_frame_header(&c->out, stream == 2 ? ROSS_FRAME_STDERR : ROSS_FRAME_STDOUT,
                                  entry.len);
                ross_buf_append(&c->out, entry.data, entry.len);
        }
}

/* HELLO: the client wants output; with flags, the log first and/or nothing live. */
static void hello(Shim *s, ShimClient *c, unsigned flags)
{
        if (c->hello)
                return;
        c->hello = true;
        c->live = !(flags & ROSS_HELLO_NO_STREAM);
        if (c->live)
                s->hellos++;
        if (!(flags & ROSS_HELLO_LOGS)) {
                c->done = !c->live;
                return;
        }
        c->replay = xcalloc(1, sizeof(*c->replay));
        /* without a log (the "none" driver) there is nothing to replay */
        int r = shim_log_reader_open(c->replay, s->log.path, false, -1);
        if (r < 0)
                log_debug("attach client on fd %d: open the log: %s", c->fd, strerror(-r));
        /* the lines not finished yet are not in the file: they come after it */
        for (int i = 0; i < 2; i++) {
                const RossBuf *pb = &s->log.partial[i];
                if (!pb->len)
                        continue;
                ross_frame_header(&c->tail, i == 0 ? ROSS_FRAME_STDOUT : ROSS_FRAME_STDERR,
                                  pb->len);
                ross_buf_append(&c->tail, pb->data, pb->len);
        }
        pump_replay(c);
}

size_t shim_attach_pollfds(Shim *s, struct pollfd *p, size_t max)
{
        size_t n = 0;
        if (s->listen_fd >= 0 && n < max)
                p[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (ShimClient *c = s->clients; c && n < max; c = c->next) {
                /* stop reading stdin while the container does not take it */
                short ev = s->in_pending.len < 1024 * 1024 ? POLLIN : 0;
                if (c->out.len || c->replay || c->done)
                        ev |= POLLOUT;
                p[n++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        return n;
}

static void accept_clients(Shim *s)
{
        for (;;) {
                int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0)
                        return;
                unsigned count = 0;
                for (ShimClient *c = s->clients; c; c = c->next)
                        count++;
                if (count >= SHIM_CLIENTS_MAX) {
                        close(fd);
                        continue;
                }
                ShimClient *c = xcalloc(1, sizeof(*c));
                c->fd = fd;
                c->in.cap = ROSS_FRAME_MAX + 8;
                c->next = s->clients;
                s->clients = c;
        }
}

/* Act on the whole frames a client sent; false when it broke the protocol. */
static bool take_frames(Shim *s, ShimClient *c)
{
        int type;
        const char *p;
        size_t n;
        bool bad;
        while (ross_frame_next(&c->in, &type, &p, &n, &bad)) {
                /* an exec session's input is the exec's */
                if (c->session && s->be->session_input &&
                    (type == ROSS_FRAME_STDIN || type == ROSS_FRAME_STDIN_EOF ||
                     type == ROSS_FRAME_RESIZE)) {
                        s->be->session_input(s, c, type, p, n);
                        ross_frame_consume(&c->in, n);
                        continue;
                }
                switch (type) {
                case ROSS_FRAME_HELLO:
                        hello(s, c, n > 0 ? (unsigned char)p[0] : 0);
                        break;
                case ROSS_FRAME_STDIN:
                        shim_on_stdin(s, p, n);
                        break;
                case ROSS_FRAME_STDIN_EOF:
                        shim_on_stdin_eof(s);
                        break;
                case ROSS_FRAME_RESIZE:
                        if (n == 4) {
                                const unsigned char *u = (const unsigned char *)p;
                                shim_on_resize(s, (unsigned)(u[0] << 8 | u[1]),
                                               (unsigned)(u[2] << 8 | u[3]));
                        }
                        break;
                case ROSS_FRAME_SIGNAL:
                case ROSS_FRAME_PAUSE:
                case ROSS_FRAME_EXEC:
                        shim_on_control(s, c, type, p, n);
                        break;
                default:
                        return false;
                }
                ross_frame_consume(&c->in, n);
        }
        return !bad;
}

static bool flush_out(ShimClient *c)
{
        if (c->replay && c->out.len < 64 * 1024)
                pump_replay(c);
        while (c->out.len) {
                ssize_t k = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0)
                        return errno == EAGAIN || errno == EINTR;
                memmove(c->out.data, c->out.data + k, c->out.len - (size_t)k);
                c->out.len -= (size_t)k;
        }
        return true;
}

void shim_attach_handle(Shim *s, const struct pollfd *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!p[i].revents)
                        continue;
                if (p[i].fd == s->listen_fd) {
                        accept_clients(s);
                        continue;
                }
                ShimClient *c = s->clients;
                while (c && c->fd != p[i].fd)
                        c = c->next;
                if (!c)
                        continue;
                bool ok = true;
                if (p[i].revents & POLLOUT)
                        ok = flush_out(c);
                if (ok && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                        char buf[65536];
                        ssize_t k = read(c->fd, buf, sizeof(buf));
                        if (k > 0)
                                ok = ross_buf_append(&c->in, buf, (size_t)k) == 0 &&
                                     take_frames(s, c);
                        else if (k == 0 || (errno != EAGAIN && errno != EINTR))
                                ok = false;
                }
                /* a replay goes on as the client reads; a client served in full is closed */
                while (ok && (c->replay || c->out.len)) {
                        size_t before = c->out.len;
                        ok = flush_out(c);
                        if (c->out.len >= before && c->out.len)
                                break; /* the socket is full */
                }
                if (ok && c->done && !c->out.len && !c->replay) {
                        log_debug("attach client on fd %d served", c->fd);
                        drop(s, c);
                        continue;
                }
                if (!ok) {
                        log_debug("attach client on fd %d gone", c->fd);
                        drop(s, c);
                }
        }
}

void shim_attach_broadcast(Shim *s, int type, const char *p, size_t n)
{
        ShimClient *next;
        for (ShimClient *c = s->clients; c; c = next) {
                next = c->next;
                if (!c->hello || !c->live)
                        continue;
                if (c->out.len + c->held.len + n + 8 > CLIENT_OUT_MAX) {
                        log_debug("attach client on fd %d reads too slowly: dropped", c->fd);
                        drop(s, c);
                        continue;
                }
                /* during a replay the live output waits behind the log */
                RossBuf *to = c->replay ? &c->held : &c->out;
                ross_frame_header(to, type, n);
                ross_buf_append(to, p, n);
                if (!flush_out(c))
                        drop(s, c);
        }
}

void shim_attach_close_all(Shim *s)
{
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (s->clients) {
                ShimClient *c = s->clients;
                /* what is still queued (a replay too) gets up to two seconds in all */
                while ((c->out.len || c->replay) && flush_out(c)) {
                        struct timespec now;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        long ms = (now.tv_sec - start.tv_sec) * 1000 +
                                  (now.tv_nsec - start.tv_nsec) / 1000000;
                        if (ms > 2000)
                                break;
                        struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
                        (void)poll(&pfd, 1, (int)(2000 - ms));
                }
                drop(s, c);
        }
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        s->listen_fd = -EBADF;
}
