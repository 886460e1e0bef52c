/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shim's half of a container's networks: the daemon leased the addresses, made the
 * network namespace and wrote netavark's input (src/container/network.h); the shim holds
 * the published host ports for the container's life (so no one else takes them), runs
 * netavark's setup while the runtime creates the container, and tears everything down
 * when the workload is gone, whether or not the daemon is there to see it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../net/netavark-run.h"
#include "../net/netns.h"
#include "shim-internal.h"

/* "proto:ip:port": bound (not listening) for as long as the shim lives. */
static int hold_port(Shim *s, const char *spec, int *ret_fd, RossError *err)
{
        char proto[8], ip[64];
        int port;
        const char *c1 = strchr(spec, ':'), *c2 = strrchr(spec, ':');
        if (!c1 || c1 == c2 || (size_t)(c1 - spec) >= sizeof(proto) ||
            (size_t)(c2 - c1 - 1) >= sizeof(ip) || ross_parse_int(c2 + 1, 1, 65535, &port) < 0)
                return ross_errx(err, EINVAL, "--hold-port: '%s' is not proto:ip:port", spec);
        snprintf(proto, sizeof(proto), "%.*s", (int)(c1 - spec), spec);
        snprintf(ip, sizeof(ip), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
                return ross_errx(err, EINVAL, "--hold-port: '%s' is not an IPv4 address", ip);
        int fd = socket(AF_INET, (STREQ(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
                        STREQ(proto, "sctp") ? IPPROTO_SCTP : 0);
        if (fd < 0)
                return ross_err(err, errno, "hold port %s", spec);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                if (e == EADDRINUSE)
                        return ross_errx(err, EADDRINUSE,
                                         "driver failed programming external connectivity on "
                                         "endpoint %.12s: Bind for %s:%d failed: port is already "
                                         "allocated",
                                         s->id, ip, port);
                return ross_err(err, e, "bind %s:%d/%s", ip, port, proto);
        }
        *ret_fd = fd;
        return 0;
}

static char *net_path(Shim *s, const char *file)
{
        return xasprintf("%s/net/%s", s->dir, file);
}

static RossNetavark netavark(Shim *s)
{
        return (RossNetavark){
                .program = s->netavark, .config_dir = s->netavark_config, .aardvark = s->aardvark};
}

int shim_net_begin(Shim *s, RossError *err)
{
        if (!s->netns || s->exec_process)
                return 0;
        if (!s->netavark || !s->netavark_config)
                return ross_errx(err, EINVAL, "--netns needs --netavark and --netavark-config");
        for (size_t i = 0; i < s->n_hold; i++) {
                int r = hold_port(s, s->hold[i], &s->hold_fd[i], err);
                if (r < 0)
                        return r;
        }
        if (s->net_ready)
                return 0;
        _cleanup_free_ char *in = net_path(s, "0-start.json");
        _cleanup_free_ char *out = net_path(s, "0-start.status");
        RossNetavark nv = netavark(s);
        int r = ross_netavark_spawn(&nv, "setup", s->netns, in, out, &s->net_setup, err);
        if (r < 0)
                return r;
        s->net_pending = true;
        log_debug("netavark setup of %s started (pid %d)", s->netns, (int)s->net_setup.pid);
        return 0;
}

int shim_net_wait(Shim *s, RossError *err)
{
        if (!s->net_pending)
                return 0;
        s->net_pending = false;
        _cleanup_free_ char *out = net_path(s, "0-start.status");
        int r = ross_netavark_finish(&s->net_setup, "setup", out, err);
        ross_child_done(&s->net_setup);
        if (r == 0)
                log_debug("netavark setup of %s done", s->netns);
        return r;
}

void shim_net_keep(Shim *s)
{
        if (!s->netns || s->exec_process || s->net_down)
                return;
        _cleanup_free_ char *dir = xasprintf("%s/net", s->dir);
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l < 6 || !STREQ(de->d_name + l - 5, ".json") || STREQ(de->d_name, "ports.json"))
                        continue;
                _cleanup_free_ char *in = xasprintf("%s/%s", dir, de->d_name);
                char *text = NULL;
                if (ross_read_file(in, 1024 * 1024, &text, NULL, NULL) < 0)
                        continue;
                s->net_down = xrealloc(s->net_down, (s->n_net_down + 1) * sizeof(char *));
                s->net_down[s->n_net_down++] = text;
        }
        if (!s->net_down)
                s->net_down = xcalloc(1, sizeof(char *)); /* kept: nothing to tear down */
        _cleanup_free_ char *leases = net_path(s, "leases");
        (void)ross_read_file(leases, 1024 * 1024, &s->net_leases, NULL, NULL);
}

