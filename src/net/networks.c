/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../basic/jsonfile.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "../basic/parse.h"
#include "../basic/spawn.h"
#include "networks.h"

#define NETWORK_FILE_MAX (256 * 1024)

const char *ross_network_name(const json_t *def)
{
        return json_string_value(json_object_get(def, "name")) ?: "";
}

const char *ross_network_id(const json_t *def)
{
        return json_string_value(json_object_get(def, "id")) ?: "";
}

const char *ross_network_driver(const json_t *def)
{
        return json_string_value(json_object_get(def, "driver")) ?: "";
}

bool ross_network_predefined(const json_t *def)
{
        return json_is_true(json_object_get(json_object_get(def, "ross"), "predefined"));
}

bool ross_network_is_bridge(const json_t *def)
{
        return STREQ(ross_network_driver(def), "bridge");
}

int ross_network_subnet(const json_t *def, RossSubnet *ret_subnet, uint32_t *ret_gateway)
{
        json_t *s = json_array_get(json_object_get(def, "subnets"), 0);
        RossSubnet sn;
        uint32_t gw = 0;
        if (ross_subnet_parse(json_string_value(json_object_get(s, "subnet")), &sn) < 0)
                return -ENOENT;
        const char *g = json_string_value(json_object_get(s, "gateway"));
        if (g && ross_ip4_parse(g, &gw) < 0)
                return -ENOENT;
        if (ret_subnet)
                *ret_subnet = sn;
        if (ret_gateway)
                *ret_gateway = gw;
        return 0;
}

json_t *ross_network_netavark(const json_t *def)
{
        json_t *o = json_deep_copy(def);
        json_object_del(o, "ross");
        return o;
}

static char *net_path(RossNetworks *n, const char *id)
{
        return xasprintf("%s/%s.json", n->dir, id);
}

json_t *ross_networks_all(RossNetworks *n)
{
        json_t *all = json_array();
        _cleanup_(closedirp) DIR *d = opendir(n->dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l != 64 + 5 || !STREQ(de->d_name + 64, ".json"))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", n->dir, de->d_name);
                json_t *def = ross_read_json(p, NETWORK_FILE_MAX);
                if (!json_is_object(def)) {
                        log_warn("network file '%s' is not JSON: left alone", p);
                        json_decref(def);
                        continue;
                }
                json_array_append_new(all, def);
        }
        /* oldest first, as Docker lists them: by the creation time we stored */
        size_t cnt = json_array_size(all);
        for (size_t i = 1; i < cnt; i++)
                for (size_t j = i; j > 0; j--) {
                        json_t *a = json_array_get(all, j - 1), *b = json_array_get(all, j);
                        const char *ta = json_string_value(
                                json_object_get(json_object_get(a, "ross"), "created"));
                        const char *tb = json_string_value(
                                json_object_get(json_object_get(b, "ross"), "created"));
                        if (!ta || !tb || strcmp(ta, tb) <= 0)
                                break;
                        json_incref(a);
                        json_array_set(all, j - 1, b);
                        json_array_set_new(all, j, a);
                }
        return all;
}

int ross_network_find(RossNetworks *n, const char *ref, json_t **ret, RossError *err)
{
        if (STR_EMPTY(ref))
                return ross_errx(err, EINVAL, "a network name or id is required");
        json_auto_t *all = ross_networks_all(n);
        json_t *def, *hit = NULL;
        size_t i, hits = 0;
        /* an id, then a name, then an id prefix */
        json_array_foreach (all, i, def)
                if (STREQ(ross_network_id(def), ref)) {
                        *ret = json_incref(def);
                        return 0;
                }
        json_array_foreach (all, i, def)
                if (STREQ(ross_network_name(def), ref)) {
                        *ret = json_incref(def);
                        return 0;
                }
        json_array_foreach (all, i, def)
                if (strncmp(ross_network_id(def), ref, strlen(ref)) == 0) {
                        hit = def;
                        hits++;
                }
        if (hits == 1) {
                *ret = json_incref(hit);
                return 0;
        }
        if (hits > 1)
                return ross_errx(err, EINVAL,
                                 "network %s is ambiguous (%zu matches found based on ID prefix)",
                                 ref, hits);
        return ross_errx(err, ENOENT, "network %s not found", ref);
}

