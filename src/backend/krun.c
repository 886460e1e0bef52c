/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libkrun backend, the daemon's half (runtime "krun"): each container in a libkrun
 * micro-VM (KVM on Linux, Hypervisor.framework on macOS). Its root is its own clone of the
 * image's flat rootfs, as for the qemu runtime; ross-init goes into it (/.ross/init) with
 * its config and the files for /etc (/.ross/), and libkrun runs it as the workload. The
 * daemon writes what ross-krun hands libkrun (<dir>/vm/krun.cfg); libkrun itself is loaded
 * with dlopen by ross-krun only (ross-krun --probe at daemon start: it loads).
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/spawn.h"
#include "../container/config.h"
#include "../container/containers.h"
#include "../container/network.h"
#include "../vm/accel.h"
#include "../vm/proto.h"
#include "backend.h"
#include "krun-vmm.h"
#include "config.h"
#include "vm.h"

extern const RossBackend ross_backend_krun;

#if defined(__APPLE__)
#define KRUN_LIBRARY_DEFAULT "libkrun.1.dylib"
#else
#define KRUN_LIBRARY_DEFAULT "libkrun.so.1"
#endif

static const char *library_of(RossContainers *c)
{
        return c->vm.krun_library ? c->vm.krun_library : KRUN_LIBRARY_DEFAULT;
}

#if ROSS_HAVE_KRUN
/* Can libkrun load and make a context? Asked of ross-krun --probe, so the library is never
 * loaded into the daemon. Then, on Linux, can KVM run its guest? Not asked for the test
 * double (tests/krun) when it says it is one. */
static char *krun_probe(const RossBackend *b, RossContainers *c)
{
        _cleanup_free_ char *helper = ross_containers_helper(c, "ross-krun");
        const char *lib = library_of(c);
        char *argv[] = {helper, (char *)"--probe", (char *)lib, NULL};
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        RossChild child = ROSS_CHILD_INIT;
        RossError err = {};
        int out[2];
        if (pipe2(out, O_CLOEXEC) < 0)
                return xasprintf("Failed to create libkrun context: pipe: %s", strerror(errno));
        o.stdout_fd = out[1];
        int sr = ross_spawn(argv, &o, &child, &err);
        close(out[1]);
        _cleanup_close_ int outfd = out[0];
        if (sr < 0)
                return xasprintf("Failed to create libkrun context: %s", err.msg);
        _cleanup_close_ int fd = ross_child_take_stderr(&child);
        char why[2048] = "";
        size_t n = 0;
        ssize_t k;
        while (fd >= 0 && n < sizeof(why) - 1 && (k = read(fd, why + n, sizeof(why) - 1 - n)) > 0)
                n += (size_t)k;
        why[n] = '\0';
        int status = -1;
        (void)ross_child_wait(&child, &status, NULL);
        free(child.name);
        char feat[64] = "";
        ssize_t fn = read(outfd, feat, sizeof(feat) - 1);
        feat[fn > 0 ? fn : 0] = '\0';
        c->vm.krun_net = strstr(feat, "net_tap=1") != NULL;
        if (status == 1 && n > 0)
                return xasprintf("%s (install libkrun, or name it with ross-daemon start "
                                 "--krun-library PATH)",
                                 why);
        if (status == ROSS_KRUN_PROBE_DOUBLE) {
                log_warn("krun: %s is Ross's test double for libkrun, not libkrun", lib);
                return NULL;
        }
        if (status != 0)
                return xasprintf("Failed to create libkrun context: '%s --probe' ended with %d",
                                 helper, status);
#if defined(__linux__)
        const char *kvm_why = NULL;
        if (!ross_vm_kvm_usable(&kvm_why))
                return xasprintf("libkrun needs KVM, which cannot run a guest here: %s", kvm_why);
#endif
        log_info("krun: %s loads, KVM works", lib);
        return NULL;
}
#else
static char *krun_probe(const RossBackend *b, RossContainers *c)
{
        return xstrdup("libkrun support not available: this Ross was built with "
                       "-Dlibkrun=disabled (rebuild: meson setup build -Dlibkrun=enabled)");
}
#endif

