/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's network: lo up, and the NIC QEMU or libkrun gives a VM on a network
 * (virtio-net, eth0) with the address, prefix and gateway netavark's endpoint has on the host
 * side (the config's "net"); the MAC is the device's already. Plain ioctls: ross-init has
 * libc only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../basic/macros.h"
#include "../basic/parse.h"
#include "guest.h"

static int if_up(int sk, const char *name, RossError *err)
{
        struct ifreq ifr = {};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
        if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
                return ross_err(err, errno, "%s", name);
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)
                return ross_err(err, errno, "bring %s up", name);
        return 0;
}

static void set_sin(struct sockaddr *sa, uint32_t a)
{
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        memset(in, 0, sizeof(*in));
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(a);
}

int ross_guest_net_up(const char *spec, RossError *err)
{
        _cleanup_close_ int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sk < 0)
                return ross_err(err, errno, "socket");
        int r = if_up(sk, "lo", err);
        if (r < 0 || !spec || !*spec)
                return r;
        /* "a.b.c.d/prefix gateway" */
        char ip[16] = "", gw[16] = "";
        int prefix = -1;
        const char *slash = strchr(spec, '/');
        const char *sp = strchr(spec, ' ');
        if (!slash || slash - spec > 15 || !sp || sp < slash || sp - slash - 1 > 2 ||
            strlen(sp + 1) > 15)
                return ross_errx(err, EINVAL, "net \"%s\": not ADDRESS/PREFIX GATEWAY", spec);
        memcpy(ip, spec, (size_t)(slash - spec));
        char pfx[3] = "";
        memcpy(pfx, slash + 1, (size_t)(sp - slash - 1));
        snprintf(gw, sizeof(gw), "%s", sp + 1);
        struct in_addr a, g;
        if (inet_pton(AF_INET, ip, &a) != 1 || ross_parse_int(pfx, 0, 32, &prefix) < 0 ||
            (*gw && inet_pton(AF_INET, gw, &g) != 1))
                return ross_errx(err, EINVAL, "net \"%s\": not ADDRESS/PREFIX GATEWAY", spec);

        struct ifreq ifr = {};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
        set_sin(&ifr.ifr_addr, ntohl(a.s_addr));
        if (ioctl(sk, SIOCSIFADDR, &ifr) < 0)
                return ross_err(err, errno, "eth0: address %s (no virtio-net in the guest?)", ip);
        set_sin(&ifr.ifr_netmask, prefix == 0 ? 0 : UINT32_MAX << (32 - prefix));
        if (ioctl(sk, SIOCSIFNETMASK, &ifr) < 0)
                return ross_err(err, errno, "eth0: netmask /%d", prefix);
        if ((r = if_up(sk, "eth0", err)) < 0)
                return r;
        if (!*gw)
                return 0;
        struct rtentry rt = {.rt_flags = RTF_UP | RTF_GATEWAY, .rt_dev = (char *)"eth0"};
        set_sin(&rt.rt_dst, 0);
        set_sin(&rt.rt_genmask, 0);
        set_sin(&rt.rt_gateway, ntohl(g.s_addr));
        if (ioctl(sk, SIOCADDRT, &rt) < 0)
                return ross_err(err, errno, "eth0: the default route via %s", gw);
        return 0;
}
