/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../backend/backend.h"
#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/jsonfile.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "../basic/parse.h"
#include "../net/netavark-run.h"
#include "../net/netns.h"
#include "../net/networks.h"
#include "../shim/shim.h"
#include "config.h"
#include "containers.h"
#include "netconfig.h"
#include "netspare.h"
#include "network.h"

#define START_FILE "0-start.json"

void ross_net_plan_free(RossNetPlan *p)
{
        free(p->netns);
        free(p->hosts);
        free(p->resolv);
        json_decref(p->hold);
        free(p->ip);
        free(p->gateway);
        free(p->mac);
        *p = (RossNetPlan){};
}

static const char *str_of(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static char *netns_path(RossContainers *c, const char *id)
{
        return xasprintf("%s/netns/%s", c->networks->run_dir, id);
}

/* The namespace a container's network is in: its own, or the spare endpoint's it took
 * (net/netns names it). */
static char *container_netns(RossContainers *c, const char *id)
{
        _cleanup_free_ char *p = xasprintf("%s/%s/net/netns", c->dir, id);
        char *text = NULL;
        if (ross_read_file(p, 4096, &text, NULL, NULL) == 0 && *text)
                return text;
        free(text);
        return netns_path(c, id);
}

char *ross_container_net_namespace(RossContainers *c, const char *id)
{
        return container_netns(c, id);
}

static char *net_file(RossContainers *c, const char *id, const char *file)
{
        return file ? xasprintf("%s/%s/net/%s", c->dir, id, file)
                    : xasprintf("%s/%s/net", c->dir, id);
}

static RossNetavark netavark_of(RossContainers *c, char **config_dir)
{
        *config_dir = xasprintf("%s/aardvark", c->networks->run_dir);
        return (RossNetavark){.program = c->networks->netavark,
                              .config_dir = *config_dir,
                              .aardvark = c->networks->aardvark};
}

/* ---- /etc/hosts and /etc/resolv.conf ---- */

static void hosts_head(RossBuf *b)
{
        ross_buf_printf(b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
}

static void hosts_extra(RossBuf *b, const RossContainerConfig *cfg, const char *gateway)
{
        json_t *v;
        size_t i;
        json_array_foreach (cfg->net.extra_hosts, i, v) {
                const char *s = json_string_value(v);
                const char *sep = strchr(s, ':');
                if (!sep)
                        sep = strchr(s, '=');
                const char *ip = sep + 1;
                if (STREQ(ip, "host-gateway"))
                        ip = gateway ? gateway : "127.0.0.1";
                ross_buf_printf(b, "%s\t%.*s\n", ip, (int)(sep - s), s);
        }
}

static void hostname_line(RossBuf *b, const char *ip, const char *hostname,
                          const RossContainerConfig *cfg)
{
        if (!STR_EMPTY(cfg->net.domainname))
                ross_buf_printf(b, "%s\t%s.%s %s\n", ip, hostname, cfg->net.domainname, hostname);
        else
                ross_buf_printf(b, "%s\t%s\n", ip, hostname);
}

/* The host's resolv.conf values of one kind ("nameserver", "search", "options"),
 * loopback name servers left out: the container cannot reach them. */
static json_t *resolv_values(const char *kind)
{
        json_t *out = json_array();
        _cleanup_free_ char *text = NULL;
        if (ross_read_file("/etc/resolv.conf", 64 * 1024, &text, NULL, NULL) < 0)
                return out;
        size_t kl = strlen(kind);
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, kind, kl) != 0 || (line[kl] != ' ' && line[kl] != '\t'))
                        continue;
                char *save2 = NULL;
                for (char *w = strtok_r(line + kl, " \t", &save2); w;
                     w = strtok_r(NULL, " \t", &save2)) {
                        if (STREQ(kind, "nameserver") &&
                            (strncmp(w, "127.", 4) == 0 || STREQ(w, "::1")))
                                continue;
                        json_array_append_new(out, json_string(w));
                }
        }
        return out;
}

static void list_line(RossBuf *b, const char *kind, json_t *values)
{
        json_t *v;
        size_t i;
        if (json_array_size(values) == 0)
                return;
        ross_buf_printf(b, "%s", kind);
        json_array_foreach (values, i, v)
                ross_buf_printf(b, " %s", json_string_value(v));
        ross_buf_printf(b, "\n");
}

/* dns_server: the network's DNS (aardvark-dns on its gateway), or NULL: the --dns servers,
 * else the host's, else Docker's fallback. */
static char *resolv_text(const RossContainerConfig *cfg, const char *dns_server)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        json_auto_t *search = json_array_size(cfg->net.dns_search)
                                      ? json_incref(cfg->net.dns_search)
                                      : resolv_values("search");
        json_auto_t *opts = json_array_size(cfg->net.dns_options)
                                    ? json_incref(cfg->net.dns_options)
                                    : resolv_values("options");
        list_line(&b, "search", search);
        if (dns_server)
                ross_buf_printf(&b, "nameserver %s\n", dns_server);
        else {
                json_auto_t *ns = json_array_size(cfg->net.dns) ? json_incref(cfg->net.dns)
                                                                : resolv_values("nameserver");
                json_t *v;
                size_t i;
                if (json_array_size(ns) == 0)
                        ross_buf_printf(&b, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
                json_array_foreach (ns, i, v)
                        ross_buf_printf(&b, "nameserver %s\n", json_string_value(v));
        }
        list_line(&b, "options", opts);
        return b.data ? ross_buf_steal(&b) : xstrdup("");
}

/* ---- published ports ---- */

