/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The micro-VM backends' shared shim half (vm-shim.h): the sockets the VMM connects, the
 * guest agent's control channel (STARTED, FAILED, EXIT, LOG; signals, window sizes, exec
 * sessions as frames of their own), and an exec's shim, which asks the container's shim
 * to run its session. Signals go to the guest's command over the channel; SIGKILL ends
 * the VMM, so nothing in the VM survives it.
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "../basic/clock.h"
#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../basic/socket.h"
#include "../basic/spawn.h"
#include "../shim/frame.h"
#include "../shim/shim-internal.h"
#include "../vm/proto.h"
#include "../vm/virtiofsd.h"
#include "vm-shim.h"

/* Under QEMU's TCG a stock kernel boots in 2-3 s on these machines; a loaded host needs
 * more. */
#define BOOT_TIMEOUT_MS_DEFAULT 60000
/* After ross-init's EXIT the guest powers off; the VMM is killed if it is still there. */
#define POWEROFF_GRACE_MS 3000

static VmState *st_of(Shim *s)
{
        return s->be_data;
}

/* 0 while the VMM runs; once it has ended (and is reaped): ops->early_exit's answer, or an
 * error naming when it ended and where its logs are. */
static int vmm_ended(Shim *s, VmState *st, pid_t vmm, const char *when, int *ret_code,
                     RossError *err)
{
        int ws;
        if (waitpid(vmm, &ws, WNOHANG) != vmm)
                return 0;
        st->vmm_gone = true;
        if (st->ops->early_exit)
                return st->ops->early_exit(s, st, ws, ret_code, err);
        return ross_errx(err, EIO,
                         "%s exited (status %d) %s; its log: %s/vm/%s.log, the console: "
                         "%s/vm/console.log",
                         st->ops->name, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws), when,
                         s->dir, s->be->name, s->dir);
}

/* Accept the VMM's connection on a listening socket while it runs, up to timeout_ms; 1 when
 * the VMM ended first and ops->early_exit took that as the workload's end (*ret_code). */
static int accept_vmm(VmState *st, Shim *s, int listen_fd, pid_t vmm, int timeout_ms,
                      const char *what, int *ret_fd, int *ret_code, RossError *err)
{
        long end = ross_now_ms() + timeout_ms;
        for (;;) {
                struct pollfd p = {.fd = listen_fd, .events = POLLIN};
                int k = poll(&p, 1, 100);
                if (k > 0) {
                        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                        if (fd >= 0) {
                                *ret_fd = fd;
                                return 0;
                        }
                }
                _cleanup_free_ char *when = xasprintf("before it connected its %s channel", what);
                int r;
                if ((r = vmm_ended(s, st, vmm, when, ret_code, err)) != 0)
                        return r;
                if (ross_now_ms() >= end)
                        return ross_errx(err, ETIMEDOUT, "%s did not connect its %s channel",
                                         st->ops->name, what);
        }
}

static void ctl_send(VmState *st, int type, uint32_t session, const void *p, size_t n)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        ross_vm_frame(&b, type, session, p, n);
        int fl = fcntl(st->ctl, F_GETFL);
        fcntl(st->ctl, F_SETFL, fl & ~O_NONBLOCK);
        if (ross_write_all(st->ctl, b.data, b.len) < 0)
                log_debug("control channel: %m");
        fcntl(st->ctl, F_SETFL, fl);
}

static ShimClient *session_client(Shim *s, uint32_t session)
{
        for (ShimClient *c = s->clients; c; c = c->next)
                if (c->session == session)
                        return c;
        return NULL;
}

/* One frame from ross-init. */
static void on_frame(Shim *s, VmState *st, int type, uint32_t session, const char *p, size_t n)
{
        if (session != 0) {
                /* an exec's: to its shim, as it came */
                ShimClient *c = session_client(s, session);
                if (c)
                        ross_vm_frame(&c->out, type, session, p, n);
                else
                        log_debug("guest frame %d for session %u, whose shim is gone", type,
                                  session);
                return;
        }
        if (type == ROSS_VM_LOG) {
                log_debug("guest: %.*s", (int)n, p);
                return;
        }
        if (type == ROSS_VM_EXIT && session == 0 && n >= 4) {
                st->exit_status = (int)ross_vm_get_u32(p);
                st->exit_at = ross_now_ms();
                log_debug("the guest's command exited: %d", st->exit_status);
                return;
        }
        log_debug("guest frame %d for session %u (%zu bytes) not taken", type, session, n);
}

