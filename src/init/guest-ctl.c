/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control channel and the exec sessions: one poll loop over the control port, a
 * signalfd, and each exec's pipes or pty. Frames to the host are queued and written without
 * blocking: an exec's output is not read while the host is behind, and a session's stdin is
 * not taken from the channel while the session is behind. While the host side is not
 * connected the port says POLLIN|POLLHUP and reads give 0; then it is looked at again every
 * HUP_RETRY_MS (writes wait in ctl_out meanwhile: the port refuses them with EAGAIN). A
 * socket's end (libkrun's vsock) is for good: it is closed, and what is sent after it is
 * dropped; the command runs on.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../vm/proto.h"
#include "guest.h"
#include "init.h"

#define CHUNK        (32 * 1024)
#define OUT_HIGH     (1024 * 1024) /* queued for the host: stop reading the execs' output */
#define STDIN_HIGH   (1024 * 1024) /* queued for a session: stop reading the channel */
#define IN_CAP       (2 * ROSS_VM_FRAME_MAX + 64)
#define DRAIN_MS     1000 /* an exec's output after it exited: past this, what lingers is cut */
#define HUP_RETRY_MS 100
#define FINISH_MS    2000 /* after the command: for the execs' ends */

/* The host closed the control socket: it does not come back on it. */
static void ctl_gone(RossGuest *g)
{
        close(g->ctl);
        g->ctl = -EBADF;
        g->ctl_out.len = 0;
        g->ctl_in.len = 0;
        ross_guest_log(g, "the host closed the control channel");
}

static bool ctl_write(RossGuest *g)
{
        while (g->ctl >= 0 && g->ctl_out.len) {
                ssize_t n = write(g->ctl, g->ctl_out.data, g->ctl_out.len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno != EAGAIN && g->ctl_stream) {
                        ctl_gone(g);
                        break;
                }
                if (n <= 0)
                        return false; /* EAGAIN: the host is behind or not there */
                memmove(g->ctl_out.data, g->ctl_out.data + n, g->ctl_out.len - (size_t)n);
                g->ctl_out.len -= (size_t)n;
        }
        return true;
}

void ross_guest_send(RossGuest *g, int type, uint32_t session, const void *p, size_t n)
{
        if (g->ctl < 0)
                return;
        /* a message is cut, never split: the host reads one frame per message */
        if (n > ROSS_VM_FRAME_MAX - 4)
                n = ROSS_VM_FRAME_MAX - 4;
        ross_vm_frame(&g->ctl_out, type, session, p, n);
        ctl_write(g);
}

void ross_guest_send_u32(RossGuest *g, int type, uint32_t session, uint32_t v)
{
        unsigned char b[4];
        ross_vm_put_u32(b, v);
        ross_guest_send(g, type, session, b, sizeof(b));
}

void ross_guest_send_failed(RossGuest *g, uint32_t session, int code, const char *msg)
{
        size_t n = strlen(msg);
        _cleanup_free_ unsigned char *b = xmalloc(4 + n);
        ross_vm_put_u32(b, (uint32_t)code);
        memcpy(b + 4, msg, n);
        ross_guest_send(g, ROSS_VM_FAILED, session, b, 4 + n);
}

void ross_guest_flush(RossGuest *g, int timeout_ms)
{
        int64_t end = ross_guest_now_ms() + timeout_ms;
        while (!ctl_write(g)) {
                int64_t left = end - ross_guest_now_ms();
                if (left <= 0)
                        return;
                struct pollfd p = {.fd = g->ctl, .events = POLLOUT};
                if (poll(&p, 1, (int)(left < 50 ? left : 50)) > 0 && !(p.revents & POLLOUT))
                        /* not connected: poll says so at once, so do not spin */
                        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
        }
}

static void closefd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -EBADF;
}

static RossGuestSession *session_get(RossGuest *g, uint32_t id)
{
        for (size_t i = 0; i < g->n_sessions; i++)
                if (g->sessions[i]->id == id)
                        return g->sessions[i];
        return NULL;
}

