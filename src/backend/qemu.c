/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The QEMU backend, the daemon's half (runtime "qemu"): each container in a QEMU microvm.
 * Its root is its own clone of the image's flat rootfs (<dir>/rootfs), shared over
 * virtio-fs (one virtiofsd per share, which the shim starts from <dir>/vm/shares) when a
 * virtiofsd is found, virtio-9p otherwise; ross-init, in an initramfs Ross builds, is the guest's
 * PID 1 and reads the container's config from a read-only share (<dir>/vm/cfg). The daemon writes
 * QEMU's whole command line (<dir>/vm/qemu.argv); the shim runs it and speaks to ross-init over the
 * sockets QEMU connects to (<run>/runtime/qemu/<id16>/, short: unix socket paths are).
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "../basic/argv.h"
#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../basic/spawn.h"
#include "../container/config.h"
#include "../container/containers.h"
#include "../container/network.h"
#include "../container/spec.h"
#include "../image/images.h"
#include "../unpack/clone.h"
#include "../vm/accel.h"
#include "../vm/initramfs.h"
#include "../vm/kernel-elf.h"
#include "../vm/proto.h"
#include "../vm/virtiofsd.h"
#include "backend.h"
#include "vm.h"

extern const RossBackend ross_backend_qemu;

static char *qemu_binary(void)
{
        struct utsname u;
        uname(&u);
        const char *arch = STREQ(u.machine, "arm64") ? "aarch64" : u.machine;
        _cleanup_free_ char *name = xasprintf("qemu-system-%s", arch);
        return ross_find_program(name);
}

/* The newest /boot/vmlinuz-* (versions compared as Debian's are: by strverscmp). */
static char *default_kernel(void)
{
        DIR *d = opendir("/boot");
        struct dirent *e;
        char *best = NULL;
        while (d && (e = readdir(d)))
                if (strncmp(e->d_name, "vmlinuz-", 8) == 0 &&
                    (!best || strverscmp(e->d_name, best) > 0)) {
                        free(best);
                        best = xstrdup(e->d_name);
                }
        if (d)
                closedir(d);
        if (!best)
                return NULL;
        char *p = xasprintf("/boot/%s", best);
        free(best);
        return p;
}

static char *kernel_of(RossContainers *c)
{
        return c->vm.kernel ? xstrdup(c->vm.kernel) : default_kernel();
}

static char *qemu_probe(const RossBackend *b, RossContainers *c)
{
        _cleanup_free_ char *qemu = qemu_binary();
        if (!qemu)
                return xstrdup("qemu is not installed: the qemu runtime needs qemu-system-x86_64 "
                               "(apt-get install qemu-system-x86)");
        _cleanup_free_ char *kernel = kernel_of(c);
        if (!kernel)
                return xstrdup("no guest kernel: the qemu runtime boots Debian's kernel "
                               "(apt-get install linux-image-amd64), or the one "
                               "--vm-kernel names");
        if (access(kernel, R_OK) < 0)
                return xasprintf("the guest kernel '%s' cannot be read: %s", kernel,
                                 strerror(errno));
        return NULL;
}

static char *qemu_program(const RossBackend *b)
{
        return qemu_binary();
}

static int qemu_check(const RossBackend *b, RossContainers *c, const RossContainerConfig *cfg,
                      RossError *err)
{
        int r = ross_vm_check(cfg, b->name, "use --network none", err);
        if (r < 0)
                return r;
        if ((json_array_size(cfg->net.ports) > 0 || cfg->net.publish_all) &&
            !ross_net_mode_is_network(cfg->net.mode))
                return ross_errx(err, EINVAL,
                                 "publishing ports (-p) needs a network: a qemu container with "
                                 "--network %s has none",
                                 cfg->net.mode);
        return 0;
}

/* KVM when it really works (cached: the probe is the same for every container). */
static pthread_mutex_t accel_lock = PTHREAD_MUTEX_INITIALIZER;
static int accel_cached = -1; /* -1 not probed, 0 tcg, 1 kvm */
static const char *accel_why;

static int choose_accel(RossContainers *c, bool *ret_kvm, RossError *err)
{
        const char *want = c->vm.accel ? c->vm.accel : "auto";
        pthread_mutex_lock(&accel_lock);
        if (accel_cached < 0) {
                accel_cached = ross_vm_kvm_usable(&accel_why) ? 1 : 0;
                log_info("micro-VMs: %s (%s)", accel_cached ? "KVM" : "TCG, software emulation",
                         accel_why);
        }
        bool kvm = accel_cached == 1;
        const char *why = accel_why;
        pthread_mutex_unlock(&accel_lock);
        if (STREQ(want, "kvm") && !kvm)
                return ross_errx(err, ENODEV, "--vm-accel kvm: KVM cannot run the guest here: %s",
                                 why);
        *ret_kvm = STREQ(want, "tcg") ? false : kvm;
        return 0;
}