/* Read what the control channel has into st->ctl_in; false at its end. */
static bool ctl_fill(VmState *st)
{
        char buf[65536];
        ssize_t k = read(st->ctl, buf, sizeof(buf));
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
                return false;
        return !(k > 0 && ross_buf_append(&st->ctl_in, buf, (size_t)k) < 0);
}

/* Read and act on what the control channel has; false at its end. */
static bool ctl_read(Shim *s, VmState *st)
{
        if (!ctl_fill(st))
                return false;
        int type;
        uint32_t session;
        const char *p;
        size_t n;
        bool bad;
        while (ross_vm_frame_next(&st->ctl_in, &type, &session, &p, &n, &bad)) {
                on_frame(s, st, type, session, p, n);
                ross_vm_consume(&st->ctl_in, n);
        }
        return !bad;
}

/* ross-init's FAILED for a command or an exec: its code (126, 127, else 1) and message. */
static int guest_failed(const char *p, size_t n, int *ret_code, RossError *err)
{
        int code = (int)ross_vm_get_u32(p);
        *ret_code = code == 126 || code == 127 ? code : 1;
        return ross_errx(err, code == 127 ? ENOENT : EIO, "%.*s", (int)(n - 4), p + 4);
}

/* Wait for ross-init's STARTED (0) or FAILED (its code and message) for the command. */
static int wait_started(Shim *s, VmState *st, pid_t vmm, int *ret_code, RossError *err)
{
        int timeout = BOOT_TIMEOUT_MS_DEFAULT;
        const char *env = getenv("ROSS_VM_BOOT_TIMEOUT_MS");
        if (env)
                (void)ross_parse_int(env, 100, 3600000, &timeout);
        long end = ross_now_ms() + timeout;
        for (;;) {
                int type;
                uint32_t session;
                const char *p;
                size_t n;
                bool bad = false;
                while (ross_vm_frame_next(&st->ctl_in, &type, &session, &p, &n, &bad)) {
                        if (session == 0 && type == ROSS_VM_STARTED) {
                                log_debug("the guest runs the command (pid %u in the guest)",
                                          n >= 4 ? ross_vm_get_u32(p) : 0);
                                ross_vm_consume(&st->ctl_in, n);
                                return 0;
                        }
                        if (session == 0 && type == ROSS_VM_FAILED && n >= 4) {
                                int r = guest_failed(p, n, ret_code, err);
                                ross_vm_consume(&st->ctl_in, n);
                                return r;
                        }
                        on_frame(s, st, type, session, p, n);
                        ross_vm_consume(&st->ctl_in, n);
                }
                if (bad)
                        return ross_errx(err, EPROTO,
                                         "ross-init sent something that is not a "
                                         "frame on the control channel");
                struct pollfd pf = {.fd = st->ctl, .events = POLLIN};
                if (poll(&pf, 1, 100) > 0 && !ctl_fill(st))
                        return ross_errx(err, EIO,
                                         "the VM closed its control channel before "
                                         "the command ran; its console log: %s/vm/console.log",
                                         s->dir);
                int r = vmm_ended(s, st, vmm, "before the command ran", ret_code, err);
                if (r != 0)
                        return r;
                if (ross_now_ms() >= end)
                        return ross_errx(err, ETIMEDOUT,
                                         "the VM did not come up in %g s; its "
                                         "console log: %s/vm/console.log",
                                         timeout / 1000.0, s->dir);
        }
}

/* ---- exec sessions: the container's shim forwards, the exec's shim feeds its pipes ---- */

int ross_vm_shim_exec(Shim *s, ShimClient *c, const char *cfg, size_t n, RossError *err)
{
        VmState *st = st_of(s);
        if (st->ctl < 0)
                return ross_errx(err, ESRCH, "the VM's control channel is closed");
        c->session = ++st->next_session;
        ctl_send(st, ROSS_VM_EXEC, c->session, cfg, n);
        log_debug("exec session %u started", c->session);
        return 0;
}

