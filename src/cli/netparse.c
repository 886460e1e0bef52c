/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <ctype.h>
#include <sys/socket.h>

#include "../basic/buf.h"
#include "../basic/parse.h"
#include "netparse.h"

static bool proto_valid(const char *p)
{
        return STREQ(p, "tcp") || STREQ(p, "udp") || STREQ(p, "sctp");
}

/* "80" or "80-90" (1-65535, the end not before the start) */
static int parse_port_range(const char *s, int *ret_start, int *ret_end)
{
        const char *dash = strchr(s, '-');
        int start, end;
        if (!dash) {
                if (ross_parse_int(s, 1, 65535, &start) < 0)
                        return -EINVAL;
                *ret_start = *ret_end = start;
                return 0;
        }
        _cleanup_free_ char *first = xstrndup(s, (size_t)(dash - s));
        if (ross_parse_int(first, 1, 65535, &start) < 0 ||
            ross_parse_int(dash + 1, 1, 65535, &end) < 0 || end < start)
                return -EINVAL;
        *ret_start = start;
        *ret_end = end;
        return 0;
}

/* Cut "/PROTO" off port (in place) and lower-case it into *ret_proto: "tcp" when there is
 * none or it is empty, as Docker's SplitProtoPort. */
static int split_proto(char *port, const char **ret_proto, RossError *err)
{
        char *slash = strchr(port, '/');
        *ret_proto = "tcp";
        if (!slash)
                return 0;
        *slash = '\0';
        char *proto = slash + 1;
        if (!*proto)
                return 0;
        for (char *p = proto; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        if (!proto_valid(proto))
                return ross_errx(err, EINVAL, "unknown protocol '%s' (tcp, udp or sctp)", proto);
        *ret_proto = proto;
        return 0;
}

int ross_cli_parse_publish(const char *spec, json_t *bindings, json_t *exposed, RossError *err)
{
        _cleanup_free_ char *copy = xstrdup(spec);
        char *ip = NULL, *host = NULL, *ctr = copy;
        const char *proto;
        int r;

        /* the container port is after the last ':', the host port before it and the IP
         * (which may have colons of its own) is what is left, as Docker's splitParts */
        char *last = strrchr(copy, ':');
        if (last) {
                *last = '\0';
                ctr = last + 1;
                char *prev = strrchr(copy, ':');
                if (prev) {
                        *prev = '\0';
                        ip = copy;
                        host = prev + 1;
                } else
                        host = copy;
        }
        if (ip && ip[0] == '[') {
                size_t n = strlen(ip);
                if (n < 2 || ip[n - 1] != ']')
                        return ross_errx(err, EINVAL, "invalid IP address '%s'", ip);
                ip[n - 1] = '\0';
                ip++;
        }
        if (ip && *ip && !ross_cli_ip_valid(ip, AF_UNSPEC))
                return ross_errx(err, EINVAL, "invalid IP address '%s'", ip);
        if ((r = split_proto(ctr, &proto, err)) < 0)
                return r;
        if (!*ctr)
                return ross_errx(err, EINVAL, "no container port");
        int cstart, cend, hstart = 0, hend = 0;
        if (parse_port_range(ctr, &cstart, &cend) < 0)
                return ross_errx(err, EINVAL,
                                 "invalid container port '%s' (1-65535, or a range such as 80-90)",
                                 ctr);
        bool has_host = host && *host;
        if (has_host && parse_port_range(host, &hstart, &hend) < 0)
                return ross_errx(err, EINVAL,
                                 "invalid host port '%s' (1-65535, or a range such as 8000-8010)",
                                 host);
        /* a host range with one container port is where the daemon picks the host port */
        if (has_host && cend - cstart != hend - hstart && cstart != cend)
                return ross_errx(err, EINVAL,
                                 "the host ports %s and the container ports %s are ranges of "
                                 "different lengths",
                                 host, ctr);

        for (int i = 0; i <= cend - cstart; i++) {
                _cleanup_free_ char *key = xasprintf("%d/%s", cstart + i, proto);
                _cleanup_free_ char *hp = NULL;
                if (!has_host)
                        hp = xstrdup("");
                else if (cstart == cend && hstart != hend)
                        hp = xasprintf("%d-%d", hstart, hend);
                else
                        hp = xasprintf("%d", hstart + i);
                json_t *list = json_object_get(bindings, key);
                if (!json_is_array(list))
                        json_object_set_new(bindings, key, list = json_array());
                json_array_append_new(
                        list, json_pack("{s:s, s:s}", "HostIp", ip ? ip : "", "HostPort", hp));
                json_object_set_new(exposed, key, json_object());
        }
        return 0;
}

int ross_cli_parse_expose(const char *spec, json_t *exposed, RossError *err)
{
        _cleanup_free_ char *copy = xstrdup(spec);
        const char *proto;
        int start, end, r;

        if (strchr(copy, ':'))
                return ross_errx(err, EINVAL, "a port to expose has no host part (PORT[/PROTO])");
        if ((r = split_proto(copy, &proto, err)) < 0)
                return r;
        if (parse_port_range(copy, &start, &end) < 0)
                return ross_errx(err, EINVAL,
                                 "invalid port '%s' (1-65535, or a range such as 80-90)", copy);
        for (int p = start; p <= end; p++) {
                _cleanup_free_ char *key = xasprintf("%d/%s", p, proto);
                json_object_set_new(exposed, key, json_object());
        }
        return 0;
}

int ross_cli_port_key(const char *spec, char **ret, RossError *err)
{
        _cleanup_free_ char *copy = xstrdup(spec);
        const char *proto;
        int port, r;

        if ((r = split_proto(copy, &proto, err)) < 0)
                return r;
        if (ross_parse_int(copy, 1, 65535, &port) < 0)
                return ross_errx(err, EINVAL, "invalid port '%s' (1-65535)", copy);
        *ret = xasprintf("%d/%s", port, proto);
        return 0;
}

bool ross_cli_ip_valid(const char *s, int family)
{
        unsigned char buf[16];
        if (STR_EMPTY(s))
                return false;
        if (family != AF_INET6 && inet_pton(AF_INET, s, buf) == 1)
                return true;
        return family != AF_INET && inet_pton(AF_INET6, s, buf) == 1;
}

/* The address part of "ADDRESS" or "ADDRESS/PREFIX" in family into buf. */
static bool parse_addr(const char *s, int family, unsigned char *buf)
{
        const char *slash = strchr(s, '/');
        _cleanup_free_ char *a = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
        return inet_pton(family, a, buf) == 1;
}

int ross_cli_cidr_parse(const char *s, RossCidr *ret)
{
        RossCidr c = {};
        int prefix;
        const char *slash = s ? strchr(s, '/') : NULL;
        if (!slash)
                return -EINVAL;
        if (parse_addr(s, AF_INET, c.addr))
                c.family = AF_INET;
        else if (parse_addr(s, AF_INET6, c.addr))
                c.family = AF_INET6;
        else
                return -EINVAL;
        if (ross_parse_int(slash + 1, 0, c.family == AF_INET ? 32 : 128, &prefix) < 0 ||
            strchr(slash + 1, '\n'))
                return -EINVAL;
        c.prefix = (unsigned)prefix;
        *ret = c;
        return 0;
}

bool ross_cli_cidr_contains(const RossCidr *net, const char *s)
{
        unsigned char a[16];
        if (!parse_addr(s, net->family, a))
                return false;
        unsigned full = net->prefix / 8, rest = net->prefix % 8;
        if (memcmp(a, net->addr, full) != 0)
                return false;
        if (!rest)
                return true;
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        return (a[full] & mask) == (net->addr[full] & mask);
}

/* The index of the one subnet that holds s, or -1. */
static ssize_t subnet_of(const RossCidr *nets, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (ross_cli_cidr_contains(&nets[i], s))
                        return (ssize_t)i;
        return -1;
}

/* Put each of values (ranges or gateways) as field of the config of the subnet that
 * holds it. */
static int pair_with_subnets(json_t *config, const RossCidr *nets, json_t *values,
                             const char *field, const char *what, RossError *err)
{
        size_t i;
        json_t *v;
        json_array_foreach (values, i, v) {
                const char *s = json_string_value(v);
                ssize_t k = subnet_of(nets, json_array_size(config), s);
                if (k < 0)
                        return ross_errx(err, EINVAL, "no matching subnet for %s %s", what, s);
                json_t *cfg = json_array_get(config, (size_t)k);
                const char *had = json_string_value(json_object_get(cfg, field));
                if (had)
                        return ross_errx(err, EINVAL,
                                         "cannot configure multiple %ss (%s, %s) for the same "
                                         "subnet (%s)",
                                         what, s, had,
                                         json_string_value(json_object_get(cfg, "Subnet")));
                json_object_set_new(cfg, field, json_string(s));
        }
        return 0;
}

int ross_cli_ipam_config(json_t *subnets, json_t *ranges, json_t *gateways, json_t **ret,
                         RossError *err)
{
        size_t n = json_array_size(subnets), i;
        json_auto_t *config = json_array();
        _cleanup_free_ RossCidr *nets = xcalloc(n ? n : 1, sizeof(RossCidr));
        json_t *v;
        int r;

        if (n < json_array_size(ranges) || n < json_array_size(gateways))
                return ross_errx(err, EINVAL,
                                 "every ip-range or gateway must have a corresponding subnet");
        json_array_foreach (subnets, i, v) {
                const char *s = json_string_value(v);
                if (ross_cli_cidr_parse(s, &nets[i]) < 0)
                        return ross_errx(err, EINVAL,
                                         "invalid subnet '%s' (ADDRESS/PREFIX, such as "
                                         "10.10.0.0/16 or fd00:10::/64)",
                                         s);
                for (size_t k = 0; k < i; k++)
                        if (ross_cli_cidr_contains(&nets[k], s) ||
                            ross_cli_cidr_contains(&nets[i],
                                                   json_string_value(json_array_get(subnets, k))))
                                return ross_errx(err, EINVAL,
                                                 "multiple overlapping subnet configuration is "
                                                 "not supported (%s, %s)",
                                                 json_string_value(json_array_get(subnets, k)), s);
                json_array_append_new(config, json_pack("{s:s}", "Subnet", s));
        }
        json_array_foreach (ranges, i, v) {
                RossCidr c;
                if (ross_cli_cidr_parse(json_string_value(v), &c) < 0)
                        return ross_errx(err, EINVAL, "invalid ip-range '%s' (ADDRESS/PREFIX)",
                                         json_string_value(v));
        }
        json_array_foreach (gateways, i, v) {
                if (!ross_cli_ip_valid(json_string_value(v), AF_UNSPEC))
                        return ross_errx(err, EINVAL, "invalid gateway '%s' (an IP address)",
                                         json_string_value(v));
        }
        if ((r = pair_with_subnets(config, nets, ranges, "IPRange", "range", err)) < 0 ||
            (r = pair_with_subnets(config, nets, gateways, "Gateway", "gateway", err)) < 0)
                return r;
        *ret = TAKE_PTR(config);
        return 0;
}

int ross_cli_parse_extra_host(const char *arg, char **ret, RossError *err)
{
        /* NAME=IP first, then NAME:IP cut at the first ':' (an IPv6 address has more) */
        const char *sep = strchr(arg, '=');
        if (!sep)
                sep = strchr(arg, ':');
        if (!sep || sep == arg || memchr(arg, ':', (size_t)(sep - arg)))
                return ross_errx(err, EINVAL, "not NAME:IP (or NAME=IP)");
        _cleanup_free_ char *name = xstrndup(arg, (size_t)(sep - arg));
        _cleanup_free_ char *ip = xstrdup(sep + 1);
        size_t n = strlen(ip);
        if (!STREQ(ip, "host-gateway")) {
                if (n > 2 && ip[0] == '[' && ip[n - 1] == ']') {
                        memmove(ip, ip + 1, n - 2);
                        ip[n - 2] = '\0';
                }
                if (!ross_cli_ip_valid(ip, AF_UNSPEC))
                        return ross_errx(err, EINVAL,
                                         "invalid IP address '%s' (an IP address or "
                                         "host-gateway)",
                                         ip);
        }
        *ret = xasprintf("%s:%s", name, ip);
        return 0;
}

bool ross_cli_mac_valid(const char *s)
{
        if (!s || strlen(s) != 17)
                return false;
        char sep = s[2];
        if (sep != ':' && sep != '-')
                return false;
        for (size_t i = 0; i < 17; i++) {
                if (i % 3 == 2) {
                        if (s[i] != sep)
                                return false;
                } else if (!isxdigit((unsigned char)s[i]))
                        return false;
        }
        return true;
}

bool ross_cli_domain_valid(const char *s)
{
        if (!s)
                return false;
        size_t n = strlen(s);
        if (STREQ(s, "."))
                return true;
        if (n == 0 || n > 255)
                return false;
        if (s[n - 1] == '.')
                n--;
        /* labels: letters, digits and inner hyphens, separated by single dots */
        size_t start = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && s[i] != '.') {
                        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                                return false;
                        continue;
                }
                if (i == start || s[start] == '-' || s[i - 1] == '-')
                        return false;
                start = i + 1;
        }
        return true;
}

