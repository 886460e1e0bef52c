/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../basic/macros.h"
#include "../basic/parse.h"
#include "netconfig.h"
#include "spec.h"

void ross_net_config_free(RossNetConfig *c)
{
        free(c->mode);
        json_decref(c->endpoints);
        json_decref(c->ports);
        json_decref(c->exposed);
        json_decref(c->dns);
        json_decref(c->dns_search);
        json_decref(c->dns_options);
        json_decref(c->extra_hosts);
        free(c->mac);
        free(c->domainname);
        *c = (RossNetConfig){};
}

bool ross_net_mode_is_network(const char *mode)
{
        return mode && !STREQ(mode, "none") && !STREQ(mode, "host") &&
               !ross_net_mode_container(mode);
}

const char *ross_net_mode_container(const char *mode)
{
        return mode && strncmp(mode, "container:", 10) == 0 ? mode + 10 : NULL;
}

static bool is_ip(const char *s)
{
        unsigned char b[16];
        return s && (inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1);
}

static bool is_ip4(const char *s)
{
        unsigned char b[4];
        return s && inet_pton(AF_INET, s, b) == 1;
}

/* "02:42:ac:11:00:02": six pairs of hex digits and colons, nothing else (sscanf's %2x took
 * a sign or a space for a digit). */
static bool valid_mac(const char *s)
{
        if (!s || strlen(s) != 17)
                return false;
        for (size_t i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
                        return false;
        char first[3] = {s[0], s[1], '\0'};
        uint64_t b;
        if (ross_parse_u64_hex(first, 255, &b) < 0)
                return false;
        return (b & 1) == 0; /* not a multicast address */
}

/* Printable, no space: a word of resolv.conf or /etc/hosts. */
static bool plain_word(const char *s, size_t max)
{
        if (STR_EMPTY(s) || strlen(s) > max)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127)
                        return false;
        return true;
}

bool ross_net_dns_name(const char *s)
{
        if (STR_EMPTY(s) || strlen(s) > 253)
                return false;
        size_t label = 0;
        for (const char *p = s; *p; p++) {
                if (*p == '.') {
                        if (label == 0)
                                return false;
                        label = 0;
                        continue;
                }
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
                            *p) ||
                    ++label > 63)
                        return false;
        }
        return true;
}

static bool valid_netname(const char *s)
{
        if (STR_EMPTY(s) || strlen(s) > 128)
                return false;
        for (const char *p = s; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
                            *p))
                        return false;
        return true;
}

/* "80", "80/udp" into port and proto; -EINVAL when not one. */
static int port_key(const char *key, int *ret_port, int *ret_end, char proto[static 8])
{
        const char *slash = strchr(key, '/');
        _cleanup_free_ char *num = slash ? xstrndup(key, (size_t)(slash - key)) : xstrdup(key);
        snprintf(proto, 8, "tcp");
        if (slash) {
                if (!STREQ(slash + 1, "tcp") && !STREQ(slash + 1, "udp") &&
                    !STREQ(slash + 1, "sctp"))
                        return -EPROTONOSUPPORT;
                snprintf(proto, 8, "%s", slash + 1);
        }
        char *dash = strchr(num, '-');
        if (dash)
                *dash = '\0';
        if (ross_parse_int(num, 1, 65535, ret_port) < 0)
                return -EINVAL;
        *ret_end = *ret_port;
        if (dash && (ross_parse_int(dash + 1, *ret_port, 65535, ret_end) < 0))
                return -EINVAL;
        return 0;
}

int ross_net_port_parse(const char *key, int *ret_port, char proto[static 8])
{
        char p[8];
        int port, end;
        if (!key || port_key(key, &port, &end, p) < 0 || end != port)
                return -EINVAL;
        *ret_port = port;
        memcpy(proto, p, sizeof(p));
        return 0;
}

/* Docker's PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}], ...}; a HostPort
 * may be a range ("8000-8010": one free port of it), "" any free port. */
