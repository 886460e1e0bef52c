/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake-libkrun: a TEST DOUBLE for libkrun (libkrun.so.1). It is used only where the real
 * libkrun cannot run: these machines have no libkrun package and no usable KVM. It starts no
 * VM; it records how it was called, so tests can check what Ross's krun backend asked for,
 * and it fails or exits on demand. Built for tests only and never installed:
 *
 *   libkrun-fake-full.so.1  the whole libkrun 1.x ABI Ross may use (tests/krun/krun-abi.h)
 *   libkrun-fake-1.8.so.1   built with -DROSS_FAKE_KRUN_1_8: the calls of libkrun 1.8 alone,
 *                           without any that came later (virtiofs2/3, vsock_port2, init_log,
 *                           net_tap, get_max_vcpus, the console calls of 1.16 and 1.17, ...):
 *                           the older fallbacks
 *   libkrun-fake-min.so.1   built with -DROSS_FAKE_KRUN_MINIMAL: only the calls of libkrun 1.0.0,
 *                           so the fallbacks for missing optional symbols can be tested
 *
 * Environment, read at each call:
 *
 *   ROSS_FAKE_KRUN_LOG=PATH     every call appends one JSON line to PATH (created 0644):
 *                                 {"call":"krun_set_vm_config","ctx":0,"num_vcpus":2,
 *                                  "ram_mib":512,"ret":0}
 *                               keys are the header's parameter names ("ctx" for ctx_id, no
 *                               "c_" prefix); strings are JSON strings, string arrays JSON arrays
 *                               (at most 4096 entries, libkrun's own cap), NULL is null, fds and
 *                               numbers are numbers, a MAC is "5a:94:ef:e4:0c:ee"; "ret" is what
 *                               the call returned. A string byte that is not UTF-8 is written as
 *                               \u00XX and the call returns -EINVAL (libkrun rejects such
 *                               strings). krun_start_enter, when it runs, writes its record without
 *                               "ret" and then {"call":"exit","status":N}. Unset: nothing logged.
 *                               A log that cannot be written aborts the process.
 *   ROSS_FAKE_KRUN_FAIL=LIST    comma-separated NAME or NAME:ERROR. The call NAME returns ERROR
 *                               instead of succeeding: -EINVAL when none is given, else "-ENODEV"
 *                               style (the names in errno_names below) or "-19" style. Example:
 *                               ROSS_FAKE_KRUN_FAIL=krun_add_virtiofs3,krun_create_ctx:-ENOMEM
 *                               A failed call changes nothing (a failed krun_start_enter still
 *                               consumes its context, as libkrun's does).
 *   ROSS_FAKE_KRUN_MAX_VCPUS=N  what krun_get_max_vcpus returns (default 8)
 *   ROSS_FAKE_KRUN_EXIT=N       the status (0-255) krun_start_enter exits the process with
 *                               (default 0); like libkrun it calls _exit(), so atexit handlers
 *                               and stdio buffers are not run or flushed, and it never returns
 *                               on success
 *   ROSS_FAKE_KRUN_RUN=1|cat    before exiting, krun_start_enter plays the guest: it writes
 *                               ROSS_FAKE_KRUN_STDOUT to the guest's stdout, then
 *                               ROSS_FAKE_KRUN_STDERR to its stderr; "cat" then copies the guest's
 *                               stdin to its stdout until end of file. Where those streams go
 *                               follows libkrun's console calls, simplified: the fds of the last
 *                               krun_add_virtio_console_default (err_fd < 0: output_fd); else the
 *                               ports named krun-stdin, krun-stdout, krun-stderr
 *                               (krun_add_console_port_inout), and for a stream without one the
 *                               first krun_add_console_port_tty's fd, if any; else the implicit
 *                               console unless krun_disable_implicit_console was called: the
 *                               krun_set_console_output file if set (stdin ignored), or fds 0, 1
 *                               and 2. A stream with nowhere to go is dropped.
 *   ROSS_FAKE_KRUN_HOLD=PATH    krun_start_enter, once it has played the guest, waits until PATH
 *                               exists before it exits: a VM that runs until the test says so.
 *                               The double never connects a vsock port, and Ross's shim gives a
 *                               VM 10 s to connect its control channel: hold it for less.
 *   ROSS_FAKE_KRUN_AS_REAL=1    ross_krun_test_double() answers 0: the double does not say it is
 *                               one, so Ross takes it for libkrun and wants a KVM that runs a
 *                               guest, as for the real library. Unset or 0: it says so (1), and
 *                               Ross needs no KVM for it.
 *   ROSS_FAKE_KRUN_NET_GUEST=SH once krun_start_enter has opened the tap of krun_add_net_tap as
 *                               libkrun opens it, it plays a guest on that NIC instead of exiting
 *                               at once: in a network namespace of its own, an interface eth0
 *                               (a plain tap, with the call's MAC) whose frames it copies to and
 *                               from the tap, and "/bin/sh -c SH" run there with
 *                               ROSS_FAKE_KRUN_ROOT (krun_set_root's path) and ROSS_FAKE_KRUN_MAC
 *                               in its environment. Nothing configures eth0: SH does what the
 *                               guest's agent would. Its exit status is the one krun_start_enter
 *                               exits with (ROSS_FAKE_KRUN_EXIT is then not used). Offloads are
 *                               off on the tap (libkrun turns the features into TUNSETOFFLOAD
 *                               flags), so every frame is whole.
 *
 * Beyond that the double checks what libkrun itself checks, so a caller's mistake shows here
 * too: an unknown or used-up context (-ENOENT), a NULL where libkrun would dereference it
 * (-EINVAL here; libkrun would crash), no vCPUs or no memory, malformed or duplicate port
 * maps, a listening vsock socket path that exists (-EEXIST), vsock calls after
 * krun_disable_implicit_vsock (-ENODEV), a console port on a console that is not multiport,
 * a tty port whose fd is no terminal (-ENOTTY), a second krun_set_console_output, a
 * krun_add_net_tap naming no interface of the caller's network namespace (-ENODEV here: libkrun
 * would make a new tap, connected to nothing), a second network interface. A second
 * logger (krun_set_log_level or krun_init_log after one of them succeeded) aborts, as
 * libkrun's logger panics. krun_start_enter builds the guest kernel's command line as libkrun
 * does (KRUN_INIT=, KRUN_WORKDIR=, KRUN_RLIMITS="...", the environment, "--", the arguments in
 * double quotes) and aborts where libkrun panics on it: a byte outside printable ASCII, or a
 * line over the architecture's size (x86_64 64 KiB, aarch64 2048 bytes); its record then has
 * "panic" instead of "ret". An envp of NULL takes the process's environment, as libkrun does,
 * and an entry of it that is not UTF-8 aborts the call. krun_set_mapped_volumes succeeds here
 * although libkrun answers -EINVAL to it since 1.8.0 (use ROSS_FAKE_KRUN_FAIL for that).
 * krun_has_feature answers as a build with NET=1 BLK=1 and the default init-blob feature. At most
 * 256 contexts per process; the 257th krun_create_ctx returns -ENOMEM.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "basic/macros.h"
#include "krun-abi.h"

#define KRUN_API __attribute__((visibility("default")))

#define MAX_CTX      256
#define MAX_ARRAY    4096 /* libkrun reads at most this many entries of a string array */
#define MAX_CONSOLES 64

typedef enum {
        VSOCK_IMPLICIT,
        VSOCK_DISABLED,
        VSOCK_EXPLICIT,
} VsockMode;

typedef struct {
        bool used;
        VsockMode vsock;
        bool implicit_console;
        char *console_output;
        unsigned n_consoles; /* virtio consoles so far: their ids are 0, 1, ... */
        uint64_t multiport;  /* bit n: console n came from krun_add_virtio_console_multiport */
        bool have_default;   /* krun_add_virtio_console_default was called */
        int def_fd[3];       /* its stdin, stdout, stderr */
        bool have_ports;     /* a krun_add_console_port_* succeeded */
        int port_fd[3];      /* the ports named krun-stdin, krun-stdout, krun-stderr */
        int tty_fd;          /* the first tty port's fd */
        char *root;          /* krun_set_root's */
        char *net_tap;       /* krun_add_net_tap's interface, and its MAC */
        uint8_t net_mac[6];
        /* the pieces of the guest kernel's command line, as libkrun writes them */
        char *cmd_exec, *cmd_workdir, *cmd_rlimits, *cmd_env, *cmd_args, *cmd_kernel;
} FakeCtx;

/* libkrun keeps its contexts in one process-wide map, so the double does too: the same
 * lifetime rules (ids from 0, gone after krun_free_ctx or krun_start_enter). */
static struct {
        pthread_mutex_t lock;
        int32_t next_id;
        bool logger_set;
        FakeCtx ctx[MAX_CTX];
} fake = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const struct {
        const char *name;
        int value;
} errno_names[] = {
        {"EPERM", EPERM},     {"ENOENT", ENOENT},         {"EIO", EIO},       {"ENXIO", ENXIO},
        {"E2BIG", E2BIG},     {"EBADF", EBADF},           {"ENOMEM", ENOMEM}, {"EACCES", EACCES},
        {"EBUSY", EBUSY},     {"EEXIST", EEXIST},         {"ENODEV", ENODEV}, {"ENOTDIR", ENOTDIR},
        {"EINVAL", EINVAL},   {"ENOTTY", ENOTTY},         {"ENOSPC", ENOSPC}, {"ENOSYS", ENOSYS},
        {"ENOTSUP", ENOTSUP}, {"EOPNOTSUPP", EOPNOTSUPP},
};

/* A test set-up error: say so on stderr and stop, so the test fails loudly. */
_printf_(1, 2) _noreturn_ static void die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        dprintf(STDERR_FILENO, "fake-libkrun: ");
        vdprintf(STDERR_FILENO, fmt, ap);
        dprintf(STDERR_FILENO, "\n");
        va_end(ap);
        abort();
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -1;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

static void unlockp(pthread_mutex_t **m)
{
        if (*m)
                pthread_mutex_unlock(*m);
}

static pthread_mutex_t *lock(void)
{
        pthread_mutex_lock(&fake.lock);
        return &fake.lock;
}

#define LOCKED _cleanup_(unlockp) _unused_ pthread_mutex_t *_locked = lock()

/* The context ctx_id names, or NULL if there is none; under the lock. */
static FakeCtx *ctx_get(uint32_t ctx_id)
{
        if (ctx_id >= MAX_CTX || !fake.ctx[ctx_id].used)
                return NULL;
        return &fake.ctx[ctx_id];
}

static void ctx_drop(FakeCtx *c)
{
        free(c->console_output);
        free(c->root);
        free(c->net_tap);
        free(c->cmd_exec);
        free(c->cmd_workdir);
        free(c->cmd_rlimits);
        free(c->cmd_env);
        free(c->cmd_args);
        free(c->cmd_kernel);
        *c = (FakeCtx){};
}

/* ---- one JSON line per call ---- */

/* A growable string, NUL-terminated once written to. */
typedef struct {
        char *p;
        size_t len, cap;
} Buf;

static void put(Buf *b, const void *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->len + n + 1)
                        cap *= 2;
                char *p = realloc(b->p, cap);
                if (!p)
                        die("out of memory");
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

static void puts_(Buf *b, const char *s)
{
        put(b, s, strlen(s));
}

_printf_(2, 3) static void putf(Buf *b, const char *fmt, ...)
{
        char t[64];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t, sizeof(t), fmt, ap);
        va_end(ap);
        put(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

typedef struct {
        const char *call;
        Buf b;
        bool bad_arg; /* a string that is not UTF-8, or NULL where libkrun needs a pointer */
} Rec;

/* The length of the UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
        unsigned char c = p[0], lo = 0x80, hi = 0xbf;
        size_t n;

        if (c >= 0xc2 && c <= 0xdf)
                n = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                n = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (p[i] < 0x80 || p[i] > 0xbf)
                        return 0;
        return n;
}

static void put_string(Rec *r, const char *s)
{
        if (!s) {
                puts_(&r->b, "null");
                return;
        }
        puts_(&r->b, "\"");
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                unsigned char c = *p;
                size_t n;
                if (c == '"' || c == '\\') {
                        put(&r->b, "\\", 1);
                        put(&r->b, p++, 1);
                } else if (c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f') {
                        const char *e = c == '\n'   ? "\\n"
                                        : c == '\t' ? "\\t"
                                        : c == '\r' ? "\\r"
                                        : c == '\b' ? "\\b"
                                                    : "\\f";
                        puts_(&r->b, e);
                        p++;
                } else if (c < 0x20 || c == 0x7f) {
                        putf(&r->b, "\\u%04x", c);
                        p++;
                } else if (c < 0x80) {
                        put(&r->b, p++, 1);
                } else if ((n = utf8_len(p)) > 0) {
                        put(&r->b, p, n);
                        p += n;
                } else {
                        /* not UTF-8: the byte stays visible, and the call fails */
                        putf(&r->b, "\\u%04x", c);
                        r->bad_arg = true;
                        p++;
                }
        }
        puts_(&r->b, "\"");
}

static Rec rec_begin(const char *call)
{
        Rec r = {.call = call};
        puts_(&r.b, "{\"call\":");
        put_string(&r, call);
        return r;
}

static void key(Rec *r, const char *k)
{
        puts_(&r->b, ",");
        put_string(r, k);
        puts_(&r->b, ":");
}

static void arg_str(Rec *r, const char *k, const char *s, bool nullable)
{
        key(r, k);
        put_string(r, s);
        if (!s && !nullable)
                r->bad_arg = true;
}

static void arg_strv(Rec *r, const char *k, const char *const *v, bool nullable)
{
        key(r, k);
        if (!v) {
                puts_(&r->b, "null");
                if (!nullable)
                        r->bad_arg = true;
                return;
        }
        puts_(&r->b, "[");
        for (size_t i = 0; i < MAX_ARRAY && v[i]; i++) {
                if (i > 0)
                        puts_(&r->b, ",");
                put_string(r, v[i]);
        }
        puts_(&r->b, "]");
}

static void arg_int(Rec *r, const char *k, long long v)
{
        key(r, k);
        putf(&r->b, "%lld", v);
}

static void arg_uint(Rec *r, const char *k, unsigned long long v)
{
        key(r, k);
        putf(&r->b, "%llu", v);
}

_unused_ static void arg_bool(Rec *r, const char *k, bool v)
{
        key(r, k);
        puts_(&r->b, v ? "true" : "false");
}

_unused_ static void arg_mac(Rec *r, const char *k, const uint8_t *mac)
{
        key(r, k);
        if (!mac) {
                puts_(&r->b, "null");
                r->bad_arg = true;
                return;
        }
        putf(&r->b, "\"%02x:%02x:%02x:%02x:%02x:%02x\"", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

static void log_line(Rec *r)
{
        const char *path = getenv("ROSS_FAKE_KRUN_LOG");
        if (STR_EMPTY(path))
                return;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                die("open ROSS_FAKE_KRUN_LOG '%s': %s", path, strerror(errno));
        if (write_all(fd, r->b.p, r->b.len) < 0)
                die("write ROSS_FAKE_KRUN_LOG '%s': %s", path, strerror(errno));
}

/* Close the record with what the call returns, write it, and return ret. */
static int32_t rec_end(Rec *r, int32_t ret)
{
        arg_int(r, "ret", ret);
        puts_(&r->b, "}\n");
        log_line(r);
        free(r->b.p);
        return ret;
}

/* ---- the guest kernel's command line ---- */

/* libkrun puts the workload on the guest kernel's command line, which its Cmdline type takes
 * in printable ASCII only and up to the architecture's size, and it unwraps the result: a
 * panic, so the process aborts. */
#if defined(__x86_64__)
#define CMDLINE_MAX 0x10000
#elif defined(__riscv)
#define CMDLINE_MAX 1024
#else
#define CMDLINE_MAX 2048
#endif
#define CMDLINE_PROLOG                                                                             \
        "reboot=k panic=-1 panic_print=0 nomodule console=hvc0 rootfstype=virtiofs rw quiet "      \
        "no-kvmapf init=/init.krun"

static char *buf_str(Buf *b)
{
        put(b, "", 0);
        return b->p;
}

static void set_piece(char **slot, char *s)
{
        free(*slot);
        *slot = s;
}

static char *prefixed(const char *prefix, const char *s)
{
        Buf b = {};
        puts_(&b, prefix);
        puts_(&b, s);
        return buf_str(&b);
}

/* An array as libkrun writes it: each entry in double quotes, joined by spaces. */
static char *quoted_words(const char *const *v)
{
        Buf b = {};
        for (size_t i = 0; v && i < MAX_ARRAY && v[i]; i++) {
                puts_(&b, i > 0 ? " \"" : "\"");
                puts_(&b, v[i]);
                puts_(&b, "\"");
        }
        return buf_str(&b);
}

static bool utf8_ok(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                size_t n = *p < 0x80 ? 1 : utf8_len(p);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

/* An envp of NULL: libkrun takes the process's environment (Rust's env::vars(), which panics
 * on an entry that is not UTF-8: then NULL here), each entry written as ` KEY="VALUE"`. */
static char *host_env_words(void)
{
        Buf b = {};
        for (char **e = environ; e && *e; e++) {
                const char *eq = **e ? strchr(*e + 1, '=') : NULL;
                if (!eq)
                        continue; /* not KEY=VALUE: env::vars() skips it */
                if (!utf8_ok(*e)) {
                        free(b.p);
                        return NULL;
                }
                puts_(&b, " ");
                put(&b, *e, (size_t)(eq - *e));
                puts_(&b, "=\"");
                puts_(&b, eq + 1);
                puts_(&b, "\"");
        }
        return buf_str(&b);
}

static bool printable(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p > 0x7e)
                        return false;
        return true;
}

/* Why libkrun's krun_start_enter would panic building c's command line, or NULL. */
static const char *cmdline_problem(const FakeCtx *c)
{
        const char *prolog = c->cmd_kernel ? c->cmd_kernel : CMDLINE_PROLOG;
        Buf env = {}, epilog = {};
        const char *pieces[] = {c->cmd_exec, c->cmd_workdir, "", c->cmd_rlimits, c->cmd_env};
        for (size_t i = 0; i < ELEMENTSOF(pieces); i++) {
                puts_(&env, " ");
                puts_(&env, pieces[i] ? pieces[i] : "");
        }
        puts_(&epilog, " -- ");
        puts_(&epilog, c->cmd_args ? c->cmd_args : "");

        const char *why = NULL;
        /* Cmdline::insert_str: a space before all but the first piece, room for the NUL */
        size_t len = strlen(prolog);
        if (!printable(prolog) || !printable(env.p) || !printable(epilog.p))
                why = "the guest kernel's command line has a byte outside printable ASCII";
        else if (len >= CMDLINE_MAX || len + 1 + env.len >= CMDLINE_MAX ||
                 len + 1 + env.len + 1 + epilog.len >= CMDLINE_MAX)
                why = "the guest kernel's command line is too long for this architecture";
        free(env.p);
        free(epilog.p);
        return why;
}

/* ---- ROSS_FAKE_KRUN_* ---- */

static int parse_error(const char *s, size_t n)
{
        char buf[32];
        if (n == 0 || n >= sizeof(buf) || s[0] != '-')
                die("ROSS_FAKE_KRUN_FAIL: '%.*s' is not -ENAME or -NUMBER", (int)n, s);
        memcpy(buf, s + 1, n - 1);
        buf[n - 1] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
                if (STREQ(buf, errno_names[i].name))
                        return -errno_names[i].value;
        char *end;
        errno = 0;
        long v = strtol(buf, &end, 10);
        if (errno != 0 || end == buf || *end != '\0' || v < 1 || v > 4095)
                die("ROSS_FAKE_KRUN_FAIL: '%.*s' is not -ENAME or -NUMBER", (int)n, s);
        return (int)-v;
}

/* The error ROSS_FAKE_KRUN_FAIL gives the call, or 0. */
static int32_t forced_error(const char *call)
{
        const char *p = getenv("ROSS_FAKE_KRUN_FAIL");
        size_t call_len = strlen(call);

        while (p && *p) {
                const char *end = strchrnul(p, ',');
                const char *colon = memchr(p, ':', (size_t)(end - p));
                size_t name_len = (size_t)((colon ? colon : end) - p);
                if (name_len == call_len && strncmp(p, call, call_len) == 0)
                        return colon ? parse_error(colon + 1, (size_t)(end - colon - 1)) : -EINVAL;
                p = *end ? end + 1 : end;
        }
        return 0;
}

static long env_number(const char *name, long def, long min, long max)
{
        const char *s = getenv(name);
        if (STR_EMPTY(s))
                return def;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < min || v > max)
                die("%s: '%s' is not a number from %ld to %ld", name, s, min, max);
        return v;
}

/* The double names itself through this (ROSS_FAKE_KRUN_AS_REAL): Ross's krun backend asks,
 * and then needs no KVM for it and says it loaded a test double, not libkrun. Not a libkrun
 * call: nothing is logged. */
KRUN_API int ross_krun_test_double(void);
KRUN_API int ross_krun_test_double(void)
{
        return env_number("ROSS_FAKE_KRUN_AS_REAL", 0, 0, 1) == 0;
}

/* The verdict on a call before its own checks: -EINVAL for a bad argument, then -ENOENT if
 * it names a context (wants_ctx) that does not exist (c NULL). */
static int32_t verdict(Rec *r, bool wants_ctx, FakeCtx *c)
{
        if (r->bad_arg)
                return -EINVAL;
        if (wants_ctx && !c)
                return -ENOENT;
        return 0;
}

/* The final answer: ret if the call's checks failed, else what ROSS_FAKE_KRUN_FAIL says. */
static int32_t settle(Rec *r, int32_t ret)
{
        return ret < 0 ? ret : forced_error(r->call) ?: ret;
}

/* The common shape of a call that only records its arguments. */
#define CTX_CALL_BEGIN(name)                                                                       \
        LOCKED;                                                                                    \
        Rec r = rec_begin(name);                                                                   \
        arg_uint(&r, "ctx", ctx_id)

#define CTX_CALL_END()                                                                             \
        do {                                                                                       \
                FakeCtx *c = ctx_get(ctx_id);                                                      \
                return rec_end(&r, settle(&r, verdict(&r, true, c)));                              \
        } while (0)

static int32_t start_logger(Rec *r, int32_t ret)
{
        ret = settle(r, ret);
        if (ret == 0) {
                if (fake.logger_set) {
                        rec_end(r, ret);
                        die("%s: a logger was already set (libkrun's env_logger panics)", r->call);
                }
                fake.logger_set = true;
        }
        return rec_end(r, ret);
}

/* ---- libkrun 1.0.0 ---- */

KRUN_API int32_t krun_set_log_level(uint32_t level)
{
        LOCKED;
        Rec r = rec_begin("krun_set_log_level");
        arg_uint(&r, "level", level);
        return start_logger(&r, 0);
}

KRUN_API int32_t krun_create_ctx(void)
{
        LOCKED;
        Rec r = rec_begin("krun_create_ctx");
        int32_t ret = settle(&r, fake.next_id < MAX_CTX ? fake.next_id : -ENOMEM);
        if (ret >= 0) {
                FakeCtx *c = &fake.ctx[fake.next_id++];
                *c = (FakeCtx){.used = true, .implicit_console = true, .tty_fd = -1};
                for (int i = 0; i < 3; i++)
                        c->def_fd[i] = c->port_fd[i] = -1;
        }
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_free_ctx(uint32_t ctx_id)
{
        CTX_CALL_BEGIN("krun_free_ctx");
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0)
                ctx_drop(c);
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib)
{
        CTX_CALL_BEGIN("krun_set_vm_config");
        arg_uint(&r, "num_vcpus", num_vcpus);
        arg_uint(&r, "ram_mib", ram_mib);
        int32_t ret = verdict(&r, true, ctx_get(ctx_id));
        if (ret == 0 && (num_vcpus == 0 || ram_mib == 0))
                ret = -EINVAL;
        return rec_end(&r, settle(&r, ret));
}

KRUN_API int32_t krun_set_root(uint32_t ctx_id, const char *root_path)
{
        CTX_CALL_BEGIN("krun_set_root");
        arg_str(&r, "root_path", root_path, false);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0 && root_path) {
                free(c->root);
                c->root = strdup(root_path);
        }
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_set_mapped_volumes(uint32_t ctx_id, const char *const mapped_volumes[])
{
        CTX_CALL_BEGIN("krun_set_mapped_volumes");
        arg_strv(&r, "mapped_volumes", mapped_volumes, true);
        CTX_CALL_END();
}

/* "HOST:GUEST" with two decimal TCP ports; no port twice on either side. */
static bool port_map_ok(const char *const port_map[])
{
        uint8_t seen_host[65536 / 8] = {0}, seen_guest[65536 / 8] = {0};

        for (size_t i = 0; i < MAX_ARRAY && port_map[i]; i++) {
                unsigned long port[2];
                const char *p = port_map[i];
                for (int side = 0; side < 2; side++) {
                        size_t digits = strspn(p, "0123456789");
                        if (digits == 0 || digits > 5)
                                return false;
                        port[side] = strtoul(p, NULL, 10);
                        p += digits;
                        if (port[side] > 65535 || *p != (side == 0 ? ':' : '\0'))
                                return false;
                        p++;
                }
                if (seen_host[port[0] / 8] & (1u << (port[0] % 8)) ||
                    seen_guest[port[1] / 8] & (1u << (port[1] % 8)))
                        return false;
                seen_host[port[0] / 8] |= (uint8_t)(1u << (port[0] % 8));
                seen_guest[port[1] / 8] |= (uint8_t)(1u << (port[1] % 8));
        }
        return true;
}

KRUN_API int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[])
{
        CTX_CALL_BEGIN("krun_set_port_map");
        arg_strv(&r, "port_map", port_map, false);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = verdict(&r, true, c);
        if (ret == 0 && !port_map_ok(port_map))
                ret = -EINVAL;
        if (ret == 0 && c->vsock == VSOCK_DISABLED)
                ret = -ENODEV;
        return rec_end(&r, settle(&r, ret));
}

KRUN_API int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[])
{
        CTX_CALL_BEGIN("krun_set_rlimits");
        arg_strv(&r, "rlimits", rlimits, false);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0) {
                Buf b = {};
                puts_(&b, "KRUN_RLIMITS=\"");
                for (size_t i = 0; i < MAX_ARRAY && rlimits[i]; i++) {
                        puts_(&b, i > 0 ? "," : "");
                        puts_(&b, rlimits[i]);
                }
                puts_(&b, "\"");
                set_piece(&c->cmd_rlimits, buf_str(&b));
        }
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path)
{
        CTX_CALL_BEGIN("krun_set_workdir");
        arg_str(&r, "workdir_path", workdir_path, false);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0)
                set_piece(&c->cmd_workdir, prefixed("KRUN_WORKDIR=", workdir_path));
        return rec_end(&r, ret);
}

