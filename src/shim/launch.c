/* SPDX-License-Identifier: Apache-2.0 */
#include <poll.h>
#include <sys/file.h>

#include "../basic/argv.h"
#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../basic/socket.h"
#include "../basic/spawn.h"
#include "frame.h"
#include "shim.h"

/* The shim's command line; -E2BIG if it would not fit (it always does: a handful of flags). */
static int shim_argv(const RossShimArgs *a, RossArgv *v)
{
        const char *const opts[][2] = {
                {"--id", a->id},           {"--bundle", a->bundle},
                {"--runtime", a->runtime}, {"--root", a->runtime_root},
                {"--dir", a->dir},         {"--sync-fd", "3"},
        };
        ross_argv_add(v, a->shim_path);
        for (size_t i = 0; i < ELEMENTSOF(opts); i++) {
                ross_argv_add(v, opts[i][0]);
                ross_argv_add(v, opts[i][1]);
        }
        ross_argv_add(v, "--detach");
        if (a->no_log)
                ross_argv_add(v, "--no-log");
        else {
                ross_argv_addf(
                        v, "--log-max=%llu",
                        (unsigned long long)(a->log_max ? a->log_max : ROSS_SHIM_LOG_MAX_DEFAULT));
                ross_argv_addf(v, "--log-files=%u",
                               a->log_files ? a->log_files : ROSS_SHIM_LOG_FILES_DEFAULT);
        }
        if (a->tty)
                ross_argv_add(v, "--tty");
        if (a->open_stdin)
                ross_argv_add(v, "--stdin");
        if (a->stdin_once)
                ross_argv_add(v, "--stdin-once");
        if (a->exec_process) {
                ross_argv_add(v, "--exec");
                ross_argv_add(v, a->exec_process);
        }
        if (a->attach_wait)
                ross_argv_addf(v, "--attach-wait=%u", a->attach_wait);
        if (a->netns) {
                ross_argv_addf(v, "--netns=%s", a->netns);
                if (a->net_ready)
                        ross_argv_add(v, "--net-ready");
                if (a->netavark)
                        ross_argv_addf(v, "--netavark=%s", a->netavark);
                if (a->netavark_config)
                        ross_argv_addf(v, "--netavark-config=%s", a->netavark_config);
                if (a->aardvark)
                        ross_argv_addf(v, "--aardvark=%s", a->aardvark);
                for (size_t i = 0; a->hold_ports && a->hold_ports[i]; i++)
                        ross_argv_addf(v, "--hold-port=%s", a->hold_ports[i]);
        }
        if (ross_log_enabled(ROSS_LOG_DEBUG))
                ross_argv_add(v, "--log-level=debug");
        return ross_argv_ok(v);
}

/* Read fd to its end into b (bounded by b's cap). */
static void read_to_end(int fd, RossBuf *b)
{
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                if (n > 0)
                        (void)ross_buf_append(b, buf, (size_t)n);
}

/* The shim's answer: "ok PID" or "err CODE MESSAGE" (one line). */
static int parse_answer(const RossShimArgs *a, char *answer, const char *shim_stderr,
                        pid_t *ret_pid, int *ret_exec_status, RossError *err)
{
        size_t l = strlen(answer);
        while (l && (answer[l - 1] == '\n' || answer[l - 1] == ' '))
                answer[--l] = '\0';
        int v = 0;
        if (strncmp(answer, "ok ", 3) == 0 && ross_parse_int(answer + 3, 1, INT32_MAX, &v) == 0) {
                *ret_pid = (pid_t)v;
                return 0;
        }
        char *sp = strncmp(answer, "err ", 4) == 0 ? strchr(answer + 4, ' ') : NULL;
        if (sp) {
                *sp = '\0';
                if (ross_parse_int(answer + 4, 1, 255, &v) == 0) {
                        if (ret_exec_status)
                                *ret_exec_status = v;
                        return ross_errx(err,
                                         v == 127   ? ENOENT
                                         : v == 126 ? EACCES
                                                    : EIO,
                                         "%s", sp + 1);
                }
                *sp = ' ';
        }
        /* no answer: the shim could not run, or died; what it said on stderr tells why */
        return ross_errx(err, EIO, "the shim for %s did not start: %s", a->id,
                         l              ? answer
                         : *shim_stderr ? shim_stderr
                                        : "it exited without an answer");
}