static int ports_of(json_t *hc, json_t **ret, RossError *err)
{
        json_auto_t *out = json_array();
        json_t *pb = json_object_get(hc, "PortBindings"), *list, *b;
        const char *key;
        if (pb && !json_is_null(pb) && !json_is_object(pb))
                return ross_errx(err, EINVAL, "PortBindings must be an object");
        json_object_foreach (pb, key, list) {
                char proto[8];
                int port, port_end;
                int r = port_key(key, &port, &port_end, proto);
                if (r == -EPROTONOSUPPORT)
                        return ross_errx(err, EINVAL, "invalid proto: %s", strchr(key, '/') + 1);
                if (r < 0 || port_end != port)
                        return ross_errx(err, EINVAL, "invalid port specification: \"%s\"", key);
                if (list && !json_is_null(list) && !json_is_array(list))
                        return ross_errx(err, EINVAL, "PortBindings[%s] must be an array", key);
                size_t i;
                json_array_foreach (list, i, b) {
                        const char *ip = json_string_value(json_object_get(b, "HostIp"));
                        const char *hp = json_string_value(json_object_get(b, "HostPort"));
                        int host = 0, host_end = 0;
                        if (!STR_EMPTY(ip) && !is_ip(ip))
                                return ross_errx(err, EINVAL, "invalid IP address: %s", ip);
                        if (!STR_EMPTY(ip) && !is_ip4(ip))
                                return ross_errx(err, EINVAL,
                                                 "invalid host IP %s for %s: IPv6 host addresses "
                                                 "are not supported yet",
                                                 ip, key);
                        if (!STR_EMPTY(hp)) {
                                char hproto[8];
                                _cleanup_free_ char *hk = xasprintf("%s/tcp", hp);
                                if (port_key(hk, &host, &host_end, hproto) < 0)
                                        return ross_errx(err, EINVAL,
                                                         "invalid host port for %s: \"%s\"", key,
                                                         hp);
                        }
                        json_array_append_new(out, json_pack("{s:s, s:i, s:i, s:i, s:s}", "host_ip",
                                                             ip ?: "", "host_port", host,
                                                             "host_port_end", host_end, "port",
                                                             port, "proto", proto));
                }
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* More ports than a container's shim can hold (shim-internal.h's SHIM_HOLD_MAX). */
#define EXPOSED_MAX 1024

static int exposed_of(json_t *obj, json_t *out, RossError *err)
{
        json_auto_t *seen = json_object();
        json_t *e;
        size_t i;
        json_array_foreach (out, i, e)
                json_object_set_new(seen, json_string_value(e), json_true());
        const char *key;
        json_t *v;
        if (obj && !json_is_null(obj) && !json_is_object(obj))
                return ross_errx(err, EINVAL, "ExposedPorts must be an object");
        json_object_foreach (obj, key, v) {
                char proto[8];
                int port, end;
                if (port_key(key, &port, &end, proto) < 0)
                        return ross_errx(err, EINVAL, "invalid exposed port: \"%s\"", key);
                if (end - port >= EXPOSED_MAX ||
                    json_array_size(out) + (size_t)(end - port) >= EXPOSED_MAX)
                        return ross_errx(err, EINVAL,
                                         "exposed ports \"%s\": more than %d ports in all", key,
                                         EXPOSED_MAX);
                for (int p = port; p <= end; p++) {
                        _cleanup_free_ char *k = xasprintf("%d/%s", p, proto);
                        if (json_object_get(seen, k))
                                continue;
                        json_object_set_new(seen, k, json_true());
                        json_array_append_new(out, json_string(k));
                }
        }
        return 0;
}

static int strings_of(json_t *o, const char *k, json_t **ret, RossError *err)
{
        json_t *v = json_object_get(o, k);
        if (v && !json_is_null(v) && !ross_json_strings(v))
                return ross_errx(err, EINVAL, "%s must be an array of strings", k);
        *ret = json_is_array(v) ? json_deep_copy(v) : json_array();
        return 0;
}

static int endpoint_of(const char *net, json_t *ec, bool user_network, json_t **ret, RossError *err)
{
        json_t *aliases = json_object_get(ec, "Aliases");
        if (aliases && !json_is_null(aliases) && !ross_json_strings(aliases))
                return ross_errx(err, EINVAL,
                                 "EndpointsConfig[%s].Aliases must be an array of strings", net);
        json_t *a;
        size_t i;
        json_array_foreach (aliases, i, a)
                if (!ross_net_dns_name(json_string_value(a)))
                        return ross_errx(err, EINVAL,
                                         "invalid network alias \"%s\": not a DNS name",
                                         json_string_value(a));
        const char *ip = json_string_value(
                json_object_get(json_object_get(ec, "IPAMConfig"), "IPv4Address"));
        const char *ip6 = json_string_value(
                json_object_get(json_object_get(ec, "IPAMConfig"), "IPv6Address"));
        const char *mac = json_string_value(json_object_get(ec, "MacAddress"));
        if (!STR_EMPTY(ip) && !is_ip4(ip))
                return ross_errx(err, EINVAL, "invalid IPv4 address: %s", ip);
        if (!STR_EMPTY(ip6))
                return ross_errx(err, EINVAL,
                                 "invalid IPv6 address %s: Ross's networks are IPv4 only", ip6);
        if (!STR_EMPTY(mac) && !valid_mac(mac))
                return ross_errx(err, EINVAL, "invalid MAC address: %s", mac);
        if (!user_network && !STR_EMPTY(ip))
                return ross_errx(err, EINVAL,
                                 "user specified IP address is supported on user defined networks "
                                 "only");
        if (!user_network && json_array_size(aliases) > 0)
                return ross_errx(err, EINVAL,
                                 "network-scoped alias is supported only for containers in user "
                                 "defined networks");
        *ret = json_pack("{s:o, s:s, s:s}", "aliases",
                         json_is_array(aliases) ? json_deep_copy(aliases) : json_array(), "ip",
                         ip ?: "", "mac", mac ?: "");
        return 0;
}

int ross_net_config_parse(json_t *body, json_t *image_config, RossNetConfig *ret, RossError *err)
{
        _cleanup_(ross_net_config_free) RossNetConfig c = {};
        json_t *hc = json_object_get(body, "HostConfig");
        int r;

        const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));
        if (STR_EMPTY(mode) || STREQ(mode, "default"))
                mode = "bridge";
        const char *other = ross_net_mode_container(mode);
        if (other && STR_EMPTY(other))
                return ross_errx(err, EINVAL, "invalid network mode: %s (container: needs a name)",
                                 mode);
        if (!other && !valid_netname(mode))
                return ross_errx(err, EINVAL, "invalid network mode: %s", mode);
        c.mode = xstrdup(mode);

        if ((r = ports_of(hc, &c.ports, err)) < 0)
                return r;
        c.exposed = json_array();
        json_t *icfg = json_object_get(image_config, "config");
        if ((r = exposed_of(json_object_get(icfg, "ExposedPorts"), c.exposed, err)) < 0 ||
            (r = exposed_of(json_object_get(body, "ExposedPorts"), c.exposed, err)) < 0)
                return r;
        c.publish_all = json_is_true(json_object_get(hc, "PublishAllPorts"));
        if ((r = strings_of(hc, "Dns", &c.dns, err)) < 0 ||
            (r = strings_of(hc, "DnsSearch", &c.dns_search, err)) < 0 ||
            (r = strings_of(hc, "DnsOptions", &c.dns_options, err)) < 0 ||
            (r = strings_of(hc, "ExtraHosts", &c.extra_hosts, err)) < 0)
                return r;
        json_t *v;
        size_t i;
        /* they go into resolv.conf a word each */
        json_t *const words[] = {c.dns_search, c.dns_options};
        for (size_t w = 0; w < ELEMENTSOF(words); w++)
                json_array_foreach (words[w], i, v)
                        if (!plain_word(json_string_value(v), 253))
                                return ross_errx(err, EINVAL, "invalid %s: \"%s\"",
                                                 w == 0 ? "DNS search domain" : "DNS option",
                                                 json_string_value(v));
        json_array_foreach (c.dns, i, v)
                if (!is_ip(json_string_value(v)))
                        return ross_errx(err, EINVAL, "invalid DNS server address: %s",
                                         json_string_value(v));
        json_array_foreach (c.extra_hosts, i, v) {
                const char *s = json_string_value(v);
                const char *sep = strchr(s, ':');
                if (!sep)
                        sep = strchr(s, '=');
                if (!sep || sep == s || (!is_ip(sep + 1) && !STREQ(sep + 1, "host-gateway")) ||
                    strchr(s, ' ') || strchr(s, '\t') || strchr(s, '\n'))
                        return ross_errx(err, EINVAL,
                                         "invalid argument \"%s\" for \"--add-host\" flag: "
                                         "invalid IP address in add-host",
                                         s);
        }
        const char *mac = json_string_value(json_object_get(body, "MacAddress"));
        if (!STR_EMPTY(mac) && !valid_mac(mac))
                return ross_errx(err, EINVAL, "invalid MAC address: %s", mac);
        c.mac = xstrdup(mac ?: "");
        const char *dn = json_string_value(json_object_get(body, "Domainname"));
        if (!STR_EMPTY(dn) && !ross_net_dns_name(dn))
                return ross_errx(err, EINVAL, "invalid domainname: %s", dn);
        c.domainname = xstrdup(dn ?: "");

        /* Docker's conflicts: these belong to the network, not to a container that shares
         * another's or the host's */
        if (other || STREQ(mode, "host")) {
                const char *what = json_string_value(json_object_get(body, "Hostname")) && other
                                           ? "hostname"
                                   : json_array_size(c.dns) ? "dns"
                                   : !STR_EMPTY(c.mac)      ? "mac-address"
                                                            : NULL;
                if (what && (other || !STREQ(what, "hostname")))
                        return ross_errx(err, EINVAL,
                                         "conflicting options: %s and the network mode", what);
                if (other && (json_array_size(c.ports) || c.publish_all))
                        return ross_errx(err, EINVAL,
                                         "conflicting options: port publishing and the container "
                                         "type network mode");
        }

        /* the endpoints: the mode's network first */
        c.endpoints = json_object();
        json_t *ecs = json_object_get(json_object_get(body, "NetworkingConfig"), "EndpointsConfig");
        if (ecs && !json_is_null(ecs) && !json_is_object(ecs))
                return ross_errx(err, EINVAL, "NetworkingConfig.EndpointsConfig must be an object");
        if (ross_net_mode_is_network(mode)) {
                json_t *ec = json_object_get(ecs, mode);
                if (!ec && STREQ(mode, "bridge"))
                        ec = json_object_get(ecs, "default");
                json_t *e = NULL;
                if ((r = endpoint_of(mode, ec, !STREQ(mode, "bridge"), &e, err)) < 0)
                        return r;
                if (STR_EMPTY(json_string_value(json_object_get(e, "mac"))) && !STR_EMPTY(c.mac))
                        json_object_set_new(e, "mac", json_string(c.mac));
                json_object_set_new(c.endpoints, mode, e);
        }
        const char *k;
        json_object_foreach (ecs, k, v) {
                if (STREQ(k, mode) || (STREQ(k, "default") && STREQ(mode, "bridge")))
                        continue;
                if (!ross_net_mode_is_network(mode))
                        return ross_errx(err, EINVAL,
                                         "container cannot be connected to network %s with network "
                                         "mode %s",
                                         k, mode);
                if (!valid_netname(k) || STREQ(k, "host") || STREQ(k, "none"))
                        return ross_errx(err, EINVAL, "invalid network name in EndpointsConfig: %s",
                                         k);
                json_t *e = NULL;
                if ((r = endpoint_of(k, v, !STREQ(k, "bridge"), &e, err)) < 0)
                        return r;
                json_object_set_new(c.endpoints, k, e);
        }
        *ret = c;
        c = (RossNetConfig){};
        return 0;
}

