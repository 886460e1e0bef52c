/* SPDX-License-Identifier: Apache-2.0 */
/* Guest mode's sequence, from the initramfs (or libkrun's init) to power off (guest.h). */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../vm/proto.h"
#include "guest.h"

#define CFG_DIR     "/cfg"
#define ROOT_DIR    "/newroot"
#define MODULES_DIR "/modules"
#define CONFIG_MAX  (4 * 1024 * 1024)
/* under TCG a port can take a while to be announced */
#define PORT_WAIT_MS 10000

bool ross_guest_wanted(int argc, char **argv)
{
        if (argc > 1 && (STREQ(argv[1], "--vm") || STREQ(argv[1], "--krun")))
                return true;
        if (getpid() != 1 || argc < 1 || !argv[0])
                return false;
        const char *base = strrchr(argv[0], '/');
        return STREQ(base ? base + 1 : argv[0], "init");
}

/* Fds 0, 1, 2 open (the kernel leaves them closed when the initramfs has no
 * /dev/console), and where our messages go. */
static void setup_console(RossGuest *g)
{
        for (int fd = 0; fd < 3; fd++) {
                if (fcntl(fd, F_GETFD) >= 0)
                        continue;
                /* open takes the lowest free number: this one */
                int n = open("/dev/console", O_RDWR | O_NOCTTY);
                if (n < 0)
                        n = open("/dev/null", O_RDWR | O_NOCTTY);
                if (n >= 0 && n != fd) {
                        dup2(n, fd);
                        close(n);
                }
        }
        g->console = STDERR_FILENO;
}

/* --krun's options (guest.h): "--name VALUE" or "--name=VALUE". */
static int parse_options(RossGuest *g, int argc, char **argv, const char **config,
                         const char **etc_dir, RossError *err)
{
        static const char *const names[] = {"--config", "--etc-dir", "--channel-dir",
                                            "--share-dir"};
        const char **values[] = {config, etc_dir, &g->channel_dir, &g->share_dir};
        for (int i = 2; i < argc; i++) {
                size_t k;
                const char *v = NULL;
                for (k = 0; k < ELEMENTSOF(names); k++) {
                        size_t n = strlen(names[k]);
                        if (STREQ(argv[i], names[k])) {
                                if (i + 1 >= argc)
                                        return ross_errx(err, EINVAL, "%s needs a value", names[k]);
                                v = argv[++i];
                                break;
                        }
                        if (strncmp(argv[i], names[k], n) == 0 && argv[i][n] == '=') {
                                v = argv[i] + n + 1;
                                break;
                        }
                }
                if (k == ELEMENTSOF(names))
                        return ross_errx(err, EINVAL,
                                         "unknown option \"%s\" (ross-init --krun [--config "
                                         "PATH] [--etc-dir DIR] [--channel-dir DIR] "
                                         "[--share-dir DIR])",
                                         argv[i]);
                if (!*v)
                        return ross_errx(err, EINVAL, "%s: an empty value", names[k]);
                *values[k] = v;
        }
        return 0;
}