static void session_free(RossGuestSession *s)
{
        closefd(&s->out_fd);
        closefd(&s->err_fd);
        closefd(&s->in_fd);
        ross_buf_free(&s->in);
        free(s);
}

/* Its EXIT once the process is gone and its output is out (or DRAIN_MS have passed). */
static void session_maybe_end(RossGuest *g, size_t i, bool force)
{
        RossGuestSession *s = g->sessions[i];
        if (!force) {
                if (!s->exited)
                        return;
                if ((s->out_fd >= 0 || s->err_fd >= 0) &&
                    ross_guest_now_ms() < s->exited_at + DRAIN_MS)
                        return;
        }
        ross_guest_send_u32(g, ROSS_VM_EXIT, s->id, (uint32_t)(s->exited ? s->status : 137));
        session_free(s);
        g->sessions[i] = g->sessions[--g->n_sessions];
}

static void set_nonblock(int fd)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
                fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A pty for an exec: *ret_master (non-blocking) and *ret_slave. */
static int open_pty(int *ret_master, int *ret_slave, RossError *err)
{
        _cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (m < 0)
                return ross_err(err, errno, "open /dev/ptmx");
        int unlock = 0;
        if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
                return ross_err(err, errno, "unlock the pty");
        int s = -EBADF;
#ifdef TIOCGPTPEER
        s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
#endif
        if (s < 0) {
                /* before Linux 4.13 */
                int n;
                if (ioctl(m, TIOCGPTN, &n) < 0)
                        return ross_err(err, errno, "the pty's number");
                char path[64];
                snprintf(path, sizeof(path), "/dev/pts/%d", n);
                s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (s < 0)
                        return ross_err(err, errno, "open '%s'", path);
        }
        *ret_master = TAKE_FD(m);
        *ret_slave = s;
        return 0;
}

