/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The QEMU backend, the shim's half: QEMU with the command line the daemon wrote
 * (<dir>/vm/qemu.argv), its chardevs connected to sockets the shim listens on first
 * (<root>/<id16>/: ctl, and out, err, in, or con for a terminal); the workload's stdio is
 * those sockets; ross-init's control channel says when the command started and how it
 * ended. Signals go to the guest's command over the channel, SIGKILL powers the VM off;
 * pause and resume are QMP's stop and cont.
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

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
#include "backend.h"

/* Under TCG a stock kernel boots in 2-3 s on these machines; a loaded host needs more. */
#define BOOT_TIMEOUT_MS_DEFAULT 60000
/* A virtiofsd makes its socket in milliseconds; a loaded host needs more. */
#define VIRTIOFSD_TIMEOUT_MS 10000
/* After ross-init's EXIT the guest powers off; QEMU is killed if it is still there. */
#define POWEROFF_GRACE_MS 3000

typedef struct QemuState {
        char *sockdir;
        int ctl;
        RossBuf ctl_in;
        int exit_status; /* the command's, from EXIT; -1 until then */
        long exit_at;    /* when EXIT came (monotonic ms) */
        bool killed;
        uint32_t next_session; /* the container's shim: the last exec session given */
        /* an exec's shim: the pipes it feeds from the container shim's frames */
        int out_w, err_w; /* write ends of s->out_fd, s->err_fd */
        int in_r;         /* read end of s->in_fd */
        pid_t *fsd;       /* the virtiofsd of each share */
        size_t n_fsd;
} QemuState;

static long mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static QemuState *st_of(Shim *s)
{
        return s->be_data;
}

/* QEMU's argv, NUL-separated. */
static int read_argv(const char *path, char **ret_text, char ***ret_argv, RossError *err)
{
        size_t len;
        char *text = NULL;
        int r = ross_read_file(path, 1024 * 1024, &text, &len, err);
        if (r < 0)
                return r;
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += text[i] == '\0';
        char **argv = xcalloc(n + 1, sizeof(*argv));
        size_t k = 0;
        for (size_t i = 0; i < len && k < n; i += strlen(text + i) + 1)
                argv[k++] = text + i;
        if (k == 0) {
                free(argv);
                free(text);
                return ross_errx(err, EINVAL, "'%s' holds no command line", path);
        }
        *ret_text = text;
        *ret_argv = argv;
        return 0;
}

/* Accept QEMU's connection on a listening socket, while QEMU runs, up to timeout_ms. */
static int accept_qemu(int listen_fd, pid_t qemu, int timeout_ms, const char *what, RossError *err)
{
        long end = mono_ms() + timeout_ms;
        for (;;) {
                struct pollfd p = {.fd = listen_fd, .events = POLLIN};
                int k = poll(&p, 1, 100);
                if (k > 0) {
                        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                        if (fd >= 0)
                                return fd;
                }
                int ws;
                if (waitpid(qemu, &ws, WNOHANG) == qemu)
                        return ross_errx(err, EIO,
                                         "QEMU exited (status %d) before it connected "
                                         "its %s channel",
                                         WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws),
                                         what);
                if (mono_ms() >= end)
                        return ross_errx(err, ETIMEDOUT, "QEMU did not connect its %s channel",
                                         what);
        }
}

static void ctl_send(QemuState *st, int type, uint32_t session, const void *p, size_t n)
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
static void on_frame(Shim *s, QemuState *st, int type, uint32_t session, const char *p, size_t n)
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
                st->exit_at = mono_ms();
                log_debug("the guest's command exited: %d", st->exit_status);
                return;
        }
        log_debug("guest frame %d for session %u (%zu bytes) not taken", type, session, n);
}

/* Read what the control channel has into st->ctl_in; false at its end. */
static bool ctl_fill(QemuState *st)
{
        char buf[65536];
        ssize_t k = read(st->ctl, buf, sizeof(buf));
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
                return false;
        return !(k > 0 && ross_buf_append(&st->ctl_in, buf, (size_t)k) < 0);
}

/* Read and act on what the control channel has; false at its end. */
static bool ctl_read(Shim *s, QemuState *st)
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
static int wait_started(Shim *s, QemuState *st, pid_t qemu, int *ret_code, RossError *err)
{
        int timeout = BOOT_TIMEOUT_MS_DEFAULT;
        const char *env = getenv("ROSS_VM_BOOT_TIMEOUT_MS");
        if (env)
                (void)ross_parse_int(env, 100, 3600000, &timeout);
        long end = mono_ms() + timeout;
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
                int ws;
                if (waitpid(qemu, &ws, WNOHANG) == qemu)
                        return ross_errx(err, EIO,
                                         "QEMU exited (status %d) before the command "
                                         "ran; its log: %s/vm/qemu.log, the console: "
                                         "%s/vm/console.log",
                                         WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws),
                                         s->dir, s->dir);
                if (mono_ms() >= end)
                        return ross_errx(err, ETIMEDOUT,
                                         "the VM did not come up in %d s; its "
                                         "console log: %s/vm/console.log",
                                         timeout / 1000, s->dir);
        }
}