static void now_rfc3339(char buf[static 40])
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t k = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + k, 40 - k, ".%09ldZ", ts.tv_nsec);
}

static bool valid_name(const char *s)
{
        if (STR_EMPTY(s) || strlen(s) > 128 ||
            !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
                            *p))
                        return false;
        return true;
}

/* A subnet a route of this network namespace already uses (the host's LAN, a VPN): a
 * network there would cut the host off from it. Our own bridges are networks already. */
static bool route_overlaps(const RossSubnet *s)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/net/route", "re");
        char line[256];
        if (!f || !fgets(line, sizeof(line), f))
                return false;
        while (fgets(line, sizeof(line), f)) {
                /* Iface Destination Gateway Flags RefCnt Use Metric Mask ..., in hex where
                 * they are addresses */
                char *field[8], *save = NULL;
                size_t n = 0;
                for (char *t = strtok_r(line, " \t\n", &save); t && n < ELEMENTSOF(field);
                     t = strtok_r(NULL, " \t\n", &save))
                        field[n++] = t;
                uint64_t dest, mask;
                if (n < ELEMENTSOF(field) || ross_parse_u64_hex(field[1], UINT32_MAX, &dest) < 0 ||
                    ross_parse_u64_hex(field[7], UINT32_MAX, &mask) < 0) {
                        log_debug("/proc/net/route: a line that is not a route, passed over");
                        continue;
                }
                const char *ifname = field[0];
                if (mask == 0 || strncmp(ifname, "br-", 3) == 0 || strncmp(ifname, "ross", 4) == 0)
                        continue;
                /* /proc/net/route prints the kernel's network-order words as host integers */
                uint32_t d = __builtin_bswap32((uint32_t)dest),
                         m = __builtin_bswap32((uint32_t)mask);
                unsigned prefix = (unsigned)__builtin_popcount(m);
                RossSubnet r = {.addr = d & m, .prefix = prefix};
                if (ross_subnet_overlaps(&r, s))
                        return true;
        }
        return false;
}

/* The network (other than skip_id) whose subnet overlaps s, or NULL. */
static const json_t *overlapping(json_t *all, const RossSubnet *s)
{
        json_t *def;
        size_t i;
        json_array_foreach (all, i, def) {
                RossSubnet o;
                if (ross_network_subnet(def, &o, NULL) == 0 && ross_subnet_overlaps(&o, s))
                        return def;
        }
        return NULL;
}

/* Docker's default address pools: 172.17-31.0.0/16, then 192.168.0-240.0/20. */
static int pick_subnet(json_t *all, RossSubnet *ret)
{
        for (unsigned i = 0; i < 15 + 16; i++) {
                RossSubnet s = i < 15 ? (RossSubnet){.addr = (172u << 24) | ((17u + i) << 16),
                                                     .prefix = 16}
                                      : (RossSubnet){.addr = (192u << 24) | (168u << 16) |
                                                             ((i - 15u) * 16u << 8),
                                                     .prefix = 20};
                if (!overlapping(all, &s) && !route_overlaps(&s)) {
                        *ret = s;
                        return 0;
                }
        }
        return -ENOSPC;
}

uint64_t ross_networks_generation(RossNetworks *n)
{
        return __atomic_load_n(&n->gen, __ATOMIC_SEQ_CST);
}

/* After the change: a reader that saw the old number reads again. */
static void changed(RossNetworks *n)
{
        __atomic_add_fetch(&n->gen, 1, __ATOMIC_SEQ_CST);
}

static int write_def(RossNetworks *n, json_t *def, RossError *err)
{
        _cleanup_free_ char *p = net_path(n, ross_network_id(def));
        _cleanup_free_ char *text = json_dumps(def, JSON_INDENT(2) | JSON_SORT_KEYS);
        int r = ross_write_file_atomic(p, text, strlen(text), 0644, err);
        changed(n);
        return r;
}

