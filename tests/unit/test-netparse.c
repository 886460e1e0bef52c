/* SPDX-License-Identifier: Apache-2.0 */
/* The network flags' syntax on the CLI's side (src/cli/netparse.c): -p, --expose, the
 * IPAM pairing of network create, --add-host, MAC and domain checks, natural order. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "cli/netparse.h"
#include "tap.h"

static char *dump(json_t *j)
{
        return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

static void publish_ok(const char *spec, const char *want_bindings, const char *want_exposed)
{
        json_auto_t *b = json_object(), *e = json_object();
        RossError err = {};
        int r = ross_cli_parse_publish(spec, b, e, &err);
        ok(r == 0, "-p %s (%s)", spec, err.msg);
        _cleanup_free_ char *sb = dump(b), *se = dump(e);
        is_str(sb, want_bindings, "-p %s: PortBindings", spec);
        if (want_exposed)
                is_str(se, want_exposed, "-p %s: ExposedPorts", spec);
}

static void publish_bad(const char *spec, const char *want)
{
        json_auto_t *b = json_object(), *e = json_object();
        RossError err = {};
        int r = ross_cli_parse_publish(spec, b, e, &err);
        ok(r == -EINVAL && strstr(err.msg, want), "-p %s refused: %s", spec, err.msg);
}

static void test_publish(void)
{
        publish_ok("80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}", "{\"80/tcp\":{}}");
        publish_ok("8080:80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}", NULL);
        publish_ok("127.0.0.1:8080:80/udp",
                   "{\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"}]}",
                   "{\"80/udp\":{}}");
        publish_ok("127.0.0.1::80", "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}",
                   NULL);
        publish_ok("53/SCTP", "{\"53/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}", NULL);
        publish_ok("80/", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}", NULL);
        publish_ok("[::1]:8080:80", "{\"80/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"8080\"}]}",
                   NULL);
        publish_ok("[::]::80", "{\"80/tcp\":[{\"HostIp\":\"::\",\"HostPort\":\"\"}]}", NULL);
        /* Docker takes an IPv6 address without brackets too: everything before HOST:CTR */
        publish_ok("fe80::1:8080:80",
                   "{\"80/tcp\":[{\"HostIp\":\"fe80::1\",\"HostPort\":\"8080\"}]}", NULL);
        publish_ok("8000-8001:80-81/udp",
                   "{\"80/udp\":[{\"HostIp\":\"\",\"HostPort\":\"8000\"}],"
                   "\"81/udp\":[{\"HostIp\":\"\",\"HostPort\":\"8001\"}]}",
                   "{\"80/udp\":{},\"81/udp\":{}}");
        publish_ok("8000-8010:80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8000-8010\"}]}",
                   "{\"80/tcp\":{}}");
        publish_ok("80-82",
                   "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],"
                   "\"81/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],"
                   "\"82/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}",
                   NULL);
        publish_ok("08080:080", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}", NULL);

        /* two -p for one port: two bindings */
        json_auto_t *b = json_object(), *e = json_object();
        ok(ross_cli_parse_publish("8080:80", b, e, NULL) == 0 &&
                   ross_cli_parse_publish("127.0.0.1:8081:80", b, e, NULL) == 0,
           "-p 8080:80 -p 127.0.0.1:8081:80");
        _cleanup_free_ char *s = dump(b);
        is_str(s,
               "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},"
               "{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8081\"}]}",
               "... both bindings of 80/tcp");

        publish_bad("0", "invalid container port '0'");
        publish_bad("65536", "invalid container port '65536'");
        publish_bad("0:80", "invalid host port '0'");
        publish_bad("70000:80", "invalid host port '70000'");
        publish_bad("", "no container port");
        publish_bad("8080:", "no container port");
        publish_bad("/tcp", "no container port");
        publish_bad("http", "invalid container port 'http'");
        publish_bad("-80", "invalid container port '-80'");
        publish_bad("90-80", "invalid container port '90-80'");
        publish_bad("80-90-100", "invalid container port");
        publish_bad("80/icmp", "unknown protocol 'icmp'");
        publish_bad("80/tcp/x", "unknown protocol 'tcp/x'");
        publish_bad("8000-8001:80-82", "ranges of different lengths");
        publish_bad("8000:80-81", "ranges of different lengths");
        publish_bad("1:2:3:4", "invalid IP address '1:2'");
        publish_bad("300.1.1.1:80:80", "invalid IP address '300.1.1.1'");
        publish_bad("localhost:80:80", "invalid IP address 'localhost'");
        publish_bad("[::1:8080:80", "invalid IP address '[::1'");
        publish_bad("[nope]:8080:80", "invalid IP address 'nope'");
        publish_bad(" 80", "invalid container port");
}