static void exec_start(RossGuest *g, uint32_t id, const char *p, size_t n)
{
        RossError err = {};
        char msg[64];
        if (id == 0) {
                /* a FAILED for 0 would say the command never ran */
                ross_guest_log(g, "EXEC for session 0 refused: that is the command's");
                return;
        }
        if (session_get(g, id)) {
                snprintf(msg, sizeof(msg), "exec: session %u is in use", id);
                ross_guest_send_failed(g, id, 1, msg);
                return;
        }
        RossGuestConfig c = {};
        if (ross_guest_config_parse(p, n, true, &c, &err) < 0) {
                ross_guest_send_failed(g, id, 1, err.msg);
                return;
        }
        if (!c.cwd)
                c.cwd = xstrdup(g->cfg.cwd); /* Docker's exec runs in the container's */

        RossGuestSession *s = xcalloc(1, sizeof(*s));
        *s = (RossGuestSession){
                .id = id, .tty = c.tty, .out_fd = -EBADF, .err_fd = -EBADF, .in_fd = -EBADF};
        int child[3] = {-EBADF, -EBADF, -EBADF};
        int r = 0;
        if (c.tty) {
                r = open_pty(&s->out_fd, &child[0], &err);
                if (r >= 0) {
                        child[1] = fcntl(child[0], F_DUPFD_CLOEXEC, 3);
                        child[2] = fcntl(child[0], F_DUPFD_CLOEXEC, 3);
                        /* its own fd for stdin, so STDIN_EOF closes it alone */
                        if (c.stdin_open)
                                s->in_fd = fcntl(s->out_fd, F_DUPFD_CLOEXEC, 3);
                }
        } else {
                int o[2] = {-EBADF, -EBADF}, e[2] = {-EBADF, -EBADF}, i[2] = {-EBADF, -EBADF};
                if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 ||
                    (c.stdin_open && pipe2(i, O_CLOEXEC) < 0))
                        r = ross_err(&err, errno, "pipe");
                s->out_fd = o[0], child[1] = o[1];
                s->err_fd = e[0], child[2] = e[1];
                s->in_fd = i[1], child[0] = i[0];
                if (r >= 0 && !c.stdin_open &&
                    (child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
                        r = ross_err(&err, errno, "open /dev/null");
        }
        for (int k = 0; k < 3 && r >= 0; k++)
                if (child[k] < 0)
                        r = ross_err(&err, errno, "the exec's stdio");
        int code = 1;
        if (r >= 0)
                r = ross_guest_spawn(&c, g->cfg.rlimits, g->cfg.n_rlimits, child, c.tty, &s->pid,
                                     &code, &err);
        for (int k = 0; k < 3; k++)
                closefd(&child[k]);
        ross_guest_config_free(&c);
        if (r < 0) {
                session_free(s);
                ross_guest_send_failed(g, id, code, err.msg);
                return;
        }
        set_nonblock(s->out_fd);
        if (s->err_fd >= 0)
                set_nonblock(s->err_fd);
        if (s->in_fd >= 0)
                set_nonblock(s->in_fd);
        g->sessions = xrealloc(g->sessions, (g->n_sessions + 1) * sizeof(*g->sessions));
        g->sessions[g->n_sessions++] = s;
        ross_guest_send_u32(g, ROSS_VM_STARTED, id, (uint32_t)s->pid);
}

static void stdin_write(RossGuestSession *s)
{
        while (s->in_fd >= 0 && s->in.len) {
                ssize_t n = write(s->in_fd, s->in.data, s->in.len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        /* EPIPE: nobody reads it any more */
                        s->in.len = 0;
                        closefd(&s->in_fd);
                        return;
                }
                memmove(s->in.data, s->in.data + n, s->in.len - (size_t)n);
                s->in.len -= (size_t)n;
        }
        if (s->in_eof && !s->in.len)
                closefd(&s->in_fd);
}

static void handle_frame(RossGuest *g, int type, uint32_t id, const char *p, size_t n)
{
        RossGuestSession *s = id ? session_get(g, id) : NULL;
        switch (type) {
        case ROSS_VM_SIGNAL: {
                if (n < 4)
                        return;
                uint32_t sig = ross_vm_get_u32(p);
                if (sig < 1 || sig >= NSIG) {
                        ross_guest_log(g, "SIGNAL for session %u: no signal %u", id, sig);
                        return;
                }
                if (id == 0 && g->pid0 > 0 && !g->exited0)
                        kill(g->pid0, (int)sig);
                else if (s && !s->exited)
                        kill(s->pid, (int)sig);
                return;
        }
        case ROSS_VM_RESIZE: {
                if (n < 4)
                        return;
                const unsigned char *u = (const unsigned char *)p;
                struct winsize ws = {.ws_row = (unsigned short)(u[0] << 8 | u[1]),
                                     .ws_col = (unsigned short)(u[2] << 8 | u[3])};
                int fd = id == 0 ? g->hvc : (s && s->tty ? s->out_fd : -EBADF);
                if (fd >= 0)
                        ioctl(fd, TIOCSWINSZ, &ws);
                return;
        }
        case ROSS_VM_EXEC:
                exec_start(g, id, p, n);
                return;
        case ROSS_VM_STDIN:
                if (s && s->in_fd >= 0 && !s->in_eof) {
                        ross_buf_append(&s->in, p, n);
                        stdin_write(s);
                }
                return;
        case ROSS_VM_STDIN_EOF:
                if (s) {
                        s->in_eof = true;
                        stdin_write(s);
                }
                return;
        default:
                /* a newer host's frame, or one of ours echoed: not for us */
                return;
        }
}

static bool stdin_backlog(const RossGuest *g)
{
        for (size_t i = 0; i < g->n_sessions; i++)
                if (g->sessions[i]->in.len >= STDIN_HIGH)
                        return true;
        return false;
}

static void ctl_hup(RossGuest *g)
{
        g->ctl_hup = true;
        g->ctl_retry_at = ross_guest_now_ms() + HUP_RETRY_MS;
}

/* The whole frames taken in, as far as the sessions' stdin lets. */
static void ctl_process(RossGuest *g)
{
        while (g->ctl_in.len && !stdin_backlog(g)) {
                int type;
                uint32_t id;
                const char *p;
                size_t len;
                bool bad;
                if (!ross_vm_frame_next(&g->ctl_in, &type, &id, &p, &len, &bad)) {
                        if (bad) {
                                ross_guest_log(g,
                                               "not a frame on the control channel: %zu "
                                               "bytes dropped",
                                               g->ctl_in.len);
                                g->ctl_in.len = 0;
                        }
                        return;
                }
                handle_frame(g, type, id, p, len);
                ross_vm_consume(&g->ctl_in, len);
        }
}

static void ctl_read(RossGuest *g)
{
        char buf[CHUNK];
        size_t room = IN_CAP - g->ctl_in.len;
        if (!room)
                return;
        ssize_t n = read(g->ctl, buf, room < sizeof(buf) ? room : sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0 && g->ctl_stream) {
                ctl_gone(g);
                return;
        }
        if (n <= 0) {
                /* 0: the host side is not connected; it may come (back) */
                ctl_hup(g);
                return;
        }
        g->ctl_hup = false;
        ross_buf_append(&g->ctl_in, buf, (size_t)n);
        ctl_process(g);
}

static void reap(RossGuest *g)
{
        int st;
        pid_t pid;
        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
                int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                if (pid == g->pid0) {
                        g->exited0 = true;
                        g->status0 = code;
                        continue;
                }
                for (size_t i = 0; i < g->n_sessions; i++)
                        if (g->sessions[i]->pid == pid && !g->sessions[i]->exited) {
                                g->sessions[i]->exited = true;
                                g->sessions[i]->status = code;
                                g->sessions[i]->exited_at = ross_guest_now_ms();
                        }
                /* anything else: an orphan, reaped */
        }
}