static int sock_type(const char *proto)
{
        return STREQ(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM;
}

/* Host ports chosen by starts still under way ("tcp:8080" -> container id): the daemon
 * picks a port by binding it for a moment, the shim binds it for good a little later, and
 * two starts at once must not pick the same one in between. */
static json_t *reserved;
static pthread_mutex_t reserved_lock = PTHREAD_MUTEX_INITIALIZER;

static bool reserve(const char *proto, int port, const char *id)
{
        char key[32];
        snprintf(key, sizeof(key), "%s:%d", proto, port);
        pthread_mutex_lock(&reserved_lock);
        if (!reserved)
                reserved = json_object();
        const char *by = json_string_value(json_object_get(reserved, key));
        bool ok = !by || STREQ(by, id);
        if (ok)
                json_object_set_new(reserved, key, json_string(id));
        pthread_mutex_unlock(&reserved_lock);
        return ok;
}

void ross_container_net_unreserve(const char *id)
{
        pthread_mutex_lock(&reserved_lock);
        const char *k;
        json_t *v, *tmp;
        json_object_foreach_safe(reserved, tmp, k, v) if (STREQ(json_string_value(v), id))
                json_object_del(reserved, k);
        if (reserved && json_object_size(reserved) == 0) {
                json_decref(reserved);
                reserved = NULL;
        }
        pthread_mutex_unlock(&reserved_lock);
}

/* Bind proto ip:port (0: any) for a moment: the port it got, or -errno. */
static int try_port(const char *proto, const char *ip, int port)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (!STR_EMPTY(ip) && inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
                return -EINVAL;
        int fd = socket(AF_INET, sock_type(proto) | SOCK_CLOEXEC,
                        STREQ(proto, "sctp") ? IPPROTO_SCTP : 0);
        if (fd < 0)
                return -errno;
        int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
        socklen_t l = sizeof(sa);
        if (r == 0 && getsockname(fd, (struct sockaddr *)&sa, &l) == 0)
                r = ntohs(sa.sin_port);
        close(fd);
        return r;
}

/* Each binding with its host port chosen; netavark's port_mappings, Docker's Ports, and
 * what the shim holds. */
static int resolve_ports(const char *name, const char *id, const RossContainerConfig *cfg,
                         json_t **ret_mappings, json_t **ret_docker, json_t **ret_hold,
                         RossError *err)
{
        json_auto_t *maps = json_array(), *docker = json_object(), *hold = json_array();
        json_auto_t *want = json_deep_copy(cfg->net.ports);
        json_t *v;
        size_t i;
        /* -P: every exposed port not published already, on a free port */
        if (cfg->net.publish_all)
                json_array_foreach (cfg->net.exposed, i, v) {
                        char proto[8];
                        int port;
                        if (ross_net_port_parse(json_string_value(v), &port, proto) < 0) {
                                log_debug("container %.12s: exposed port \"%s\" is not PORT/PROTO; "
                                          "not published",
                                          id, json_string_value(v) ?: "(not a string)");
                                continue;
                        }
                        json_t *b;
                        size_t k;
                        bool have = false;
                        json_array_foreach (want, k, b)
                                have = have ||
                                       (json_integer_value(json_object_get(b, "port")) == port &&
                                        STREQ(str_of(b, "proto"), proto));
                        if (!have)
                                json_array_append_new(want, json_pack("{s:s, s:i, s:i, s:i, s:s}",
                                                                      "host_ip", "", "host_port", 0,
                                                                      "host_port_end", 0, "port",
                                                                      port, "proto", proto));
                }
        json_array_foreach (cfg->net.exposed, i, v)
                json_object_set_new(docker, json_string_value(v), json_null());
        json_array_foreach (want, i, v) {
                const char *ip = str_of(v, "host_ip") ?: "";
                const char *proto = str_of(v, "proto") ?: "tcp";
                int port = (int)json_integer_value(json_object_get(v, "port"));
                int lo = (int)json_integer_value(json_object_get(v, "host_port"));
                int hi = (int)json_integer_value(json_object_get(v, "host_port_end"));
                if (hi < lo)
                        hi = lo;
                const char *shown = STR_EMPTY(ip) ? "0.0.0.0" : ip;
                int got = -EADDRINUSE;
                if (lo == 0) {
                        /* any free port: the kernel's pick, again if another start under
                         * way has that one */
                        for (int tries = 0; tries < 16 && got == -EADDRINUSE; tries++) {
                                got = try_port(proto, ip, 0);
                                if (got > 0 && !reserve(proto, got, id))
                                        got = -EADDRINUSE;
                        }
                } else
                        for (int p = lo; p <= hi && got == -EADDRINUSE; p++) {
                                got = try_port(proto, ip, p);
                                /* free, but another start under way chose it: the next */
                                if (got > 0 && !reserve(proto, got, id))
                                        got = -EADDRINUSE;
                        }
                if (got == -EADDRNOTAVAIL || got == -EINVAL)
                        return ross_errx(err, EINVAL,
                                         "driver failed programming external connectivity on "
                                         "endpoint %s (%s): %s is not an address of this host",
                                         name, id, shown);
                if (got < 0) {
                        if (lo == hi)
                                return ross_errx(err, EADDRINUSE,
                                                 "driver failed programming external "
                                                 "connectivity on endpoint %s (%s): Bind for "
                                                 "%s:%d failed: port is already allocated",
                                                 name, id, shown, lo);
                        return ross_errx(err, EADDRINUSE,
                                         "driver failed programming external connectivity on "
                                         "endpoint %s (%s): no free port in %s:%d-%d",
                                         name, id, shown, lo, hi);
                }
                json_array_append_new(maps, json_pack("{s:s, s:i, s:i, s:i, s:s}", "host_ip", ip,
                                                      "container_port", port, "host_port", got,
                                                      "range", 1, "protocol", proto));
                json_array_append_new(hold, json_sprintf("%s:%s:%d", proto, shown, got));
                _cleanup_free_ char *key = xasprintf("%d/%s", port, proto);
                json_t *list = json_object_get(docker, key);
                if (!json_is_array(list)) {
                        list = json_array();
                        json_object_set_new(docker, key, list);
                }
                char hp[8];
                snprintf(hp, sizeof(hp), "%d", got);
                json_array_append_new(list,
                                      json_pack("{s:s, s:s}", "HostIp", shown, "HostPort", hp));
        }
        *ret_mappings = TAKE_PTR(maps);
        *ret_docker = TAKE_PTR(docker);
        *ret_hold = TAKE_PTR(hold);
        return 0;
}

/* ---- the start ---- */

/* The names a container is found by on a network with DNS: its name, its short id, the
 * aliases asked for. */
static json_t *dns_aliases(const char *id, json_t *endpoint)
{
        json_t *a = json_array();
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", id);
        json_array_append_new(a, json_string(short_id));
        json_t *v;
        size_t i;
        json_array_foreach (json_object_get(endpoint, "aliases"), i, v)
                json_array_append(a, v);
        return a;
}

/* netavark's options for one or more networks of the container (nets: name -> endpoint);
 * leases taken are added to leases (paths). ifindex: the first interface's number. */
static int build_options(RossContainers *c, const char *id, const char *name,
                         const RossContainerConfig *cfg, json_t *nets, unsigned ifindex,
                         json_t *port_mappings, json_t *leases, json_t **ret, char **ret_gateway,
                         char **ret_dns, char **ret_ip, unsigned *ret_prefix, char **ret_mac,
                         RossError *err)
{
        json_auto_t *o = json_pack("{s:s, s:s, s:{}, s:{}}", "container_id", id, "container_name",
                                   name, "networks", "network_info");
        const char *netname;
        json_t *ep;
        unsigned k = ifindex;
        json_object_foreach (nets, netname, ep) {
                json_auto_t *def = NULL;
                int r = ross_network_find(c->networks, netname, &def, err);
                if (r < 0)
                        return r;
                if (!ross_network_is_bridge(def))
                        return ross_errx(err, EINVAL,
                                         "container cannot be connected to network %s (driver %s)",
                                         netname, ross_network_driver(def));
                /* the bridge stays up while the network exists (keeper.c) */
                if ((r = ross_network_keeper_ensure(c->networks, def, err)) < 0)
                        return r;
                uint32_t want = 0, got = 0;
                const char *ip = str_of(ep, "ip");
                if (!STR_EMPTY(ip) && ross_ip4_parse(ip, &want) < 0)
                        return ross_errx(err, EINVAL, "invalid IPv4 address: %s", ip);
                _cleanup_free_ char *lease = NULL;
                r = ross_network_lease(c->networks, def, id, want, &got, &lease, err);
                if (r < 0)
                        return r;
                json_array_append_new(leases, json_string(lease));
                char ab[16], gb[16];
                uint32_t gw = 0;
                (void)ross_network_subnet(def, NULL, &gw);
                json_t *e = json_pack("{s:s, s:[s], s:o}", "interface_name", "", "static_ips",
                                      ross_ip4_format(got, ab), "aliases", dns_aliases(id, ep));
                json_object_set_new(e, "interface_name", json_sprintf("eth%u", k++));
                /* Docker's MAC: 02:42 and the address, known before netavark runs (a VM's
                 * NIC gets the same) */
                const char *mac = str_of(ep, "mac");
                char macbuf[18];
                if (STR_EMPTY(mac)) {
                        snprintf(macbuf, sizeof(macbuf), "02:42:%02x:%02x:%02x:%02x", got >> 24,
                                 (got >> 16) & 255, (got >> 8) & 255, got & 255);
                        mac = macbuf;
                }
                json_object_set_new(e, "static_mac", json_string(mac));
                /* by the definition's own name: a ref may have been an id */
                json_object_set_new(json_object_get(o, "networks"), ross_network_name(def), e);
                json_object_set_new(json_object_get(o, "network_info"), ross_network_name(def),
                                    ross_network_netavark(def));
                if (ret_gateway && !*ret_gateway) {
                        RossSubnet sn = {.prefix = 0};
                        (void)ross_network_subnet(def, &sn, NULL);
                        *ret_gateway = xstrdup(ross_ip4_format(gw, gb));
                        *ret_ip = xstrdup(ab);
                        *ret_prefix = sn.prefix;
                        *ret_mac = xstrdup(mac);
                }
                if (ret_dns && !*ret_dns && json_is_true(json_object_get(def, "dns_enabled")))
                        *ret_dns = xstrdup(ross_ip4_format(gw, gb));
        }
        if (port_mappings && json_array_size(port_mappings))
                json_object_set(o, "port_mappings", port_mappings);
        if (json_array_size(cfg->net.dns))
                json_object_set(o, "dns_servers", cfg->net.dns);
        *ret = TAKE_PTR(o);
        return 0;
}

static void unlink_leases(json_t *leases)
{
        json_t *v;
        size_t i;
        json_array_foreach (leases, i, v)
                unlink(json_string_value(v));
}

static int write_leases(RossContainers *c, const char *id, json_t *leases, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        json_t *v;
        size_t i;
        json_array_foreach (leases, i, v)
                ross_buf_printf(&b, "%s\n", json_string_value(v));
        _cleanup_free_ char *p = net_file(c, id, "leases");
        return ross_write_file_replace(p, b.data ?: "", b.len, 0600, err);
}

static int write_json(const char *path, json_t *j, RossError *err)
{
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
        return ross_write_file_replace(path, text, strlen(text), 0600, err);
}

/* What a spare endpoint gives (netspare.h): the default bridge, no port, no address, MAC
 * or alias asked for. */
static bool spare_fits(const RossContainerConfig *cfg, json_t *port_mappings)
{
        json_t *ep = json_object_get(cfg->net.endpoints, "bridge");
        return STREQ(cfg->net.mode, "bridge") && json_object_size(cfg->net.endpoints) == 1 && ep &&
               STR_EMPTY(str_of(ep, "ip")) && STR_EMPTY(str_of(ep, "mac")) &&
               json_array_size(json_object_get(ep, "aliases")) == 0 &&
               json_array_size(port_mappings) == 0;
}

static int prepare_networks(RossContainers *c, const char *id, const char *name,
                            const RossContainerConfig *cfg, const char *hostname, RossNetPlan *p,
                            RossError *err)
{
        if (c->networks->unusable)
                return ross_errx(err, EOPNOTSUPP, "%s", c->networks->unusable);
        _cleanup_free_ char *dir = net_file(c, id, NULL);
        /* what a run whose shim died left (leases, rules, a namespace), first */
        ross_container_net_cleanup(c, id);
        int r = ross_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        json_auto_t *maps = NULL, *docker_ports = NULL, *leases = json_array(), *opts = NULL;
        _cleanup_free_ char *gateway = NULL, *dns = NULL, *ip = NULL, *mac = NULL;
        unsigned prefix = 0;
        r = resolve_ports(name, id, cfg, &maps, &docker_ports, &p->hold, err);
        _cleanup_free_ char *ports = net_file(c, id, "ports.json");
        /* the default bridge and nothing more: a spare endpoint netavark set up already */
        RossNetSpare sp = {};
        if (r == 0 && spare_fits(cfg, maps) && ross_netspare_take(c, id, dir, &sp)) {
                r = write_json(ports, docker_ports, err);
                if (r < 0) {
                        ross_netspare_free(&sp);
                        ross_container_net_cleanup(c, id);
                        return r;
                }
                p->netns = TAKE_PTR(sp.netns);
                p->setup = p->ready = true;
                p->ip = TAKE_PTR(sp.ip);
                p->gateway = TAKE_PTR(sp.gateway);
                p->mac = TAKE_PTR(sp.mac);
                p->prefix = sp.prefix;
                ross_netspare_free(&sp);
                _cleanup_(ross_buf_free) RossBuf h = {};
                hosts_head(&h);
                hostname_line(&h, p->ip, hostname, cfg);
                hosts_extra(&h, cfg, p->gateway);
                p->hosts = ross_buf_steal(&h);
                p->resolv = resolv_text(cfg, NULL);
                log_debug("container %.12s: a spare endpoint, %s", id, p->ip);
                return 0;
        }
        if (r == 0)
                r = build_options(c, id, name, cfg, cfg->net.endpoints, 0, maps, leases, &opts,
                                  &gateway, &dns, &ip, &prefix, &mac, err);
        _cleanup_free_ char *start = net_file(c, id, START_FILE);
        if (r == 0)
                r = write_leases(c, id, leases, err);
        if (r == 0)
                r = write_json(start, opts, err);
        if (r == 0)
                r = write_json(ports, docker_ports, err);
        p->netns = netns_path(c, id);
        if (r == 0) {
                ross_netns_remove(p->netns); /* a crash's */
                r = ross_netns_make(p->netns, err);
        }
        if (r < 0) {
                unlink_leases(leases);
                (void)ross_rm_rf(dir);
                return r;
        }
        p->setup = true;
        _cleanup_(ross_buf_free) RossBuf h = {};
        hosts_head(&h);
        if (ip) {
                p->ip = TAKE_PTR(ip);
                p->prefix = prefix;
                p->gateway = xstrdup(gateway);
                p->mac = xstrdup(mac);
                hostname_line(&h, p->ip, hostname, cfg);
        }
        hosts_extra(&h, cfg, gateway);
        p->hosts = ross_buf_steal(&h);
        p->resolv = resolv_text(cfg, dns);
        return 0;
}

int ross_container_net_prepare(RossContainers *c, const char *id, const char *name,
                               const RossContainerConfig *cfg, const char *hostname,
                               RossNetPlan *ret, RossError *err)
{
        _cleanup_(ross_net_plan_free) RossNetPlan p = {};
        const char *mode = cfg->net.mode;
        const char *other = ross_net_mode_container(mode);
        int r;
        if (ross_net_mode_is_network(mode) && json_object_size(cfg->net.endpoints) > 0) {
                r = prepare_networks(c, id, name, cfg, hostname, &p, err);
                if (r < 0)
                        return r;
        } else if (other) {
                _cleanup_free_ char *oid = NULL;
                if ((r = ross_containers_resolve(c, other, &oid, err)) < 0)
                        return r;
                if (STREQ(oid, id))
                        return ross_errx(err, EINVAL, "cannot join own network");
                if (!ross_containers_running(c, oid))
                        return ross_errx(err, EBUSY,
                                         "cannot join network of a non running container: %s",
                                         other);
                _cleanup_free_ char *ons = container_netns(c, oid);
                _cleanup_free_ char *pidf = ross_containers_path(c, oid, "container.pid");
                _cleanup_free_ char *pidt = NULL;
                int pid = 0;
                struct stat st;
                if (stat(ons, &st) == 0)
                        p.netns = TAKE_PTR(ons);
                else if (ross_read_file(pidf, 64, &pidt, NULL, NULL) == 0 &&
                         ross_parse_int(pidt, 1, INT32_MAX, &pid) == 0)
                        p.netns = xasprintf("/proc/%d/ns/net", pid);
                else
                        return ross_errx(err, EIO,
                                         "cannot join the network of container %s: its network "
                                         "namespace is not known (the host's?)",
                                         other);
                /* its names and servers too, as Docker shares them */
                _cleanup_free_ char *oh = ross_containers_path(c, oid, "hosts");
                _cleanup_free_ char *orv = ross_containers_path(c, oid, "resolv.conf");
                if (ross_read_file(oh, 1024 * 1024, &p.hosts, NULL, err) < 0 ||
                    ross_read_file(orv, 1024 * 1024, &p.resolv, NULL, err) < 0)
                        return ross_err_prefix(err, "cannot join the network of container %s",
                                               other);
        } else {
                /* none, or disconnected from every network: lo only */
                _cleanup_(ross_buf_free) RossBuf h = {};
                p.host = STREQ(mode, "host");
                if (p.host) {
                        _cleanup_free_ char *hh = NULL;
                        if (ross_read_file("/etc/hosts", 1024 * 1024, &hh, NULL, NULL) == 0)
                                ross_buf_printf(&h, "%s%s", hh,
                                                *hh && hh[strlen(hh) - 1] != '\n' ? "\n" : "");
                        else
                                hosts_head(&h);
                        _cleanup_free_ char *hr = NULL;
                        if (ross_read_file("/etc/resolv.conf", 1024 * 1024, &hr, NULL, NULL) < 0)
                                hr = xstrdup("");
                        p.resolv = json_array_size(cfg->net.dns) ||
                                                   json_array_size(cfg->net.dns_search) ||
                                                   json_array_size(cfg->net.dns_options)
                                           ? resolv_text(cfg, NULL)
                                           : TAKE_PTR(hr);
                } else {
                        hosts_head(&h);
                        hostname_line(&h, "127.0.1.1", hostname, cfg);
                        p.resolv = resolv_text(cfg, NULL);
                }
                hosts_extra(&h, cfg, NULL);
                p.hosts = ross_buf_steal(&h);
        }
        if (!p.hold)
                p.hold = json_array();
        *ret = p;
        p = (RossNetPlan){};
        return 0;
}

/* ---- clean-up ---- */

void ross_container_net_cleanup(RossContainers *c, const char *id)
{
        _cleanup_free_ char *cdirp = ross_containers_path(c, id, NULL);
        if (ross_shim_alive(cdirp))
                return; /* it tears down itself when the container exits */
        _cleanup_free_ char *dir = net_file(c, id, NULL);
        _cleanup_free_ char *ns = container_netns(c, id);
        struct stat st;
        bool have_ns = stat(ns, &st) == 0;
        if (c->networks->netavark && have_ns) {
                _cleanup_free_ char *cfgdir = NULL;
                RossNetavark nv = netavark_of(c, &cfgdir);
                _cleanup_(closedirp) DIR *d = opendir(dir);
                struct dirent *de;
                while (d && (de = readdir(d))) {
                        size_t l = strlen(de->d_name);
                        if (l < 6 || !STREQ(de->d_name + l - 5, ".json") ||
                            STREQ(de->d_name, "ports.json"))
                                continue;
                        _cleanup_free_ char *in = xasprintf("%s/%s", dir, de->d_name);
                        _cleanup_free_ char *out = xasprintf("%s/%s.down", dir, de->d_name);
                        RossError err = {};
                        if (ross_netavark_run(&nv, "teardown", ns, in, out, &err) < 0)
                                log_warn("container %.12s: %s", id, err.msg);
                        else
                                log_debug("container %.12s: network %s torn down", id, de->d_name);
                }
        }
        ross_network_release_all(c->networks, id);
        (void)ross_rm_rf(dir);
        ross_netns_remove(ns);
}

void ross_containers_net_recover(RossContainers *c)
{
        /* what containers left: their net/ directories, leases and namespaces */
        json_auto_t *ids = json_object();
        _cleanup_(closedirp) DIR *d = opendir(c->dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (strlen(de->d_name) != 64)
                        continue;
                _cleanup_free_ char *nd = net_file(c, de->d_name, NULL);
                struct stat st;
                if (stat(nd, &st) == 0)
                        json_object_set_new(ids, de->d_name, json_true());
        }
        json_auto_t *holders = ross_network_lease_holders(c->networks);
        json_t *v;
        size_t i;
        json_array_foreach (holders, i, v)
                json_object_set_new(ids, json_string_value(v), json_true());
        _cleanup_free_ char *nsdir = xasprintf("%s/netns", c->networks->run_dir);
        _cleanup_(closedirp) DIR *nd = opendir(nsdir);
        while (nd && (de = readdir(nd)))
                if (strlen(de->d_name) == 64)
                        json_object_set_new(ids, de->d_name, json_true());
        const char *id;
        json_object_foreach (ids, id, v) {
                _cleanup_free_ char *cd = ross_containers_path(c, id, NULL);
                if (ross_shim_alive(cd))
                        continue;
                log_info("container %.12s: cleaning up the network its last run left", id);
                ross_container_net_cleanup(c, id);
        }
}

/* ---- inspect ---- */

/* netavark's answers for the container: {NETWORK: {"interfaces": {...}}} merged. */
static json_t *statuses(RossContainers *c, const char *id)
{
        json_t *all = json_object();
        _cleanup_free_ char *dir = net_file(c, id, NULL);
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l < 8 || !STREQ(de->d_name + l - 7, ".status"))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                json_auto_t *s = ross_read_json(p, ROSS_STATE_JSON_MAX);
                if (json_is_object(s) && !json_object_get(s, "error"))
                        json_object_update(all, s);
        }
        return all;
}