/* The command's stdio: its channels (or /dev/hvc0 for a tty), opened before the switch. */
static void open_stdio(RossGuest *g, int fds[3])
{
        RossError err = {};
        if (g->cfg.tty) {
                int64_t end = ross_guest_now_ms() + PORT_WAIT_MS;
                while ((g->hvc = open("/dev/hvc0", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
                        /* it shows up when the host's virtconsole is announced */
                        if ((errno != ENOENT && errno != ENODEV && errno != ENXIO) ||
                            ross_guest_now_ms() >= end)
                                ross_guest_fatal(g, 1, "open /dev/hvc0 (the terminal): %s",
                                                 strerror(errno));
                        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
                }
                fds[0] = fds[1] = fds[2] = g->hvc;
                return;
        }
        static const RossGuestChannel roles[3] = {
                ROSS_GUEST_CHANNEL_STDIN, ROSS_GUEST_CHANNEL_STDOUT, ROSS_GUEST_CHANNEL_STDERR};
        for (int i = 0; i < 3; i++) {
                if (i == 0 && !g->cfg.stdin_open) {
                        fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                        if (fds[0] < 0)
                                ross_guest_fatal(g, 1, "open /dev/null: %s", strerror(errno));
                        continue;
                }
                if (ross_guest_channel_open(g, roles[i], PORT_WAIT_MS, &fds[i], &err) < 0)
                        ross_guest_fatal(g, 1, "%s", err.msg);
        }
}

/* path: the config file under libkrun; under QEMU it is on the config share. */
static void read_config(RossGuest *g, const char *path)
{
        RossError err = {};
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (!g->krun) {
                if (ross_guest_mount_config(CFG_DIR, &err) < 0)
                        ross_guest_fatal(g, 1, "the config share: %s", err.msg);
                path = CFG_DIR "/config";
        }
        if (ross_read_file(path, CONFIG_MAX, &text, &len, &err) < 0)
                ross_guest_fatal(g, 1, "the config: %s", err.msg);
        if (ross_guest_config_parse(text, len, false, &g->cfg, &err) < 0)
                ross_guest_fatal(g, 1, "%s", err.msg);
}

/* etc_dir: where hosts, hostname and resolv.conf are under libkrun (the config share's
 * under QEMU). */
static void setup_root(RossGuest *g, const char *etc_dir)
{
        static const char *const etc[3] = {"hosts", "hostname", "resolv.conf"};
        RossError err = {};
        int etc_fds[3];
        /* the config share is hidden once the root is switched: hold its files */
        for (int i = 0; i < 3; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", g->krun ? etc_dir : CFG_DIR, etc[i]);
                etc_fds[i] = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        /* under libkrun the container's root is / already */
        if (!g->krun) {
                if (ross_guest_mount_root(&g->cfg, ROOT_DIR, &err) < 0)
                        ross_guest_fatal(g, 1, "the root: %s", err.msg);
                if (ross_guest_switch_root(ROOT_DIR, &err) < 0)
                        ross_guest_fatal(g, 1, "%s", err.msg);
        }
        if (ross_guest_mount_system(g->krun, &err) < 0 ||
            ross_guest_mount_container(&g->cfg, etc_fds, g->share_dir, &err) < 0)
                ross_guest_fatal(g, 1, "%s", err.msg);
        for (int i = 0; i < 3; i++)
                if (etc_fds[i] >= 0)
                        close(etc_fds[i]);
        if (g->cfg.hostname && *g->cfg.hostname &&
            sethostname(g->cfg.hostname, strlen(g->cfg.hostname)) < 0)
                ross_guest_fatal(g, 1, "sethostname \"%s\": %s", g->cfg.hostname, strerror(errno));
        /* under libkrun without a network the network is libkrun's (TSI); on one, eth0 is
         * the NIC on the tap, set here as under QEMU */
        if ((!g->krun || (g->cfg.net && *g->cfg.net)) && ross_guest_net_up(g->cfg.net, &err) < 0)
                ross_guest_fatal(g, 1, "the network: %s", err.msg);
}

int ross_guest_main(int argc, char **argv)
{
        RossGuest g = {
                .console = -EBADF,
                .ctl = -EBADF,
                .sigfd = -EBADF,
                .hvc = -EBADF,
        };
        RossError err = {};
        g.pid1 = getpid() == 1;
        g.krun = argc > 1 && STREQ(argv[1], "--krun");
        const char *config = ROSS_VM_KRUN_DIR "/config", *etc_dir = ROSS_VM_KRUN_DIR;

        /* every signal through the signalfd, from the start: a SIGTERM that comes while
         * booting goes to the command once it runs */
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        signal(SIGPIPE, SIG_IGN); /* a closed exec's stdin is EPIPE, not our end */

        /* --vm under a kernel that has mounted /proc for us, and --krun, where libkrun's
         * init has: no initramfs */
        g.initramfs = !g.krun && access("/proc/self/stat", F_OK) < 0;
        int r = g.initramfs ? ross_guest_mount_early(&err) : 0;
        setup_console(&g);
        if (r < 0)
                ross_guest_fatal(&g, 1, "%s", err.msg);
        if (g.krun && parse_options(&g, argc, argv, &config, &etc_dir, &err) < 0)
                ross_guest_fatal(&g, 2, "%s", err.msg);
        if (g.pid1)
                reboot(RB_DISABLE_CAD); /* ctrl-alt-del becomes a SIGINT, passed on */
        else
                /* libkrun's init waits for its child alone: orphans must come to us */
                prctl(PR_SET_CHILD_SUBREAPER, 1);
#if defined(__x86_64__) || defined(__i386__)
        /* without ACPI (QEMU's microvm,acpi=off) an x86 guest cannot power off: the kernel
         * would halt and leave the VM there */
        g.reboot_to_stop = access("/sys/firmware/acpi/tables", F_OK) < 0;
#endif
        /* libkrun's VMM ends at a reboot, as its own init ends it */
        if (g.krun)
                g.reboot_to_stop = true;
        if (g.initramfs)
                ross_guest_load_modules(&g, MODULES_DIR);

        g.sigfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
        if (g.sigfd < 0)
                ross_guest_fatal(&g, 1, "signalfd: %s", strerror(errno));

        /* the control channel first: what goes wrong after this is told to the host too */
        if (ross_guest_channel_open(&g, ROSS_GUEST_CHANNEL_CTL, PORT_WAIT_MS, &g.ctl, &err) < 0)
                ross_guest_fatal(&g, 1, "%s", err.msg);
        g.ctl_stream = g.krun;

        read_config(&g, config);
        /* under libkrun a tty's console is the user's terminal (hvc0 is the shim's pty):
         * our messages go to the host alone now */
        if (g.krun && g.cfg.tty)
                g.console = -EBADF;
        int stdio[3];
        open_stdio(&g, stdio);
        setup_root(&g, etc_dir);

        int code = 1;
        r = ross_guest_spawn(&g.cfg, g.cfg.rlimits, g.cfg.n_rlimits, stdio, g.cfg.tty, &g.pid0,
                             &code, &err);
        if (r < 0)
                ross_guest_fatal(&g, code, "%s", err.msg);
        ross_guest_send_u32(&g, ROSS_VM_STARTED, 0, (uint32_t)g.pid0);
        /* the command holds them now (the terminal stays ours, for RESIZE) */
        for (int i = 0; i < 3; i++)
                if (stdio[i] != g.hvc && (i == 0 || stdio[i] != stdio[i - 1]))
                        close(stdio[i]);

        ross_guest_serve(&g);
        ross_guest_finish(&g);
        ross_guest_umount_volumes(&g.cfg);
        ross_guest_poweroff(&g, g.status0);
}