static json_t *new_def(const char *name, const char *driver, bool predefined)
{
        char id[65], created[40];
        ross_random_hex(id, 32);
        now_rfc3339(created);
        return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:{}, s:{s:s, s:{}, s:{}, s:b}}", "name",
                         name, "id", id, "driver", driver, "ipv6_enabled", 0, "internal", 0,
                         "dns_enabled", 0, "options", "ross", "created", created, "labels",
                         "options", "predefined", predefined);
}

static void set_subnet(json_t *def, const RossSubnet *s, uint32_t gw, const char *range)
{
        char sb[19], gb[16];
        json_t *e = json_pack("{s:s, s:s}", "subnet", ross_subnet_format(s, sb), "gateway",
                              ross_ip4_format(gw, gb));
        RossSubnet r;
        if (range && ross_subnet_parse(range, &r) == 0) {
                char a[16], b[16];
                json_object_set_new(e, "lease_range",
                                    json_pack("{s:s, s:s}", "start_ip",
                                              ross_ip4_format(ross_subnet_first(&r), a), "end_ip",
                                              ross_ip4_format(ross_subnet_last(&r), b)));
                json_object_set_new(json_object_get(def, "ross"), "ip_range", json_string(range));
        }
        json_object_set_new(def, "subnets", json_pack("[o]", e));
}

static int ensure_predefined(RossNetworks *n, RossError *err)
{
        json_auto_t *all = ross_networks_all(n);
        static const char *const names[][2] = {
                {"bridge", "bridge"}, {"host", "host"}, {"none", "null"}};
        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                json_t *def;
                size_t i;
                bool have = false;
                json_array_foreach (all, i, def)
                        have = have || STREQ(ross_network_name(def), names[k][0]);
                if (have)
                        continue;
                json_auto_t *d = new_def(names[k][0], names[k][1], true);
                if (STREQ(names[k][0], "bridge")) {
                        RossSubnet s;
                        if (n->bridge_subnet) {
                                int r = ross_subnet_parse(n->bridge_subnet, &s);
                                if (r < 0)
                                        return ross_errx(
                                                err, EINVAL,
                                                "--bridge-subnet: '%s' is not an IPv4 subnet%s",
                                                n->bridge_subnet,
                                                r == -EDOM ? " (host bits set)" : "");
                        } else if (pick_subnet(all, &s) < 0)
                                return ross_errx(err, ENOSPC,
                                                 "no free subnet for the default bridge network: "
                                                 "name one with --bridge-subnet");
                        set_subnet(d, &s, ross_subnet_first(&s), NULL);
                        json_object_set_new(d, "network_interface", json_string("ross0"));
                        json_object_set_new(json_object_get(d, "options"), "isolate",
                                            json_string("true"));
                        json_object_set_new(json_object_get(json_object_get(d, "ross"), "options"),
                                            "com.docker.network.bridge.default_bridge",
                                            json_string("true"));
                        json_object_set_new(json_object_get(json_object_get(d, "ross"), "options"),
                                            "com.docker.network.bridge.name", json_string("ross0"));
                }
                int r = write_def(n, d, err);
                if (r < 0)
                        return r;
                log_debug("network %s (%s) made", names[k][0], ross_network_id(d));
        }
        return 0;
}

static char *find_in(const char *const *candidates, const char *name)
{
        for (size_t i = 0; candidates[i]; i++)
                if (access(candidates[i], X_OK) == 0)
                        return xstrdup(candidates[i]);
        return ross_find_program(name);
}