typedef struct EpInfo {
        char ip[16], gateway[16], mac[18];
        int prefix;
} EpInfo;

static void ep_info(json_t *status, EpInfo *ret)
{
        *ret = (EpInfo){};
        const char *ifn;
        json_t *iface;
        json_object_foreach (json_object_get(status, "interfaces"), ifn, iface) {
                snprintf(ret->mac, sizeof(ret->mac), "%s", str_of(iface, "mac_address") ?: "");
                json_t *s = json_array_get(json_object_get(iface, "subnets"), 0);
                const char *ipnet = str_of(s, "ipnet");
                const char *slash = ipnet ? strchr(ipnet, '/') : NULL;
                if (slash && slash - ipnet < 16) {
                        snprintf(ret->ip, sizeof(ret->ip), "%.*s", (int)(slash - ipnet), ipnet);
                        (void)ross_parse_int(slash + 1, 0, 128, &ret->prefix);
                }
                snprintf(ret->gateway, sizeof(ret->gateway), "%s", str_of(s, "gateway") ?: "");
                break;
        }
}

json_t *ross_container_net_settings(RossContainers *c, const char *id, const char *name,
                                    const RossContainerConfig *cfg, bool running)
{
        json_auto_t *st = running ? statuses(c, id) : json_object();
        json_t *nets = json_object();
        const char *mode = cfg->net.mode;
        EpInfo first = {};
        bool have_first = false;
        if (!ross_net_mode_is_network(mode)) {
                const char *key = ross_net_mode_container(mode) ? NULL : mode;
                json_auto_t *def = NULL;
                if (key && ross_network_find(c->networks, key, &def, NULL) < 0)
                        def = NULL;
                if (key)
                        json_object_set_new(
                                nets, key,
                                json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:s, s:i, s:s, "
                                          "s:s, s:i, s:n, s:n}",
                                          "IPAMConfig", "Links", "Aliases", "MacAddress", "",
                                          "NetworkID", def ? ross_network_id(def) : "",
                                          "EndpointID", "", "Gateway", "", "IPAddress", "",
                                          "IPPrefixLen", 0, "IPv6Gateway", "", "GlobalIPv6Address",
                                          "", "GlobalIPv6PrefixLen", 0, "DriverOpts", "DNSNames"));
        }
        const char *netname;
        json_t *ep;
        json_object_foreach (cfg->net.endpoints, netname, ep) {
                json_auto_t *def = NULL;
                if (ross_network_find(c->networks, netname, &def, NULL) < 0)
                        def = NULL;
                EpInfo in;
                ep_info(json_object_get(st, netname), &in);
                if (!have_first) {
                        first = in;
                        have_first = true;
                }
                const char *ip = str_of(ep, "ip");
                json_t *ipam = STR_EMPTY(ip) ? json_null() : json_pack("{s:s}", "IPv4Address", ip);
                json_t *aliases = json_deep_copy(json_object_get(ep, "aliases"));
                json_t *dnsnames = json_null();
                if (def && !STREQ(ross_network_name(def), "bridge")) {
                        dnsnames = json_pack("[s]", name);
                        json_auto_t *a = dns_aliases(id, ep);
                        json_array_extend(dnsnames, a);
                }
                _cleanup_free_ char *epid =
                        in.ip[0] ? xasprintf("%.32s%.32s", def ? ross_network_id(def) : id, id)
                                 : xstrdup("");
                json_object_set_new(
                        nets, netname,
                        json_pack("{s:o, s:n, s:o, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, "
                                  "s:n, s:o}",
                                  "IPAMConfig", ipam, "Links", "Aliases",
                                  json_array_size(aliases) ? aliases : json_null(), "MacAddress",
                                  in.mac, "NetworkID", def ? ross_network_id(def) : "",
                                  "EndpointID", epid, "Gateway", in.gateway, "IPAddress", in.ip,
                                  "IPPrefixLen", in.prefix, "IPv6Gateway", "", "GlobalIPv6Address",
                                  "", "GlobalIPv6PrefixLen", 0, "DriverOpts", "DNSNames",
                                  dnsnames));
                if (!json_array_size(aliases))
                        json_decref(aliases);
        }
        _cleanup_free_ char *portsp = net_file(c, id, "ports.json");
        json_t *ports = running ? ross_read_json(portsp, ROSS_STATE_JSON_MAX) : NULL;
        if (!json_is_object(ports)) {
                json_decref(ports);
                ports = json_object();
        }
        _cleanup_free_ char *ns = running && have_first ? container_netns(c, id) : xstrdup("");
        char sandbox[65] = "";
        if (running && have_first)
                snprintf(sandbox, sizeof(sandbox), "%.64s", id);
        return json_pack("{s:s, s:s, s:b, s:s, s:i, s:o, s:s, s:n, s:n, s:s, s:s, s:s, s:i, s:s, "
                         "s:i, s:s, s:s, s:o}",
                         "Bridge", "", "SandboxID", sandbox, "HairpinMode", 0,
                         "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen", 0, "Ports", ports,
                         "SandboxKey", ns, "SecondaryIPAddresses", "SecondaryIPv6Addresses",
                         "EndpointID", "", "Gateway", first.gateway, "GlobalIPv6Address", "",
                         "GlobalIPv6PrefixLen", 0, "IPAddress", first.ip, "IPPrefixLen",
                         first.prefix, "IPv6Gateway", "", "MacAddress", first.mac, "Networks",
                         nets);
}

