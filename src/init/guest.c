/* SPDX-License-Identifier: Apache-2.0 */
/* Guest mode's sequence, from the initramfs to power off (guest.h). */
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
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
        if (argc > 1 && STREQ(argv[1], "--vm"))
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

/* Until the host side of the stdin port is there: a read before that is an end of file,
 * and the command would see its stdin end before the host wrote to it. The host's closing
 * it later is the command's EOF, as it should be. debugfs says whether the host has been
 * there (connected now, or bytes received); without it, poll only knows "connected now"
 * (POLLHUP otherwise), and a host that came, wrote and left before this looked costs
 * PORT_WAIT_MS (its bytes wait, unread, for the command). */
static void wait_stdin_host(RossGuest *g, const char *dev, int fd)
{
        int64_t end = ross_guest_now_ms() + PORT_WAIT_MS;
        /* in the initramfs's /sys: the container never sees it */
        if (g->initramfs)
                (void)mount("debugfs", "/sys/kernel/debug", "debugfs",
                            MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        for (;;) {
                int seen = ross_guest_port_host_seen(dev);
                if (seen > 0)
                        return;
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (seen < 0 && poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP))
                        return;
                if (ross_guest_now_ms() >= end) {
                        ross_guest_log(g,
                                       "the host did not connect %s in %d ms: the command's "
                                       "stdin may end at once",
                                       ROSS_VM_PORT_STDIN, PORT_WAIT_MS);
                        return;
                }
                nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
        }
}

/* The ports of the command's stdio (or /dev/hvc0 for a tty), opened before the switch. */
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
        static const char *const names[3] = {ROSS_VM_PORT_STDIN, ROSS_VM_PORT_STDOUT,
                                             ROSS_VM_PORT_STDERR};
        static const int modes[3] = {O_RDONLY, O_WRONLY, O_WRONLY};
        for (int i = 0; i < 3; i++) {
                if (i == 0 && !g->cfg.stdin_open) {
                        fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                        if (fds[0] < 0)
                                ross_guest_fatal(g, 1, "open /dev/null: %s", strerror(errno));
                        continue;
                }
                _cleanup_free_ char *dev = NULL;
                if (ross_guest_port_find(names[i], PORT_WAIT_MS, &dev, &err) < 0)
                        ross_guest_fatal(g, 1, "%s", err.msg);
                fds[i] = open(dev, modes[i] | O_NOCTTY | O_CLOEXEC);
                if (fds[i] < 0)
                        ross_guest_fatal(g, 1, "open the port %s (%s): %s", names[i], dev,
                                         strerror(errno));
                if (i == 0)
                        wait_stdin_host(g, dev, fds[0]);
        }
}

static void read_config(RossGuest *g)
{
        RossError err = {};
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (ross_guest_mount_config(CFG_DIR, &err) < 0)
                ross_guest_fatal(g, 1, "the config share: %s", err.msg);
        if (ross_read_file(CFG_DIR "/config", CONFIG_MAX, &text, &len, &err) < 0)
                ross_guest_fatal(g, 1, "the config: %s", err.msg);
        if (ross_guest_config_parse(text, len, false, &g->cfg, &err) < 0)
                ross_guest_fatal(g, 1, "%s", err.msg);
}

static void setup_root(RossGuest *g)
{
        static const char *const etc[3] = {CFG_DIR "/hosts", CFG_DIR "/hostname",
                                           CFG_DIR "/resolv.conf"};
        RossError err = {};
        int etc_fds[3];
        /* the config share is hidden once the root is switched: hold its files */
        for (int i = 0; i < 3; i++)
                etc_fds[i] = open(etc[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (ross_guest_mount_root(&g->cfg, ROOT_DIR, &err) < 0)
                ross_guest_fatal(g, 1, "the root: %s", err.msg);
        if (ross_guest_switch_root(ROOT_DIR, &err) < 0 || ross_guest_mount_system(&err) < 0 ||
            ross_guest_mount_container(&g->cfg, etc_fds, &err) < 0)
                ross_guest_fatal(g, 1, "%s", err.msg);
        for (int i = 0; i < 3; i++)
                if (etc_fds[i] >= 0)
                        close(etc_fds[i]);
        if (g->cfg.hostname && *g->cfg.hostname &&
            sethostname(g->cfg.hostname, strlen(g->cfg.hostname)) < 0)
                ross_guest_fatal(g, 1, "sethostname \"%s\": %s", g->cfg.hostname, strerror(errno));
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

        /* every signal through the signalfd, from the start: a SIGTERM that comes while
         * booting goes to the command once it runs */
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        signal(SIGPIPE, SIG_IGN); /* a closed exec's stdin is EPIPE, not our end */

        /* --vm under a kernel (libkrun's) that has mounted /proc for us: no initramfs */
        g.initramfs = access("/proc/self/stat", F_OK) < 0;
        int r = g.initramfs ? ross_guest_mount_early(&err) : 0;
        setup_console(&g);
        if (r < 0)
                ross_guest_fatal(&g, 1, "%s", err.msg);
        if (g.pid1)
                reboot(RB_DISABLE_CAD); /* ctrl-alt-del becomes a SIGINT, passed on */
        else
                prctl(PR_SET_CHILD_SUBREAPER, 1);
#if defined(__x86_64__) || defined(__i386__)
        /* without ACPI (QEMU's microvm,acpi=off) an x86 guest cannot power off: the kernel
         * would halt and leave the VM there */
        g.reboot_to_stop = access("/sys/firmware/acpi/tables", F_OK) < 0;
#endif
        if (g.initramfs)
                ross_guest_load_modules(&g, MODULES_DIR);

        g.sigfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
        if (g.sigfd < 0)
                ross_guest_fatal(&g, 1, "signalfd: %s", strerror(errno));

        /* the control channel first: what goes wrong after this is told to the host too */
        _cleanup_free_ char *ctl = NULL;
        if (ross_guest_port_find(ROSS_VM_PORT_CTL, PORT_WAIT_MS, &ctl, &err) < 0)
                ross_guest_fatal(&g, 1, "the control channel: %s", err.msg);
        g.ctl = open(ctl, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (g.ctl < 0)
                ross_guest_fatal(&g, 1, "open the control channel %s: %s", ctl, strerror(errno));

        read_config(&g);
        int stdio[3];
        open_stdio(&g, stdio);
        setup_root(&g);

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