void shim_net_teardown(Shim *s)
{
        if (!s->netns || s->exec_process)
                return;
        RossError err = {};
        if (s->net_pending)
                (void)shim_net_wait(s, &err);
        shim_net_keep(s);
        RossNetavark nv = netavark(s);
        for (size_t i = 0; i < s->n_net_down; i++) {
                err = (RossError){};
                if (ross_netavark_run_text(&nv, "teardown", s->netns, s->net_down[i], &err) < 0)
                        log_warn("%s", err.msg);
                else
                        log_debug("netavark teardown %zu of %zu done", i + 1, s->n_net_down);
                free(s->net_down[i]);
        }
        free(s->net_down);
        s->net_down = NULL;
        s->n_net_down = 0;
        /* the addresses go back whatever netavark said; the host ports after the rules
         * that pointed them at the container are gone */
        if (s->net_leases) {
                char *save = NULL;
                for (char *l = strtok_r(s->net_leases, "\n", &save); l;
                     l = strtok_r(NULL, "\n", &save))
                        unlink(l);
                free(s->net_leases);
                s->net_leases = NULL;
        }
        _cleanup_free_ char *dir = xasprintf("%s/net", s->dir);
        (void)ross_rm_rf(dir);
        for (size_t i = 0; i < s->n_hold; i++)
                s->hold_fd[i] = safe_close(s->hold_fd[i]);
        ross_netns_remove(s->netns);
}

/* Run argv in the container's network namespace (fork, setns, exec): 0 when it exits 0. */
static int run_in_netns(Shim *s, char *const argv[], const char *log_path, RossError *err)
{
        _cleanup_close_ int ns = open(s->netns, O_RDONLY | O_CLOEXEC);
        if (ns < 0)
                return ross_err(err, errno, "open the network namespace '%s'", s->netns);
        _cleanup_close_ int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        pid_t pid = fork();
        if (pid < 0)
                return ross_err(err, errno, "fork");
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                if (log >= 0) {
                        dup2(log, 1);
                        dup2(log, 2);
                }
                if (setns(ns, CLONE_NEWNET) < 0)
                        _exit(126);
                execvp(argv[0], argv);
                _exit(127);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return ross_errx(
                        err, EIO, "%s in the container's network namespace: %s (see %s)", argv[0],
                        WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "not found" : "failed", log_path);
        return 0;
}

int shim_net_tap(Shim *s, const char *ifname, int *ret_fd, RossError *err)
{
        /* ret_fd NULL: a persistent tap, for a VMM that opens it by its name (libkrun) */
        if (!s->netns)
                return ross_errx(err, EINVAL, "no network namespace for a tap");
        /* the tap is made in the container's namespace: enter it, open, come back (the shim
         * has one thread) */
        _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int target = open(s->netns, O_RDONLY | O_CLOEXEC);
        if (self < 0 || target < 0)
                return ross_err(err, errno, "open the network namespaces");
        if (setns(target, CLONE_NEWNET) < 0)
                return ross_err(err, errno, "enter the network namespace '%s'", s->netns);
        int r = 0;
        _cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "tap0");
        if (fd < 0)
                r = ross_err(err, errno, "open /dev/net/tun");
        else if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                r = ross_err(err, errno, "make the tap tap0");
        else if (!ret_fd && ioctl(fd, TUNSETPERSIST, 1) < 0)
                r = ross_err(err, errno, "make the tap tap0 persistent");
        if (r == 0) {
                _cleanup_close_ int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                struct ifreq up = {};
                snprintf(up.ifr_name, sizeof(up.ifr_name), "tap0");
                if (sk < 0 || ioctl(sk, SIOCGIFFLAGS, &up) < 0)
                        r = ross_err(err, errno, "tap0's flags");
                up.ifr_flags |= IFF_UP;
                if (r == 0 && ioctl(sk, SIOCSIFFLAGS, &up) < 0)
                        r = ross_err(err, errno, "bring tap0 up");
        }
        if (setns(self, CLONE_NEWNET) < 0) {
                /* never in the wrong namespace: nothing else could be trusted */
                log_error("cannot go back to the shim's network namespace: %s", strerror(errno));
                _exit(1);
        }
        if (r < 0)
                return r;
        /* everything that comes in on the container's interface goes to the VM, and what the
         * VM sends goes out of it (kata's tc redirect): the namespace's own stack never sees
         * the VM's traffic */
        _cleanup_free_ char *batch = xasprintf("%s/vm/tc.batch", s->dir);
        _cleanup_free_ char *text = xasprintf(
                "qdisc add dev %s ingress\n"
                "filter add dev %s parent ffff: protocol all u32 match u8 0 0 action mirred "
                "egress redirect dev tap0\n"
                "qdisc add dev tap0 ingress\n"
                "filter add dev tap0 parent ffff: protocol all u32 match u8 0 0 action mirred "
                "egress redirect dev %s\n",
                ifname, ifname, ifname);
        if ((r = ross_write_file_replace(batch, text, strlen(text), 0600, err)) < 0)
                return r;
        _cleanup_free_ char *log = xasprintf("%s/vm/tc.log", s->dir);
        char *argv[] = {(char *)"tc", (char *)"-batch", batch, NULL};
        if ((r = run_in_netns(s, argv, log, err)) < 0)
                return r;
        log_debug("tap0 in %s, redirected to and from %s", s->netns, ifname);
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 0;
}
