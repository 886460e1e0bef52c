/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "../backend/backend.h"
#include "../basic/clock.h"
#include "../basic/fileio.h"
#include "../basic/argv.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../basic/socket.h"
#include "../basic/spawn.h"
#include "frame.h"
#include "shim-internal.h"
#include "shim.h"

/* How long output is held for clients announced with --attach-wait. */
#define ATTACH_WAIT_MS 10000

static void report(int fd, const char *fmt, ...) _printf_(2, 3);
static void report(int fd, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (fd >= 0 && n > 0)
                (void)ross_write_all(fd, text, (size_t)n);
}

/* ---- stdin and the terminal, as the attach clients ask ---- */

static void close_stdin(Shim *s)
{
        if (s->in_fd >= 0 && s->in_fd != s->out_fd)
                close(s->in_fd);
        s->in_fd = -EBADF;
        s->in_pending.len = 0;
}

static void write_stdin(Shim *s)
{
        while (s->in_fd >= 0 && s->in_pending.len) {
                ssize_t k = write(s->in_fd, s->in_pending.data, s->in_pending.len);
                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        close_stdin(s); /* the container closed its stdin */
                        return;
                }
                memmove(s->in_pending.data, s->in_pending.data + k, s->in_pending.len - (size_t)k);
                s->in_pending.len -= (size_t)k;
        }
}

void shim_on_stdin(Shim *s, const char *p, size_t n)
{
        if (s->in_fd < 0)
                return;
        ross_buf_append(&s->in_pending, p, n);
        write_stdin(s);
}

void shim_on_stdin_eof(Shim *s)
{
        /* docker run -i: the container's stdin ends with the client's */
        if (!s->stdin_once || s->tty || s->in_fd < 0)
                return;
        /* the blocking write of what is left: EOF comes after every byte */
        if (s->in_pending.len) {
                int fl = fcntl(s->in_fd, F_GETFL);
                fcntl(s->in_fd, F_SETFL, fl & ~O_NONBLOCK);
                (void)ross_write_all(s->in_fd, s->in_pending.data, s->in_pending.len);
        }
        log_debug("stdin closed after the client's EOF");
        close_stdin(s);
}

void shim_on_resize(Shim *s, unsigned rows, unsigned cols)
{
        if (!s->tty || s->out_fd < 0)
                return;
        if (s->be->resize) {
                s->be->resize(s, rows, cols);
                return;
        }
        struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
        if (ioctl(s->out_fd, TIOCSWINSZ, &ws) < 0)
                log_debug("resize to %ux%u: %m", rows, cols);
}

int ross_shim_lock(const char *dir)
{
        _cleanup_free_ char *path = xasprintf("%s/shim.lock", dir);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        /* a daemon that looks holds it shared for a moment: try for a while */
        for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
                int e = errno;
                if (e != EWOULDBLOCK || i >= 200) {
                        close(fd);
                        return e == EWOULDBLOCK ? -EBUSY : -e;
                }
                usleep(10000);
        }
        return fd; /* held until the shim exits */
}

/* ---- control requests ---- */

void shim_reply(ShimClient *c, int e, const char *msg)
{
        size_t n = msg ? strlen(msg) : 0;
        unsigned char h[4] = {(unsigned char)(e >> 24), (unsigned char)(e >> 16),
                              (unsigned char)(e >> 8), (unsigned char)e};
        ross_frame_header(&c->out, ROSS_FRAME_REPLY, 4 + n);
        ross_buf_append(&c->out, h, sizeof(h));
        ross_buf_append(&c->out, msg, n);
}