/* The environment piece of the command line for envp; aborts where libkrun panics. */
static void set_env_piece(Rec *r, FakeCtx *c, const char *const envp[])
{
        char *env = envp ? quoted_words(envp) : host_env_words();
        if (!env) {
                rec_end(r, 0);
                die("%s: an environment entry is not UTF-8 (libkrun's env::vars() panics)",
                    r->call);
        }
        set_piece(&c->cmd_env, env);
}

KRUN_API int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path, const char *const argv[],
                               const char *const envp[])
{
        CTX_CALL_BEGIN("krun_set_exec");
        arg_str(&r, "exec_path", exec_path, false);
        arg_strv(&r, "argv", argv, true);
        arg_strv(&r, "envp", envp, true);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0) {
                set_piece(&c->cmd_exec, prefixed("KRUN_INIT=", exec_path));
                set_piece(&c->cmd_args, quoted_words(argv));
                set_env_piece(&r, c, envp);
        }
        return rec_end(&r, ret);
}

/* Where the guest's stdin, stdout and stderr go (see the header comment); -1: nowhere. An fd
 * the double opened itself is marked in ret_owned. */
static void guest_stdio(const FakeCtx *c, int ret_fd[3], bool *ret_owned)
{
        *ret_owned = false;
        if (c->have_default) {
                memcpy(ret_fd, c->def_fd, sizeof(c->def_fd));
                if (ret_fd[2] < 0)
                        ret_fd[2] = ret_fd[1];
        } else if (c->have_ports) {
                for (int i = 0; i < 3; i++)
                        ret_fd[i] = c->port_fd[i] >= 0 ? c->port_fd[i] : c->tty_fd;
        } else if (!c->implicit_console) {
                ret_fd[0] = ret_fd[1] = ret_fd[2] = -1;
        } else if (c->console_output) {
                int fd = open(c->console_output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                ret_fd[0] = -1;
                ret_fd[1] = ret_fd[2] = fd;
                *ret_owned = fd >= 0;
        } else {
                ret_fd[0] = STDIN_FILENO;
                ret_fd[1] = STDOUT_FILENO;
                ret_fd[2] = STDERR_FILENO;
        }
}

static void play_guest(const int fd[3])
{
        const char *out = getenv("ROSS_FAKE_KRUN_STDOUT");
        const char *err = getenv("ROSS_FAKE_KRUN_STDERR");
        const char *mode = getenv("ROSS_FAKE_KRUN_RUN");

        if (out && fd[1] >= 0)
                (void)write_all(fd[1], out, strlen(out));
        if (err && fd[2] >= 0)
                (void)write_all(fd[2], err, strlen(err));
        if (mode && STREQ(mode, "cat") && fd[0] >= 0) {
                char buf[4096];
                for (;;) {
                        ssize_t n = read(fd[0], buf, sizeof(buf));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        if (fd[1] >= 0)
                                (void)write_all(fd[1], buf, (size_t)n);
                }
        }
}

/* The tap as libkrun's tap backend opens it: by name, with a virtio-net header of 12 bytes;
 * offloads off (see ROSS_FAKE_KRUN_NET_GUEST). 0 or -errno. */
static int32_t open_tap(const char *name, int *ret_fd)
{
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
        int hdr = 12;
        if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
            ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        *ret_fd = fd;
        return 0;
}

/* Copy frames from one fd to the other: the host's tap carries a 12-byte virtio-net header
 * before each frame, the guest's eth0 none. */
static void pump(int from, int to, bool from_host)
{
        uint8_t buf[65536 + 12];
        size_t off = from_host ? 0 : 12;
        ssize_t n = read(from, buf + off, sizeof(buf) - off);
        if (n <= 0)
                return;
        if (from_host) {
                if (n > 12)
                        (void)!write(to, buf + 12, (size_t)n - 12);
        } else {
                memset(buf, 0, 12);
                (void)!write(to, buf, (size_t)n + 12);
        }
}

/* The guest of ROSS_FAKE_KRUN_NET_GUEST; its exit status. */
static int net_guest(int tap, const uint8_t mac[6], const char *root, const char *sh)
{
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %s", strerror(errno));
        if (pid > 0) {
                close(tap);
                int ws;
                while (waitpid(pid, &ws, 0) < 0)
                        if (errno != EINTR)
                                die("waitpid: %s", strerror(errno));
                return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        }
        /* the guest's kernel: a network namespace with eth0 */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNET) < 0)
                die("unshare(CLONE_NEWNET): %s", strerror(errno));
        int eth = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
        if (eth < 0 || ioctl(eth, TUNSETIFF, &ifr) < 0)
                die("the guest's eth0: %s", strerror(errno));
        int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq hw = {};
        snprintf(hw.ifr_name, sizeof(hw.ifr_name), "eth0");
        hw.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(hw.ifr_hwaddr.sa_data, mac, 6);
        if (sk < 0 || ioctl(sk, SIOCSIFHWADDR, &hw) < 0)
                die("the guest's MAC: %s", strerror(errno));
        close(sk);
        char macs[18];
        snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                 mac[3], mac[4], mac[5]);
        pid_t shp = fork();
        if (shp < 0)
                die("fork: %s", strerror(errno));
        if (shp == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                setenv("ROSS_FAKE_KRUN_ROOT", root ? root : "", 1);
                setenv("ROSS_FAKE_KRUN_MAC", macs, 1);
                execl("/bin/sh", "sh", "-c", sh, (char *)NULL);
                _exit(127);
        }
        for (;;) {
                int ws;
                pid_t w = waitpid(shp, &ws, WNOHANG);
                if (w == shp)
                        _exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
                struct pollfd p[2] = {{.fd = tap, .events = POLLIN}, {.fd = eth, .events = POLLIN}};
                if (poll(p, 2, 50) <= 0)
                        continue;
                if (p[0].revents & POLLIN)
                        pump(tap, eth, true);
                if (p[1].revents & POLLIN)
                        pump(eth, tap, false);
        }
}

