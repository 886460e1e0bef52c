/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libkrun backend, the shim's half: one child per VM, ross-krun, makes the libkrun
 * calls of <dir>/vm/krun.cfg and enters the VM (krun_start_enter does not return: it ends
 * with the workload's status; src/backend/krun-vmm.c); the shim supervises it like any
 * workload. Its channels are
 * vsock ports libkrun connects to the sockets the shim listens on first (vm-shim.c does
 * the rest, with ross-init); -t makes the shim's pty the child's stdio, which the child makes
 * the VM's console (without -t the console writes vm/console.log).
 * On a network the child runs in the container's network namespace, where the shim made the
 * tap (tap0, redirected to and from netavark's eth0, as for qemu) that libkrun opens.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../vm/proto.h"
#include "../vm/virtiofsd.h"
#include "config.h"
#include "krun-vmm.h"
#include "vm-shim.h"

typedef struct KrunVmm {
        int status; /* ross-krun's fd 3: why it could not enter the VM */
} KrunVmm;

/* The helper a krun.cfg names (its "helper" key). */
static int cfg_helper(const char *path, char **ret, RossError *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len, pos = 0;
        int r = ross_read_file(path, 1024 * 1024, &text, &len, err);
        if (r < 0)
                return r;
        char *k, *v;
        while ((r = ross_vm_cfg_next(text, len, &pos, &k, &v)) > 0) {
                bool found = STREQ(k, "helper");
                free(k);
                if (found) {
                        *ret = v;
                        return 0;
                }
                free(v);
        }
        return ross_errx(err, EINVAL, "'%s' names no helper", path);
}

/* The VMM: ross-krun (a dynamic program beside the shim, which is static: libkrun must be
 * loaded by a dynamic one), named in krun.cfg, with its stdio and fd 3 set here. */
static int krun_launch(Shim *s, VmState *st, int tty, pid_t *ret_pid, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/vm/krun.cfg", s->dir);
        _cleanup_free_ char *helper = NULL;
        int r = cfg_helper(path, &helper, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *con = xasprintf("%s/vm/console.log", s->dir);
        _cleanup_free_ char *log = xasprintf("%s/vm/krun.log", s->dir);
        _cleanup_close_ int confd =
                open(con, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        _cleanup_close_ int logfd =
                open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        if (confd < 0 || logfd < 0)
                return ross_err(err, errno, "open '%s'", confd < 0 ? con : log);
        /* on a network: the tap libkrun opens by name (tap0), made in the container's
         * namespace once netavark made its interface; libkrun runs in that namespace */
        _cleanup_close_ int netns = -EBADF;
        if (s->netns) {
                if ((r = shim_net_wait(s, err)) < 0 || (r = shim_net_tap(s, "eth0", NULL, err)) < 0)
                        return r;
                if ((netns = open(s->netns, O_RDONLY | O_CLOEXEC)) < 0)
                        return ross_err(err, errno, "open the network namespace '%s'", s->netns);
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ross_err(err, errno, "pipe");
        const char *argv[] = {helper,
                              path,
                              st->sockdir,
                              tty >= 0 ? "tty" : "notty",
                              s->open_stdin ? "stdin" : "nostdin",
                              NULL};
        pid_t pid = fork();
        if (pid < 0) {
                r = ross_err(err, errno, "fork for libkrun");
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0) {
                /* stdio: the terminal (the VM's console), else the console log (for a
                 * libkrun that cannot open it itself); libkrun's own log to krun.log; fd 3
                 * the status pipe; nothing else of the shim's */
                (void)setsid();
                int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
                (void)dup2(tty >= 0 ? tty : nul, 0);
                (void)dup2(tty >= 0 ? tty : confd, 1);
                (void)dup2(logfd, 2);
                if (tty >= 0)
                        (void)ioctl(0, TIOCSCTTY, 0);
                (void)dup2(p[1], 3);
                if (netns >= 0 && setns(netns, CLONE_NEWNET) < 0) {
                        dprintf(3, "enter the network namespace '%s': %s", s->netns,
                                strerror(errno));
                        _exit(ROSS_KRUN_CHILD_FAILED);
                }
                (void)syscall(SYS_close_range, 4U, ~0U, 0U);
                execv(helper, (char *const *)argv);
                dprintf(3, "execute '%s': %s", helper, strerror(errno));
                _exit(ROSS_KRUN_CHILD_FAILED);
        }
        close(p[1]);
        KrunVmm *v = st->vmm = xcalloc(1, sizeof(KrunVmm));
        v->status = p[0];
        log_debug("libkrun's VM runs as pid %d (%s)", (int)pid, helper);
        *ret_pid = pid;
        return 0;
}

/* The child ended before ross-init spoke: its own failure (a message on the pipe), or the
 * workload's end (krun_start_enter exits with its status). */
static int krun_early_exit(Shim *s, VmState *st, int ws, int *ret_code, RossError *err)
{
        KrunVmm *v = st->vmm;
        char msg[2048] = "";
        ssize_t n = v ? read(v->status, msg, sizeof(msg) - 1) : -1;
        if (n > 0) {
                msg[n] = '\0';
                *ret_code = ROSS_KRUN_CHILD_FAILED;
                return ross_errx(err, EIO, "%s", msg);
        }
        if (WIFEXITED(ws)) {
                *ret_code = WEXITSTATUS(ws);
                return 1;
        }
        return ross_errx(err, EIO,
                         "libkrun's process was killed by signal %d; its log: %s/vm/krun.log",
                         WTERMSIG(ws), s->dir);
}

/* The VM stopped as a whole: its vCPUs and devices are the child's threads. */
static int krun_pause(Shim *s, VmState *st, bool pause, RossError *err)
{
        if (syscall(SYS_pidfd_send_signal, s->pidfd, pause ? SIGSTOP : SIGCONT, NULL, 0) < 0)
                return ross_err(err, errno, "%s the VM (pid %d)", pause ? "pause" : "resume",
                                (int)s->pid);
        return 0;
}

static void krun_cleanup(Shim *s, VmState *st)
{
        KrunVmm *v = st->vmm;
        if (!v)
                return;
        safe_close(v->status);
        free(v);
        st->vmm = NULL;
}

static const VmmOps krun_ops = {
        .name = "libkrun",
        .console_socket = false,
        .exit_is_status = true,
        .launch = krun_launch,
        .early_exit = krun_early_exit,
        .pause = krun_pause,
        .cleanup = krun_cleanup,
};

static int krun_start(Shim *s, pid_t *ret_pid, int *ret_code, RossError *err)
{
#if ROSS_HAVE_KRUN
        return ross_vm_shim_start(s, &krun_ops, ret_pid, ret_code, err);
#else
        *ret_code = 125;
        return ross_errx(err, ENOTSUP,
                         "libkrun support not available: this Ross was built with "
                         "-Dlibkrun=disabled (rebuild: meson setup build -Dlibkrun=enabled)");
#endif
}

const RossShimBackend ross_shim_backend_krun = ROSS_VM_SHIM_BACKEND("krun", krun_start);