void ross_vm_shim_session_input(Shim *s, ShimClient *c, int type, const char *p, size_t n)
{
        VmState *st = st_of(s);
        if (st->ctl < 0)
                return;
        if (type == ROSS_FRAME_STDIN)
                ctl_send(st, ROSS_VM_STDIN, c->session, p, n);
        else if (type == ROSS_FRAME_STDIN_EOF)
                ctl_send(st, ROSS_VM_STDIN_EOF, c->session, NULL, 0);
        else if (type == ROSS_FRAME_RESIZE && n == 4)
                ctl_send(st, ROSS_VM_RESIZE, c->session, p, n);
}

/* The exec's shim went away: so does its process in the guest. */
void ross_vm_shim_session_gone(Shim *s, ShimClient *c)
{
        VmState *st = st_of(s);
        unsigned char b[4];
        ross_vm_put_u32(b, SIGKILL);
        if (st && st->ctl >= 0)
                ctl_send(st, ROSS_VM_SIGNAL, c->session, b, sizeof(b));
}

static int exec_start(Shim *s, VmState *st, pid_t *ret_pid, int *ret_code, RossError *err)
{
        _cleanup_free_ char *cfg = NULL;
        size_t len;
        int r = ross_read_file(s->exec_process, 1024 * 1024, &cfg, &len, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *sock = xasprintf("%s/attach.sock", s->bundle);
        st->ctl = ross_unix_connect(sock);
        if (st->ctl < 0)
                return ross_errx(err, ESRCH, "the container's shim does not answer on '%s'", sock);
        _cleanup_(ross_buf_free) RossBuf req = {};
        ross_frame_header(&req, ROSS_FRAME_EXEC, len);
        ross_buf_append(&req, cfg, len);
        if (ross_write_all(st->ctl, req.data, req.len) < 0)
                return ross_err(err, errno, "send the exec to the container's shim");
        /* its answer: STARTED, or FAILED (or a REPLY with the container shim's error) */
        long end = ross_now_ms() + 30000;
        for (;;) {
                int type;
                uint32_t session;
                const char *p;
                size_t n;
                bool bad = false;
                if (st->ctl_in.len >= 8 && (unsigned char)st->ctl_in.data[0] == ROSS_FRAME_REPLY) {
                        const char *q;
                        size_t m;
                        int t;
                        if (ross_frame_next(&st->ctl_in, &t, &q, &m, &bad) && m >= 4)
                                return ross_errx(err, (int)ross_vm_get_u32(q) ?: EIO, "%.*s",
                                                 (int)(m - 4), q + 4);
                } else if (ross_vm_frame_next(&st->ctl_in, &type, &session, &p, &n, &bad)) {
                        if (type == ROSS_VM_STARTED) {
                                *ret_pid = n >= 4 ? (pid_t)ross_vm_get_u32(p) : 1;
                                ross_vm_consume(&st->ctl_in, n);
                                return 0;
                        }
                        if (type == ROSS_VM_FAILED && n >= 4) {
                                r = guest_failed(p, n, ret_code, err);
                                ross_vm_consume(&st->ctl_in, n);
                                return r;
                        }
                        ross_vm_consume(&st->ctl_in, n);
                        continue;
                }
                if (bad)
                        return ross_errx(err, EPROTO,
                                         "the container's shim answered something "
                                         "else");
                struct pollfd pf = {.fd = st->ctl, .events = POLLIN};
                if (poll(&pf, 1, 200) > 0 && !ctl_fill(st))
                        return ross_errx(err, EIO, "the container's shim closed the exec");
                if (ross_now_ms() > end)
                        return ross_errx(err, ETIMEDOUT, "the guest did not start the exec");
        }
}

/* The exec's output, from its frames into the pipes the shim reads. */
static void exec_frames(Shim *s, VmState *st)
{
        int type;
        uint32_t session;
        const char *p;
        size_t n;
        bool bad;
        while (ross_vm_frame_next(&st->ctl_in, &type, &session, &p, &n, &bad)) {
                int fd = type == ROSS_VM_STDOUT   ? st->out_w
                         : type == ROSS_VM_STDERR ? (st->err_w >= 0 ? st->err_w : st->out_w)
                                                  : -1;
                if (fd >= 0)
                        (void)ross_write_all(fd, p, n);
                if (type == ROSS_VM_EXIT && n >= 4) {
                        s->be_status = (int)ross_vm_get_u32(p);
                        /* its output ends here: the shim drains the pipes and is done */
                        st->out_w = safe_close(st->out_w);
                        st->err_w = safe_close(st->err_w);
                }
                ross_vm_consume(&st->ctl_in, n);
        }
}

static void exec_handle(Shim *s, VmState *st, const struct pollfd *p, size_t n)
{
        if (n > 0 && p[0].revents) {
                if (ctl_fill(st)) {
                        exec_frames(s, st);
                } else {
                        /* the container's shim is gone: so is the VM */
                        st->ctl = safe_close(st->ctl);
                        if (s->be_status < 0)
                                s->be_status = 137;
                        st->out_w = safe_close(st->out_w);
                        st->err_w = safe_close(st->err_w);
                }
        }
        /* what the exec's stdin got, as frames */
        if (n > 1 && p[1].revents && st->in_r >= 0) {
                char buf[65536];
                ssize_t k = read(st->in_r, buf, sizeof(buf));
                _cleanup_(ross_buf_free) RossBuf f = {};
                if (k > 0) {
                        ross_frame_header(&f, ROSS_FRAME_STDIN, (size_t)k);
                        ross_buf_append(&f, buf, (size_t)k);
                } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
                        ross_frame_header(&f, ROSS_FRAME_STDIN_EOF, 0);
                        st->in_r = safe_close(st->in_r);
                }
                if (f.len && st->ctl >= 0)
                        (void)ross_write_all(st->ctl, f.data, f.len);
        }
}

