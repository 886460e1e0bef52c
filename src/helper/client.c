/* SPDX-License-Identifier: Apache-2.0 */
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "../basic/clock.h"
#include "../basic/log.h"
#include "client.h"

#define ERR_KEEP 2048

void ross_helper_argv(RossArgv *a, const char *path, const char *cmd, const RossRegistryConfig *cfg)
{
        ross_argv_add(a, path);
        ross_argv_add(a, cmd);
        for (char **i = cfg ? cfg->insecure : NULL; i && *i; i++) {
                ross_argv_add(a, "--insecure-registry");
                ross_argv_add(a, *i);
        }
        if (cfg && cfg->certs_dir) {
                ross_argv_add(a, "--certs-dir");
                ross_argv_add(a, cfg->certs_dir);
        }
        ross_argv_add(a, "--log-level");
        ross_argv_add(a, ross_log_enabled(ROSS_LOG_DEBUG)  ? "debug"
                         : ross_log_enabled(ROSS_LOG_INFO) ? "info"
                         : ross_log_enabled(ROSS_LOG_WARN) ? "warn"
                                                           : "error");
}

int ross_helper_start(RossArgv *argv, const RossRegistryConfig *cfg, RossHelper **ret,
                      RossError *err)
{
        return ross_helper_start_io(argv, cfg, -1, -1, ret, err);
}

int ross_helper_start_io(RossArgv *argv, const RossRegistryConfig *cfg, int in_fd, int out_fd,
                         RossHelper **ret, RossError *err)
{
        int sv[2];
        int r = ross_argv_ok(argv);
        if (r < 0)
                return ross_errx(err, E2BIG, "pull helper: too many arguments");
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return ross_err(err, errno, "pull helper: socketpair");
        RossHelper *h = xcalloc(1, sizeof(*h));
        h->child = (RossChild)ROSS_CHILD_INIT;
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.extra_fd = sv[1];
        o.stdin_fd = in_fd;
        o.stdout_fd = out_fd;
        r = ross_spawn(ross_argv_get(argv), &o, &h->child, err);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
                free(h);
                return ross_err_prefix(err, "pull helper");
        }
        h->fd = sv[0];
        h->stall_seconds = cfg && cfg->helper_stall_seconds > 0 ? cfg->helper_stall_seconds
                                                                : ROSS_HELPER_STALL_SECONDS;
        ross_channel_init(&h->ch, h->fd);
        log_debug("pull helper %d: started (%s)", (int)h->child.pid, ross_argv_get(argv)[1]);
        *ret = h;
        return 0;
}

static void keep_err(RossHelper *h, const char *p, size_t n)
{
        ross_buf_append(&h->err, p, n);
        if (h->err.len > 2 * ERR_KEEP) {
                memmove(h->err.data, h->err.data + h->err.len - ERR_KEEP, ERR_KEEP);
                h->err.len = ERR_KEEP;
                h->err.data[h->err.len] = '\0';
        }
}

/* What the helper wrote to stderr: into the daemon's log line by line, and the tail kept. */
static void read_stderr(RossHelper *h)
{
        char buf[8192];
        ssize_t n = read(h->child.stderr_fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                h->stderr_eof = true;
                if (h->line.len && ross_log_enabled(ROSS_LOG_DEBUG))
                        fprintf(stderr, "%s\n", h->line.data);
                h->line.len = 0;
                return;
        }
        keep_err(h, buf, (size_t)n);
        if (!ross_log_enabled(ROSS_LOG_DEBUG))
                return;
        for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                        fprintf(stderr, "%.*s\n", (int)h->line.len,
                                h->line.data ? h->line.data : "");
                        h->line.len = 0;
                } else if (h->line.len < 8192)
                        ross_buf_append(&h->line, &buf[i], 1);
        }
        fflush(stderr);
}