static char *krun_program(const RossBackend *b)
{
        return xstrdup(KRUN_LIBRARY_DEFAULT);
}

static int krun_check(const RossBackend *b, RossContainers *c, const RossContainerConfig *cfg,
                      RossError *err)
{
        int r = ross_vm_check(cfg, b->name, "use --network none; -p maps TCP ports", err);
        if (r < 0)
                return r;
        if (ross_vm_memory(cfg) / (1024 * 1024) > UINT32_MAX)
                return ross_errx(err, EINVAL, "--memory: too large for libkrun");
        if (ross_net_mode_is_network(cfg->net.mode)) {
                /* a NIC on a tap in the container's namespace, as qemu's: -p is netavark's */
                if (!c->vm.krun_net)
                        return ross_errx(err, EINVAL,
                                         "network %s: this libkrun (%s) cannot put a VM on a "
                                         "network: that needs krun_add_net_tap (libkrun 1.15 or "
                                         "later, built with NET=1); use --network none, -p maps "
                                         "TCP ports through libkrun's TSI",
                                         cfg->net.mode, library_of(c));
                return 0;
        }
        /* --network none: -p through libkrun's TSI port map */
        json_t *v;
        size_t i;
        json_array_foreach (cfg->net.ports, i, v) {
                const char *proto = json_string_value(json_object_get(v, "proto"));
                int port = (int)json_integer_value(json_object_get(v, "port"));
                if (!STREQ(proto, "tcp"))
                        return ross_errx(err, EINVAL,
                                         "-p %d/%s: the krun runtime maps TCP ports only "
                                         "(libkrun's TSI)",
                                         port, proto);
                if (json_integer_value(json_object_get(v, "host_port")) == 0)
                        return ross_errx(err, EINVAL,
                                         "-p %d: the krun runtime needs the host port given "
                                         "(-p HOST:%d)",
                                         port, port);
        }
        return 0;
}

/* What libkrun puts on the guest kernel's command line (the workload's path, arguments,
 * environment, working directory) must be printable ASCII without quotes, or libkrun
 * aborts (docs/krun-abi.md): everything else goes through ross-init's config only. */
static bool cmdline_safe(const char *s)
{
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
                        return false;
        return true;
}

/* ross-krun's instructions (keys: helper, library, root, cpus, memory_mib, volume "TAG ro|rw
 * PATH", workdir, env, rlimit "ID=CUR:MAX", port "HOST:GUEST" (TSI, without a network),
 * net_tap and net_mac (on a network), console (the console log without -t), log_level), in
 * the config format of src/vm/proto.h. */