json_t *ross_container_net_ports_summary(RossContainers *c, const char *id,
                                         const RossContainerConfig *cfg, bool running)
{
        json_t *out = json_array();
        _cleanup_free_ char *portsp = net_file(c, id, "ports.json");
        json_auto_t *ports = running ? ross_read_json(portsp, ROSS_STATE_JSON_MAX) : NULL;
        const char *key;
        json_t *list;
        json_object_foreach (ports, key, list) {
                char proto[8];
                int port;
                if (ross_net_port_parse(key, &port, proto) < 0) {
                        log_debug("%s: \"%s\" is not PORT/PROTO; left out", portsp, key);
                        continue;
                }
                json_t *b;
                size_t i;
                if (!json_is_array(list))
                        json_array_append_new(
                                out, json_pack("{s:i, s:s}", "PrivatePort", port, "Type", proto));
                json_array_foreach (list, i, b) {
                        int hp = 0;
                        (void)ross_parse_int(str_of(b, "HostPort"), 0, 65535, &hp);
                        json_array_append_new(out,
                                              json_pack("{s:s, s:i, s:i, s:s}", "IP",
                                                        str_of(b, "HostIp") ?: "", "PrivatePort",
                                                        port, "PublicPort", hp, "Type", proto));
                }
        }
        if (!running) {
                json_t *v;
                size_t i;
                json_array_foreach (cfg->net.exposed, i, v) {
                        char proto[8];
                        int port;
                        if (ross_net_port_parse(json_string_value(v), &port, proto) < 0) {
                                log_debug("container %.12s: exposed port \"%s\" is not "
                                          "PORT/PROTO; left out",
                                          id, json_string_value(v) ?: "(not a string)");
                                continue;
                        }
                        json_array_append_new(
                                out, json_pack("{s:i, s:s}", "PrivatePort", port, "Type", proto));
                }
        }
        return out;
}

