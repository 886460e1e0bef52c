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
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../net/netavark-run.h"
#include "../net/netns.h"
#include "shim-internal.h"

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

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

void shim_net_teardown(Shim *s)
{
        if (!s->netns || s->exec_process)
                return;
        RossError err = {};
        if (s->net_pending)
                (void)shim_net_wait(s, &err);
        _cleanup_free_ char *dir = xasprintf("%s/net", s->dir);
        RossNetavark nv = netavark(s);
        {
                _cleanup_(closedirp) DIR *d = opendir(dir);
                struct dirent *de;
                while (d && (de = readdir(d))) {
                        size_t l = strlen(de->d_name);
                        if (l < 6 || !STREQ(de->d_name + l - 5, ".json") ||
                            STREQ(de->d_name, "ports.json"))
                                continue;
                        _cleanup_free_ char *in = xasprintf("%s/%s", dir, de->d_name);
                        _cleanup_free_ char *out = xasprintf("%s.down", in);
                        err = (RossError){};
                        if (ross_netavark_run(&nv, "teardown", s->netns, in, out, &err) < 0)
                                log_warn("%s", err.msg);
                        else
                                log_debug("netavark teardown of %s done", de->d_name);
                }
        }
        /* the addresses go back whatever netavark said */
        _cleanup_free_ char *leases = net_path(s, "leases");
        _cleanup_free_ char *text = NULL;
        if (ross_read_file(leases, 1024 * 1024, &text, NULL, NULL) == 0) {
                char *save = NULL;
                for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        unlink(l);
        }
        (void)ross_rm_rf(dir);
        for (size_t i = 0; i < s->n_hold; i++)
                s->hold_fd[i] = safe_close(s->hold_fd[i]);
        ross_netns_remove(s->netns);
}