KRUN_API int32_t krun_start_enter(uint32_t ctx_id)
{
        int fd[3], tap = -1;
        bool owned;
        int status;
        {
                CTX_CALL_BEGIN("krun_start_enter");
                FakeCtx *c = ctx_get(ctx_id);
                int32_t ret = settle(&r, verdict(&r, true, c));
                if (ret < 0) {
                        if (c)
                                ctx_drop(c);
                        return rec_end(&r, ret);
                }
                const char *why = cmdline_problem(c);
                if (why) {
                        arg_str(&r, "panic", why, false);
                        puts_(&r.b, "}\n");
                        log_line(&r);
                        die("krun_start_enter: %s: libkrun panics", why);
                }
                int32_t tap_r = 0;
                if (c->net_tap && (tap_r = open_tap(c->net_tap, &tap)) < 0) {
                        ctx_drop(c);
                        return rec_end(&r, tap_r);
                }
                status = (int)env_number("ROSS_FAKE_KRUN_EXIT", 0, 0, 255);
                puts_(&r.b, "}\n");
                log_line(&r);
                free(r.b.p);
                fd[0] = fd[1] = fd[2] = -1;
                owned = false;
                if (!STR_EMPTY(getenv("ROSS_FAKE_KRUN_RUN")))
                        guest_stdio(c, fd, &owned);
                const char *sh = getenv("ROSS_FAKE_KRUN_NET_GUEST");
                if (tap >= 0 && !STR_EMPTY(sh))
                        status = net_guest(tap, c->net_mac, c->root, sh);
                ctx_drop(c);
        }

        play_guest(fd);
        if (owned)
                close(fd[1]);
        /* ROSS_FAKE_KRUN_HOLD: the VM runs until its file is there */
        const char *hold = getenv("ROSS_FAKE_KRUN_HOLD");
        while (!STR_EMPTY(hold) && access(hold, F_OK) < 0)
                usleep(10 * 1000);

        Rec e = rec_begin("exit");
        arg_int(&e, "status", status);
        puts_(&e.b, "}\n");
        log_line(&e);
        free(e.b.p);
        _exit(status);
}