bool ross_container_net_uses(const RossContainerConfig *cfg, const char *network_name)
{
        return json_object_get(cfg->net.endpoints, network_name) != NULL;
}

/* ---- network connect and disconnect ---- */

static int endpoint_from(const char *netname, json_t *ec, json_t **ret, RossError *err)
{
        json_t *aliases = json_object_get(ec, "Aliases");
        const char *ip = str_of(json_object_get(ec, "IPAMConfig"), "IPv4Address");
        uint32_t a;
        if (aliases && !json_is_null(aliases) && !json_is_array(aliases))
                return ross_errx(err, EINVAL, "Aliases must be an array of strings");
        json_t *v;
        size_t i;
        json_array_foreach (aliases, i, v)
                if (!json_is_string(v) || !ross_net_dns_name(json_string_value(v)))
                        return ross_errx(err, EINVAL, "invalid network alias: not a DNS name");
        if (!STR_EMPTY(ip) && ross_ip4_parse(ip, &a) < 0)
                return ross_errx(err, EINVAL, "invalid IPv4 address: %s", ip);
        if (STREQ(netname, "bridge") && (!STR_EMPTY(ip) || json_array_size(aliases)))
                return ross_errx(err, EINVAL,
                                 STR_EMPTY(ip) ? "network-scoped alias is supported only for "
                                                 "containers in user defined networks"
                                               : "user specified IP address is supported on "
                                                 "user defined networks only");
        *ret = json_pack("{s:o, s:s, s:s}", "aliases",
                         json_is_array(aliases) ? json_deep_copy(aliases) : json_array(), "ip",
                         ip ?: "", "mac", str_of(ec, "MacAddress") ?: "");
        return 0;
}