/* A terminal's first size, from the exec's config ("rows", "cols"): given at once, before
 * anything is typed into it. */
static void first_size(Shim *s)
{
        _cleanup_free_ char *cfg = NULL;
        size_t len, pos = 0;
        if (ross_read_file(s->exec_process, 1024 * 1024, &cfg, &len, NULL) < 0)
                return;
        int rows = 0, cols = 0;
        char *k, *v;
        while (ross_vm_cfg_next(cfg, len, &pos, &k, &v) > 0) {
                if (STREQ(k, "rows"))
                        (void)ross_parse_int(v, 1, 65535, &rows);
                else if (STREQ(k, "cols"))
                        (void)ross_parse_int(v, 1, 65535, &cols);
                free(k);
                free(v);
        }
        if (rows && cols)
                ross_vm_shim_resize(s, (unsigned)rows, (unsigned)cols);
}

static int exec_shim_start(Shim *s, VmState *st, pid_t *ret_pid, int *ret_code, RossError *err)
{
        s->be_managed = true;
        int r = exec_start(s, st, ret_pid, ret_code, err);
        if (r < 0)
                return r;
        int out[2], errp[2] = {-EBADF, -EBADF}, in[2] = {-EBADF, -EBADF};
        if (pipe2(out, O_CLOEXEC) < 0 || (!s->tty && pipe2(errp, O_CLOEXEC) < 0) ||
            (s->open_stdin && pipe2(in, O_CLOEXEC) < 0))
                return ross_err(err, errno, "pipe");
        s->out_fd = out[0];
        st->out_w = out[1];
        s->err_fd = errp[0];
        st->err_w = errp[1];
        s->in_fd = in[1];
        st->in_r = in[0];
        fcntl(st->ctl, F_SETFL, fcntl(st->ctl, F_GETFL) | O_NONBLOCK);
        /* what came with STARTED */
        exec_frames(s, st);
        if (s->tty)
                first_size(s);
        return 0;
}

static int listen_at(VmState *st, const char *name, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s.sock", st->sockdir, name);
        int fd = ross_unix_listen(path, 1);
        if (fd < 0)
                return ross_errx(err, -fd, "listen on '%s': %s", path, strerror(-fd));
        return fd;
}