/* virtio-fs when a virtiofsd is found (or asked for), 9p otherwise: *ret_fsd is the
 * virtiofsd, or NULL for 9p. */
static int choose_fs(RossContainers *c, char **ret_fsd, RossError *err)
{
        const char *want = c->vm.fs ? c->vm.fs : "auto";
        *ret_fsd = NULL;
        if (STREQ(want, "9p"))
                return 0;
        *ret_fsd = ross_virtiofsd_find();
        if (!*ret_fsd && STREQ(want, "virtiofs"))
                return ross_errx(err, ENOENT,
                                 "--vm-fs virtiofs: no virtiofsd found (Debian 12: apt-get "
                                 "install qemu-system-common; later: virtiofsd)");
        return 0;
}

/* A path QEMU's options take as it is: a ',' would split the option. */
static int qemu_path(const char *what, const char *p, RossError *err)
{
        if (strchr(p, ','))
                return ross_errx(err, EINVAL, "%s '%s': QEMU cannot take a path with a ','", what,
                                 p);
        return 0;
}

/* The host's TSC in kHz, from /proc/cpuinfo's "cpu MHz" (x86), or 0. Under TCG a stock
 * kernel sometimes hangs calibrating its TSC against the emulated timer early in boot
 * (seen in 1 boot of 6 here); tsc_early_khz= skips that calibration. */
static long host_tsc_khz(void)
{
        _cleanup_free_ char *text = NULL;
        if (ross_read_file("/proc/cpuinfo", 4 * 1024 * 1024, &text, NULL, NULL) < 0)
                return 0;
        const char *p = strstr(text, "cpu MHz");
        p = p ? strchr(p, ':') : NULL;
        if (!p)
                return 0; /* not x86 */
        p++;
        p += strspn(p, " \t");
        double mhz;
        const char *rest;
        if (ross_parse_decimal(p, 100000, &mhz, &rest) < 0 || mhz == 0 ||
            (*rest && *rest != '\n')) {
                log_debug("/proc/cpuinfo: cpu MHz \"%.*s\" is not a frequency; no tsc_early_khz",
                          (int)strcspn(p, "\n"), p);
                return 0;
        }
        return (long)(mhz * 1000);
}

/* A share for the guest: over virtio-fs (a vhost-user socket, its virtiofsd in the shares
 * file for the shim) or over 9p (QEMU's own; :ro is its readonly, on the host). A private
 * share is the container's alone (its root): the guest may cache it as it likes. */
static void add_share(RossArgv *a, RossBuf *shares, const char *sockdir, size_t n, const char *tag,
                      const char *path, bool ro, bool private, const char *security)
{
        if (shares) {
                _cleanup_free_ char *line = xasprintf("%zu %s %s %s", n, ro ? "ro" : "rw",
                                                      private ? "private" : "shared", path);
                ross_vm_cfg_add(shares, "share", line);
                ross_argv_add(a, "-chardev");
                ross_argv_addf(a, "socket,id=fs%zu,path=%s/fs%zu.sock", n, sockdir, n);
                ross_argv_add(a, "-device");
                ross_argv_addf(a, "vhost-user-fs-device,chardev=fs%zu,tag=%s", n, tag);
                return;
        }
        ross_argv_add(a, "-fsdev");
        ross_argv_addf(a, "local,id=fs%zu,path=%s,security_model=%s%s", n, path, security,
                       ro ? ",readonly=on" : "");
        ross_argv_add(a, "-device");
        ross_argv_addf(a, "virtio-9p-device,fsdev=fs%zu,mount_tag=%s", n, tag);
}

