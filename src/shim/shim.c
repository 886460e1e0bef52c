/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdarg.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "shim.h"

#define DEFAULT_LOG_MAX (10 * 1024 * 1024)

/* ---- the daemon's side ---- */

static bool is_crun(const char *runtime)
{
        const char *b = strrchr(runtime, '/');
        return strstr(b ? b + 1 : runtime, "crun") != NULL;
}

int ross_shim_start(const RossShimArgs *a, pid_t *ret_pid, int *ret_exec_status, RossError *err)
{
        int sync[2];
        char fdbuf[16], maxbuf[32];

        if (pipe2(sync, O_CLOEXEC) < 0)
                return ross_err(err, errno, "pipe");
        snprintf(fdbuf, sizeof(fdbuf), "%d", 3);
        snprintf(maxbuf, sizeof(maxbuf), "%llu",
                 (unsigned long long)(a->log_max ? a->log_max : DEFAULT_LOG_MAX));
        const char *argv[] = {a->shim_path,    "--id",      a->id,      "--bundle",
                              a->bundle,       "--runtime", a->runtime, "--root",
                              a->runtime_root, "--dir",     a->dir,     "--sync-fd",
                              fdbuf,           "--log-max", maxbuf,     NULL};
        /* Everything the children need is ready before fork: they only make syscalls. */
        pid_t pid = fork();
        if (pid < 0) {
                close(sync[0]);
                close(sync[1]);
                return ross_err(err, errno, "fork");
        }
        if (pid == 0) {
                /* Own session, then fork again: the shim is nobody's child but init's. */
                setsid();
                pid_t p2 = fork();
                if (p2 != 0)
                        _exit(p2 < 0 ? 1 : 0);
                int nul = open("/dev/null", O_RDWR);
                if (nul >= 0) {
                        dup2(nul, 0);
                        dup2(nul, 1);
                        dup2(nul, 2);
                }
                if (dup2(sync[1], 3) < 0)
                        _exit(1);
                execv(a->shim_path, (char *const *)argv);
                _exit(127);
        }
        close(sync[1]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;

        RossBuf b = {.cap = 64 * 1024};
        char buf[4096];
        ssize_t n;
        while ((n = read(sync[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                if (n > 0)
                        ross_buf_append(&b, buf, (size_t)n);
        close(sync[0]);

        int r;
        long v;
        char *msg;
        if (b.len > 3 && strncmp(b.data, "ok ", 3) == 0 && (v = strtol(b.data + 3, NULL, 10)) > 0) {
                *ret_pid = (pid_t)v;
                r = 0;
        } else if (b.len > 4 && strncmp(b.data, "err ", 4) == 0 &&
                   (v = strtol(b.data + 4, &msg, 10)) > 0) {
                while (*msg == ' ')
                        msg++;
                size_t ml = strlen(msg);
                while (ml && msg[ml - 1] == '\n')
                        msg[--ml] = '\0';
                if (ret_exec_status)
                        *ret_exec_status = (int)v;
                r = ross_errx(err, v == 127 ? ENOENT : v == 126 ? EACCES : EIO, "%s", msg);
        } else
                r = ross_errx(err, EIO, "the shim for %s did not start (%s)", a->id,
                              b.len ? b.data : "no answer");
        ross_buf_free(&b);
        return r;
}

/* ---- the shim itself ---- */

typedef struct Shim {
        const char *id, *bundle, *runtime, *root, *dir;
        uint64_t log_max;
        int log_fd;
        uint64_t log_size;
        char *log_path;
        RossBuf partial[2]; /* an unfinished line per stream */
} Shim;

static void now_rfc3339(char *buf, size_t n)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + k, n - k, ".%09ldZ", ts.tv_nsec);
}

static void rotate(Shim *s)
{
        _cleanup_free_ char *old = xasprintf("%s.1", s->log_path);
        close(s->log_fd);
        rename(s->log_path, old);
        s->log_fd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        s->log_size = 0;
}

/* One log line: {"log": "...", "stream": "stdout", "time": "..."}, as Docker's json-file. */
static void log_line(Shim *s, int stream, const char *p, size_t n)
{
        char when[64];
        now_rfc3339(when, sizeof(when));
        json_t *j = json_pack("{s:s%, s:s, s:s}", "log", p, n, "stream",
                              stream == 1 ? "stdout" : "stderr", "time", when);
        if (!j) /* bytes that are not UTF-8: keep them, escaped */
                j = json_pack("{s:s, s:s, s:s}", "log", "(output not valid UTF-8)\n", "stream",
                              stream == 1 ? "stdout" : "stderr", "time", when);
        char *line = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        size_t len = strlen(line);
        if (s->log_size + len + 1 > s->log_max && s->log_size > 0)
                rotate(s);
        line = xrealloc(line, len + 2);
        line[len] = '\n';
        (void)ross_write_all(s->log_fd, line, len + 1);
        s->log_size += len + 1;
        free(line);
}

static void take_output(Shim *s, int stream, const char *p, size_t n)
{
        RossBuf *b = &s->partial[stream - 1];
        for (size_t i = 0; i < n; i++) {
                ross_buf_append(b, p + i, 1);
                /* a newline ends a line; very long lines are cut as Docker does (16 KiB) */
                if (p[i] == '\n' || b->len >= 16 * 1024) {
                        log_line(s, stream, b->data, b->len);
                        b->len = 0;
                }
        }
}

static void flush_partial(Shim *s)
{
        for (int i = 0; i < 2; i++)
                if (s->partial[i].len) {
                        log_line(s, i + 1, s->partial[i].data, s->partial[i].len);
                        s->partial[i].len = 0;
                }
}

static void report(int fd, const char *fmt, ...) _printf_(2, 3);
static void report(int fd, const char *fmt, ...)
{
        char buf[4096];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (fd >= 0 && n > 0)
                (void)ross_write_all(fd, buf,
                                     (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1));
}

/* The runtime's last error from its JSON log. */
static char *runtime_error(const char *path)
{
        _cleanup_free_ char *text = NULL;
        char *msg = NULL;
        if (ross_read_file(path, 1024 * 1024, &text, NULL, NULL) < 0)
                return xstrdup("the OCI runtime failed");
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                json_t *j = json_loads(l, 0, NULL);
                const char *lvl = json_string_value(json_object_get(j, "level"));
                const char *m = json_string_value(json_object_get(j, "msg"));
                if (m && lvl && (STREQ(lvl, "error") || STREQ(lvl, "fatal"))) {
                        free(msg);
                        msg = xstrdup(m);
                }
                json_decref(j);
        }
        return msg ? msg : xstrdup("the OCI runtime failed");
}

static void run_runtime(Shim *s, const char *const *args)
{
        pid_t p = fork();
        if (p == 0) {
                execvp(args[0], (char *const *)args);
                _exit(127);
        }
        if (p > 0) {
                int st;
                while (waitpid(p, &st, 0) < 0 && errno == EINTR)
                        ;
        }
}

int ross_shim_main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"id", required_argument, NULL, 'i'},
                {"bundle", required_argument, NULL, 'b'},
                {"runtime", required_argument, NULL, 'r'},
                {"root", required_argument, NULL, 'R'},
                {"dir", required_argument, NULL, 'd'},
                {"sync-fd", required_argument, NULL, 's'},
                {"log-max", required_argument, NULL, 'm'},
                {},
        };
        Shim s = {.log_fd = -1, .log_max = DEFAULT_LOG_MAX};
        int sync_fd = -1, c;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'i':
                        s.id = optarg;
                        break;
                case 'b':
                        s.bundle = optarg;
                        break;
                case 'r':
                        s.runtime = optarg;
                        break;
                case 'R':
                        s.root = optarg;
                        break;
                case 'd':
                        s.dir = optarg;
                        break;
                case 's':
                        sync_fd = atoi(optarg);
                        break;
                case 'm':
                        s.log_max = strtoull(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        }
        if (!s.id || !s.bundle || !s.runtime || !s.root || !s.dir) {
                fprintf(stderr,
                        "ross-shim: --id, --bundle, --runtime, --root and --dir are needed\n");
                return 2;
        }
        if (sync_fd >= 0)
                fcntl(sync_fd, F_SETFD, FD_CLOEXEC);

        /* The container's process is the runtime's child; as a subreaper we inherit it
         * when the runtime exits, and reap it ourselves. */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        s.log_path = xasprintf("%s/container.log", s.dir);
        _cleanup_free_ char *pid_file = xasprintf("%s/container.pid", s.dir);
        _cleanup_free_ char *rt_log = xasprintf("%s/runtime.log", s.dir);
        _cleanup_free_ char *exit_file = xasprintf("%s/exit.json", s.dir);
        _cleanup_free_ char *shim_pid = xasprintf("%s/shim.pid", s.dir);
        char pidbuf[32];
        snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
        (void)ross_write_file_atomic(shim_pid, pidbuf, strlen(pidbuf), 0600, NULL);
        unlink(exit_file);
        unlink(rt_log);
        unlink(pid_file);

        s.log_fd = open(s.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (s.log_fd < 0) {
                report(sync_fd, "err 1 open log '%s': %s\n", s.log_path, strerror(errno));
                return 1;
        }
        struct stat st;
        if (fstat(s.log_fd, &st) == 0)
                s.log_size = (uint64_t)st.st_size;

        int out[2], errp[2];
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
                report(sync_fd, "err 1 pipe: %s\n", strerror(errno));
                return 1;
        }
        _cleanup_free_ char *logopt = is_crun(s.runtime) ? xasprintf("--log=file:%s", rt_log)
                                                         : xasprintf("--log=%s", rt_log);
        _cleanup_free_ char *rootopt = xasprintf("--root=%s", s.root);
        const char *args[] = {s.runtime,    rootopt,    logopt,     "--log-format=json",
                              "run",        "--detach", "--bundle", s.bundle,
                              "--pid-file", pid_file,   s.id,       NULL};
        pid_t rt = fork();
        if (rt == 0) {
                sigprocmask(SIG_UNBLOCK, &mask, NULL);
                int nul = open("/dev/null", O_RDONLY);
                dup2(nul, 0);
                dup2(out[1], 1);
                dup2(errp[1], 2);
                execvp(args[0], (char *const *)args);
                _exit(127);
        }
        close(out[1]);
        close(errp[1]);
        if (rt < 0) {
                report(sync_fd, "err 1 fork: %s\n", strerror(errno));
                return 1;
        }

        int status = 0;
        while (waitpid(rt, &status, 0) < 0 && errno == EINTR)
                ;
        _cleanup_free_ char *pidtext = NULL;
        pid_t cpid = 0;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
            ross_read_file(pid_file, 64, &pidtext, NULL, NULL) == 0)
                cpid = (pid_t)strtol(pidtext, NULL, 10);
        if (cpid <= 0) {
                _cleanup_free_ char *m = runtime_error(rt_log);
                /* Docker's codes: 127 the command was not found, 126 it could not run */
                int code = (strstr(m, "not found") || strstr(m, "No such file"))            ? 127
                           : (strstr(m, "ermission denied") || strstr(m, "not executable")) ? 126
                                                                                            : 1;
                report(sync_fd, "err %d %s\n", code, m);
                const char *del[] = {s.runtime, rootopt, "delete", "--force", s.id, NULL};
                run_runtime(&s, del);
                unlink(shim_pid);
                return 1;
        }
        report(sync_fd, "ok %d\n", (int)cpid);
        if (sync_fd >= 0)
                close(sync_fd);

        /* Copy output to the log until the container is gone and its pipes are drained. */
        /* SIGCHLD as an fd: the loop wakes the moment the container exits */
        int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        struct pollfd pfd[3] = {{.fd = out[0], .events = POLLIN},
                                {.fd = errp[0], .events = POLLIN},
                                {.fd = sigfd, .events = POLLIN}};
        int open_fds = 2, exit_code = -1;
        char buf[65536];
        while (open_fds > 0 || exit_code < 0) {
                int n = poll(pfd, 3, exit_code < 0 ? 1000 : 50);
                if (n > 0 && (pfd[2].revents & POLLIN)) {
                        struct signalfd_siginfo si;
                        while (read(sigfd, &si, sizeof(si)) == sizeof(si))
                                ;
                }
                if (n > 0)
                        for (int i = 0; i < 2; i++) {
                                if (pfd[i].fd < 0 ||
                                    !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                        continue;
                                ssize_t k = read(pfd[i].fd, buf, sizeof(buf));
                                if (k > 0)
                                        take_output(&s, i + 1, buf, (size_t)k);
                                else if (k == 0 || errno != EINTR) {
                                        close(pfd[i].fd);
                                        pfd[i].fd = -1;
                                        open_fds--;
                                }
                        }
                /* reap: the container, and orphans it left to us */
                int ws;
                pid_t w;
                while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
                        if (w == cpid)
                                exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
                if (w < 0 && errno == ECHILD && exit_code < 0)
                        exit_code = 255; /* not ours to reap: should not happen */
                /* once the container is gone, stop at the first quiet moment: a daemonized
                 * grandchild may hold the pipes open for ever */
                if (exit_code >= 0 && n == 0)
                        break;
        }
        flush_partial(&s);

        char when[64];
        now_rfc3339(when, sizeof(when));
        json_t *j = json_pack("{s:i, s:s, s:i}", "ExitCode", exit_code, "FinishedAt", when, "Pid",
                              (int)cpid);
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        (void)ross_write_file_atomic(exit_file, text, strlen(text), 0600, NULL);
        free(text);

        const char *del[] = {s.runtime, rootopt, "delete", "--force", s.id, NULL};
        run_runtime(&s, del);
        unlink(shim_pid);
        return 0;
}