static json_t *read_leases(RossContainers *c, const char *id)
{
        json_t *out = json_array();
        _cleanup_free_ char *p = net_file(c, id, "leases");
        _cleanup_free_ char *text = NULL;
        if (ross_read_file(p, 1024 * 1024, &text, NULL, NULL) < 0)
                return out;
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                json_array_append_new(out, json_string(l));
        return out;
}

/* More interfaces than a container has networks; keeps n + 1 from wrapping. */
#define IFINDEX_MAX 65535

/* The next free ethN in the container's namespace: one past the highest its networks'
 * netavark inputs name (a disconnect leaves a gap that stays one). */
static unsigned next_interface(RossContainers *c, const char *id)
{
        _cleanup_free_ char *dir = net_file(c, id, NULL);
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        unsigned next = 0;
        while (d && (de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l < 6 || !STREQ(de->d_name + l - 5, ".json"))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                json_auto_t *in = ross_read_json(p, ROSS_STATE_JSON_MAX);
                const char *net;
                json_t *ep;
                json_object_foreach (json_object_get(in, "networks"), net, ep) {
                        const char *ifname = str_of(ep, "interface_name");
                        int n;
                        if (!ifname || strncmp(ifname, "eth", 3) != 0 ||
                            ross_parse_int(ifname + 3, 0, IFINDEX_MAX, &n) < 0) {
                                log_debug("%s: network %s: interface \"%s\" is not ethN; "
                                          "passed over",
                                          p, net, ifname ?: "");
                                continue;
                        }
                        if ((unsigned)n + 1 > next)
                                next = (unsigned)n + 1;
                }
        }
        return next;
}