#ifndef ROSS_FAKE_KRUN_MINIMAL
/* ---- added after 1.0.0 ---- */

KRUN_API int32_t krun_set_env(uint32_t ctx_id, const char *const envp[])
{
        CTX_CALL_BEGIN("krun_set_env");
        arg_strv(&r, "envp", envp, true);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0)
                set_env_piece(&r, c, envp);
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path)
{
        CTX_CALL_BEGIN("krun_set_data_disk");
        arg_str(&r, "disk_path", disk_path, false);
        CTX_CALL_END();
}

KRUN_API int32_t krun_set_passt_fd(uint32_t ctx_id, int fd)
{
        CTX_CALL_BEGIN("krun_set_passt_fd");
        arg_int(&r, "fd", fd);
        int32_t ret = verdict(&r, true, ctx_get(ctx_id));
        if (ret == 0 && fd < 0)
                ret = -EINVAL;
        return rec_end(&r, settle(&r, ret));
}

KRUN_API int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag, const char *c_path)
{
        CTX_CALL_BEGIN("krun_add_virtiofs");
        arg_str(&r, "tag", c_tag, false);
        arg_str(&r, "path", c_path, true);
        /* what a test cannot see from outside: is the path read-only where libkrun serves
         * it from (the caller's mount namespace)? */
        struct statvfs vfs;
        if (c_path && statvfs(c_path, &vfs) == 0)
                arg_bool(&r, "host_read_only", (vfs.f_flag & ST_RDONLY) != 0);
        CTX_CALL_END();
}