/* The daemon's side: start a shim, detached, and read its one-line answer. */
int ross_shim_start(const RossShimArgs *a, pid_t *ret_pid, int *ret_exec_status, RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv argv = {};
        if (shim_argv(a, &argv) < 0)
                return ross_errx(err, E2BIG, "start the shim for %s: too many arguments", a->id);

        _cleanup_close_ int sync_r = -EBADF, sync_w = -EBADF, err_r = -EBADF;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ross_err(err, errno, "start the shim for %s: pipe", a->id);
        sync_r = p[0], sync_w = p[1];

        /* A new session; the shim forks once more and its first process exits at once, so
         * the shim is nobody's child but init's (or a subreaper's). Its stderr comes to us
         * until it answers, so a shim that cannot even start says why; it is read here, not
         * by ross_child_wait: the shim keeps it open while it runs at debug. */
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.extra_fd = sync_w;
        o.setsid = true;
        _cleanup_(ross_child_done) RossChild child = ROSS_CHILD_INIT;
        int r = ross_spawn(ross_argv_get(&argv), &o, &child, err);
        if (r < 0)
                return ross_err_prefix(err, "start the shim for %s", a->id);
        close(TAKE_FD(sync_w));
        err_r = ross_child_take_stderr(&child);
        /* the first process only forks: its status says nothing the answer does not */
        (void)ross_child_wait(&child, NULL, NULL);

        /* the answer ends when the shim closes the pipe: after "ok", or when it exits */
        _cleanup_(ross_buf_free) RossBuf answer = {.cap = 64 * 1024};
        read_to_end(sync_r, &answer);
        _cleanup_(ross_buf_free) RossBuf shim_err = {.cap = 4096};
        if (answer.len == 0) {
                /* it is gone (nobody else holds its stderr): all it wrote is there */
                fcntl(err_r, F_SETFL, O_NONBLOCK);
                read_to_end(err_r, &shim_err);
                while (shim_err.len && strchr("\n ", shim_err.data[shim_err.len - 1]))
                        shim_err.data[--shim_err.len] = '\0';
        }
        char none_said[1] = "";
        return parse_answer(a, answer.len ? answer.data : none_said,
                            shim_err.len ? shim_err.data : "", ret_pid, ret_exec_status, err);
}

int ross_shim_attach(const char *sock_path, bool want_output)
{
        _cleanup_close_ int fd = ross_unix_connect(sock_path);
        if (fd < 0)
                return -ESRCH; /* no socket, or nobody behind it */
        if (want_output) {
                int r = ross_frame_write(fd, ROSS_FRAME_HELLO, NULL, 0);
                if (r < 0)
                        return r;
        }
        return TAKE_FD(fd);
}

int ross_shim_attach_hello(const char *sock_path, unsigned flags)
{
        _cleanup_close_ int fd = ross_unix_connect(sock_path);
        if (fd < 0)
                return -ESRCH;
        unsigned char f = (unsigned char)flags;
        int r = ross_frame_write(fd, ROSS_FRAME_HELLO, &f, 1);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

int ross_shim_resize(const char *sock_path, unsigned rows, unsigned cols)
{
        _cleanup_close_ int fd = ross_shim_attach(sock_path, false);
        if (fd < 0)
                return fd;
        unsigned char sz[4] = {(unsigned char)(rows >> 8), (unsigned char)rows,
                               (unsigned char)(cols >> 8), (unsigned char)cols};
        return ross_frame_write(fd, ROSS_FRAME_RESIZE, sz, sizeof(sz));
}

/* One control request, one REPLY. */
static int control(const char *sock_path, int type, const void *p, size_t n, RossError *err)
{
        _cleanup_close_ int fd = ross_shim_attach(sock_path, false);
        if (fd < 0)
                return fd == -ESRCH ? -ESRCH
                                    : ross_errx(err, -fd, "connect to the shim: %s", strerror(-fd));
        int r = ross_frame_write(fd, type, p, n);
        if (r < 0)
                return ross_errx(err, -r, "talk to the shim: %s", strerror(-r));
        _cleanup_(ross_buf_free) RossBuf in = {.cap = 64 * 1024};
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        for (;;) {
                int t;
                const char *q;
                size_t len;
                bool bad = false;
                if (ross_frame_next(&in, &t, &q, &len, &bad) && t == ROSS_FRAME_REPLY && len >= 4) {
                        const unsigned char *u = (const unsigned char *)q;
                        int e = (int)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
                                      (uint32_t)u[2] << 8 | u[3]);
                        if (e == 0)
                                return 0;
                        return ross_errx(err, e > 0 && e < 4096 ? e : EIO, "%.*s", (int)(len - 4),
                                         q + 4);
                }
                if (bad)
                        return ross_errx(err, EPROTO, "the shim answered something else");
                /* a pause runs the runtime: seconds at worst */
                if (poll(&pf, 1, 30000) <= 0)
                        return ross_errx(err, ETIMEDOUT, "the shim did not answer");
                char buf[4096];
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k <= 0)
                        return -ESRCH; /* it went away: the workload is gone */
                if (ross_buf_append(&in, buf, (size_t)k) < 0)
                        return ross_errx(err, EPROTO, "the shim's answer is too long");
        }
}

int ross_shim_signal(const char *sock_path, int sig, RossError *err)
{
        unsigned char b[4] = {(unsigned char)(sig >> 24), (unsigned char)(sig >> 16),
                              (unsigned char)(sig >> 8), (unsigned char)sig};
        return control(sock_path, ROSS_FRAME_SIGNAL, b, sizeof(b), err);
}

int ross_shim_pause(const char *sock_path, bool pause, RossError *err)
{
        unsigned char b = pause ? 1 : 0;
        return control(sock_path, ROSS_FRAME_PAUSE, &b, 1, err);
}

bool ross_shim_alive(const char *dir)
{
        return ross_shim_alive_at(AT_FDCWD, dir);
}

bool ross_shim_alive_at(int dfd, const char *dir)
{
        _cleanup_free_ char *path = xasprintf("%s/shim.lock", dir);
        _cleanup_close_ int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false; /* never a shim here */
        if (flock(fd, LOCK_SH | LOCK_NB) < 0)
                return errno == EWOULDBLOCK;
        return false; /* the lock closes with fd */
}

bool ross_shim_wait_gone(const char *dir, int timeout_ms)
{
        for (int waited = 0; ross_shim_alive(dir); waited += 10) {
                if (waited >= timeout_ms)
                        return false;
                usleep(10000);
        }
        return true;
}