static int write_argv(RossContainers *c, const char *id, const char *dir,
                      const RossContainerConfig *cfg, const RossNetPlan *net, const char *kernel,
                      const char *initrd, bool kvm, const char *fsd, RossError *err)
{
        _cleanup_free_ char *qemu = qemu_binary();
        if (!qemu)
                return ross_errx(err, ENOENT,
                                 "qemu is not installed (apt-get install "
                                 "qemu-system-x86)");
        _cleanup_free_ char *sockdir = ross_vm_sockdir(&ross_backend_qemu, c, id);
        int r = ross_mkdir_p(sockdir, 0700, err);
        if (r < 0)
                return r;
        _cleanup_(ross_argv_free) RossArgv a = {};
        ross_argv_add(&a, qemu);
        ross_argv_addf(&a, "-name");
        ross_argv_addf(&a, "ross-%.12s", id);
        long long mib = (long long)(ross_vm_memory(cfg) / (1024 * 1024));
        ross_argv_add(&a, "-M");
        /* virtio-fs: the guest's memory shared with virtiofsd */
        ross_argv_add(&a, fsd ? "microvm,memory-backend=mem" : "microvm");
        if (fsd) {
                ross_argv_add(&a, "-object");
                ross_argv_addf(&a, "memory-backend-memfd,id=mem,size=%lldM,share=on", mib);
        }
        ross_argv_add(&a, "-accel");
        ross_argv_add(&a, kvm ? "kvm" : "tcg");
        ross_argv_add(&a, "-cpu");
        ross_argv_add(&a, kvm ? "host" : "max");
        ross_argv_add(&a, "-m");
        ross_argv_addf(&a, "%lldM", mib);
        ross_argv_add(&a, "-smp");
        ross_argv_addf(&a, "%d", ross_vm_cpus(cfg));
        /* virtio 1.0 over mmio (QEMU's microvm defaults to legacy devices, which
         * vhost-user, so virtio-fs, does not take) */
        ross_argv_add(&a, "-global");
        ross_argv_add(&a, "virtio-mmio.force-legacy=false");
        ross_argv_add(&a, "-nodefaults");
        ross_argv_add(&a, "-no-user-config");
        ross_argv_add(&a, "-nographic");
        ross_argv_add(&a, "-no-reboot");
        ross_argv_add(&a, "-kernel");
        ross_argv_add(&a, kernel);
        ross_argv_add(&a, "-initrd");
        ross_argv_add(&a, initrd);
        ross_argv_add(&a, "-append");
        long tsc = kvm ? 0 : host_tsc_khz();
        if (tsc > 0)
                ross_argv_addf(&a, "console=ttyS0 quiet panic=-1 tsc_early_khz=%ld", tsc);
        else
                ross_argv_add(&a, "console=ttyS0 quiet panic=-1");
        ross_argv_add(&a, "-serial");
        ross_argv_addf(&a, "file:%s/vm/console.log", dir);
        ross_argv_add(&a, "-device");
        ross_argv_add(&a, "virtio-serial-device,max_ports=8");
        /* on a network: a NIC on the tap the shim makes in the container's network
         * namespace, handed to QEMU as fd 3 (docs/network.md) */
        if (net && net->setup && net->mac) {
                ross_argv_add(&a, "-netdev");
                ross_argv_add(&a, "tap,id=n0,fd=3");
                ross_argv_add(&a, "-device");
                ross_argv_addf(&a, "virtio-net-device,netdev=n0,mac=%s", net->mac);
        }
        struct {
                const char *id, *port;
                bool want;
        } ports[] = {
                {"ctl", ROSS_VM_PORT_CTL, true},
                {"out", ROSS_VM_PORT_STDOUT, !cfg->process.terminal},
                {"err", ROSS_VM_PORT_STDERR, !cfg->process.terminal},
                {"in", ROSS_VM_PORT_STDIN, !cfg->process.terminal && cfg->open_stdin},
        };
        for (size_t i = 0; i < ELEMENTSOF(ports); i++) {
                if (!ports[i].want)
                        continue;
                ross_argv_add(&a, "-chardev");
                ross_argv_addf(&a, "socket,id=%s,path=%s/%s.sock", ports[i].id, sockdir,
                               ports[i].id);
                ross_argv_add(&a, "-device");
                ross_argv_addf(&a, "virtserialport,chardev=%s,name=%s", ports[i].id, ports[i].port);
        }
        if (cfg->process.terminal) {
                ross_argv_add(&a, "-chardev");
                ross_argv_addf(&a, "socket,id=con,path=%s/con.sock", sockdir);
                ross_argv_add(&a, "-device");
                ross_argv_add(&a, "virtconsole,chardev=con");
        }
        /* the shares: config (9p, QEMU's own: small and read-only), root, each volume; :ro
         * is enforced on the host (QEMU's readonly, or virtiofsd's read-only bind) */
        _cleanup_(ross_buf_free) RossBuf shares = {};
        RossBuf *sh = fsd ? &shares : NULL;
        if (fsd)
                ross_vm_cfg_add(&shares, "virtiofsd", fsd);
        _cleanup_free_ char *cfgdir = xasprintf("%s/vm/cfg", dir);
        _cleanup_free_ char *rootdir = xasprintf("%s/rootfs", dir);
        add_share(&a, NULL, sockdir, 0, ROSS_VM_TAG_CONFIG, cfgdir, true, true, "none");
        add_share(&a, sh, sockdir, 1, ROSS_VM_TAG_ROOT, rootdir, cfg->readonly_rootfs, true,
                  "passthrough");
        json_t *v;
        size_t i;
        json_array_foreach (cfg->binds, i, v) {
                const char *src = json_string_value(json_object_get(v, "source"));
                if ((r = qemu_path("volume", src, err)) < 0)
                        return r;
                _cleanup_free_ char *tag = xasprintf("ross.vol%zu", i);
                add_share(&a, sh, sockdir, i + 2, tag, src,
                          json_is_true(json_object_get(v, "readonly")), false, "passthrough");
        }
        _cleanup_free_ char *shares_path = xasprintf("%s/vm/shares", dir);
        if (fsd) {
                if ((r = ross_write_file_replace(shares_path, shares.data, shares.len, 0600, err)) <
                    0)
                        return r;
        } else if (unlink(shares_path) < 0 && errno != ENOENT) {
                return ross_err(err, errno, "remove '%s'", shares_path);
        }
        ross_argv_add(&a, "-qmp");
        ross_argv_addf(&a, "unix:%s/qmp.sock,server=on,wait=off", sockdir);
        if ((r = ross_argv_ok(&a)) < 0)
                return ross_errx(err, E2BIG, "the QEMU command line is too long");
        /* NUL-separated, as /proc/PID/cmdline */
        _cleanup_(ross_buf_free) RossBuf out = {};
        for (char *const *p = ross_argv_get(&a); *p; p++)
                ross_buf_append(&out, *p, strlen(*p) + 1);
        _cleanup_free_ char *path = xasprintf("%s/vm/qemu.argv", dir);
        return ross_write_file_replace(path, out.data, out.len, 0600, err);
}

