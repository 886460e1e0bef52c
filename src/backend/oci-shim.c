/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI backend, the shim's half: `crun|runc run --detach` (or `exec --detach` for an
 * exec) with the container's stdio, the pty's master from the console socket with -t;
 * signals to the container's init through a pidfd; pause and resume by the runtime; its
 * state deleted when the container is gone.
 */
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../basic/argv.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../basic/socket.h"
#include "../basic/spawn.h"
#include "../shim/shim-internal.h"
#include "backend.h"

static bool is_crun(const char *runtime)
{
        const char *b = strrchr(runtime, '/');
        return strstr(b ? b + 1 : runtime, "crun") != NULL;
}

/* The runtime's own flags: --root, and --log where it writes its errors. */
static void runtime_flags(Shim *s, RossArgv *args)
{
        ross_argv_add(args, s->runtime);
        ross_argv_addf(args, "--root=%s", s->root);
        if (is_crun(s->runtime))
                ross_argv_addf(args, "--log=file:%s/runtime.log", s->dir);
        else
                ross_argv_addf(args, "--log=%s/runtime.log", s->dir);
        ross_argv_add(args, "--log-format=json");
}

/* `runtime run|exec --detach`, or `runtime create` (verb) when the network must be up
 * before the container's process runs; with a terminal, the pty's master arrives on the
 * console socket while it runs. Returns the runtime's wait status, or a negative errno
 * (err filled) when it could not be started. */
static int run_runtime(Shim *s, const char *verb, const char *console, int console_listen,
                       const char *pid_file, int child_in, int child_out, int child_err,
                       RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv args = {};
        runtime_flags(s, &args);
        ross_argv_add(&args, verb);
        if (!STREQ(verb, "create"))
                ross_argv_add(&args, "--detach");
        if (console) {
                ross_argv_add(&args, "--console-socket");
                ross_argv_add(&args, console);
        }
        if (s->exec_process) {
                ross_argv_add(&args, "--process");
                ross_argv_add(&args, s->exec_process);
        } else {
                ross_argv_add(&args, "--bundle");
                ross_argv_add(&args, s->bundle);
        }
        ross_argv_add(&args, "--pid-file");
        ross_argv_add(&args, pid_file);
        ross_argv_add(&args, s->id);
        if (ross_argv_ok(&args) < 0)
                return ross_errx(err, E2BIG, "run the OCI runtime: too many arguments");

        /* the runtime's stdio is the container's (--detach hands it over); it logs to
         * runtime.log */
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.stdin_fd = child_in;
        o.stdout_fd = child_out;
        o.stderr_fd = child_err;
        _cleanup_(ross_child_done) RossChild rt = ROSS_CHILD_INIT;
        int r = ross_spawn(ross_argv_get(&args), &o, &rt, err);
        if (r < 0)
                return r;
        int status = 0;
        for (;;) {
                struct pollfd p[2] = {
                        {.fd = s->sigfd, .events = POLLIN},
                        {.fd = s->out_fd < 0 ? console_listen : -1, .events = POLLIN}};
                if (waitpid(rt.pid, &status, WNOHANG) == rt.pid) {
                        rt.pid = 0; /* reaped */
                        break;
                }
                if (poll(p, 2, 1000) <= 0)
                        continue;
                if (p[0].revents) {
                        struct signalfd_siginfo si;
                        while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
                                ;
                }
                if (p[1].revents) {
                        _cleanup_close_ int c = accept4(console_listen, NULL, NULL, SOCK_CLOEXEC);
                        if (c >= 0)
                                s->out_fd = ross_recv_fd(c);
                }
        }
        if (console && s->out_fd < 0) {
                /* the runtime exited before we saw its connection */
                _cleanup_close_ int c = accept4(console_listen, NULL, NULL, SOCK_CLOEXEC);
                if (c >= 0) {
                        fcntl(c, F_SETFL, 0);
                        s->out_fd = ross_recv_fd(c);
                }
        }
        return status;
}

/* Docker's codes from the runtime's words: 127 the command was not found, 126 it could not
 * run. */
static int code_of(const char *m)
{
        if (strstr(m, "not found") || strstr(m, "No such file"))
                return 127;
        if (strstr(m, "ermission denied") || strstr(m, "not executable"))
                return 126;
        return 1;
}