/* ---- exec sessions: the container's shim forwards, the exec's shim feeds its pipes ---- */

static int qemu_exec(Shim *s, ShimClient *c, const char *cfg, size_t n, RossError *err)
{
        QemuState *st = st_of(s);
        if (st->ctl < 0)
                return ross_errx(err, ESRCH, "the VM's control channel is closed");
        c->session = ++st->next_session;
        ctl_send(st, ROSS_VM_EXEC, c->session, cfg, n);
        log_debug("exec session %u started", c->session);
        return 0;
}

static void qemu_session_input(Shim *s, ShimClient *c, int type, const char *p, size_t n)
{
        QemuState *st = st_of(s);
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
static void qemu_session_gone(Shim *s, ShimClient *c)
{
        QemuState *st = st_of(s);
        unsigned char b[4];
        ross_vm_put_u32(b, SIGKILL);
        if (st && st->ctl >= 0)
                ctl_send(st, ROSS_VM_SIGNAL, c->session, b, sizeof(b));
}

static int exec_start(Shim *s, QemuState *st, pid_t *ret_pid, int *ret_code, RossError *err)
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
        long end = mono_ms() + 30000;
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
                if (mono_ms() > end)
                        return ross_errx(err, ETIMEDOUT, "the guest did not start the exec");
        }
}

/* The exec's output, from its frames into the pipes the shim reads. */
static void exec_frames(Shim *s, QemuState *st)
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

static void exec_handle(Shim *s, QemuState *st, const struct pollfd *p, size_t n)
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

static void qemu_resize(Shim *s, unsigned rows, unsigned cols);

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
                qemu_resize(s, (unsigned)rows, (unsigned)cols);
}

static int qemu_exec_shim_start(Shim *s, QemuState *st, pid_t *ret_pid, int *ret_code,
                                RossError *err)
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

/* The virtiofsd of each share in <dir>/vm/shares ("virtiofsd=PROGRAM", then "share=N ro|rw
 * private|shared PATH", served on <sockdir>/fsN.sock), before QEMU connects to them. No
 * file: 9p. */
