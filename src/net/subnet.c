/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../basic/parse.h"
#include "subnet.h"

int ross_ip4_parse(const char *s, uint32_t *ret)
{
        struct in_addr a;
        /* inet_pton takes exactly four decimal parts, no leading zeros */
        if (!s || inet_pton(AF_INET, s, &a) != 1)
                return -EINVAL;
        *ret = ntohl(a.s_addr);
        return 0;
}

char *ross_ip4_format(uint32_t a, char buf[static 16])
{
        snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
        return buf;
}

uint32_t ross_subnet_mask(const RossSubnet *s)
{
        return s->prefix == 0 ? 0 : UINT32_MAX << (32 - s->prefix);
}

int ross_ip4_prefix_parse(const char *s, uint32_t *ret_addr, unsigned *ret_prefix)
{
        const char *slash = s ? strchr(s, '/') : NULL;
        if (!slash || slash - s > 15)
                return -EINVAL;
        char ip[16];
        memcpy(ip, s, (size_t)(slash - s));
        ip[slash - s] = '\0';
        int prefix;
        uint32_t a;
        if (ross_ip4_parse(ip, &a) < 0 || ross_parse_int(slash + 1, 0, 32, &prefix) < 0)
                return -EINVAL;
        *ret_addr = a;
        *ret_prefix = (unsigned)prefix;
        return 0;
}

int ross_subnet_parse(const char *s, RossSubnet *ret)
{
        RossSubnet n;
        if (ross_ip4_prefix_parse(s, &n.addr, &n.prefix) < 0)
                return -EINVAL;
        if ((n.addr & ~ross_subnet_mask(&n)) != 0)
                return -EDOM;
        *ret = n;
        return 0;
}

char *ross_subnet_format(const RossSubnet *s, char buf[static 19])
{
        char ip[16];
        snprintf(buf, 19, "%s/%u", ross_ip4_format(s->addr, ip), s->prefix);
        return buf;
}

bool ross_subnet_contains(const RossSubnet *s, uint32_t a)
{
        return (a & ross_subnet_mask(s)) == s->addr;
}

bool ross_subnet_overlaps(const RossSubnet *a, const RossSubnet *b)
{
        return ross_subnet_contains(a, b->addr) || ross_subnet_contains(b, a->addr);
}

uint32_t ross_subnet_first(const RossSubnet *s)
{
        return s->prefix >= 31 ? s->addr : s->addr + 1;
}

uint32_t ross_subnet_last(const RossSubnet *s)
{
        uint32_t bcast = s->addr | ~ross_subnet_mask(s);
        return s->prefix >= 31 ? bcast : bcast - 1;
}