static int32_t add_vsock_port(Rec *r, uint32_t ctx_id, const char *path, bool listen)
{
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = verdict(r, true, c);
        struct stat st;
        if (ret == 0 && listen && lstat(path, &st) == 0)
                ret = -EEXIST;
        if (ret == 0 && c->vsock == VSOCK_DISABLED)
                ret = -ENODEV;
        return rec_end(r, settle(r, ret));
}

KRUN_API int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port, const char *c_filepath)
{
        CTX_CALL_BEGIN("krun_add_vsock_port");
        arg_uint(&r, "port", port);
        arg_str(&r, "filepath", c_filepath, false);
        return add_vsock_port(&r, ctx_id, c_filepath, false);
}

KRUN_API int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path)
{
        CTX_CALL_BEGIN("krun_set_gvproxy_path");
        arg_str(&r, "path", c_path, false);
        CTX_CALL_END();
}

KRUN_API int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac)
{
        CTX_CALL_BEGIN("krun_set_net_mac");
        arg_mac(&r, "mac", c_mac);
        CTX_CALL_END();
}

KRUN_API int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags)
{
        CTX_CALL_BEGIN("krun_set_gpu_options");
        arg_uint(&r, "virgl_flags", virgl_flags);
        CTX_CALL_END();
}