static int start_virtiofsd(Shim *s, QemuState *st, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/vm/shares", s->dir);
        _cleanup_free_ char *text = NULL, *program = NULL;
        size_t len, pos = 0;
        int r = ross_read_file(path, 1024 * 1024, &text, &len, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return ross_errx(err, -r, "read '%s': %s", path, strerror(-r));
        _cleanup_free_ char *log = xasprintf("%s/vm/virtiofsd.log", s->dir);
        _cleanup_close_ int logfd =
                open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        if (logfd < 0)
                return ross_err(err, errno, "open '%s'", log);
        char *k, *v;
        while ((r = ross_vm_cfg_next(text, len, &pos, &k, &v)) > 0) {
                _cleanup_free_ char *key = k, *val = v;
                if (STREQ(key, "virtiofsd")) {
                        free(program);
                        program = TAKE_PTR(val);
                        continue;
                }
                unsigned n;
                char mode[3], use[8];
                int used = 0;
                if (!STREQ(key, "share") || !program ||
                    sscanf(val, "%u %2s %7s %n", &n, mode, use, &used) != 3 || !used ||
                    val[used] != '/')
                        return ross_errx(err, EINVAL, "%s: a bad line \"%s=%s\"", path, key, val);
                _cleanup_free_ char *sock = xasprintf("%s/fs%u.sock", st->sockdir, n);
                pid_t pid;
                if ((r = ross_virtiofsd_start(program, val + used, STREQ(mode, "ro"),
                                              STREQ(use, "private"), sock, logfd,
                                              VIRTIOFSD_TIMEOUT_MS, &pid, err)) < 0)
                        return ross_err_prefix(err, "see %s", log);
                st->fsd = xrealloc(st->fsd, (st->n_fsd + 1) * sizeof(pid_t));
                st->fsd[st->n_fsd++] = pid;
        }
        if (r < 0)
                return ross_errx(err, EINVAL, "%s: not key=value lines", path);
        return 0;
}

/* Only while starting: none of them has been reaped yet. */
static void stop_virtiofsd(QemuState *st)
{
        for (size_t i = 0; i < st->n_fsd; i++)
                if (st->fsd[i] > 0) {
                        kill(st->fsd[i], SIGKILL);
                        (void)waitpid(st->fsd[i], NULL, 0);
                }
        st->n_fsd = 0;
}

static int listen_at(QemuState *st, const char *name, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s.sock", st->sockdir, name);
        int fd = ross_unix_listen(path, 1);
        if (fd < 0)
                return ross_errx(err, -fd, "listen on '%s': %s", path, strerror(-fd));
        return fd;
}

static int qemu_start(Shim *s, pid_t *ret_pid, int *ret_code, RossError *err)
{
        QemuState *st = xcalloc(1, sizeof(*st));
        st->ctl = st->out_w = st->err_w = st->in_r = -EBADF;
        st->exit_status = -1;
        s->be_data = st;
        *ret_code = 1;
        if (s->exec_process)
                return qemu_exec_shim_start(s, st, ret_pid, ret_code, err);
        st->sockdir = xasprintf("%s/%.16s", s->root, s->id);
        _cleanup_free_ char *argv_path = xasprintf("%s/vm/qemu.argv", s->dir);
        _cleanup_free_ char *argv_text = NULL, *qemu_log = xasprintf("%s/vm/qemu.log", s->dir);
        _cleanup_free_ char **argv = NULL;
        int r = read_argv(argv_path, &argv_text, &argv, err);
        if (r < 0)
                return r;

        /* the sockets first: QEMU connects to them as it starts */
        _cleanup_close_ int l_ctl = -EBADF, l_out = -EBADF, l_err = -EBADF, l_in = -EBADF,
                            l_con = -EBADF;
        if ((r = l_ctl = listen_at(st, "ctl", err)) < 0)
                return r;
        if (s->tty) {
                if ((r = l_con = listen_at(st, "con", err)) < 0)
                        return r;
        } else {
                if ((r = l_out = listen_at(st, "out", err)) < 0 ||
                    (r = l_err = listen_at(st, "err", err)) < 0)
                        return r;
                if (s->open_stdin && (r = l_in = listen_at(st, "in", err)) < 0)
                        return r;
        }
        _cleanup_close_ int logfd =
                open(qemu_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        if (logfd < 0)
                return ross_err(err, errno, "open '%s'", qemu_log);
        if ((r = start_virtiofsd(s, st, err)) < 0) {
                stop_virtiofsd(st);
                return r;
        }
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.stdout_fd = logfd;
        o.stderr_fd = logfd;
        RossChild q = ROSS_CHILD_INIT;
        r = ross_spawn(argv, &o, &q, err);
        if (r < 0) {
                stop_virtiofsd(st);
                return r;
        }
        pid_t qemu = q.pid;
        free(q.name);
        log_debug("QEMU runs as pid %d: %s", (int)qemu, argv_path);

        int fd;
        if ((r = fd = accept_qemu(l_ctl, qemu, 10000, "control", err)) < 0)
                goto fail;
        st->ctl = fd;
        if (s->tty) {
                if ((r = fd = accept_qemu(l_con, qemu, 10000, "console", err)) < 0)
                        goto fail;
                s->out_fd = fd;
                s->in_fd = s->open_stdin ? fd : -EBADF;
        } else {
                if ((r = fd = accept_qemu(l_out, qemu, 10000, "stdout", err)) < 0)
                        goto fail;
                s->out_fd = fd;
                if ((r = fd = accept_qemu(l_err, qemu, 10000, "stderr", err)) < 0)
                        goto fail;
                s->err_fd = fd;
                if (l_in >= 0) {
                        if ((r = fd = accept_qemu(l_in, qemu, 10000, "stdin", err)) < 0)
                                goto fail;
                        s->in_fd = fd;
                }
        }
        if ((r = wait_started(s, st, qemu, ret_code, err)) < 0)
                goto fail;
        *ret_pid = qemu;
        return 0;
fail:
        /* the VM goes: its console log stays for the user */
        kill(qemu, SIGKILL);
        (void)waitpid(qemu, NULL, 0);
        stop_virtiofsd(st);
        return r;
}

static int qemu_signal(Shim *s, int sig, RossError *err)
{
        QemuState *st = st_of(s);
        if (s->exec_process)
                return ross_errx(err, ENOTSUP, "an exec is signalled through its container");
        if (sig == SIGKILL) {
                /* the VM is powered off: nothing in it survives */
                st->killed = true;
                if (syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0) < 0)
                        return ross_err(err, errno, "kill QEMU (pid %d)", (int)s->pid);
                return 0;
        }
        unsigned char b[4];
        ross_vm_put_u32(b, (uint32_t)sig);
        ctl_send(st, ROSS_VM_SIGNAL, 0, b, sizeof(b));
        return 0;
}

/* QMP: the greeting, qmp_capabilities, then the command; "return" is success. */
static int qmp(QemuState *st, const char *command, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/qmp.sock", st->sockdir);
        _cleanup_close_ int fd = ross_unix_connect(path);
        if (fd < 0)
                return ross_errx(err, -fd, "QMP socket '%s': %s", path, strerror(-fd));
        const char *cmds[] = {"{\"execute\":\"qmp_capabilities\"}\n", command};
        _cleanup_(ross_buf_free) RossBuf in = {.cap = 1024 * 1024};
        int returns = 0;
        size_t sent = 0;
        long end = mono_ms() + 10000;
        /* the greeting comes first, then one "return" per command */
        bool greeted = false;
        while (returns < 2) {
                if (greeted && sent == (size_t)returns && sent < ELEMENTSOF(cmds)) {
                        if (ross_write_all(fd, cmds[sent], strlen(cmds[sent])) < 0)
                                return ross_err(err, errno, "QMP");
                        sent++;
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, 200) <= 0) {
                        if (mono_ms() > end)
                                return ross_errx(err, ETIMEDOUT, "QEMU's QMP did not answer");
                        continue;
                }
                char buf[4096];
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k <= 0)
                        return ross_errx(err, EIO, "QEMU closed its QMP socket");
                ross_buf_append(&in, buf, (size_t)k);
                char *nl;
                while ((nl = memchr(in.data, '\n', in.len))) {
                        *nl = '\0';
                        if (strstr(in.data, "\"QMP\""))
                                greeted = true;
                        else if (strstr(in.data, "\"return\""))
                                returns++;
                        else if (strstr(in.data, "\"error\""))
                                return ross_errx(err, EIO, "QMP: %s", in.data);
                        size_t used = (size_t)(nl - in.data) + 1;
                        memmove(in.data, nl + 1, in.len - used);
                        in.len -= used;
                        in.data[in.len] = '\0';
                }
        }
        return 0;
}