/* The network and the container a connect or disconnect names. */
static int lookup(RossContainers *c, const char *network_ref, const char *container_ref,
                  json_t **ret_def, char **ret_id, json_t **ret_row, RossContainerConfig *ret_cfg,
                  RossError *err)
{
        int r;
        if ((r = ross_network_find(c->networks, network_ref, ret_def, err)) < 0 ||
            (r = ross_containers_resolve(c, container_ref, ret_id, err)) < 0 ||
            (r = ross_containers_config_load(c, *ret_id, ret_row, ret_cfg, err)) < 0)
                return r;
        return 0;
}

int ross_container_net_connect(RossContainers *c, const char *network_ref,
                               const char *container_ref, json_t *endpoint, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        json_auto_t *row = NULL, *def = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        int r = lookup(c, network_ref, container_ref, &def, &id, &row, &cfg, err);
        if (r < 0)
                return r;
        const char *netname = ross_network_name(def);
        const char *cname = str_of(row, "Name") ?: id;
        if (!ross_network_is_bridge(def))
                return ross_errx(err, EPERM,
                                 "container cannot be disconnected from host network or "
                                 "connected to host network");
        if (!ross_net_mode_is_network(cfg.net.mode))
                return ross_errx(err, EPERM,
                                 "container sharing network namespace with another container or "
                                 "host cannot be connected to any other network");
        if (json_object_get(cfg.net.endpoints, netname))
                return ross_errx(err, EPERM, "endpoint with name %s already exists in network %s",
                                 cname, netname);
        json_t *ep = NULL;
        if ((r = endpoint_from(netname, endpoint, &ep, err)) < 0)
                return r;
        unsigned ifindex = next_interface(c, id);
        json_object_set_new(cfg.net.endpoints, netname, ep);

        const RossBackend *be = ross_backend_find(cfg.runtime);
        if (ross_containers_running(c, id) && be && !STREQ(be->kind, "oci"))
                return ross_errx(err, EOPNOTSUPP,
                                 "a running VM container (%s) has one network, its first: "
                                 "connect it before it starts",
                                 cfg.runtime);
        if (ross_containers_running(c, id)) {
                if (c->networks->unusable)
                        return ross_errx(err, EOPNOTSUPP, "%s", c->networks->unusable);
                json_auto_t *nets = json_pack("{s:O}", netname, ep);
                json_auto_t *leases = json_array(), *opts = NULL;
                r = build_options(c, id, cname, &cfg, nets, ifindex, NULL, leases, &opts, NULL,
                                  NULL, NULL, NULL, NULL, err);
                _cleanup_free_ char *base = xasprintf("c-%s.json", netname);
                _cleanup_free_ char *in = net_file(c, id, base);
                _cleanup_free_ char *out = xasprintf("%.*s.status", (int)strlen(in) - 5, in);
                _cleanup_free_ char *ns = container_netns(c, id);
                _cleanup_free_ char *cfgdir = NULL;
                RossNetavark nv = netavark_of(c, &cfgdir);
                if (r == 0)
                        r = write_json(in, opts, err);
                if (r == 0)
                        r = ross_netavark_run(&nv, "setup", ns, in, out, err);
                if (r < 0) {
                        RossError e2 = {};
                        if (access(in, F_OK) == 0)
                                (void)ross_netavark_run(&nv, "teardown", ns, in, out, &e2);
                        unlink_leases(leases);
                        unlink(in);
                        unlink(out);
                        return ross_err_prefix(err, "connect container %s to network %s", cname,
                                               netname);
                }
                json_auto_t *all = read_leases(c, id);
                json_array_extend(all, leases);
                (void)write_leases(c, id, all, NULL);
        }
        r = ross_containers_config_store(c, id, row, &cfg, err);
        if (r < 0)
                return r;
        log_debug("container %.12s connected to network %s", id, netname);
        return 0;
}