static void test_expose(void)
{
        json_auto_t *e = json_object();
        RossError err = {};
        ok(ross_cli_parse_expose("80", e, &err) == 0 &&
                   ross_cli_parse_expose("53/udp", e, &err) == 0 &&
                   ross_cli_parse_expose("9000-9002/TCP", e, &err) == 0,
           "--expose 80, 53/udp, 9000-9002/TCP (%s)", err.msg);
        _cleanup_free_ char *s = dump(e);
        is_str(s, "{\"53/udp\":{},\"80/tcp\":{},\"9000/tcp\":{},\"9001/tcp\":{},\"9002/tcp\":{}}",
               "... all in ExposedPorts");
        ok(ross_cli_parse_expose("8080:80", e, &err) == -EINVAL, "--expose 8080:80 refused: %s",
           err.msg);
        ok(ross_cli_parse_expose("0", e, &err) == -EINVAL, "--expose 0 refused: %s", err.msg);
        ok(ross_cli_parse_expose("80/gre", e, &err) == -EINVAL, "--expose 80/gre refused: %s",
           err.msg);

        _cleanup_free_ char *k1 = NULL, *k2 = NULL, *k3 = NULL;
        ok(ross_cli_port_key("80", &k1, NULL) == 0 && STREQ(k1, "80/tcp"), "port 80 is 80/tcp");
        ok(ross_cli_port_key("53/UDP", &k2, NULL) == 0 && STREQ(k2, "53/udp"), "53/UDP is 53/udp");
        ok(ross_cli_port_key("80-81", &k3, &err) == -EINVAL && !k3, "no range for port: %s",
           err.msg);
}

static void test_ip(void)
{
        ok(ross_cli_ip_valid("10.0.0.1", AF_INET), "10.0.0.1 is IPv4");
        ok(!ross_cli_ip_valid("10.0.0.1", AF_INET6), "... and not IPv6");
        ok(ross_cli_ip_valid("fd00::1", AF_INET6) && ross_cli_ip_valid("fd00::1", AF_UNSPEC),
           "fd00::1 is IPv6");
        ok(!ross_cli_ip_valid("fd00::1", AF_INET), "... and not IPv4");
        ok(!ross_cli_ip_valid("", AF_UNSPEC) && !ross_cli_ip_valid(NULL, AF_UNSPEC) &&
                   !ross_cli_ip_valid("10.0.0", AF_UNSPEC) &&
                   !ross_cli_ip_valid("10.0.0.256", AF_UNSPEC) &&
                   !ross_cli_ip_valid("fe80::1%eth0", AF_UNSPEC) &&
                   !ross_cli_ip_valid("[::1]", AF_UNSPEC) &&
                   !ross_cli_ip_valid("10.0.0.1/24", AF_UNSPEC),
           "not addresses: '', 10.0.0, 10.0.0.256, a zone, brackets, a prefix");

        RossCidr c;
        ok(ross_cli_cidr_parse("10.10.0.0/16", &c) == 0 && c.family == AF_INET && c.prefix == 16,
           "10.10.0.0/16");
        ok(ross_cli_cidr_contains(&c, "10.10.255.1") && ross_cli_cidr_contains(&c, "10.10.3.0/24"),
           "... holds 10.10.255.1 and 10.10.3.0/24");
        ok(!ross_cli_cidr_contains(&c, "10.11.0.1") && !ross_cli_cidr_contains(&c, "fd00::1") &&
                   !ross_cli_cidr_contains(&c, "nope"),
           "... not 10.11.0.1, fd00::1, nope");
        ok(ross_cli_cidr_parse("10.10.0.0/20", &c) == 0 &&
                   ross_cli_cidr_contains(&c, "10.10.15.9") &&
                   !ross_cli_cidr_contains(&c, "10.10.16.0"),
           "/20: 10.10.15.9 in, 10.10.16.0 out");
        ok(ross_cli_cidr_parse("fd00:10::/64", &c) == 0 && c.family == AF_INET6 &&
                   ross_cli_cidr_contains(&c, "fd00:10::5") &&
                   !ross_cli_cidr_contains(&c, "fd00:11::5"),
           "fd00:10::/64");
        ok(ross_cli_cidr_parse("0.0.0.0/0", &c) == 0 && ross_cli_cidr_contains(&c, "1.2.3.4"),
           "0.0.0.0/0 holds every IPv4 address");
        ok(ross_cli_cidr_parse("10.0.0.0", &c) < 0 && ross_cli_cidr_parse("10.0.0.0/33", &c) < 0 &&
                   ross_cli_cidr_parse("10.0.0.0/", &c) < 0 &&
                   ross_cli_cidr_parse("10.0.0.0/-1", &c) < 0 &&
                   ross_cli_cidr_parse("fd00::/129", &c) < 0 &&
                   ross_cli_cidr_parse("x/8", &c) < 0 &&
                   ross_cli_cidr_parse("10.0.0.0/8\n", &c) < 0,
           "not CIDRs: no prefix, /33, /, /-1, /129, x/8, a newline");

        _cleanup_free_ char *j4 = ross_cli_join_host_port("0.0.0.0", "8080");
        _cleanup_free_ char *j6 = ross_cli_join_host_port("::", "8080");
        _cleanup_free_ char *j0 = ross_cli_join_host_port("", "8080");
        is_str(j4, "0.0.0.0:8080", "join 0.0.0.0");
        is_str(j6, "[::]:8080", "join :: in brackets");
        is_str(j0, ":8080", "join no host");
}