json_t *ross_net_config_to_json(const RossNetConfig *c)
{
        return json_pack("{s:s, s:O, s:O, s:O, s:b, s:O, s:O, s:O, s:O, s:s, s:s}", "mode", c->mode,
                         "endpoints", c->endpoints, "ports", c->ports, "exposed", c->exposed,
                         "publish_all", c->publish_all, "dns", c->dns, "dns_search", c->dns_search,
                         "dns_options", c->dns_options, "extra_hosts", c->extra_hosts, "mac",
                         c->mac ?: "", "domainname", c->domainname ?: "");
}

int ross_net_config_from_json(json_t *j, RossNetConfig *ret, RossError *err)
{
        _cleanup_(ross_net_config_free) RossNetConfig c = {};
        const char *mode = json_string_value(json_object_get(j, "mode"));
        if (!mode)
                return ross_errx(err, EINVAL, "the stored container config has no valid 'net'");
        c.mode = xstrdup(mode);
        static const char *const lists[] = {"ports",      "exposed",     "dns",
                                            "dns_search", "dns_options", "extra_hosts"};
        json_t **dst[] = {&c.ports,      &c.exposed,     &c.dns,
                          &c.dns_search, &c.dns_options, &c.extra_hosts};
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                json_t *v = json_object_get(j, lists[i]);
                if (!json_is_array(v))
                        return ross_errx(err, EINVAL,
                                         "the stored container config has no valid 'net.%s'",
                                         lists[i]);
                *dst[i] = json_incref(v);
        }
        json_t *eps = json_object_get(j, "endpoints");
        if (!json_is_object(eps))
                return ross_errx(err, EINVAL,
                                 "the stored container config has no valid 'net.endpoints'");
        c.endpoints = json_incref(eps);
        c.publish_all = json_is_true(json_object_get(j, "publish_all"));
        c.mac = xstrdup(json_string_value(json_object_get(j, "mac")) ?: "");
        c.domainname = xstrdup(json_string_value(json_object_get(j, "domainname")) ?: "");
        *ret = c;
        c = (RossNetConfig){};
        return 0;
}