char *ross_cli_join_host_port(const char *host, const char *port)
{
        return strchr(host, ':') ? xasprintf("[%s]:%s", host, port)
                                 : xasprintf("%s:%s", host, port);
}

int ross_cli_natural_cmp(const char *a, const char *b)
{
        size_t i = 0, j = 0, la = strlen(a), lb = strlen(b);
        while (i < la && j < lb) {
                bool da = isdigit((unsigned char)a[i]), db = isdigit((unsigned char)b[j]);
                if (da != db)
                        return da ? -1 : 1; /* digits before anything else */
                if (!da) {
                        if (a[i] != b[j])
                                return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
                        i++;
                        j++;
                        continue;
                }
                /* numbers: by value (length without leading zeros, then digits), then the
                 * one with fewer leading zeros first */
                size_t za = i, zb = j;
                while (za < la && a[za] == '0')
                        za++;
                while (zb < lb && b[zb] == '0')
                        zb++;
                size_t ea = za, eb = zb;
                while (ea < la && isdigit((unsigned char)a[ea]))
                        ea++;
                while (eb < lb && isdigit((unsigned char)b[eb]))
                        eb++;
                if (ea - za != eb - zb)
                        return ea - za < eb - zb ? -1 : 1;
                int c = memcmp(a + za, b + zb, ea - za);
                if (c)
                        return c;
                if (za - i != zb - j)
                        return za - i < zb - j ? -1 : 1;
                i = ea;
                j = eb;
        }
        if (la - i == lb - j)
                return 0;
        return la - i < lb - j ? -1 : 1;
}
