/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's side of the network numbers: IPv4 addresses with a prefix and subnets
 * (src/net/subnet.c), port keys and MAC addresses of the container config
 * (src/container/netconfig.c). */
#include "container/netconfig.h"
#include "net/subnet.h"
#include "tap.h"

static void test_prefix(void)
{
        uint32_t a = 7;
        unsigned p = 7;
        ok(ross_ip4_prefix_parse("172.17.0.5/16", &a, &p) == 0 && a == 0xac110005 && p == 16,
           "172.17.0.5/16: an interface address, host bits set");
        ok(ross_ip4_prefix_parse("0.0.0.0/0", &a, &p) == 0 && a == 0 && p == 0, "0.0.0.0/0");
        ok(ross_ip4_prefix_parse("10.0.0.1/32", &a, &p) == 0 && p == 32, "/32");
        a = p = 7;
        static const char *const bad[] = {
                "172.17.0.5",
                "172.17.0.5/",
                "172.17.0.5/33",
                "172.17.0.5/-1",
                "172.17.0.5/+8",
                "172.17.0.5/16x",
                "172.17.0.5/ 8",
                "172.17.0/16",
                "/16",
                "172.17.0.256/16",
                "x/8",
                "",
                "172.17.0.5/1e1",
                "1234567890123456/8",
        };
        bool all = true;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (ross_ip4_prefix_parse(bad[i], &a, &p) != -EINVAL) {
                        printf("# taken: '%s'\n", bad[i]);
                        all = false;
                }
        ok(all && a == 7 && p == 7, "not an address/prefix: refused, outputs untouched");
        ok(ross_ip4_prefix_parse(NULL, &a, &p) == -EINVAL, "NULL is refused");

        RossSubnet s;
        ok(ross_subnet_parse("172.17.0.0/16", &s) == 0 && s.addr == 0xac110000 && s.prefix == 16,
           "subnet 172.17.0.0/16");
        ok(ross_subnet_parse("172.17.0.5/16", &s) == -EDOM, "a subnet with host bits: -EDOM");
        ok(ross_subnet_parse("172.17.0.0/abc", &s) == -EINVAL, "a subnet with a bad prefix");
}

static void test_port(void)
{
        int port = 7;
        char proto[8] = "none";
        ok(ross_net_port_parse("80/tcp", &port, proto) == 0 && port == 80 && STREQ(proto, "tcp"),
           "80/tcp");
        ok(ross_net_port_parse("53/udp", &port, proto) == 0 && port == 53 && STREQ(proto, "udp"),
           "53/udp");
        ok(ross_net_port_parse("9/sctp", &port, proto) == 0 && port == 9 && STREQ(proto, "sctp"),
           "9/sctp");
        ok(ross_net_port_parse("8080", &port, proto) == 0 && port == 8080 && STREQ(proto, "tcp"),
           "8080 is tcp");
        ok(ross_net_port_parse("65535/tcp", &port, proto) == 0 && port == 65535, "65535");
        port = 7;
        snprintf(proto, sizeof(proto), "none");
        static const char *const bad[] = {
                "0/tcp",     "65536/tcp", "-1/tcp", "80x/tcp", "80/gre",  "80/",     "/tcp",    "",
                "80-81/tcp", "abc",       " 80",    "80 /tcp", "80/tcpx", "+80/tcp", "1e2/tcp",
        };
        bool all = true;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (ross_net_port_parse(bad[i], &port, proto) == 0) {
                        printf("# taken: '%s'\n", bad[i]);
                        all = false;
                }
        ok(all && port == 7 && STREQ(proto, "none"),
           "not one port: refused (a range too), outputs untouched");
        ok(ross_net_port_parse(NULL, &port, proto) == -EINVAL, "NULL is refused");
}

/* The MAC address of a ContainerCreate body, taken or refused. */
static int mac(const char *m, RossError *err)
{
        json_auto_t *body = json_pack("{s:s}", "MacAddress", m);
        _cleanup_(ross_net_config_free) RossNetConfig c = {};
        return ross_net_config_parse(body, NULL, &c, err);
}

static void test_mac(void)
{
        RossError err = {};
        ok(mac("02:42:ac:11:00:02", &err) == 0, "02:42:ac:11:00:02 (%s)", err.msg);
        ok(mac("02:42:AC:11:00:FF", &err) == 0, "upper case hex (%s)", err.msg);
        static const char *const bad[] = {
                "01:00:5e:00:00:01", /* multicast */
                "+2:42:ac:11:00:02",  " 2:42:ac:11:00:02", "-2:42:ac:11:00:02",
                "02:42:ac:11:00:0g",  "02-42-ac-11-00-02", "02:42:ac:11:00",
                "02:42:ac:11:00:02:", "0x:42:ac:11:00:02", "02:42:ac:11:00: 2",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err = (RossError){};
                ok(mac(bad[i], &err) == -EINVAL && strstr(err.msg, "invalid MAC address"),
                   "MAC '%s' refused: %s", bad[i], err.msg);
        }
}

int main(void)
{
        test_prefix();
        test_port();
        test_mac();
        return tap_done();
}