static int qemu_pause(Shim *s, bool pause, RossError *err)
{
        return qmp(st_of(s), pause ? "{\"execute\":\"stop\"}\n" : "{\"execute\":\"cont\"}\n", err);
}

static void qemu_resize(Shim *s, unsigned rows, unsigned cols)
{
        QemuState *st = st_of(s);
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

static int qemu_exit_code(Shim *s, int ws)
{
        QemuState *st = st_of(s);
        if (s->exec_process)
                return s->be_status >= 0 ? s->be_status : 137;
        if (st->exit_status >= 0 && !st->killed)
                return st->exit_status;
        /* no word from the guest: QEMU's own end */
        if (WIFSIGNALED(ws))
                return 128 + WTERMSIG(ws);
        log_warn("QEMU exited with %d without the command's status; see %s/vm/console.log",
                 WEXITSTATUS(ws), s->dir);
        return 255;
}

static size_t qemu_pollfds(Shim *s, struct pollfd *p, size_t max)
{
        QemuState *st = st_of(s);
        if (max < 2)
                return 0;
        p[0] = (struct pollfd){.fd = st->ctl, .events = POLLIN};
        p[1] = (struct pollfd){.fd = st->in_r, .events = POLLIN};
        return 2;
}

static void qemu_handle(Shim *s, const struct pollfd *p, size_t n)
{
        QemuState *st = st_of(s);
        if (s->exec_process) {
                exec_handle(s, st, p, n);
                return;
        }
        if (n > 0 && p[0].revents && !ctl_read(s, st)) {
                log_debug("the control channel closed");
                st->ctl = safe_close(st->ctl);
        }
        /* the guest said how it ended but is still up: power it off */
        if (st->exit_status >= 0 && !st->killed && mono_ms() - st->exit_at > POWEROFF_GRACE_MS) {
                log_debug("the VM did not power off after its command ended: killing QEMU");
                (void)syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
                st->exit_at = mono_ms() + 3600000;
        }
}

static void qemu_cleanup(Shim *s)
{
        QemuState *st = st_of(s);
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
        /* each virtiofsd ended with QEMU's connection (and was reaped: its pid is not
         * ours to signal any more) */
        free(st->fsd);
        DIR *d = opendir(st->sockdir);
        struct dirent *e;
        while (d && (e = readdir(d)))
                if (strncmp(e->d_name, "fs", 2) == 0)
                        (void)unlinkat(dirfd(d), e->d_name, 0);
        if (d)
                closedir(d);
        free(st->sockdir);
        free(st);
        s->be_data = NULL;
}

const RossShimBackend ross_shim_backend_qemu = {
        .name = "qemu",
        .start = qemu_start,
        .signal = qemu_signal,
        .pause = qemu_pause,
        .resize = qemu_resize,
        .exit_code = qemu_exit_code,
        .cleanup = qemu_cleanup,
        .pollfds = qemu_pollfds,
        .handle = qemu_handle,
        .exec = qemu_exec,
        .session_input = qemu_session_input,
        .session_gone = qemu_session_gone,
};