KRUN_API int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath)
{
        CTX_CALL_BEGIN("krun_set_console_output");
        arg_str(&r, "filepath", c_filepath, false);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = verdict(&r, true, c);
        if (ret == 0 && c->console_output)
                ret = -EINVAL;
        ret = settle(&r, ret);
        if (ret == 0)
                c->console_output = strdup(c_filepath);
        if (ret == 0 && !c->console_output)
                die("out of memory");
        return rec_end(&r, ret);
}

#ifndef ROSS_FAKE_KRUN_1_8
/* ---- added after 1.8.1: not in libkrun-fake-1.8 ---- */

KRUN_API int32_t krun_set_smbios_oem_strings(uint32_t ctx_id, const char *const oem_strings[])
{
        CTX_CALL_BEGIN("krun_set_smbios_oem_strings");
        arg_strv(&r, "oem_strings", oem_strings, false);
        CTX_CALL_END();
}

KRUN_API int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag, const char *c_path,
                                    uint64_t shm_size)
{
        CTX_CALL_BEGIN("krun_add_virtiofs2");
        arg_str(&r, "tag", c_tag, false);
        arg_str(&r, "path", c_path, true);
        arg_uint(&r, "shm_size", shm_size);
        CTX_CALL_END();
}

KRUN_API int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags, uint64_t shm_size)
{
        CTX_CALL_BEGIN("krun_set_gpu_options2");
        arg_uint(&r, "virgl_flags", virgl_flags);
        arg_uint(&r, "shm_size", shm_size);
        CTX_CALL_END();
}