static int oci_start(Shim *s, pid_t *ret_pid, int *ret_code, RossError *err)
{
        _cleanup_free_ char *pid_file = xasprintf("%s/container.pid", s->dir);
        _cleanup_free_ char *rt_log = xasprintf("%s/runtime.log", s->dir);
        _cleanup_free_ char *console_sock = xasprintf("%s/console.sock", s->dir);
        unlink(rt_log);
        unlink(pid_file);
        *ret_code = 1;

        /* the container's stdio: a pty from the runtime, or pipes */
        _cleanup_close_ int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        _cleanup_close_ int console_listen = -EBADF, dirfd = -EBADF;
        _cleanup_free_ char *console_path = NULL;
        int in[2] = {-EBADF, -EBADF}, out[2] = {-EBADF, -EBADF}, errp[2] = {-EBADF, -EBADF};
        if (s->tty) {
                console_listen = ross_unix_listen(console_sock, 1);
                if (console_listen < 0)
                        return ross_errx(err, -console_listen, "console socket '%s': %s",
                                         console_sock, strerror(-console_listen));
                /* the runtime may not reach a long path: give it one through our fd */
                dirfd = open(s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                console_path = strlen(console_sock) < 100 ? xstrdup(console_sock)
                                                          : xasprintf("/proc/%d/fd/%d/console.sock",
                                                                      (int)getpid(), dirfd);
        } else if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
                   (s->open_stdin && pipe2(in, O_CLOEXEC) < 0))
                return ross_err(err, errno, "pipe");
        /* with a network, its setup (started by the shim) runs while the runtime creates the
         * container, and the container's process starts once both are done */
        bool create = s->net_pending && !s->exec_process;
        const char *verb = s->exec_process ? "exec" : create ? "create" : "run";
        int status = run_runtime(s, verb, console_path, console_listen, pid_file,
                                 in[0] >= 0 ? in[0] : nul, out[1] >= 0 ? out[1] : nul,
                                 errp[1] >= 0 ? errp[1] : nul, err);
        safe_close(in[0]);
        safe_close(out[1]);
        safe_close(errp[1]);
        if (s->tty) {
                unlink(console_sock);
                s->in_fd = s->open_stdin ? s->out_fd : -EBADF;
        } else {
                s->out_fd = out[0];
                s->err_fd = errp[0];
                s->in_fd = in[1];
        }
        if (status < 0)
                return status; /* the runtime could not be started */

        _cleanup_free_ char *pidtext = NULL;
        int v;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
            ross_read_file(pid_file, 64, &pidtext, NULL, NULL) < 0) {
                _cleanup_free_ char *m = shim_runtime_error(rt_log);
                *ret_code = code_of(m);
                return ross_errx(err, EIO, "%s", m);
        }
        if (ross_parse_int(pidtext, 1, INT32_MAX, &v) < 0) {
                /* the answer is one line */
                for (char *c = pidtext; *c; c++)
                        if ((unsigned char)*c < ' ')
                                *c = '?';
                return ross_errx(err, EIO, "the OCI runtime's pid file '%s' holds '%s', not a pid",
                                 pid_file, pidtext);
        }
        if (s->tty && s->out_fd < 0)
                return ross_errx(err, EIO, "the OCI runtime sent no terminal");
        if (create) {
                int r = shim_net_wait(s, err);
                if (r < 0)
                        return r;
                _cleanup_(ross_argv_free) RossArgv args = {};
                runtime_flags(s, &args);
                ross_argv_add(&args, "start");
                ross_argv_add(&args, s->id);
                if (ross_argv_ok(&args) < 0)
                        return ross_errx(err, E2BIG, "start: too many arguments");
                r = ross_spawn_run(ross_argv_get(&args), NULL, NULL, err);
                if (r < 0) {
                        _cleanup_free_ char *m = shim_runtime_error(rt_log);
                        *ret_code = code_of(m);
                        return ross_errx(err, EIO, "%s", m);
                }
        }
        *ret_pid = (pid_t)v;
        return 0;
}

static int oci_signal(Shim *s, int sig, RossError *err)
{
        if (s->pidfd < 0)
                return ross_errx(err, ESRCH, "the container has no process");
        if (syscall(SYS_pidfd_send_signal, s->pidfd, sig, NULL, 0) < 0)
                return ross_err(err, errno, "signal %d to pid %d", sig, (int)s->pid);
        return 0;
}

static int oci_pause(Shim *s, bool pause, RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv args = {};
        runtime_flags(s, &args);
        ross_argv_add(&args, pause ? "pause" : "resume");
        ross_argv_add(&args, s->id);
        if (ross_argv_ok(&args) < 0)
                return ross_errx(err, E2BIG, "%s: too many arguments", s->runtime);
        return ross_spawn_run(ross_argv_get(&args), NULL, NULL, err);
}

static int oci_exit_code(Shim *s, int ws)
{
        return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* `runtime delete --force`: the container's state is the container's shim's to delete,
 * not an exec's. What the runtime says when it fails goes to our log. */
static void oci_cleanup(Shim *s)
{
        if (s->exec_process)
                return;
        _cleanup_(ross_argv_free) RossArgv args = {};
        ross_argv_add(&args, s->runtime);
        ross_argv_addf(&args, "--root=%s", s->root);
        ross_argv_add(&args, "delete");
        ross_argv_add(&args, "--force");
        ross_argv_add(&args, s->id);
        RossError err = {};
        if (ross_argv_ok(&args) < 0 || ross_spawn_run(ross_argv_get(&args), NULL, NULL, &err) < 0)
                log_warn("delete container %s: %s", s->id, err.msg);
}

static const RossShimBackend oci_shim = {
        .name = "oci",
        .start = oci_start,
        .signal = oci_signal,
        .pause = oci_pause,
        .exit_code = oci_exit_code,
        .cleanup = oci_cleanup,
};

extern const RossShimBackend ross_shim_backend_qemu, ross_shim_backend_krun;

const RossShimBackend *ross_shim_backend_find(const char *name)
{
        /* crun, runc, or an OCI runtime's path */
        if (STREQ(name, "crun") || STREQ(name, "runc") || strchr(name, '/'))
                return &oci_shim;
        if (STREQ(name, "qemu"))
                return &ross_shim_backend_qemu;
        if (STREQ(name, "krun"))
                return &ross_shim_backend_krun;
        return NULL;
}