int ross_vm_shim_start(Shim *s, const VmmOps *ops, pid_t *ret_pid, int *ret_code, RossError *err)
{
        VmState *st = xcalloc(1, sizeof(*st));
        st->ops = ops;
        st->ctl = st->out_w = st->err_w = st->in_r = -EBADF;
        st->exit_status = -1;
        s->be_data = st;
        *ret_code = 1;
        if (s->exec_process)
                return exec_shim_start(s, st, ret_pid, ret_code, err);
        st->sockdir = xasprintf("%s/%.16s", s->root, s->id);

        /* the sockets first: the VMM connects them as it starts (or the guest, through it) */
        _cleanup_close_ int l_ctl = -EBADF, l_out = -EBADF, l_err = -EBADF, l_in = -EBADF,
                            l_con = -EBADF, pty = -EBADF;
        int r;
        if ((r = l_ctl = listen_at(st, "ctl", err)) < 0)
                return r;
        if (s->tty && ops->console_socket) {
                if ((r = l_con = listen_at(st, "con", err)) < 0)
                        return r;
        } else if (s->tty) {
                /* the VMM's own stdio is the terminal: its console */
                int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
                        return ross_err(err, errno, "open a pty");
                char name[64];
                if (ptsname_r(master, name, sizeof(name)) != 0 ||
                    (pty = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
                        r = ross_err(err, errno, "open the pty's terminal");
                        close(master);
                        return r;
                }
                s->out_fd = master;
                s->in_fd = s->open_stdin ? master : -EBADF;
        } else {
                if ((r = l_out = listen_at(st, "out", err)) < 0 ||
                    (r = l_err = listen_at(st, "err", err)) < 0)
                        return r;
                if (s->open_stdin && (r = l_in = listen_at(st, "in", err)) < 0)
                        return r;
        }
        pid_t vmm;
        if ((r = ops->launch(s, st, pty, &vmm, err)) < 0)
                return r;
        pty = safe_close(pty);

        int fd = -EBADF;
        if ((r = accept_vmm(st, s, l_ctl, vmm, 10000, "control", &fd, ret_code, err)) != 0)
                goto ended;
        st->ctl = fd;
        if (l_con >= 0) {
                if ((r = accept_vmm(st, s, l_con, vmm, 10000, "console", &fd, ret_code, err)) != 0)
                        goto ended;
                s->out_fd = fd;
                s->in_fd = s->open_stdin ? fd : -EBADF;
        } else if (l_out >= 0) {
                if ((r = accept_vmm(st, s, l_out, vmm, 10000, "stdout", &fd, ret_code, err)) != 0)
                        goto ended;
                s->out_fd = fd;
                if ((r = accept_vmm(st, s, l_err, vmm, 10000, "stderr", &fd, ret_code, err)) != 0)
                        goto ended;
                s->err_fd = fd;
                if (l_in >= 0) {
                        if ((r = accept_vmm(st, s, l_in, vmm, 10000, "stdin", &fd, ret_code,
                                            err)) != 0)
                                goto ended;
                        s->in_fd = fd;
                }
        }
        if ((r = wait_started(s, st, vmm, ret_code, err)) != 0)
                goto ended;
        *ret_pid = vmm;
        return 0;
ended:
        if (r > 0) {
                /* the VMM is gone (reaped), its status the workload's */
                log_debug("%s ended before its guest spoke: %d", ops->name, *ret_code);
                s->be_managed = true;
                s->be_status = *ret_code;
                *ret_pid = vmm;
                return 0;
        }
        /* the VM goes: its console log stays for the user */
        if (!st->vmm_gone) {
                kill(vmm, SIGKILL);
                (void)waitpid(vmm, NULL, 0);
        }
        if (ops->cleanup)
                ops->cleanup(s, st);
        return r;
}

int ross_vm_shim_pause(Shim *s, bool pause, RossError *err)
{
        VmState *st = st_of(s);
        return st->ops->pause(s, st, pause, err);
}

int ross_vm_shim_signal(Shim *s, int sig, RossError *err)
{
        VmState *st = st_of(s);
        if (s->exec_process)
                return ross_errx(err, ENOTSUP, "an exec is signalled through its container");
        if (sig == SIGKILL) {
                /* the VM is powered off: nothing in it survives */
                st->killed = true;
                if (syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0) < 0)
                        return ross_err(err, errno, "kill %s (pid %d)", st->ops->name, (int)s->pid);
                return 0;
        }
        unsigned char b[4];
        ross_vm_put_u32(b, (uint32_t)sig);
        ctl_send(st, ROSS_VM_SIGNAL, 0, b, sizeof(b));
        return 0;
}