/* The helper's last words as one line. */
static const char *last_words(RossHelper *h)
{
        if (!h->err.len)
                return NULL;
        size_t n = h->err.len;
        while (n && (h->err.data[n - 1] == '\n' || h->err.data[n - 1] == ' '))
                n--;
        h->err.data[n] = '\0';
        h->err.len = n;
        /* the last line or two are what matters */
        char *start = h->err.data;
        int lines = 0;
        for (char *p = h->err.data + n; p > h->err.data; p--)
                if (p[-1] == '\n' && ++lines == 2) {
                        start = p;
                        break;
                }
        for (char *p = start; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        return *start ? start : NULL;
}

/* Wait (up to timeout_ms; -1: no limit) for the helper to exit; then say how it ended. */
static int reap(RossHelper *h, int timeout_ms, int *ret_status)
{
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* drain its stderr until it closes, so its last words are in */
        while (h->child.stderr_fd >= 0 && !h->stderr_eof) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                long spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
                int left = timeout_ms < 0 ? -1 : (int)(timeout_ms > spent ? timeout_ms - spent : 0);
                struct pollfd p = {.fd = h->child.stderr_fd, .events = POLLIN};
                int n = poll(&p, 1, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break; /* it holds stderr open and does not exit: killed below */
                read_stderr(h);
        }
        int st = 0;
        pid_t got;
        while ((got = waitpid(h->child.pid, &st, h->stderr_eof ? 0 : WNOHANG)) < 0 &&
               errno == EINTR)
                ;
        if (got == 0) {
                kill(h->child.pid, SIGKILL);
                while (waitpid(h->child.pid, &st, 0) < 0 && errno == EINTR)
                        ;
        }
        h->child.pid = 0;
        *ret_status = st;
        return 0;
}

static int death(RossHelper *h, int st, RossError *err)
{
        const char *words = last_words(h);
        if (WIFSIGNALED(st))
                return ross_errx(err, ECHILD, "the pull helper was killed by signal %d (%s)%s%s",
                                 WTERMSIG(st), strsignal(WTERMSIG(st)), words ? ": " : "",
                                 words ? words : "");
        if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
                return ross_errx(err, EIO, "the pull helper exited with status %d%s%s",
                                 WEXITSTATUS(st), words ? ": " : "", words ? words : "");
        return ross_errx(err, EPIPE, "the pull helper ended without an answer%s%s",
                         words ? ": " : "", words ? words : "");
}

int ross_helper_send(RossHelper *h, json_t *msg, RossError *err)
{
        int r = ross_channel_send_new(&h->ch, msg, err);
        if (r == -EPIPE || r == -ECONNRESET) {
                /* it is gone: say how, not that the socket broke */
                int st = 0;
                h->closed = true;
                reap(h, 5000, &st);
                return death(h, st, err);
        }
        return r < 0 ? ross_err_prefix(err, "pull helper") : 0;
}

int ross_helper_recv(RossHelper *h, json_t **ret, RossError *err)
{
        long last = ross_now_ms();
        for (;;) {
                json_auto_t *msg = NULL;
                int r = ross_channel_next(&h->ch, &msg, err);
                if (r < 0) {
                        /* a helper that speaks garbage is not trusted to go on */
                        kill(h->child.pid, SIGKILL);
                        return ross_err_prefix(err, "pull helper");
                }
                if (r > 0) {
                        if (STREQ(ross_channel_type(msg), "error")) {
                                h->remote_error = true;
                                return ross_channel_error_from(msg, err);
                        }
                        *ret = TAKE_PTR(msg);
                        return 0;
                }
                if (h->closed) {
                        int st = 0;
                        reap(h, 5000, &st);
                        return death(h, st, err);
                }
                struct pollfd p[2] = {
                        {.fd = h->fd, .events = POLLIN},
                        {.fd = h->stderr_eof ? -1 : h->child.stderr_fd, .events = POLLIN},
                };
                int n = poll(p, 2, 1000);
                if (n < 0 && errno != EINTR)
                        return ross_err(err, errno, "pull helper: poll");
                if (n <= 0) {
                        if (h->cancelled && h->cancelled(h->cancel_userdata))
                                return ross_errx(err, ECANCELED, "cancelled: the client went away");
                        if (ross_now_ms() - last >= h->stall_seconds * 1000L) {
                                log_debug("pull helper %d: silent for %d s, killed",
                                          (int)h->child.pid, h->stall_seconds);
                                kill(h->child.pid, SIGKILL);
                                int st = 0;
                                reap(h, 5000, &st);
                                return ross_errx(err, ETIMEDOUT,
                                                 "the pull helper made no progress for %d s and "
                                                 "was stopped",
                                                 h->stall_seconds);
                        }
                        continue;
                }
                last = ross_now_ms();
                if (p[1].revents)
                        read_stderr(h);
                if (p[0].revents) {
                        ssize_t got = ross_channel_fill(&h->ch, err);
                        if (got <= 0)
                                h->closed = true;
                }
        }
}

int ross_helper_finish(RossHelper *h, RossError *err)
{
        if (h->fd >= 0) {
                shutdown(h->fd, SHUT_WR);
                close(h->fd);
                h->fd = -EBADF;
        }
        if (h->child.pid <= 0)
                return 0;
        int st = 0;
        reap(h, 10000, &st);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        return death(h, st, err);
}

void ross_helper_free(RossHelper *h)
{
        if (!h)
                return;
        if (h->fd >= 0)
                close(h->fd);
        if (h->child.pid > 0)
                log_debug("pull helper %d: stopped", (int)h->child.pid);
        ross_child_done(&h->child);
        ross_channel_done(&h->ch);
        ross_buf_free(&h->err);
        ross_buf_free(&h->line);
        free(h);
}