void shim_on_control(Shim *s, ShimClient *c, int type, const char *p, size_t n)
{
        RossError err = {};
        int r;
        if (type == ROSS_FRAME_SIGNAL && n == 4) {
                const unsigned char *u = (const unsigned char *)p;
                int sig = (int)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 |
                                u[3]);
                if (sig < 1 || sig > SIGRTMAX)
                        r = ross_errx(&err, EINVAL, "Invalid signal: %d", sig);
                else
                        r = s->be->signal(s, sig, &err);
                log_debug("signal %d: %s", sig, r < 0 ? err.msg : "delivered");
        } else if (type == ROSS_FRAME_PAUSE && n == 1) {
                bool pause = p[0] != 0;
                if (pause == s->paused)
                        r = 0;
                else if ((r = s->be->pause(s, pause, &err)) == 0)
                        s->paused = pause;
                log_debug("%s: %s", pause ? "pause" : "resume", r < 0 ? err.msg : "done");
        } else if (type == ROSS_FRAME_EXEC) {
                if (!s->be->exec)
                        r = ross_errx(&err, ENOTSUP, "this runtime runs its execs itself");
                else if ((r = s->be->exec(s, c, p, n, &err)) == 0)
                        return; /* the guest answers, on this connection */
                log_debug("exec: %s", err.msg);
        } else
                r = ross_errx(&err, EINVAL, "bad control request %d", type);
        shim_reply(c, r < 0 ? -r : 0, r < 0 ? err.msg : NULL);
}

/* ---- the shim's main loop ---- */

static void write_exit(const char *path, int code, pid_t pid, bool oom)
{
        char when[64], text[256];
        shim_now_rfc3339(when, sizeof(when));
        int n = snprintf(text, sizeof(text),
                         "{\"ExitCode\":%d,\"FinishedAt\":\"%s\",\"Pid\":%d,\"OOMKilled\":%s}",
                         code, when, (int)pid, oom ? "true" : "false");
        (void)ross_write_file_replace(path, text, (size_t)n, 0600, NULL);
}

/* ---- the kernel's OOM killer ---- */

/* The file of the container's memory cgroup that counts its OOM kills: v1's
 * memory.oom_control or v2's memory.events (on a hybrid host under unified/), found from
 * /proc/PID/cgroup while it runs; -1 when there is none. */
static int open_oom_counter(pid_t pid)
{
        char path[64], line[4096];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        int fd = -1;
        while (fd < 0 && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
                if (!b || b[1] != '/')
                        continue;
                *b = '\0';
                const char *ctrls = a + 1, *cg = b + 1;
                char file[4200];
                if (strstr(ctrls, "memory")) {
                        snprintf(file, sizeof(file), "/sys/fs/cgroup/memory%s/memory.oom_control",
                                 cg);
                        fd = open(file, O_RDONLY | O_CLOEXEC);
                } else if (!*ctrls) {
                        snprintf(file, sizeof(file), "/sys/fs/cgroup%s/memory.events", cg);
                        fd = open(file, O_RDONLY | O_CLOEXEC);
                        if (fd < 0) {
                                snprintf(file, sizeof(file),
                                         "/sys/fs/cgroup/unified%s/memory.events", cg);
                                fd = open(file, O_RDONLY | O_CLOEXEC);
                        }
                }
        }
        fclose(f);
        return fd;
}

/* Its "oom_kill N" now (0 when it cannot be read). */
static uint64_t oom_kills(int fd)
{
        char buf[1024];
        ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        const char *p = strstr(buf, "oom_kill ");
        return p ? strtoull(p + 9, NULL, 10) : 0;
}

/* Read a stream of the container; false at its end. */
static bool pump_output(Shim *s, int *fd, int stream)
{
        char buf[65536];
        ssize_t k = read(*fd, buf, sizeof(buf));
        if (k > 0) {
                /* a terminal's output is logged as it comes: prompts have no newline */
                shim_log_take(&s->log, stream, buf, (size_t)k, s->tty);
                shim_attach_broadcast(s, stream == 1 ? ROSS_FRAME_STDOUT : ROSS_FRAME_STDERR, buf,
                                      (size_t)k);
                return true;
        }
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return true;
        /* EOF, or EIO from a pty whose other side is closed */
        if (s->in_fd == *fd)
                s->in_fd = -EBADF;
        close(*fd);
        *fd = -EBADF;
        return false;
}

/* Copy output to the log and the clients, stdin from them, until the container is gone
 * and its output drained; its exit code. */