void ross_vm_shim_resize(Shim *s, unsigned rows, unsigned cols)
{
        VmState *st = st_of(s);
        unsigned char b[4] = {(unsigned char)(rows >> 8), (unsigned char)rows,
                              (unsigned char)(cols >> 8), (unsigned char)cols};
        if (!s->exec_process) {
                ctl_send(st, ROSS_VM_RESIZE, 0, b, sizeof(b));
                return;
        }
        /* an exec's: through the container's shim, which knows its session */
        _cleanup_(ross_buf_free) RossBuf f = {};
        ross_frame_header(&f, ROSS_FRAME_RESIZE, sizeof(b));
        ross_buf_append(&f, b, sizeof(b));
        if (st->ctl >= 0)
                (void)ross_write_all(st->ctl, f.data, f.len);
}

int ross_vm_shim_exit_code(Shim *s, int ws)
{
        VmState *st = st_of(s);
        if (s->exec_process)
                return s->be_status >= 0 ? s->be_status : 137;
        if (st->exit_status >= 0 && !st->killed)
                return st->exit_status;
        /* no word from the guest: the VMM's own end */
        if (WIFSIGNALED(ws))
                return 128 + WTERMSIG(ws);
        if (st->ops && st->ops->exit_is_status)
                return WEXITSTATUS(ws);
        log_warn("%s exited with %d without the command's status; see %s/vm/console.log",
                 st->ops->name, WEXITSTATUS(ws), s->dir);
        return 255;
}

size_t ross_vm_shim_pollfds(Shim *s, struct pollfd *p, size_t max)
{
        VmState *st = st_of(s);
        if (max < 2)
                return 0;
        p[0] = (struct pollfd){.fd = st->ctl, .events = POLLIN};
        p[1] = (struct pollfd){.fd = st->in_r, .events = POLLIN};
        return 2;
}

void ross_vm_shim_handle(Shim *s, const struct pollfd *p, size_t n)
{
        VmState *st = st_of(s);
        if (s->exec_process) {
                exec_handle(s, st, p, n);
                return;
        }
        if (n > 0 && p[0].revents && !ctl_read(s, st)) {
                log_debug("the control channel closed");
                st->ctl = safe_close(st->ctl);
        }
        /* the guest said how it ended but is still up: power it off */
        if (st->exit_status >= 0 && !st->killed &&
            ross_now_ms() - st->exit_at > POWEROFF_GRACE_MS) {
                log_debug("the VM did not power off after its command ended: killing %s",
                          st->ops->name);
                (void)syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
                st->exit_at = ross_now_ms() + 3600000;
        }
}

void ross_vm_shim_cleanup(Shim *s)
{
        VmState *st = st_of(s);
        if (!st)
                return;
        st->ctl = safe_close(st->ctl);
        st->out_w = safe_close(st->out_w);
        st->err_w = safe_close(st->err_w);
        st->in_r = safe_close(st->in_r);
        ross_buf_free(&st->ctl_in);
        if (s->exec_process) {
                free(st->sockdir);
                free(st);
                s->be_data = NULL;
                return;
        }
        static const char *const socks[] = {"ctl", "out", "err", "in", "con", "qmp"};
        for (size_t i = 0; i < ELEMENTSOF(socks); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s.sock", st->sockdir, socks[i]);
                (void)unlink(p);
        }
        if (st->ops && st->ops->cleanup)
                st->ops->cleanup(s, st);
        free(st->sockdir);
        free(st);
        s->be_data = NULL;
}