static void krun_config(RossBuf *b, RossContainers *c, const char *dir,
                        const RossContainerConfig *cfg, const RossNetPlan *net)
{
        _cleanup_free_ char *helper = ross_containers_helper(c, "ross-krun");
        ross_vm_cfg_add(b, "helper", helper);
        ross_vm_cfg_add(b, "library", library_of(c));
        _cleanup_free_ char *root = xasprintf("%s/rootfs", dir);
        ross_vm_cfg_add(b, "root", root);
        /* the shim's vm/console.log (krun-shim.c), where libkrun can write it itself */
        _cleanup_free_ char *console = xasprintf("%s/vm/console.log", dir);
        ross_vm_cfg_add(b, "console", console);
        ross_vm_cfg_num(b, "cpus", ross_vm_cpus(cfg));
        ross_vm_cfg_num(b, "memory_mib", ross_vm_memory(cfg) / (1024 * 1024));
        json_t *v;
        size_t i;
        json_array_foreach (cfg->binds, i, v) {
                _cleanup_free_ char *vol =
                        xasprintf("ross.vol%zu %s %s", i,
                                  json_is_true(json_object_get(v, "readonly")) ? "ro" : "rw",
                                  json_string_value(json_object_get(v, "source")));
                ross_vm_cfg_add(b, "volume", vol);
        }
        const char *cwd = cfg->process.cwd ? cfg->process.cwd : "/";
        ross_vm_cfg_add(b, "workdir", cmdline_safe(cwd) && !strchr(cwd, ' ') ? cwd : "/");
        json_array_foreach (cfg->process.env, i, v) {
                const char *e = json_string_value(v);
                /* the guest kernel takes 32 at most; ross-init sets all of them anyway */
                if (i < 24 && cmdline_safe(e))
                        ross_vm_cfg_add(b, "env", e);
        }
        struct rlimit nofile;
        getrlimit(RLIMIT_NOFILE, &nofile);
        _cleanup_free_ char *rl =
                xasprintf("%d=%llu:%llu", RLIMIT_NOFILE, (unsigned long long)nofile.rlim_max,
                          (unsigned long long)nofile.rlim_max);
        ross_vm_cfg_add(b, "rlimit", rl);
        if (net && net->setup && net->mac) {
                /* the tap the shim makes in the container's namespace (shim_net_tap) */
                ross_vm_cfg_add(b, "net_tap", "tap0");
                ross_vm_cfg_add(b, "net_mac", net->mac);
        } else {
                json_array_foreach (cfg->net.ports, i, v) {
                        _cleanup_free_ char *p = xasprintf(
                                "%lld:%lld", json_integer_value(json_object_get(v, "host_port")),
                                json_integer_value(json_object_get(v, "port")));
                        ross_vm_cfg_add(b, "port", p);
                }
        }
        /* libkrun's levels: 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace */
        ross_vm_cfg_num(b, "log_level", ross_log_enabled(ROSS_LOG_DEBUG) ? 4 : 1);
}

static int krun_prepare(const RossBackend *b, RossContainers *c, const char *id, const char *dir,
                        const RossContainerConfig *cfg, const RossNetPlan *net, RossError *err)
{
        int r;
        if ((r = krun_check(b, c, cfg, err)) < 0 || (r = ross_vm_clone_root(c, dir, cfg, err)) < 0)
                return r;
        /* ross-init, its config and the files for /etc, in the root: libkrun runs the
         * workload from there */
        _cleanup_free_ char *dotross = xasprintf("%s/rootfs/.ross", dir);
        if ((r = ross_vm_write_guest_config(c, id, dir, cfg, net, dotross, true, err)) < 0)
                return r;
        _cleanup_free_ char *init = ross_containers_helper(c, "ross-init");
        _cleanup_free_ char *text = NULL;
        size_t len;
        _cleanup_free_ char *to = xasprintf("%s/init", dotross);
        if ((r = ross_read_file(init, 64 * 1024 * 1024, &text, &len, err)) < 0 ||
            (r = ross_write_file_replace(to, text, len, 0755, err)) < 0)
                return r;
        _cleanup_(ross_buf_free) RossBuf kc = {};
        krun_config(&kc, c, dir, cfg, net);
        _cleanup_free_ char *vmdir = xasprintf("%s/vm", dir);
        _cleanup_free_ char *path = xasprintf("%s/krun.cfg", vmdir);
        _cleanup_free_ char *sockdir = ross_vm_sockdir(&ross_backend_krun, c, id);
        if ((r = ross_mkdir_p(vmdir, 0755, err)) < 0 || (r = ross_mkdir_p(sockdir, 0700, err)) < 0)
                return r;
        return ross_write_file_replace(path, kc.data, kc.len, 0600, err);
}

const RossBackend ross_backend_krun = {
        .name = "krun",
        .kind = "krun",
        .probe = krun_probe,
        .check = krun_check,
        .program = krun_program,
        .prepare = krun_prepare,
        .prepare_exec = ross_vm_prepare_exec,
        .release = ross_vm_release,
        .root = ross_vm_root,
};