int ross_networks_init(RossNetworks *n, const char *data_dir, const char *run_dir,
                       const char *netavark, const char *bridge_subnet, RossError *err)
{
        static const char *const netavarks[] = {"/usr/lib/podman/netavark",
                                                "/usr/libexec/podman/netavark",
                                                "/usr/local/libexec/podman/netavark", NULL};
        int r;
        pthread_mutex_init(&n->lock, NULL);
        n->dir = xasprintf("%s/networks", data_dir);
        n->run_dir = xasprintf("%s/networks", run_dir);
        n->bridge_subnet = bridge_subnet ? xstrdup(bridge_subnet) : NULL;
        _cleanup_free_ char *ipam = xasprintf("%s/ipam", n->run_dir);
        _cleanup_free_ char *netns = xasprintf("%s/netns", n->run_dir);
        _cleanup_free_ char *aardvark = xasprintf("%s/aardvark", n->run_dir);
        if ((r = ross_mkdir_p(n->dir, 0700, err)) < 0 || (r = ross_mkdir_p(ipam, 0700, err)) < 0 ||
            (r = ross_mkdir_p(netns, 0755, err)) < 0 || (r = ross_mkdir_p(aardvark, 0755, err)) < 0)
                return r;
        if (netavark) {
                if (access(netavark, X_OK) < 0)
                        return ross_err(err, errno, "--netavark '%s'", netavark);
                n->netavark = xstrdup(netavark);
        } else
                n->netavark = find_in(netavarks, "netavark");
        if (n->netavark) {
                /* Debian puts it beside netavark, as podman expects */
                _cleanup_free_ char *dir = xstrdup(n->netavark);
                char *slash = strrchr(dir, '/');
                if (slash)
                        *slash = '\0';
                _cleanup_free_ char *beside = xasprintf("%s/aardvark-dns", dir);
                const char *const aardvarks[] = {beside, "/usr/lib/podman/aardvark-dns",
                                                 "/usr/libexec/podman/aardvark-dns", NULL};
                n->aardvark = find_in(aardvarks, "aardvark-dns");
        }
        _cleanup_free_ char *iptables = ross_find_program("iptables");
        if (!n->netavark)
                n->unusable = xstrdup("bridge networks need netavark, which is not installed "
                                      "(Debian: apt-get install netavark aardvark-dns iptables; "
                                      "or name it with ross-daemon start --netavark PATH)");
        else if (!iptables)
                n->unusable = xstrdup("bridge networks need iptables, which netavark runs and "
                                      "which is not installed (Debian: apt-get install iptables)");
        if (n->unusable)
                log_warn("%s; containers get --network none or host only", n->unusable);
        else if (!n->aardvark)
                log_warn("aardvark-dns is not installed: containers on user networks are not "
                         "found by name (Debian: apt-get install aardvark-dns)");
        return ensure_predefined(n, err);
}

void ross_networks_done(RossNetworks *n)
{
        free(n->dir);
        free(n->run_dir);
        free(n->netavark);
        free(n->aardvark);
        free(n->unusable);
        free(n->bridge_subnet);
        pthread_mutex_destroy(&n->lock);
}

