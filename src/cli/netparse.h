/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/socket.h> /* AF_INET, AF_INET6, AF_UNSPEC */

#include "../basic/err.h"

/*
 * The syntax of the network flags (run/create, network create and connect, port), checked
 * on the client's side as Docker's CLI checks it. The parsers return 0, or -EINVAL with
 * the reason in err; the caller names the flag.
 */

/*
 * -p [IP:][HOST[-HOST2]:]CTR[-CTR2][/tcp|udp|sctp], Docker's syntax: IP may be an IPv6
 * address in brackets; equal ranges map one to one; a host range with one container port
 * is sent as it is ("8000-8010": the daemon picks a free port in it); no host port is ""
 * (any free port). Adds to bindings (HostConfig.PortBindings: {"80/tcp": [{"HostIp",
 * "HostPort"}]}) and exposed (Config.ExposedPorts: {"80/tcp": {}}). Ports are 1-65535.
 */
int ross_cli_parse_publish(const char *spec, json_t *bindings, json_t *exposed, RossError *err);

/* --expose PORT[-PORT2][/PROTO]: each port of the range into exposed. */
int ross_cli_parse_expose(const char *spec, json_t *exposed, RossError *err);

/* PORT[/PROTO] as a PortMap key ("80/tcp"; the protocol lower-cased, tcp by default) into
 * *ret, which the caller frees. */
int ross_cli_port_key(const char *spec, char **ret, RossError *err);

/* An IP address as Go's net.ParseIP takes it; family AF_INET, AF_INET6 or AF_UNSPEC. */
bool ross_cli_ip_valid(const char *s, int family);

/* An address block: ADDRESS/PREFIX. */
typedef struct RossCidr {
        int family; /* AF_INET or AF_INET6 */
        unsigned char addr[16];
        unsigned prefix;
} RossCidr;

/* "10.1.0.0/16", "fd00::/64" (host bits may be set, as for Go's net.ParseCIDR). */
int ross_cli_cidr_parse(const char *s, RossCidr *ret);
/* Whether the address of s (an IP, or the ADDRESS of ADDRESS/PREFIX) is in net. */
bool ross_cli_cidr_contains(const RossCidr *net, const char *s);

/*
 * IPAM.Config for network create from the --subnet, --ip-range and --gateway values
 * (arrays of strings), paired as Docker's CLI pairs them: each range and gateway goes to
 * the subnet that holds it, at most one of each per subnet, subnets must not overlap.
 * *ret is a new array of {"Subnet", "IPRange", "Gateway"} with empty members left out.
 */
int ross_cli_ipam_config(json_t *subnets, json_t *ranges, json_t *gateways, json_t **ret,
                         RossError *err);

/* --add-host NAME:IP or NAME=IP (IP in brackets or not, or host-gateway) as the API's
 * "NAME:IP" into *ret, which the caller frees. */
int ross_cli_parse_extra_host(const char *arg, char **ret, RossError *err);

/* A MAC-48 address: six hex pairs separated by ':' (or all by '-'). */
bool ross_cli_mac_valid(const char *s);

/* A DNS search domain as Docker's --dns-search takes it ("." for none). */
bool ross_cli_domain_valid(const char *s);

/* HOST:PORT, an IPv6 host in brackets (Go's net.JoinHostPort). Caller frees. */
char *ross_cli_join_host_port(const char *host, const char *port);

/* Docker's natural order ("net2" before "net10"): <0, 0 or >0 as strcmp. */
int ross_cli_natural_cmp(const char *a, const char *b);
