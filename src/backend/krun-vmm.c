/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ross-krun, the VMM of a krun container: libkrun, loaded with dlopen, gets the calls of
 * <dir>/vm/krun.cfg (written by src/backend/krun.c), then krun_start_enter, which does not
 * return on success: the process ends with the workload's status. Calls added in later
 * libkrun releases are used when there, with the fallbacks of docs/krun.md. A failure is
 * said on fd 3 (the shim's status pipe) and ends it with ROSS_KRUN_CHILD_FAILED.
 */
#include <dlfcn.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../basic/parse.h"
#include "../vm/proto.h"
#include "../vm/virtiofsd.h"
#include "krun-vmm.h"

#define KRUN_MAX_ITEMS 256

/* The NIC's virtio-net features (bits of linux/virtio_net.h): checksum offload, TSO4 and
 * UFO both ways, the set libkrun's own passt and gvproxy calls enable (its
 * COMPAT_NET_FEATURES); on a tap libkrun turns them into the tap's offloads. */
#define KRUN_NET_FEATURES ((1u << 0) | (1u << 1) | (1u << 7) | (1u << 10) | (1u << 11) | (1u << 14))

typedef struct KrunCfg {
        char *helper, *library, *root, *workdir;
        char *console;           /* the console log without a terminal (vm/console.log) */
        char *net_tap, *net_mac; /* on a network: the tap libkrun opens, the NIC's MAC */
        int cpus, memory_mib, log_level;
        char *volumes[KRUN_MAX_ITEMS]; /* "TAG ro|rw PATH" */
        size_t n_volumes;
        char *env[KRUN_MAX_ITEMS + 1];
        size_t n_env;
        char *rlimits[KRUN_MAX_ITEMS + 1];
        size_t n_rlimits;
        char *ports[KRUN_MAX_ITEMS + 1];
        size_t n_ports;
} KrunCfg;

static void krun_cfg_free(KrunCfg *k)
{
        free(k->helper);
        free(k->library);
        free(k->root);
        free(k->workdir);
        free(k->console);
        free(k->net_tap);
        free(k->net_mac);
        for (size_t i = 0; i < k->n_volumes; i++)
                free(k->volumes[i]);
        for (size_t i = 0; i < k->n_env; i++)
                free(k->env[i]);
        for (size_t i = 0; i < k->n_rlimits; i++)
                free(k->rlimits[i]);
        for (size_t i = 0; i < k->n_ports; i++)
                free(k->ports[i]);
        *k = (KrunCfg){};
}

static int list_add(char **list, size_t *n, char *v, const char *key, RossError *err)
{
        if (*n >= KRUN_MAX_ITEMS) {
                free(v);
                return ross_errx(err, E2BIG, "krun.cfg: too many %s items", key);
        }
        list[(*n)++] = v;
        return 0;
}

static int read_cfg(const char *path, KrunCfg *k, RossError *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len, pos = 0;
        int r = ross_read_file(path, 1024 * 1024, &text, &len, err);
        if (r < 0)
                return r;
        char *key, *v;
        while ((r = ross_vm_cfg_next(text, len, &pos, &key, &v)) > 0) {
                _cleanup_free_ char *kk = key;
                int *num = STREQ(key, "cpus")         ? &k->cpus
                           : STREQ(key, "memory_mib") ? &k->memory_mib
                           : STREQ(key, "log_level")  ? &k->log_level
                                                      : NULL;
                if (num) {
                        r = ross_parse_int(v, 0, INT32_MAX, num);
                        free(v);
                        if (r < 0)
                                return ross_errx(err, EINVAL, "krun.cfg: %s is not a number", key);
                        continue;
                }
                char **one = STREQ(key, "helper")    ? &k->helper
                             : STREQ(key, "library") ? &k->library
                             : STREQ(key, "root")    ? &k->root
                             : STREQ(key, "workdir") ? &k->workdir
                             : STREQ(key, "console") ? &k->console
                             : STREQ(key, "net_tap") ? &k->net_tap
                             : STREQ(key, "net_mac") ? &k->net_mac
                                                     : NULL;
                if (one) {
                        free(*one);
                        *one = v;
                } else if (STREQ(key, "volume")) {
                        r = list_add(k->volumes, &k->n_volumes, v, key, err);
                } else if (STREQ(key, "env")) {
                        r = list_add(k->env, &k->n_env, v, key, err);
                } else if (STREQ(key, "rlimit")) {
                        r = list_add(k->rlimits, &k->n_rlimits, v, key, err);
                } else if (STREQ(key, "port")) {
                        r = list_add(k->ports, &k->n_ports, v, key, err);
                } else {
                        free(v); /* a newer daemon's */
                }
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return ross_errx(err, EINVAL, "'%s': not key=value lines", path);
        if (!k->library || !k->root || k->cpus < 1 || k->cpus > 255 || k->memory_mib < 1)
                return ross_errx(err, EINVAL, "'%s' lacks the library, root, cpus or memory", path);
        return 0;
}

/* ---- the child: libkrun's calls, then the VM ---- */

/* Say why on the status pipe (fd 3) and end: the shim makes it the start's error. */
_noreturn_ _printf_(1, 2) static void child_fail(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdprintf(3, fmt, ap);
        va_end(ap);
        _exit(ROSS_KRUN_CHILD_FAILED);
}

static const char *errno_str(int32_t r)
{
        return strerror(r < 0 ? (int)-r : EINVAL);
}

typedef int32_t (*krun_ctx_fn)(uint32_t);
typedef int32_t (*krun_str_fn)(uint32_t, const char *);
typedef int32_t (*krun_strv_fn)(uint32_t, const char *const[]);

static void *sym(void *h, const char *name, bool required)
{
        void *p = dlsym(h, name);
        if (!p && required)
                child_fail("this libkrun has no %s", name);
        return p;
}

/* The library; on macOS libkrun.1.dylib is also found as libkrun.dylib. */
static void *open_library(const char *library)
{
        void *h = dlopen(library, RTLD_NOW | RTLD_LOCAL);
        if (!h && strcmp(library, "libkrun.1.dylib") == 0)
                h = dlopen("libkrun.dylib", RTLD_NOW | RTLD_LOCAL);
        return h;
}

_noreturn_ static void enter(const KrunCfg *k, const char *sockdir, bool tty, bool open_stdin)
{
        void *h = open_library(k->library);
        if (!h)
                child_fail("Failed to create libkrun context: %s", dlerror());
        int32_t (*set_log_level)(uint32_t) = sym(h, "krun_set_log_level", false);
        int32_t (*init_log)(int, uint32_t, uint32_t, uint32_t) = sym(h, "krun_init_log", false);
        int32_t (*create_ctx)(void) = sym(h, "krun_create_ctx", true);
        int32_t (*get_max_vcpus)(void) = sym(h, "krun_get_max_vcpus", false);
        int32_t (*set_vm_config)(uint32_t, uint8_t, uint32_t) = sym(h, "krun_set_vm_config", true);
        krun_str_fn set_root = sym(h, "krun_set_root", true);
        int32_t (*add_virtiofs3)(uint32_t, const char *, const char *, uint64_t, bool) =
                sym(h, "krun_add_virtiofs3", false);
        int32_t (*add_virtiofs)(uint32_t, const char *, const char *) =
                sym(h, "krun_add_virtiofs", false);
        int32_t (*add_vsock_port2)(uint32_t, uint32_t, const char *, bool) =
                sym(h, "krun_add_vsock_port2", false);
        int32_t (*add_vsock_port)(uint32_t, uint32_t, const char *) =
                sym(h, "krun_add_vsock_port", false);
        krun_ctx_fn disable_implicit_console = sym(h, "krun_disable_implicit_console", false);
        int32_t (*add_console_default)(uint32_t, int, int, int) =
                sym(h, "krun_add_virtio_console_default", false);
        krun_str_fn set_console_output = sym(h, "krun_set_console_output", false);
        krun_str_fn set_workdir = sym(h, "krun_set_workdir", false);
        krun_strv_fn set_rlimits = sym(h, "krun_set_rlimits", false);
        krun_strv_fn set_port_map = sym(h, "krun_set_port_map", false);
        int32_t (*add_net_tap)(uint32_t, char *, uint8_t *const, uint32_t, uint32_t) =
                sym(h, "krun_add_net_tap", false);
        int32_t (*set_exec)(uint32_t, const char *, const char *const[], const char *const[]) =
                sym(h, "krun_set_exec", true);
        krun_ctx_fn start_enter = sym(h, "krun_start_enter", true);

        /* libkrun logs nothing until asked; its log is this child's stderr (vm/krun.log) */
        if (init_log && k->log_level > 0)
                /* stderr, no colours (a file), RUST_LOG ignored (the daemon's level rules) */
                (void)init_log(-1, (uint32_t)k->log_level, 2, 1);
        else if (set_log_level && k->log_level > 0)
                (void)set_log_level((uint32_t)k->log_level);
        int32_t ctx = create_ctx();
        if (ctx < 0)
                child_fail("Failed to create libkrun context: %s", errno_str(ctx));
        uint32_t c = (uint32_t)ctx;
        if (get_max_vcpus) {
                int32_t max = get_max_vcpus();
                if (max > 0 && k->cpus > max)
                        child_fail("--cpus %d: libkrun runs at most %d vCPUs here", k->cpus,
                                   (int)max);
        }
        int32_t r;
        if ((r = set_vm_config(c, (uint8_t)k->cpus, (uint32_t)k->memory_mib)) < 0)
                child_fail("libkrun: the VM's config (%d vCPUs, %d MiB): %s", k->cpus,
                           k->memory_mib, errno_str(r));
        if ((r = set_root(c, k->root)) < 0)
                child_fail("libkrun: the root '%s': %s", k->root, errno_str(r));

        /* volumes: a virtio-fs device each; :ro by the library (virtiofs3), or by the host:
         * the source bound read-only in a mount namespace of this child's own */
        bool own_ns = false;
        for (size_t i = 0; i < k->n_volumes; i++) {
                char tag[64], mode[3];
                int used = 0;
                if (sscanf(k->volumes[i], "%63s %2s %n", tag, mode, &used) != 2 || !used)
                        child_fail("krun.cfg: a bad volume \"%s\"", k->volumes[i]);
                const char *path = k->volumes[i] + used;
                bool ro = STREQ(mode, "ro");
                if (add_virtiofs3) {
                        r = add_virtiofs3(c, tag, path, 0, ro);
                } else if (add_virtiofs) {
                        RossError err = {};
                        if (ro && !own_ns && unshare(CLONE_NEWNS) < 0)
                                child_fail("a mount namespace for :ro volumes: %s",
                                           strerror(errno));
                        own_ns = own_ns || ro;
                        if (ro && ross_bind_read_only(path, &err) < 0)
                                child_fail("volume '%s': %s", path, err.msg);
                        r = add_virtiofs(c, tag, path);
                } else {
                        child_fail("this libkrun has no virtio-fs (libkrun 1.8 or later is needed "
                                   "for volumes)");
                }
                if (r < 0)
                        child_fail("libkrun: volume '%s': %s", path, errno_str(r));
        }

        /* ross-init's channels: vsock ports, connected by libkrun to the shim's sockets */
        struct {
                uint32_t port;
                const char *name;
                bool want;
        } ch[] = {
                {ROSS_VM_VSOCK_CTL, "ctl", true},
                {ROSS_VM_VSOCK_STDOUT, "out", !tty},
                {ROSS_VM_VSOCK_STDERR, "err", !tty},
                {ROSS_VM_VSOCK_STDIN, "in", !tty && open_stdin},
        };
        if (!add_vsock_port2 && !add_vsock_port)
                child_fail("this libkrun has no vsock ports (libkrun 1.8 or later is needed)");
        for (size_t i = 0; i < ELEMENTSOF(ch); i++) {
                if (!ch[i].want)
                        continue;
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s.sock", sockdir, ch[i].name);
                r = add_vsock_port2 ? add_vsock_port2(c, ch[i].port, path, false)
                                    : add_vsock_port(c, ch[i].port, path);
                if (r < 0)
                        child_fail("libkrun: vsock port %u: %s", ch[i].port, errno_str(r));
        }

        /* the guest's console, hvc0 (docs/krun.md): with -t the terminal as its only port, so
         * hvc0 and ross-init's stdio are the pty (an fd that is no terminal would get a
         * krun-std* port: this process's stderr is krun.log); without -t a file, which gets
         * what the kernel, libkrun's init and ross-init say there. The command's stdio is its
         * channels either way. Without these calls: the implicit console on this process's
         * stdio, which the shim made the pty, or console.log */
        if (tty && disable_implicit_console && add_console_default) {
                if ((r = disable_implicit_console(c)) < 0)
                        child_fail("libkrun: the implicit console: %s", errno_str(r));
                if ((r = add_console_default(c, STDIN_FILENO, STDOUT_FILENO, STDOUT_FILENO)) < 0)
                        child_fail("libkrun: the console on the terminal: %s", errno_str(r));
        } else if (!tty && set_console_output && k->console &&
                   (r = set_console_output(c, k->console)) < 0) {
                child_fail("libkrun: the console log '%s': %s", k->console, errno_str(r));
        }

        if (set_workdir && k->workdir && (r = set_workdir(c, k->workdir)) < 0)
                child_fail("libkrun: the working directory '%s': %s", k->workdir, errno_str(r));
        if (set_rlimits && k->n_rlimits &&
            (r = set_rlimits(c, (const char *const *)k->rlimits)) < 0)
                child_fail("libkrun: rlimits: %s", errno_str(r));
        if (k->net_tap) {
                /* on a network: a virtio-net NIC on the tap the shim made in this namespace
                 * (TSI is then off; -p is netavark's, to the container's address) */
                uint8_t mac[6];
                if (!k->net_mac || sscanf(k->net_mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0],
                                          &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
                        child_fail("krun.cfg: a bad net_mac \"%s\"", k->net_mac ? k->net_mac : "");
                if (!add_net_tap)
                        child_fail("this libkrun has no krun_add_net_tap: a VM on a network needs "
                                   "libkrun 1.15 or later, built with NET=1 (or use --network "
                                   "none: -p maps TCP ports through libkrun's TSI)");
                if ((r = add_net_tap(c, k->net_tap, mac, KRUN_NET_FEATURES, 0)) < 0)
                        child_fail("libkrun: the network interface on %s: %s", k->net_tap,
                                   errno_str(r));
        } else {
                /* always: without a map, libkrun exposes every port the guest listens on */
                if (set_port_map && (r = set_port_map(c, (const char *const *)k->ports)) < 0)
                        child_fail("libkrun: the port map: %s", errno_str(r));
                if (!set_port_map && k->n_ports)
                        child_fail("this libkrun cannot map ports (-p)");
        }
        const char *const argv[] = {"--krun", NULL};
        if ((r = set_exec(c, "/.ross/init", argv, (const char *const *)k->env)) < 0)
                child_fail("libkrun: the workload: %s", errno_str(r));

        r = start_enter(c);
        child_fail("libkrun: the VM did not start: %s", errno_str(r));
}

int ross_krun_vmm_main(int argc, char **argv)
{
        if (argc != 5)
                child_fail("usage: ross-krun KRUN.CFG SOCKDIR tty|notty stdin|nostdin (the shim "
                           "runs it)");
        _cleanup_(krun_cfg_free) KrunCfg k = {};
        RossError err = {};
        if (read_cfg(argv[1], &k, &err) < 0)
                child_fail("%s", err.msg);
        enter(&k, argv[2], STREQ(argv[3], "tty"), STREQ(argv[4], "stdin"));
}

int ross_krun_probe_main(const char *library)
{
        void *h = open_library(library);
        if (!h) {
                fprintf(stderr, "Failed to create libkrun context: %s", dlerror());
                return 1;
        }
        int32_t (*create)(void) = dlsym(h, "krun_create_ctx");
        int32_t (*free_ctx)(uint32_t) = dlsym(h, "krun_free_ctx");
        int32_t ctx = create ? create() : -ENOSYS;
        if (ctx < 0) {
                fprintf(stderr, "Failed to create libkrun context: %s (%s)",
                        create ? strerror((int)-ctx) : "no krun_create_ctx in it", library);
                return 1;
        }
        if (free_ctx)
                (void)free_ctx((uint32_t)ctx);
        /* what the daemon needs to know of it: can it put a VM on a network */
        printf("net_tap=%d\n", dlsym(h, "krun_add_net_tap") ? 1 : 0);
        fflush(stdout);
        /* Ross's test double says what it is (unless a test has it play the real library) */
        int (*test_double)(void) = dlsym(h, "ross_krun_test_double");
        return test_double && test_double() ? ROSS_KRUN_PROBE_DOUBLE : 0;
}