KRUN_API int32_t krun_add_disk(uint32_t ctx_id, const char *block_id, const char *disk_path,
                               bool read_only)
{
        CTX_CALL_BEGIN("krun_add_disk");
        arg_str(&r, "block_id", block_id, false);
        arg_str(&r, "disk_path", disk_path, false);
        arg_bool(&r, "read_only", read_only);
        CTX_CALL_END();
}

KRUN_API int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char *c_filepath,
                                      bool listen)
{
        CTX_CALL_BEGIN("krun_add_vsock_port2");
        arg_uint(&r, "port", port);
        arg_str(&r, "filepath", c_filepath, false);
        arg_bool(&r, "listen", listen);
        return add_vsock_port(&r, ctx_id, c_filepath, listen);
}

KRUN_API int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id, const char *disk_path,
                                uint32_t disk_format, bool read_only)
{
        CTX_CALL_BEGIN("krun_add_disk2");
        arg_str(&r, "block_id", block_id, false);
        arg_str(&r, "disk_path", disk_path, false);
        arg_uint(&r, "disk_format", disk_format);
        arg_bool(&r, "read_only", read_only);
        CTX_CALL_END();
}

KRUN_API int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path, uint32_t kernel_format,
                                 const char *initramfs, const char *cmdline)
{
        CTX_CALL_BEGIN("krun_set_kernel");
        arg_str(&r, "kernel_path", kernel_path, false);
        arg_uint(&r, "kernel_format", kernel_format);
        arg_str(&r, "initramfs", initramfs, true);
        arg_str(&r, "cmdline", cmdline, true);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = verdict(&r, true, c);
        if (ret == 0 && kernel_format > 5)
                ret = -EINVAL;
        ret = settle(&r, ret);
        /* its command line replaces libkrun's own start of the line */
        if (ret == 0)
                set_piece(&c->cmd_kernel, cmdline ? prefixed("", cmdline) : NULL);
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_setuid(uint32_t ctx_id, uid_t uid)
{
        CTX_CALL_BEGIN("krun_setuid");
        arg_uint(&r, "uid", uid);
        CTX_CALL_END();
}

KRUN_API int32_t krun_setgid(uint32_t ctx_id, gid_t gid)
{
        CTX_CALL_BEGIN("krun_setgid");
        arg_uint(&r, "gid", gid);
        CTX_CALL_END();
}

KRUN_API int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled)
{
        CTX_CALL_BEGIN("krun_set_nested_virt");
        arg_bool(&r, "enabled", enabled);
        CTX_CALL_END();
}

KRUN_API int32_t krun_split_irqchip(uint32_t ctx_id, bool enable)
{
        CTX_CALL_BEGIN("krun_split_irqchip");
        arg_bool(&r, "enable", enable);
        int32_t ret = verdict(&r, true, ctx_get(ctx_id));
#if !defined(__x86_64__)
        /* a split IRQCHIP is an x86_64 thing */
        if (ret == 0 && enable)
                ret = -EINVAL;
#endif
        return rec_end(&r, settle(&r, ret));
}

KRUN_API int32_t krun_check_nested_virt(void)
{
        LOCKED;
        Rec r = rec_begin("krun_check_nested_virt");
        /* 0: supported by the call, not by this (VM-less) system */
        return rec_end(&r, settle(&r, 0));
}

KRUN_API int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style, uint32_t options)
{
        LOCKED;
        Rec r = rec_begin("krun_init_log");
        arg_int(&r, "target_fd", target_fd);
        arg_uint(&r, "level", level);
        arg_uint(&r, "style", style);
        arg_uint(&r, "options", options);
        /* -1 is the default target (stderr), stdin is none; style 0-2; option 1 (NO_ENV) */
        bool ok = (target_fd == -1 || target_fd > 0) && style <= 2 && options <= 1;
        return start_logger(&r, ok ? 0 : -EINVAL);
}

KRUN_API int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd,
                                         uint8_t *const c_mac, uint32_t features, uint32_t flags)
{
        CTX_CALL_BEGIN("krun_add_net_unixstream");
        arg_str(&r, "path", c_path, true);
        arg_int(&r, "fd", fd);
        arg_mac(&r, "mac", c_mac);
        arg_uint(&r, "features", features);
        arg_uint(&r, "flags", flags);
        int32_t ret = verdict(&r, true, ctx_get(ctx_id));
        /* a socket path or an fd, not both, not neither */
        if (ret == 0 && (c_path != NULL) == (fd >= 0))
                ret = -EINVAL;
        return rec_end(&r, settle(&r, ret));
}

KRUN_API int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name, uint8_t *const c_mac,
                                  uint32_t features, uint32_t flags)
{
        CTX_CALL_BEGIN("krun_add_net_tap");
        arg_str(&r, "tap_name", c_tap_name, false);
        arg_mac(&r, "mac", c_mac);
        arg_uint(&r, "features", features);
        arg_uint(&r, "flags", flags);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = verdict(&r, true, c);
        if (ret == 0 && (!c_tap_name || !c_mac))
                ret = -EINVAL;
        /* the double's own checks: a tap that is there (libkrun would make one, wired to
         * nothing), one NIC (the only kind Ross adds) */
        if (ret == 0 && if_nametoindex(c_tap_name) == 0)
                ret = -ENODEV;
        if (ret == 0 && c->net_tap)
                ret = -EBUSY;
        ret = settle(&r, ret);
        if (ret == 0) {
                c->net_tap = strdup(c_tap_name);
                memcpy(c->net_mac, c_mac, 6);
        }
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_get_max_vcpus(void)
{
        LOCKED;
        Rec r = rec_begin("krun_get_max_vcpus");
        return rec_end(
                &r, settle(&r, (int32_t)env_number("ROSS_FAKE_KRUN_MAX_VCPUS", 8, 1, INT32_MAX)));
}

KRUN_API int32_t krun_disable_implicit_console(uint32_t ctx_id)
{
        CTX_CALL_BEGIN("krun_disable_implicit_console");
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0)
                c->implicit_console = false;
        return rec_end(&r, ret);
}

/* A new virtio console on c (it takes the next console id), or -EINVAL past the double's
 * limit. */