static const char *str_of(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

/* Docker's Options and Labels: string values only. */
static int string_map(json_t *m, const char *what, RossError *err)
{
        const char *k;
        json_t *v;
        if (!m || json_is_null(m))
                return 0;
        if (!json_is_object(m))
                return ross_errx(err, EINVAL, "%s must be an object", what);
        json_object_foreach (m, k, v)
                if (!json_is_string(v))
                        return ross_errx(err, EINVAL, "%s: the value of '%s' is not a string", what,
                                         k);
        return 0;
}

int ross_network_create(RossNetworks *n, json_t *body, char **ret_id, RossError *err)
{
        const char *name = str_of(body, "Name");
        const char *driver = str_of(body, "Driver");
        json_t *labels = json_object_get(body, "Labels");
        json_t *opts = json_object_get(body, "Options");
        int r;

        if (!json_is_object(body))
                return ross_errx(err, EINVAL, "the request body is not a JSON object");
        if (STR_EMPTY(name))
                return ross_errx(err, EINVAL, "a network name is required");
        if (!valid_name(name))
                return ross_errx(err, EINVAL,
                                 "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                 "are allowed",
                                 name);
        if (STREQ(name, "host") || STREQ(name, "none") || STREQ(name, "bridge") ||
            STREQ(name, "default"))
                return ross_errx(err, EPERM, "operation is not permitted on predefined %s network ",
                                 name);
        if (!STR_EMPTY(driver) && !STREQ(driver, "bridge"))
                return ross_errx(err, ENOENT,
                                 "plugin \"%s\" not found: Ross has the bridge driver only",
                                 driver);
        if (json_is_true(json_object_get(body, "EnableIPv6")))
                return ross_errx(err, EINVAL, "IPv6 networks are not supported by Ross yet");
        if ((r = string_map(labels, "Labels", err)) < 0 ||
            (r = string_map(opts, "Options", err)) < 0)
                return r;
        json_t *ipam = json_object_get(body, "IPAM");
        const char *ipam_driver = str_of(ipam, "Driver");
        if (!STR_EMPTY(ipam_driver) && !STREQ(ipam_driver, "default"))
                return ross_errx(err, ENOENT, "IPAM driver \"%s\" not found", ipam_driver);
        json_t *configs = json_object_get(ipam, "Config");
        if (json_array_size(configs) > 1)
                return ross_errx(err, EINVAL,
                                 "more than one IPAM config: Ross takes one IPv4 subnet a network");
        json_t *ic = json_array_get(configs, 0);
        const char *subnet = str_of(ic, "Subnet"), *gateway = str_of(ic, "Gateway"),
                   *range = str_of(ic, "IPRange");

        pthread_mutex_lock(&n->lock);
        json_auto_t *all = ross_networks_all(n);
        json_t *def;
        size_t i;
        json_array_foreach (all, i, def)
                if (STREQ(ross_network_name(def), name)) {
                        pthread_mutex_unlock(&n->lock);
                        return ross_errx(err, EEXIST, "network with name %s already exists", name);
                }
        RossSubnet s;
        uint32_t gw;
        if (!STR_EMPTY(subnet)) {
                r = ross_subnet_parse(subnet, &s);
                if (r < 0) {
                        pthread_mutex_unlock(&n->lock);
                        return r == -EDOM ? ross_errx(err, EINVAL,
                                                      "invalid subnet %s: host bits are set "
                                                      "(the network address is %s)",
                                                      subnet, "the address with them cleared")
                                          : ross_errx(err, EINVAL,
                                                      "invalid subnet %s: not an IPv4 CIDR "
                                                      "(IPv6 is not supported yet)",
                                                      subnet);
                }
                if (s.prefix > 30) {
                        pthread_mutex_unlock(&n->lock);
                        return ross_errx(err, EINVAL, "subnet %s is too small: /30 at most",
                                         subnet);
                }
                const json_t *o = overlapping(all, &s);
                if (o) {
                        pthread_mutex_unlock(&n->lock);
                        return ross_errx(err, EPERM,
                                         "invalid pool request: Pool overlaps with other one on "
                                         "this address space (network %s)",
                                         ross_network_name(o));
                }
        } else if (pick_subnet(all, &s) < 0) {
                pthread_mutex_unlock(&n->lock);
                return ross_errx(err, ENOSPC,
                                 "could not find an available, non-overlapping IPv4 address pool "
                                 "among the defaults to assign to the network");
        }
        if (!STR_EMPTY(gateway)) {
                if (ross_ip4_parse(gateway, &gw) < 0 || !ross_subnet_contains(&s, gw) ||
                    gw < ross_subnet_first(&s) || gw > ross_subnet_last(&s)) {
                        pthread_mutex_unlock(&n->lock);
                        char sb[19];
                        return ross_errx(err, EINVAL,
                                         "invalid gateway %s: not an address of subnet %s", gateway,
                                         ross_subnet_format(&s, sb));
                }
        } else
                gw = ross_subnet_first(&s);
        if (!STR_EMPTY(range)) {
                RossSubnet rs;
                if (ross_subnet_parse(range, &rs) < 0 || !ross_subnet_contains(&s, rs.addr) ||
                    rs.prefix < s.prefix) {
                        pthread_mutex_unlock(&n->lock);
                        return ross_errx(err, EINVAL, "invalid ip-range %s: not a subnet of %s",
                                         range, subnet ? subnet : "the network's subnet");
                }
        }

        json_auto_t *d = new_def(name, "bridge", false);
        set_subnet(d, &s, gw, STR_EMPTY(range) ? NULL : range);
        const char *brname = str_of(opts, "com.docker.network.bridge.name");
        _cleanup_free_ char *br =
                !STR_EMPTY(brname) ? xstrdup(brname) : xasprintf("br-%.12s", ross_network_id(d));
        bool br_ok =
                strlen(br) <= 15 &&
                strspn(br, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                        strlen(br);
        if (!br_ok) {
                pthread_mutex_unlock(&n->lock);
                return ross_errx(err, EINVAL,
                                 "bridge name %s: at most 15 of [a-zA-Z0-9_.-] (an interface "
                                 "name)",
                                 br);
        }
        json_array_foreach (all, i, def)
                if (STREQ(json_string_value(json_object_get(def, "network_interface")) ?: "", br)) {
                        pthread_mutex_unlock(&n->lock);
                        return ross_errx(err, EEXIST, "bridge name %s is network %s's already", br,
                                         ross_network_name(def));
                }
        json_object_set_new(d, "network_interface", json_string(br));
        bool internal = json_is_true(json_object_get(body, "Internal"));
        json_object_set_new(d, "internal", json_boolean(internal));
        /* DNS by name on every user network, as Docker's embedded DNS */
        json_object_set_new(d, "dns_enabled", json_boolean(n->aardvark != NULL));
        json_t *no = json_object_get(d, "options");
        json_object_set_new(no, "isolate", json_string("true"));
        const char *mtu = str_of(opts, "com.docker.network.driver.mtu") ?: str_of(opts, "mtu");
        int mtu_v;
        if (!STR_EMPTY(mtu) && ross_parse_int(mtu, 68, 65535, &mtu_v) < 0) {
                pthread_mutex_unlock(&n->lock);
                return ross_errx(err, EINVAL, "invalid MTU %s: a number from 68 to 65535", mtu);
        }
        if (!STR_EMPTY(mtu))
                json_object_set_new(no, "mtu", json_string(mtu));
        json_t *rs = json_object_get(d, "ross");
        if (json_is_object(labels))
                json_object_set(rs, "labels", labels);
        if (json_is_object(opts))
                json_object_set(rs, "options", opts);
        json_object_set_new(rs, "attachable",
                            json_boolean(json_is_true(json_object_get(body, "Attachable"))));
        r = write_def(n, d, err);
        pthread_mutex_unlock(&n->lock);
        if (r < 0)
                return r;
        log_debug("network %s (%s) created", name, ross_network_id(d));
        *ret_id = xstrdup(ross_network_id(d));
        return 0;
}

static char *lease_dir(RossNetworks *n, const char *network_id)
{
        return xasprintf("%s/ipam/%s", n->run_dir, network_id);
}

int ross_network_remove(RossNetworks *n, const char *ref, RossError *err)
{
        json_auto_t *def = NULL;
        int r = ross_network_find(n, ref, &def, err);
        if (r < 0)
                return r;
        if (ross_network_predefined(def))
                return ross_errx(err, EPERM, "%s is a pre-defined network and cannot be removed",
                                 ross_network_name(def));
        /* keeper first, then the definition, with no keeper made in between */
        ross_network_keeper_lock();
        pthread_mutex_lock(&n->lock);
        json_auto_t *leases = ross_network_leases(n, ross_network_id(def));
        bool busy = json_array_size(leases) > 0;
        pthread_mutex_unlock(&n->lock);
        if (!busy)
                ross_network_keeper_remove_held(n, def);
        pthread_mutex_lock(&n->lock);
        json_decref(leases);
        leases = ross_network_leases(n, ross_network_id(def));
        if (busy || json_array_size(leases) > 0) {
                pthread_mutex_unlock(&n->lock);
                ross_network_keeper_unlock();
                return ross_errx(err, EPERM,
                                 "error while removing network: network %s id %s has active "
                                 "endpoints",
                                 ross_network_name(def), ross_network_id(def));
        }
        _cleanup_free_ char *p = net_path(n, ross_network_id(def));
        _cleanup_free_ char *ld = lease_dir(n, ross_network_id(def));
        r = unlink(p) < 0 ? -errno : 0;
        changed(n);
        (void)ross_rm_rf(ld);
        pthread_mutex_unlock(&n->lock);
        ross_network_keeper_unlock();
        if (r < 0)
                return ross_err(err, -r, "remove network %s", ross_network_name(def));
        log_debug("network %s (%s) removed", ross_network_name(def), ross_network_id(def));
        return 0;
}

json_t *ross_network_docker(const json_t *def)
{
        json_t *rs = json_object_get(def, "ross");
        const char *drv = ross_network_driver(def);
        json_t *config = json_array();
        json_t *s;
        size_t i;
        json_array_foreach (json_object_get(def, "subnets"), i, s) {
                json_t *e = json_pack("{s:s, s:s}", "Subnet", str_of(s, "subnet") ?: "", "Gateway",
                                      str_of(s, "gateway") ?: "");
                if (str_of(rs, "ip_range"))
                        json_object_set_new(e, "IPRange", json_string(str_of(rs, "ip_range")));
                json_array_append_new(config, e);
        }
        json_t *labels = json_object_get(rs, "labels");
        json_t *opts = json_object_get(rs, "options");
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:n, s:o}, s:b, s:b, s:b, "
                         "s:{s:s}, s:b, s:{}, s:o, s:o}",
                         "Name", ross_network_name(def), "Id", ross_network_id(def), "Created",
                         str_of(rs, "created") ?: "", "Scope", "local", "Driver", drv, "EnableIPv6",
                         json_is_true(json_object_get(def, "ipv6_enabled")), "IPAM", "Driver",
                         "default", "Options", "Config", config, "Internal",
                         json_is_true(json_object_get(def, "internal")), "Attachable",
                         json_is_true(json_object_get(rs, "attachable")), "Ingress", 0,
                         "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers", "Options",
                         json_is_object(opts) ? json_deep_copy(opts) : json_object(), "Labels",
                         json_is_object(labels) ? json_deep_copy(labels) : json_object());
}