static int monitor(Shim *s, pid_t cpid, int sigfd)
{
        int exit_code = -1, k = 1;
        bool released = s->attach_wait == 0;
        long deadline = ross_now_ms() + ATTACH_WAIT_MS;
        for (;;) {
                /* reap: the container, and orphans it left to us */
                int ws;
                pid_t w;
                while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
                        if (w == cpid) {
                                exit_code = s->be->exit_code(s, ws);
                                log_debug("container process %d exited: %d", (int)cpid, exit_code);
                        }
                if (!s->be_managed && w < 0 && errno == ECHILD && exit_code < 0)
                        exit_code = 255; /* not ours to reap: should not happen */
                if (s->be_managed && exit_code < 0 && s->be_status >= 0) {
                        exit_code = s->be_status;
                        log_debug("the workload ended: %d", exit_code);
                }
                if (!released && (s->hellos >= s->attach_wait || ross_now_ms() >= deadline)) {
                        log_debug("output released (%u of %u clients attached)", s->hellos,
                                  s->attach_wait);
                        released = true;
                }
                /* gone and drained; or a quiet moment: a daemonized grandchild may hold the
                 * pipes open for ever */
                if (exit_code >= 0 && released && ((s->out_fd < 0 && s->err_fd < 0) || k == 0))
                        break;

                /* ours, the listening socket, its clients */
                struct pollfd p[4 + 1 + SHIM_CLIENTS_MAX + 4];
                size_t n = 0;
                p[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
                p[n++] = (struct pollfd){.fd = released ? s->out_fd : -1, .events = POLLIN};
                p[n++] = (struct pollfd){.fd = released ? s->err_fd : -1, .events = POLLIN};
                p[n++] =
                        (struct pollfd){.fd = s->in_pending.len ? s->in_fd : -1, .events = POLLOUT};
                size_t na = shim_attach_pollfds(s, p + n, ELEMENTSOF(p) - n - 4);
                size_t nb = s->be->pollfds ? s->be->pollfds(s, p + n + na, 4) : 0;
                int timeout = !released        ? (int)(deadline - ross_now_ms())
                              : exit_code >= 0 ? 50
                                               : -1;
                if (!released && timeout < 0)
                        timeout = 0;
                if (s->be->handle && (timeout < 0 || timeout > 250))
                        timeout = 250;
                k = poll(p, n + na + nb, timeout);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (s->be->handle)
                        s->be->handle(s, p + n + na, nb);
                if (k == 0)
                        continue;
                if (p[0].revents) {
                        struct signalfd_siginfo si;
                        while (read(sigfd, &si, sizeof(si)) == sizeof(si))
                                ;
                }
                if (p[1].revents)
                        pump_output(s, &s->out_fd, 1);
                if (p[2].revents)
                        pump_output(s, &s->err_fd, 2);
                if (p[3].revents)
                        write_stdin(s);
                shim_attach_handle(s, p + 4, na);
        }
        return exit_code;
}

static int bad_number(const char *flag, const char *value)
{
        fprintf(stderr, "ross-shim: %s: '%s' is not a valid number\n", flag, value);
        return -EINVAL;
}

static int parse_args(Shim *s, int argc, char **argv, int *ret_sync_fd)
{
        static const struct option opts[] = {
                {"id", required_argument, NULL, 'i'},
                {"bundle", required_argument, NULL, 'b'},
                {"runtime", required_argument, NULL, 'r'},
                {"root", required_argument, NULL, 'R'},
                {"dir", required_argument, NULL, 'd'},
                {"sync-fd", required_argument, NULL, 's'},
                {"log-max", required_argument, NULL, 'm'},
                {"log-files", required_argument, NULL, 'F'},
                {"no-log", no_argument, NULL, 'n'},
                {"tty", no_argument, NULL, 't'},
                {"stdin", no_argument, NULL, 'I'},
                {"stdin-once", no_argument, NULL, 'O'},
                {"attach-wait", required_argument, NULL, 'a'},
                {"log-level", required_argument, NULL, 'l'},
                {"detach", no_argument, NULL, 'D'},
                {"exec", required_argument, NULL, 'x'},
                {"netns", required_argument, NULL, 'N'},
                {"netavark", required_argument, NULL, 'V'},
                {"netavark-config", required_argument, NULL, 'C'},
                {"aardvark", required_argument, NULL, 'A'},
                {"hold-port", required_argument, NULL, 'P'},
                {"net-ready", no_argument, NULL, 'Y'},
                {},
        };
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'i':
                        s->id = optarg;
                        break;
                case 'b':
                        s->bundle = optarg;
                        break;
                case 'r':
                        s->runtime = optarg;
                        break;
                case 'R':
                        s->root = optarg;
                        break;
                case 'd':
                        s->dir = optarg;
                        break;
                case 's':
                        if (ross_parse_int(optarg, 0, INT32_MAX, ret_sync_fd) < 0)
                                return bad_number("--sync-fd", optarg);
                        break;
                case 'm':
                        if (ross_parse_u64(optarg, UINT64_MAX, &s->log.max) < 0 || s->log.max == 0)
                                return bad_number("--log-max", optarg);
                        break;
                case 'F': {
                        int n;
                        if (ross_parse_int(optarg, 1, INT32_MAX, &n) < 0)
                                return bad_number("--log-files", optarg);
                        s->log.files = (unsigned)n;
                        break;
                }
                case 'n':
                        s->no_log = true;
                        break;
                case 't':
                        s->tty = true;
                        break;
                case 'I':
                        s->open_stdin = true;
                        break;
                case 'O':
                        s->stdin_once = true;
                        break;
                case 'a': {
                        int n;
                        if (ross_parse_int(optarg, 0, 1024, &n) < 0)
                                return bad_number("--attach-wait", optarg);
                        s->attach_wait = (unsigned)n;
                        break;
                }
                case 'x':
                        s->exec_process = optarg;
                        break;
                case 'N':
                        s->netns = optarg;
                        break;
                case 'V':
                        s->netavark = optarg;
                        break;
                case 'C':
                        s->netavark_config = optarg;
                        break;
                case 'A':
                        s->aardvark = optarg;
                        break;
                case 'Y':
                        s->net_ready = true;
                        break;
                case 'P':
                        if (s->n_hold >= SHIM_HOLD_MAX) {
                                fprintf(stderr, "ross-shim: more than %d --hold-port\n",
                                        SHIM_HOLD_MAX);
                                return -E2BIG;
                        }
                        s->hold_fd[s->n_hold] = -EBADF;
                        s->hold[s->n_hold++] = optarg;
                        break;
                case 'D':
                        /* the first process exits, its child is the shim: nobody's child */
                        switch (fork()) {
                        case -1:
                                return -errno;
                        case 0:
                                break;
                        default:
                                _exit(0);
                        }
                        break;
                case 'l': {
                        RossLogLevel l;
                        if (ross_log_parse_level(optarg, &l) < 0) {
                                fprintf(stderr, "ross-shim: --log-level: unknown level '%s'\n",
                                        optarg);
                                return -EINVAL;
                        }
                        ross_log_set_level(l);
                        break;
                }
                default:
                        return -EINVAL;
                }
        }
        if (!s->id || !s->bundle || !s->runtime || !s->root || !s->dir) {
                fprintf(stderr,
                        "ross-shim: --id, --bundle, --runtime, --root and --dir are needed\n");
                return -EINVAL;
        }
        return 0;
}