static json_t *strs(const char *a, const char *b)
{
        json_t *j = json_array();
        if (a)
                json_array_append_new(j, json_string(a));
        if (b)
                json_array_append_new(j, json_string(b));
        return j;
}

static void ipam_ok(json_t *sn, json_t *rg, json_t *gw, const char *want)
{
        json_auto_t *s = sn, *r = rg, *g = gw, *out = NULL;
        RossError err = {};
        int rc = ross_cli_ipam_config(s, r, g, &out, &err);
        ok(rc == 0, "IPAM config (%s)", err.msg);
        _cleanup_free_ char *d = out ? dump(out) : NULL;
        is_str(d, want, "... is %s", want);
}

static void ipam_bad(json_t *sn, json_t *rg, json_t *gw, const char *want)
{
        json_auto_t *s = sn, *r = rg, *g = gw, *out = NULL;
        RossError err = {};
        int rc = ross_cli_ipam_config(s, r, g, &out, &err);
        ok(rc == -EINVAL && !out && strstr(err.msg, want), "refused: %s", err.msg);
}

static void test_ipam(void)
{
        ipam_ok(strs(NULL, NULL), strs(NULL, NULL), strs(NULL, NULL), "[]");
        ipam_ok(strs("10.10.0.0/16", NULL), strs(NULL, NULL), strs(NULL, NULL),
                "[{\"Subnet\":\"10.10.0.0/16\"}]");
        ipam_ok(strs("10.10.0.0/16", NULL), strs("10.10.5.0/24", NULL), strs("10.10.0.1", NULL),
                "[{\"Gateway\":\"10.10.0.1\",\"IPRange\":\"10.10.5.0/24\",\"Subnet\":"
                "\"10.10.0.0/16\"}]");
        /* each to the subnet that holds it, whatever the order */
        ipam_ok(strs("10.10.0.0/16", "fd00:10::/64"), strs(NULL, NULL),
                strs("fd00:10::1", "10.10.0.254"),
                "[{\"Gateway\":\"10.10.0.254\",\"Subnet\":\"10.10.0.0/16\"},"
                "{\"Gateway\":\"fd00:10::1\",\"Subnet\":\"fd00:10::/64\"}]");

        ipam_bad(strs(NULL, NULL), strs(NULL, NULL), strs("10.0.0.1", NULL),
                 "must have a corresponding subnet");
        ipam_bad(strs("10.0.0.0/24", NULL), strs("10.0.0.0/25", "10.0.0.128/25"), strs(NULL, NULL),
                 "must have a corresponding subnet");
        ipam_bad(strs("10.0.0.0", NULL), strs(NULL, NULL), strs(NULL, NULL),
                 "invalid subnet '10.0.0.0'");
        ipam_bad(strs("10.0.0.0/16", "10.0.5.0/24"), strs(NULL, NULL), strs(NULL, NULL),
                 "overlapping");
        ipam_bad(strs("10.0.5.0/24", "10.0.0.0/16"), strs(NULL, NULL), strs(NULL, NULL),
                 "overlapping");
        ipam_bad(strs("10.0.0.0/16", NULL), strs(NULL, NULL), strs("10.1.0.1", NULL),
                 "no matching subnet for gateway 10.1.0.1");
        ipam_bad(strs("10.0.0.0/16", NULL), strs("10.1.0.0/24", NULL), strs(NULL, NULL),
                 "no matching subnet for range 10.1.0.0/24");
        ipam_bad(strs("10.0.0.0/16", "10.1.0.0/16"), strs(NULL, NULL), strs("10.0.0.1", "10.0.0.2"),
                 "multiple gateways (10.0.0.2, 10.0.0.1)");
        ipam_bad(strs("10.0.0.0/16", NULL), strs(NULL, NULL), strs("gw", NULL),
                 "invalid gateway 'gw'");
        ipam_bad(strs("10.0.0.0/16", NULL), strs("10.0.1.0", NULL), strs(NULL, NULL),
                 "invalid ip-range '10.0.1.0'");
}