/* ---- leases ---- */

int ross_network_lease(RossNetworks *n, const json_t *def, const char *cid, uint32_t want,
                       uint32_t *ret_addr, char **ret_path, RossError *err)
{
        RossSubnet s;
        uint32_t gw;
        if (ross_network_subnet(def, &s, &gw) < 0)
                return ross_errx(err, EINVAL, "network %s has no subnet", ross_network_name(def));
        uint32_t first = ross_subnet_first(&s), last = ross_subnet_last(&s);
        json_t *lr =
                json_object_get(json_array_get(json_object_get(def, "subnets"), 0), "lease_range");
        uint32_t a;
        if (lr && ross_ip4_parse(str_of(lr, "start_ip"), &a) == 0 && a > first)
                first = a;
        if (lr && ross_ip4_parse(str_of(lr, "end_ip"), &a) == 0 && a < last)
                last = a;
        char sb[19], ab[16];
        if (want && (!ross_subnet_contains(&s, want) || want < ross_subnet_first(&s) ||
                     want > ross_subnet_last(&s) || want == gw))
                return ross_errx(err, EINVAL,
                                 "invalid address %s: it is not a free address of network %s "
                                 "(subnet %s)",
                                 ross_ip4_format(want, ab), ross_network_name(def),
                                 ross_subnet_format(&s, sb));

        _cleanup_free_ char *dir = lease_dir(n, ross_network_id(def));
        int r = ross_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        size_t cidlen = strlen(cid);
        /* the next search starts after the last address given, as podman's does: an
         * address just freed is not handed out again at once */
        _cleanup_free_ char *lastp = xasprintf("%s/last", dir);
        _cleanup_free_ char *lasttext = NULL;
        uint32_t start = first;
        if (!want && ross_read_file(lastp, 32, &lasttext, NULL, NULL) == 0 &&
            ross_ip4_parse(lasttext, &a) == 0 && a >= first && a < last)
                start = a + 1;
        pthread_mutex_lock(&n->lock);
        uint64_t span = (uint64_t)last - first + 1;
        for (uint64_t k = 0; k < (want ? 1 : span); k++) {
                uint32_t cand = want ? want : (uint32_t)(first + ((start - first) + k) % span);
                if (cand == gw)
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, ross_ip4_format(cand, ab));
                int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0 && errno == EEXIST)
                        continue;
                if (fd < 0) {
                        r = -errno;
                        pthread_mutex_unlock(&n->lock);
                        return ross_err(err, -r, "lease '%s'", p);
                }
                r = ross_write_all(fd, cid, cidlen);
                close(fd);
                if (r < 0) {
                        unlink(p);
                        pthread_mutex_unlock(&n->lock);
                        return ross_err(err, -r, "lease '%s'", p);
                }
                if (!want)
                        (void)ross_write_file_replace(lastp, ab, strlen(ab), 0600, NULL);
                pthread_mutex_unlock(&n->lock);
                *ret_addr = cand;
                *ret_path = TAKE_PTR(p);
                return 0;
        }
        pthread_mutex_unlock(&n->lock);
        if (want)
                return ross_errx(err, EEXIST, "Address already in use: %s on network %s",
                                 ross_ip4_format(want, ab), ross_network_name(def));
        return ross_errx(err, ENOSPC, "no available IPv4 addresses on network %s (subnet %s)",
                         ross_network_name(def), ross_subnet_format(&s, sb));
}