int ross_shim_main(int argc, char **argv)
{
        Shim s = {.out_fd = -EBADF,
                  .err_fd = -EBADF,
                  .in_fd = -EBADF,
                  .listen_fd = -EBADF,
                  .sigfd = -EBADF,
                  .pidfd = -EBADF,
                  .be_status = -1,
                  .net_setup = ROSS_CHILD_INIT};
        int sync_fd = -1;
        s.log.max = ROSS_SHIM_LOG_MAX_DEFAULT;
        s.log.files = ROSS_SHIM_LOG_FILES_DEFAULT;
        if (parse_args(&s, argc, argv, &sync_fd) < 0)
                return 2;
        if (sync_fd >= 0)
                fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
        ross_log_set_prefix("ross-shim");
        s.be = ross_shim_backend_find(s.runtime);
        if (!s.be) {
                report(sync_fd, "err 1 no backend for the runtime '%s'\n", s.runtime);
                return 1;
        }
        _cleanup_free_ char *shim_log = xasprintf("%s/shim.log", s.dir);
        if (ross_log_enabled(ROSS_LOG_DEBUG)) {
                int fd = open(shim_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        dup2(fd, 2);
                        close(fd);
                }
        }
        /* held for our whole life: this is how the daemon knows we run */
        _cleanup_close_ int lock = ross_shim_lock(s.dir);
        if (lock < 0) {
                report(sync_fd, "err 1 lock '%s/shim.lock': %s\n", s.dir,
                       lock == -EBUSY ? "another shim runs this container" : strerror(-lock));
                return 1;
        }

        /* The container's process is the runtime's child; as a subreaper we inherit it
         * when the runtime exits, and reap it ourselves. */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        signal(SIGPIPE, SIG_IGN);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

        _cleanup_free_ char *log_path = xasprintf("%s/container.log", s.dir);
        _cleanup_free_ char *exit_file = xasprintf("%s/exit.json", s.dir);
        _cleanup_free_ char *shim_pid = xasprintf("%s/shim.pid", s.dir);
        _cleanup_free_ char *attach_sock = xasprintf("%s/attach.sock", s.dir);
        char pidbuf[32];
        snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
        (void)ross_write_file_replace(shim_pid, pidbuf, strlen(pidbuf), 0600, NULL);
        unlink(exit_file);

        /* the "none" driver: no file at all, the output goes to attached clients only */
        int r = shim_log_open(&s.log, s.no_log ? NULL : log_path, s.log.max, s.log.files);
        if (r < 0) {
                report(sync_fd, "err 1 open log '%s': %s\n", log_path, strerror(-r));
                return 1;
        }
        r = shim_attach_listen(&s, attach_sock);
        if (r < 0) {
                report(sync_fd, "err 1 attach socket '%s': %s\n", attach_sock, strerror(-r));
                return 1;
        }

        RossError err = {};
        int code = 1;
        pid_t cpid = 0;
        r = shim_net_begin(&s, &err);
        if (r == 0)
                r = s.be->start(&s, &cpid, &code, &err);
        /* a backend that did not wait for the network (it has no create step) */
        if (r == 0)
                r = shim_net_wait(&s, &err);
        if (r == 0 && !s.be_managed) {
                /* the workload is our child or inherited by us: its pid is not reused
                 * before we reap it, so the pidfd is the workload's */
                s.pid = cpid;
                s.pidfd = (int)syscall(SYS_pidfd_open, cpid, 0);
                if (s.pidfd < 0)
                        r = ross_err(&err, errno, "pidfd of the workload (pid %d)", (int)cpid);
        }
        if (r < 0) {
                /* undone before the answer: a start that failed left nothing when it
                 * returns */
                s.be->cleanup(&s);
                shim_net_teardown(&s);
                report(sync_fd, "err %d %s\n", code, err.msg);
                unlink(attach_sock);
                unlink(shim_pid);
                shim_log_close(&s.log);
                shim_attach_close_all(&s);
                return 1;
        }
        if (s.in_fd >= 0)
                fcntl(s.in_fd, F_SETFL, fcntl(s.in_fd, F_GETFL) | O_NONBLOCK);
        /* a namespace container's own cgroup: did the kernel's OOM killer end it? The
         * runtime makes the cgroup afresh for each run, so any kill it counts is this
         * run's, one before this look too */
        _cleanup_close_ int oom_fd = -EBADF;
        if (!s.be_managed && !s.exec_process)
                oom_fd = open_oom_counter(cpid);
        log_debug("container %s runs as pid %d%s", s.id, (int)cpid, s.tty ? " on a pty" : "");
        report(sync_fd, "ok %d\n", (int)cpid);
        if (sync_fd >= 0)
                close(sync_fd);
        /* the daemon read our stderr until the answer; from here on nobody does */
        if (!ross_log_enabled(ROSS_LOG_DEBUG)) {
                int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (nul >= 0) {
                        dup2(nul, STDERR_FILENO);
                        close(nul);
                }
        }

        int exit_code = monitor(&s, cpid, s.sigfd);
        shim_log_close(&s.log);
        shim_net_keep(&s);
        /* the status first: waiters are answered at once; the backend's cleanup goes after
         * (a new start of this container waits for this shim to be gone) */
        bool oom = oom_fd >= 0 && exit_code == 128 + SIGKILL && oom_kills(oom_fd) > 0;
        if (oom)
                log_debug("the kernel's OOM killer ended container %s", s.id);
        write_exit(exit_file, exit_code, cpid, oom);
        log_debug("exit status %d written", exit_code);
        unlink(attach_sock);
        shim_attach_close_all(&s);
        s.pidfd = safe_close(s.pidfd);
        s.be->cleanup(&s);
        shim_net_teardown(&s);
        close_stdin(&s);
        s.out_fd = safe_close(s.out_fd);
        s.err_fd = safe_close(s.err_fd);
        ross_buf_free(&s.in_pending);
        unlink(shim_pid);
        return 0;
}