static void host_ok(const char *arg, const char *want)
{
        _cleanup_free_ char *out = NULL;
        RossError err = {};
        ok(ross_cli_parse_extra_host(arg, &out, &err) == 0, "--add-host %s (%s)", arg, err.msg);
        is_str(out, want, "... is %s", want);
}

static void host_bad(const char *arg, const char *want)
{
        _cleanup_free_ char *out = NULL;
        RossError err = {};
        ok(ross_cli_parse_extra_host(arg, &out, &err) == -EINVAL && !out && strstr(err.msg, want),
           "--add-host %s refused: %s", arg, err.msg);
}

static void test_misc(void)
{
        host_ok("db:10.0.0.5", "db:10.0.0.5");
        host_ok("db=10.0.0.5", "db:10.0.0.5");
        host_ok("v6:fd00::5", "v6:fd00::5");
        host_ok("v6=[fd00::5]", "v6:fd00::5");
        host_ok("v6:[::1]", "v6:::1");
        host_ok("gw:host-gateway", "gw:host-gateway");
        host_bad("db", "not NAME:IP");
        host_bad(":10.0.0.5", "not NAME:IP");
        host_bad("=10.0.0.5", "not NAME:IP");
        host_bad("db:", "invalid IP address ''");
        host_bad("db:localhost", "invalid IP address 'localhost'");
        host_bad("a:b=10.0.0.1", "not NAME:IP");

        ok(ross_cli_mac_valid("02:42:ac:11:00:02") && ross_cli_mac_valid("02-42-AC-11-00-02"),
           "MACs with : and -");
        ok(!ross_cli_mac_valid("02:42:ac:11:00") && !ross_cli_mac_valid("02:42-ac:11:00:02") &&
                   !ross_cli_mac_valid("02:42:ac:11:00:0g") && !ross_cli_mac_valid("") &&
                   !ross_cli_mac_valid("02:42:ac:11:00:02:"),
           "not MACs: short, mixed separators, not hex, empty, trailing ':'");

        ok(ross_cli_domain_valid("example.com") && ross_cli_domain_valid("example.com.") &&
                   ross_cli_domain_valid(".") && ross_cli_domain_valid("a") &&
                   ross_cli_domain_valid("my-corp.internal"),
           "search domains");
        ok(!ross_cli_domain_valid("") && !ross_cli_domain_valid("-a.com") &&
                   !ross_cli_domain_valid("a-.com") && !ross_cli_domain_valid("a..com") &&
                   !ross_cli_domain_valid("a_b.com") && !ross_cli_domain_valid("..") &&
                   !ross_cli_domain_valid(".com"),
           "not search domains");

        ok(ross_cli_natural_cmp("net2", "net10") < 0, "net2 before net10");
        ok(ross_cli_natural_cmp("bridge", "host") < 0 && ross_cli_natural_cmp("host", "bridge") > 0,
           "bridge before host");
        ok(ross_cli_natural_cmp("a", "a") == 0 && ross_cli_natural_cmp("a", "ab") < 0,
           "equal, prefix first");
        ok(ross_cli_natural_cmp("n1", "nx") < 0, "digits before letters");
        ok(ross_cli_natural_cmp("n01", "n1") > 0 && ross_cli_natural_cmp("n1", "n01") < 0,
           "fewer leading zeros first");
        ok(ross_cli_natural_cmp("80/tcp -> 0.0.0.0:8080", "443/tcp -> 0.0.0.0:8443") < 0,
           "port 80 before 443");
}

int main(void)
{
        test_publish();
        test_expose();
        test_ip();
        test_ipam();
        test_misc();
        return tap_done();
}