json_t *ross_network_leases(RossNetworks *n, const char *network_id)
{
        json_t *out = json_array();
        _cleanup_free_ char *dir = lease_dir(n, network_id);
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        uint32_t a;
        while (d && (de = readdir(d))) {
                if (ross_ip4_parse(de->d_name, &a) < 0)
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                _cleanup_free_ char *cid = NULL;
                if (ross_read_file(p, 128, &cid, NULL, NULL) < 0)
                        continue;
                /* a keeper's or a spare endpoint's: no container's */
                if (STREQ(cid, ROSS_NETWORK_KEEPER) || strncmp(cid, "spare-", 6) == 0)
                        continue;
                json_array_append_new(out,
                                      json_pack("{s:s, s:s}", "ip", de->d_name, "container", cid));
        }
        return out;
}

json_t *ross_network_lease_holders(RossNetworks *n)
{
        json_t *ids = json_object();
        _cleanup_free_ char *top = xasprintf("%s/ipam", n->run_dir);
        _cleanup_(closedirp) DIR *d = opendir(top);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                json_auto_t *l = ross_network_leases(n, de->d_name);
                json_t *e;
                size_t i;
                json_array_foreach (l, i, e)
                        json_object_set_new(ids, str_of(e, "container"), json_true());
        }
        json_t *out = json_array();
        const char *k;
        json_t *v;
        json_object_foreach (ids, k, v)
                json_array_append_new(out, json_string(k));
        json_decref(ids);
        return out;
}

void ross_network_release_all(RossNetworks *n, const char *cid)
{
        _cleanup_free_ char *top = xasprintf("%s/ipam", n->run_dir);
        _cleanup_(closedirp) DIR *d = opendir(top);
        struct dirent *de;
        pthread_mutex_lock(&n->lock);
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                json_auto_t *l = ross_network_leases(n, de->d_name);
                json_t *e;
                size_t i;
                json_array_foreach (l, i, e)
                        if (STREQ(str_of(e, "container"), cid)) {
                                _cleanup_free_ char *p =
                                        xasprintf("%s/%s/%s", top, de->d_name, str_of(e, "ip"));
                                unlink(p);
                        }
        }
        pthread_mutex_unlock(&n->lock);
}