/* The part of a netavark options file that is one network's. */
static json_t *one_network(json_t *opts, const char *netname)
{
        json_t *n = json_object_get(json_object_get(opts, "networks"), netname);
        json_t *i = json_object_get(json_object_get(opts, "network_info"), netname);
        if (!n || !i)
                return NULL;
        json_t *o = json_pack("{s:O, s:O, s:{s:O}, s:{s:O}}", "container_id",
                              json_object_get(opts, "container_id"), "container_name",
                              json_object_get(opts, "container_name"), "networks", netname, n,
                              "network_info", netname, i);
        if (json_object_get(opts, "port_mappings"))
                json_object_set(o, "port_mappings", json_object_get(opts, "port_mappings"));
        return o;
}

static int disconnect_running(RossContainers *c, const char *id, json_t *def, RossError *err)
{
        const char *netname = ross_network_name(def);
        _cleanup_free_ char *base = xasprintf("c-%s.json", netname);
        _cleanup_free_ char *in = net_file(c, id, base);
        _cleanup_free_ char *start = net_file(c, id, START_FILE);
        _cleanup_free_ char *start_status = net_file(c, id, "0-start.status");
        _cleanup_free_ char *ns = container_netns(c, id);
        _cleanup_free_ char *cfgdir = NULL;
        RossNetavark nv = netavark_of(c, &cfgdir);
        _cleanup_free_ char *out = xasprintf("%.*s.status", (int)strlen(in) - 5, in);
        int r;
        if (access(in, F_OK) == 0) {
                r = ross_netavark_run(&nv, "teardown", ns, in, out, err);
                unlink(in);
                unlink(out);
        } else {
                /* one of the networks it started with: that part of the start's file */
                json_auto_t *opts = ross_read_json(start, ROSS_STATE_JSON_MAX);
                json_auto_t *one = one_network(opts, netname);
                if (!one)
                        return ross_errx(err, EIO,
                                         "the network state of container %.12s does not name "
                                         "network %s",
                                         id, netname);
                _cleanup_free_ char *dfile = xasprintf("d-%s.json", netname);
                _cleanup_free_ char *din = net_file(c, id, dfile);
                _cleanup_free_ char *dout = xasprintf("%s.down", din);
                r = write_json(din, one, err);
                if (r == 0)
                        r = ross_netavark_run(&nv, "teardown", ns, din, dout, err);
                unlink(din);
                unlink(dout);
                json_object_del(json_object_get(opts, "networks"), netname);
                json_object_del(json_object_get(opts, "network_info"), netname);
                (void)write_json(start, opts, NULL);
                json_auto_t *st = ross_read_json(start_status, ROSS_STATE_JSON_MAX);
                if (json_is_object(st)) {
                        json_object_del(st, netname);
                        (void)write_json(start_status, st, NULL);
                }
        }
        /* its lease goes whatever netavark said: an address is never lost */
        _cleanup_free_ char *prefix =
                xasprintf("%s/ipam/%s/", c->networks->run_dir, ross_network_id(def));
        json_auto_t *leases = read_leases(c, id), *keep = json_array();
        json_t *v;
        size_t i;
        json_array_foreach (leases, i, v) {
                if (strncmp(json_string_value(v), prefix, strlen(prefix)) == 0)
                        unlink(json_string_value(v));
                else
                        json_array_append(keep, v);
        }
        (void)write_leases(c, id, keep, NULL);
        return r;
}

int ross_container_net_disconnect(RossContainers *c, const char *network_ref,
                                  const char *container_ref, bool force, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        json_auto_t *row = NULL, *def = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        int r = lookup(c, network_ref, container_ref, &def, &id, &row, &cfg, err);
        if (r < 0)
                return r;
        const char *netname = ross_network_name(def);
        if (!ross_network_is_bridge(def))
                return ross_errx(err, EPERM,
                                 "container cannot be disconnected from host network or "
                                 "connected to host network");
        if (!json_object_get(cfg.net.endpoints, netname))
                return ross_errx(err, EPERM, "container %s is not connected to network %s",
                                 container_ref, netname);
        if (ross_containers_running(c, id)) {
                r = disconnect_running(c, id, def, err);
                if (r < 0 && !force)
                        return ross_err_prefix(err, "disconnect container %s from network %s",
                                               container_ref, netname);
        }
        json_object_del(cfg.net.endpoints, netname);
        /* the mode named that network: the next in line is its network now; with none
         * left it keeps the name, as Docker does (docker-compose disconnects a created
         * container from its only network, then connects it again with its aliases) */
        if (STREQ(cfg.net.mode, netname)) {
                const char *next = NULL;
                json_t *v;
                json_object_foreach (cfg.net.endpoints, next, v)
                        break;
                if (next) {
                        free(cfg.net.mode);
                        cfg.net.mode = xstrdup(next);
                }
        }
        r = ross_containers_config_store(c, id, row, &cfg, err);
        if (r < 0)
                return r;
        log_debug("container %.12s disconnected from network %s", id, netname);
        return 0;
}

json_t *ross_network_containers(RossContainers *c, const json_t *def)
{
        json_t *out = json_object();
        json_auto_t *leases = ross_network_leases(c->networks, ross_network_id(def));
        RossSubnet sn = {.prefix = 0};
        (void)ross_network_subnet(def, &sn, NULL);
        json_t *l;
        size_t i;
        json_array_foreach (leases, i, l) {
                const char *cid = str_of(l, "container");
                json_auto_t *row = NULL;
                if (ross_db_container_get(c->db, cid, &row) < 0)
                        continue;
                json_auto_t *st = statuses(c, cid);
                EpInfo in;
                ep_info(json_object_get(st, ross_network_name(def)), &in);
                _cleanup_free_ char *addr = xasprintf("%s/%u", str_of(l, "ip"), sn.prefix);
                _cleanup_free_ char *epid = xasprintf("%.32s%.32s", ross_network_id(def), cid);
                json_object_set_new(out, cid,
                                    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name",
                                              str_of(row, "Name") ?: "", "EndpointID", epid,
                                              "MacAddress", in.mac, "IPv4Address", addr,
                                              "IPv6Address", ""));
        }
        return out;
}