static int32_t new_console(FakeCtx *c, int32_t ret, bool multiport)
{
        if (ret < 0)
                return ret;
        if (c->n_consoles >= MAX_CONSOLES)
                return -EINVAL;
        if (multiport)
                c->multiport |= UINT64_C(1) << c->n_consoles;
        return (int32_t)c->n_consoles++;
}

KRUN_API int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd, int output_fd,
                                                 int err_fd)
{
        CTX_CALL_BEGIN("krun_add_virtio_console_default");
        arg_int(&r, "input_fd", input_fd);
        arg_int(&r, "output_fd", output_fd);
        arg_int(&r, "err_fd", err_fd);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0 && (ret = new_console(c, ret, false)) >= 0) {
                c->have_default = true;
                c->def_fd[0] = input_fd;
                c->def_fd[1] = output_fd;
                c->def_fd[2] = err_fd;
                ret = 0;
        }
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_add_serial_console_default(uint32_t ctx_id, int input_fd, int output_fd)
{
        CTX_CALL_BEGIN("krun_add_serial_console_default");
        arg_int(&r, "input_fd", input_fd);
        arg_int(&r, "output_fd", output_fd);
        CTX_CALL_END();
}

KRUN_API int32_t krun_set_kernel_console(uint32_t ctx_id, const char *console_id)
{
        CTX_CALL_BEGIN("krun_set_kernel_console");
        arg_str(&r, "console_id", console_id, false);
        CTX_CALL_END();
}

KRUN_API int32_t krun_add_virtio_console_multiport(uint32_t ctx_id)
{
        CTX_CALL_BEGIN("krun_add_virtio_console_multiport");
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        return rec_end(&r, new_console(c, ret, true));
}

static bool is_multiport(const FakeCtx *c, uint32_t console_id)
{
        return console_id < c->n_consoles && (c->multiport & (UINT64_C(1) << console_id));
}

KRUN_API int32_t krun_add_console_port_tty(uint32_t ctx_id, uint32_t console_id, const char *name,
                                           int tty_fd)
{
        CTX_CALL_BEGIN("krun_add_console_port_tty");
        arg_uint(&r, "console_id", console_id);
        arg_str(&r, "name", name, true);
        arg_int(&r, "tty_fd", tty_fd);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = verdict(&r, true, c);
        if (ret == 0 && tty_fd < 0)
                ret = -EINVAL;
        if (ret == 0 && !isatty(tty_fd))
                ret = -ENOTTY;
        if (ret == 0 && !is_multiport(c, console_id))
                ret = -EINVAL;
        ret = settle(&r, ret);
        if (ret == 0) {
                c->have_ports = true;
                if (c->tty_fd < 0)
                        c->tty_fd = tty_fd;
        }
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_add_console_port_inout(uint32_t ctx_id, uint32_t console_id, const char *name,
                                             int input_fd, int output_fd)
{
        CTX_CALL_BEGIN("krun_add_console_port_inout");
        arg_uint(&r, "console_id", console_id);
        arg_str(&r, "name", name, true);
        arg_int(&r, "input_fd", input_fd);
        arg_int(&r, "output_fd", output_fd);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = verdict(&r, true, c);
        if (ret == 0 && !is_multiport(c, console_id))
                ret = -EINVAL;
        ret = settle(&r, ret);
        if (ret == 0) {
                /* libkrun's init sends the workload's stdio to the ports of these names */
                c->have_ports = true;
                if (STREQ(name ?: "", "krun-stdin"))
                        c->port_fd[0] = input_fd;
                else if (STREQ(name ?: "", "krun-stdout"))
                        c->port_fd[1] = output_fd;
                else if (STREQ(name ?: "", "krun-stderr"))
                        c->port_fd[2] = output_fd;
        }
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_disable_implicit_vsock(uint32_t ctx_id)
{
        CTX_CALL_BEGIN("krun_disable_implicit_vsock");
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = settle(&r, verdict(&r, true, c));
        if (ret == 0)
                c->vsock = VSOCK_DISABLED;
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features)
{
        CTX_CALL_BEGIN("krun_add_vsock");
        arg_uint(&r, "tsi_features", tsi_features);
        FakeCtx *c = ctx_get(ctx_id);
        int32_t ret = verdict(&r, true, c);
        /* KRUN_TSI_HIJACK_INET | KRUN_TSI_HIJACK_UNIX; only once the implicit one is off */
        if (ret == 0 && (tsi_features & ~UINT32_C(3)))
                ret = -EINVAL;
        if (ret == 0 && c->vsock != VSOCK_DISABLED)
                ret = -EEXIST;
        ret = settle(&r, ret);
        if (ret == 0)
                c->vsock = VSOCK_EXPLICIT;
        return rec_end(&r, ret);
}

KRUN_API int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id, const char *disk_path,
                                uint32_t disk_format, bool read_only, bool direct_io,
                                uint32_t sync_mode)
{
        CTX_CALL_BEGIN("krun_add_disk3");
        arg_str(&r, "block_id", block_id, false);
        arg_str(&r, "disk_path", disk_path, false);
        arg_uint(&r, "disk_format", disk_format);
        arg_bool(&r, "read_only", read_only);
        arg_bool(&r, "direct_io", direct_io);
        arg_uint(&r, "sync_mode", sync_mode);
        CTX_CALL_END();
}

KRUN_API int32_t krun_has_feature(uint64_t feature)
{
        LOCKED;
        Rec r = rec_begin("krun_has_feature");
        arg_uint(&r, "feature", feature);
        /* KRUN_FEATURE_NET 0, _BLK 1 and _INIT_BLOB 11 are built in; up to 11 are known */
        int32_t ret = feature > 11 ? -EINVAL : feature == 0 || feature == 1 || feature == 11;
        return rec_end(&r, settle(&r, ret));
}

KRUN_API int32_t krun_add_virtiofs3(uint32_t ctx_id, const char *c_tag, const char *c_path,
                                    uint64_t shm_size, bool read_only)
{
        CTX_CALL_BEGIN("krun_add_virtiofs3");
        arg_str(&r, "tag", c_tag, false);
        arg_str(&r, "path", c_path, true);
        arg_uint(&r, "shm_size", shm_size);
        arg_bool(&r, "read_only", read_only);
        CTX_CALL_END();
}

KRUN_API int32_t krun_disable_implicit_init(uint32_t ctx_id)
{
        CTX_CALL_BEGIN("krun_disable_implicit_init");
        CTX_CALL_END();
}
#endif /* ROSS_FAKE_KRUN_1_8 */
#endif /* ROSS_FAKE_KRUN_MINIMAL */
