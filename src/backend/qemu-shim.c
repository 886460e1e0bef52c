/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The QEMU backend, the shim's half: one virtiofsd per share of <dir>/vm/shares, then QEMU
 * with the command line the daemon wrote (<dir>/vm/qemu.argv), its chardevs connected to
 * the sockets the shim listens on first (vm-shim.c does the rest, with ross-init). Pause
 * and resume are QMP's stop and cont.
 */
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "../basic/clock.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../basic/socket.h"
#include "../basic/spawn.h"
#include "../vm/proto.h"
#include "../vm/virtiofsd.h"
#include "vm-shim.h"

/* A virtiofsd makes its socket in milliseconds; a loaded host needs more. */
#define VIRTIOFSD_TIMEOUT_MS 10000

typedef struct QemuVmm {
        pid_t *fsd; /* the virtiofsd of each share */
        size_t n_fsd;
} QemuVmm;

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

/* The virtiofsd of each share in <dir>/vm/shares ("virtiofsd=PROGRAM", then "share=N ro|rw
 * private|shared PATH", served on <sockdir>/fsN.sock), before QEMU connects to them. No
 * file: 9p. */
static int start_virtiofsd(Shim *s, QemuVmm *q, const char *sockdir, RossError *err)
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
                int n;
                char num[12], mode[3], use[8];
                int used = 0;
                if (!STREQ(key, "share") || !program ||
                    sscanf(val, "%11s %2s %7s %n", num, mode, use, &used) != 3 || !used ||
                    val[used] != '/' || strlen(num) == sizeof(num) - 1 /* cut short */ ||
                    ross_parse_int(num, 0, INT_MAX, &n) < 0)
                        return ross_errx(err, EINVAL, "%s: a bad line \"%s=%s\"", path, key, val);
                _cleanup_free_ char *sock = xasprintf("%s/fs%d.sock", sockdir, n);
                pid_t pid;
                if ((r = ross_virtiofsd_start(program, val + used, STREQ(mode, "ro"),
                                              STREQ(use, "private"), sock, logfd,
                                              VIRTIOFSD_TIMEOUT_MS, &pid, err)) < 0)
                        return ross_err_prefix(err, "see %s", log);
                q->fsd = xrealloc(q->fsd, (q->n_fsd + 1) * sizeof(pid_t));
                q->fsd[q->n_fsd++] = pid;
        }
        if (r < 0)
                return ross_errx(err, EINVAL, "%s: not key=value lines", path);
        return 0;
}

/* Only while starting: none of them has been reaped yet. */
static void stop_virtiofsd(QemuVmm *q)
{
        for (size_t i = 0; i < q->n_fsd; i++)
                if (q->fsd[i] > 0) {
                        kill(q->fsd[i], SIGKILL);
                        (void)waitpid(q->fsd[i], NULL, 0);
                }
        q->n_fsd = 0;
}

static int qemu_launch(Shim *s, VmState *st, int tty, pid_t *ret_pid, RossError *err)
{
        QemuVmm *q = st->vmm = xcalloc(1, sizeof(QemuVmm));
        _cleanup_free_ char *argv_path = xasprintf("%s/vm/qemu.argv", s->dir);
        _cleanup_free_ char *argv_text = NULL, *qemu_log = xasprintf("%s/vm/qemu.log", s->dir);
        _cleanup_free_ char **argv = NULL;
        int r = read_argv(argv_path, &argv_text, &argv, err);
        if (r < 0)
                return r;
        _cleanup_close_ int logfd =
                open(qemu_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        if (logfd < 0)
                return ross_err(err, errno, "open '%s'", qemu_log);
        if ((r = start_virtiofsd(s, q, st->sockdir, err)) < 0) {
                stop_virtiofsd(q);
                return r;
        }
        /* on a network: the tap, once netavark made the namespace's interface */
        _cleanup_close_ int tap = -EBADF;
        if (s->netns &&
            ((r = shim_net_wait(s, err)) < 0 || (r = shim_net_tap(s, "eth0", &tap, err)) < 0)) {
                stop_virtiofsd(q);
                return r;
        }
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.stdout_fd = logfd;
        o.stderr_fd = logfd;
        o.extra_fd = tap;
        RossChild c = ROSS_CHILD_INIT;
        r = ross_spawn(argv, &o, &c, err);
        if (r < 0) {
                stop_virtiofsd(q);
                return r;
        }
        free(c.name);
        log_debug("QEMU runs as pid %d: %s", (int)c.pid, argv_path);
        *ret_pid = c.pid;
        return 0;
}

/* QMP: the greeting, qmp_capabilities, then the command; "return" is success. */
static int qmp(VmState *st, const char *command, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/qmp.sock", st->sockdir);
        _cleanup_close_ int fd = ross_unix_connect(path);
        if (fd < 0)
                return ross_errx(err, -fd, "QMP socket '%s': %s", path, strerror(-fd));
        const char *cmds[] = {"{\"execute\":\"qmp_capabilities\"}\n", command};
        _cleanup_(ross_buf_free) RossBuf in = {.cap = 1024 * 1024};
        int returns = 0;
        size_t sent = 0;
        long end = ross_now_ms() + 10000;
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
                        if (ross_now_ms() > end)
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

static int qemu_pause(Shim *s, VmState *st, bool pause, RossError *err)
{
        return qmp(st, pause ? "{\"execute\":\"stop\"}\n" : "{\"execute\":\"cont\"}\n", err);
}

static void qemu_cleanup(Shim *s, VmState *st)
{
        QemuVmm *q = st->vmm;
        if (!q)
                return;
        /* each virtiofsd ended with QEMU's connection (and was reaped by the shim: its pid
         * is not ours to signal any more); their sockets go */
        free(q->fsd);
        free(q);
        st->vmm = NULL;
        DIR *d = opendir(st->sockdir);
        struct dirent *e;
        while (d && (e = readdir(d)))
                if (strncmp(e->d_name, "fs", 2) == 0)
                        (void)unlinkat(dirfd(d), e->d_name, 0);
        if (d)
                closedir(d);
}

static const VmmOps qemu_ops = {
        .name = "QEMU",
        .console_socket = true,
        .launch = qemu_launch,
        .pause = qemu_pause,
        .cleanup = qemu_cleanup,
};

static int qemu_start(Shim *s, pid_t *ret_pid, int *ret_code, RossError *err)
{
        return ross_vm_shim_start(s, &qemu_ops, ret_pid, ret_code, err);
}

const RossShimBackend ross_shim_backend_qemu = ROSS_VM_SHIM_BACKEND("qemu", qemu_start);