static char *modules_dir_of(const char *kernel)
{
        const char *base = strrchr(kernel, '/');
        base = base ? base + 1 : kernel;
        if (strncmp(base, "vmlinuz-", 8) != 0)
                return NULL;
        char *dir = xasprintf("/lib/modules/%s", base + 8);
        struct stat st;
        if (stat(dir, &st) < 0) {
                free(dir);
                return NULL;
        }
        return dir;
}

static int qemu_prepare(const RossBackend *b, RossContainers *c, const char *id, const char *dir,
                        const RossContainerConfig *cfg, const RossNetPlan *net, RossError *err)
{
        int r;
        if ((r = qemu_check(b, c, cfg, err)) < 0 || (r = ross_vm_clone_root(c, dir, cfg, err)) < 0)
                return r;
        _cleanup_free_ char *fsd = NULL;
        if ((r = choose_fs(c, &fsd, err)) < 0)
                return r;
        /* the config share: ross-init's config and the files for /etc */
        _cleanup_free_ char *cfgdir = xasprintf("%s/vm/cfg", dir);
        if ((r = ross_vm_write_guest_config(c, id, dir, cfg, net, cfgdir, fsd != NULL, err)) < 0)
                return r;

        /* kernel, initramfs, accelerator */
        _cleanup_free_ char *kernel = kernel_of(c);
        if (!kernel)
                return ross_errx(err, ENOENT,
                                 "no guest kernel (apt-get install "
                                 "linux-image-amd64, or --vm-kernel PATH)");
        if ((r = qemu_path("the guest kernel", kernel, err)) < 0)
                return r;
        _cleanup_free_ char *init = ross_containers_helper(c, "ross-init");
        _cleanup_free_ char *mods = modules_dir_of(kernel);
        _cleanup_free_ char *initrd = NULL;
        RossInitramfsSpec spec = {
                .init_path = init, .modules_dir = mods, .cache_dir = c->vm.cache_dir};
        if ((r = ross_initramfs_get(&spec, &initrd, err)) < 0)
                return r;
        bool kvm = false;
        if ((r = choose_accel(c, &kvm, err)) < 0)
                return r;
        /* the kernel's own ELF where it has one: booted through PVH, no decompression */
        _cleanup_free_ char *elf = NULL;
        RossError e2 = {};
        if (!getenv("ROSS_VM_NO_PVH") &&
            ross_kernel_elf_get(kernel, c->vm.cache_dir, &elf, &e2) < 0)
                log_debug("booting the bzImage %s: %s", kernel, e2.msg);
        return write_argv(c, id, dir, cfg, net, elf ? elf : kernel, initrd, kvm, fsd, err);
}

const RossBackend ross_backend_qemu = {
        .name = "qemu",
        .kind = "qemu",
        .probe = qemu_probe,
        .check = qemu_check,
        .program = qemu_program,
        .prepare = qemu_prepare,
        .prepare_exec = ross_vm_prepare_exec,
        .release = ross_vm_release,
        .root = ross_vm_root,
};