static void signals(RossGuest *g)
{
        struct signalfd_siginfo si;
        bool child = false;
        while (read(g->sigfd, &si, sizeof(si)) == sizeof(si)) {
                int sig = (int)si.ssi_signo;
                if (sig == SIGCHLD)
                        child = true;
                else if (ross_init_forwards(sig) && g->pid0 > 0 && !g->exited0)
                        kill(g->pid0, sig);
        }
        if (child)
                reap(g);
}

/* Read one of a session's outputs: false at its end. */
static bool relay(RossGuest *g, RossGuestSession *s, int fd, int type)
{
        char buf[CHUNK];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return true;
        if (n <= 0)
                return false; /* EOF, or EIO from a pty whose other side is all closed */
        ross_guest_send(g, type, s->id, buf, (size_t)n);
        return true;
}

/* One round of poll; stops at deadline (ms, CLOCK_MONOTONIC; -1: none). */
static void loop_once(RossGuest *g, int64_t deadline)
{
        size_t cap = 2 + 3 * g->n_sessions, n = 0;
        _cleanup_free_ struct pollfd *pf = xcalloc(cap, sizeof(*pf));
        /* which session and which of its fds each entry is */
        _cleanup_free_ size_t *who = xcalloc(cap, sizeof(size_t));
        int64_t now = ross_guest_now_ms();
        int64_t wake = deadline;
        bool host_behind = g->ctl_out.len >= OUT_HIGH;

        pf[n++] = (struct pollfd){.fd = g->sigfd, .events = POLLIN};
        size_t ctl_at = SIZE_MAX;
        if (g->ctl >= 0 && (!g->ctl_hup || now >= g->ctl_retry_at)) {
                short ev = (short)(g->ctl_out.len ? POLLOUT : 0);
                if (!stdin_backlog(g))
                        ev |= POLLIN;
                ctl_at = n;
                pf[n++] = (struct pollfd){.fd = g->ctl, .events = ev};
        } else if (g->ctl >= 0 && (wake < 0 || g->ctl_retry_at < wake))
                wake = g->ctl_retry_at;
        for (size_t i = 0; i < g->n_sessions; i++) {
                RossGuestSession *s = g->sessions[i];
                if (!host_behind && s->out_fd >= 0) {
                        who[n] = i * 3;
                        pf[n++] = (struct pollfd){.fd = s->out_fd, .events = POLLIN};
                }
                if (!host_behind && s->err_fd >= 0) {
                        who[n] = i * 3 + 1;
                        pf[n++] = (struct pollfd){.fd = s->err_fd, .events = POLLIN};
                }
                if (s->in_fd >= 0 && s->in.len) {
                        who[n] = i * 3 + 2;
                        pf[n++] = (struct pollfd){.fd = s->in_fd, .events = POLLOUT};
                }
                if (s->exited && (wake < 0 || s->exited_at + DRAIN_MS < wake))
                        wake = s->exited_at + DRAIN_MS;
        }
        int timeout = wake < 0 ? -1 : (wake > now ? (int)(wake - now) : 0);
        if (poll(pf, n, timeout) < 0 && errno != EINTR)
                nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);

        if (pf[0].revents)
                signals(g);
        if (ctl_at != SIZE_MAX && pf[ctl_at].revents) {
                short re = pf[ctl_at].revents;
                if (re & POLLIN)
                        ctl_read(g);
                else if ((re & (POLLHUP | POLLERR)) && g->ctl_stream)
                        ctl_gone(g);
                else if (re & (POLLHUP | POLLERR))
                        ctl_hup(g);
                else
                        g->ctl_hup = false;
                if ((re & POLLOUT) && g->ctl >= 0)
                        ctl_write(g);
        }
        for (size_t k = ctl_at == SIZE_MAX ? 1 : 2; k < n; k++) {
                if (!pf[k].revents)
                        continue;
                size_t i = who[k] / 3;
                if (i >= g->n_sessions) /* gone in this round */
                        continue;
                RossGuestSession *s = g->sessions[i];
                switch (who[k] % 3) {
                case 0:
                        if (s->out_fd == pf[k].fd && !relay(g, s, s->out_fd, ROSS_VM_STDOUT))
                                closefd(&s->out_fd);
                        break;
                case 1:
                        if (s->err_fd == pf[k].fd && !relay(g, s, s->err_fd, ROSS_VM_STDERR))
                                closefd(&s->err_fd);
                        break;
                case 2:
                        if (s->in_fd == pf[k].fd)
                                stdin_write(s);
                        break;
                }
        }
        /* frames held back while a session's stdin was behind */
        ctl_process(g);
        for (size_t i = g->n_sessions; i-- > 0;)
                session_maybe_end(g, i, false);
}

void ross_guest_serve(RossGuest *g)
{
        while (!g->exited0)
                loop_once(g, -1);
}

void ross_guest_finish(RossGuest *g)
{
        /* its output went straight to the ports: let the host take the last of it */
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
        if (g->pid1)
                kill(-1, SIGKILL); /* all that is left, as when a container's init ends */
        else {
                /* not all there is: what we started, by its process groups */
                if (g->pid0 > 0)
                        kill(-g->pid0, SIGKILL);
                for (size_t i = 0; i < g->n_sessions; i++)
                        kill(-g->sessions[i]->pid, SIGKILL);
        }
        int64_t end = ross_guest_now_ms() + FINISH_MS;
        while (g->n_sessions && ross_guest_now_ms() < end)
                loop_once(g, end);
        while (g->n_sessions)
                session_maybe_end(g, g->n_sessions - 1, true);
        reap(g);
        ross_guest_send_u32(g, ROSS_VM_EXIT, 0, (uint32_t)g->status0);
}
