/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../basic/jsonfile.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "../net/netavark-run.h"
#include "../net/netns.h"
#include "../net/networks.h"
#include "../net/subnet.h"
#include "containers.h"
#include "netspare.h"

/*
 * <run>/networks/spares/<sid>/: 0-start.json (netavark's input), 0-start.status (its
 * answer), lease (the lease file's path), ready (written last); the namespace is
 * <run>/networks/netns/spare-<sid>.
 */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spare_wake = PTHREAD_COND_INITIALIZER;
static unsigned spare_want;
static bool spare_stopping, spare_running;
static pthread_t spare_th;

static char *spares_dir(RossContainers *c)
{
        return xasprintf("%s/spares", c->networks->run_dir);
}

static char *spare_netns(RossContainers *c, const char *sid)
{
        return xasprintf("%s/netns/spare-%s", c->networks->run_dir, sid);
}

static RossNetavark netavark_of(RossContainers *c, char **config_dir)
{
        *config_dir = xasprintf("%s/aardvark", c->networks->run_dir);
        return (RossNetavark){.program = c->networks->netavark,
                              .config_dir = *config_dir,
                              .aardvark = c->networks->aardvark};
}

void ross_netspare_free(RossNetSpare *s)
{
        free(s->netns);
        free(s->ip);
        free(s->gateway);
        free(s->mac);
        *s = (RossNetSpare){};
}

/* Tear one down: netavark, its lease, its namespace, its directory. */
static void spare_destroy(RossContainers *c, const char *sid)
{
        _cleanup_free_ char *top = spares_dir(c);
        _cleanup_free_ char *dir = xasprintf("%s/%s", top, sid);
        _cleanup_free_ char *in = xasprintf("%s/0-start.json", dir);
        _cleanup_free_ char *out = xasprintf("%s/0-start.down", dir);
        _cleanup_free_ char *leasef = xasprintf("%s/lease", dir);
        _cleanup_free_ char *ns = spare_netns(c, sid);
        struct stat st;
        if (c->networks->netavark && stat(ns, &st) == 0 && access(in, F_OK) == 0) {
                _cleanup_free_ char *cfgdir = NULL;
                RossNetavark nv = netavark_of(c, &cfgdir);
                RossError err = {};
                if (ross_netavark_run(&nv, "teardown", ns, in, out, &err) < 0)
                        log_debug("spare %s: %s", sid, err.msg);
        }
        _cleanup_free_ char *lease = NULL;
        if (ross_read_file(leasef, 4096, &lease, NULL, NULL) == 0)
                unlink(lease);
        ross_netns_remove(ns);
        (void)ross_rm_rf(dir);
}

void ross_netspares_clean(RossContainers *c)
{
        _cleanup_free_ char *top = spares_dir(c);
        _cleanup_(closedirp) DIR *d = opendir(top);
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        spare_destroy(c, de->d_name);
}

static unsigned spares_ready(RossContainers *c)
{
        _cleanup_free_ char *top = spares_dir(c);
        _cleanup_(closedirp) DIR *d = opendir(top);
        struct dirent *de;
        unsigned n = 0;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *ready = xasprintf("%s/%s/ready", top, de->d_name);
                n += access(ready, F_OK) == 0;
        }
        return n;
}

static int spare_make(RossContainers *c, RossError *err)
{
        json_auto_t *def = NULL;
        int r = ross_network_find(c->networks, "bridge", &def, err);
        if (r < 0)
                return r;
        if ((r = ross_network_keeper_ensure(c->networks, def, err)) < 0)
                return r;
        char sid[33];
        ross_random_hex(sid, 16);
        _cleanup_free_ char *top = spares_dir(c);
        _cleanup_free_ char *dir = xasprintf("%s/%s", top, sid);
        if ((r = ross_mkdir_p(dir, 0700, err)) < 0)
                return r;
        _cleanup_free_ char *holder = xasprintf("spare-%s", sid);
        uint32_t addr = 0;
        _cleanup_free_ char *lease = NULL;
        r = ross_network_lease(c->networks, def, holder, 0, &addr, &lease, err);
        _cleanup_free_ char *leasef = xasprintf("%s/lease", dir);
        if (r == 0)
                r = ross_write_file_replace(leasef, lease, strlen(lease), 0600, err);
        if (r < 0) {
                if (lease)
                        unlink(lease);
                (void)ross_rm_rf(dir);
                return r;
        }
        char ab[16], mac[18];
        ross_ip4_format(addr, ab);
        snprintf(mac, sizeof(mac), "02:42:%02x:%02x:%02x:%02x", addr >> 24, (addr >> 16) & 255,
                 (addr >> 8) & 255, addr & 255);
        _cleanup_free_ char *cid = xasprintf("ross-spare-%s", sid);
        json_auto_t *opts = json_pack(
                "{s:s, s:s, s:{s:{s:s, s:[s], s:s}}, s:{s:o}}", "container_id", cid,
                "container_name", cid, "networks", "bridge", "interface_name", "eth0", "static_ips",
                ab, "static_mac", mac, "network_info", "bridge", ross_network_netavark(def));
        _cleanup_free_ char *in = xasprintf("%s/0-start.json", dir);
        _cleanup_free_ char *out = xasprintf("%s/0-start.status", dir);
        _cleanup_free_ char *text = json_dumps(opts, JSON_COMPACT);
        _cleanup_free_ char *ns = spare_netns(c, sid);
        _cleanup_free_ char *cfgdir = NULL;
        RossNetavark nv = netavark_of(c, &cfgdir);
        if ((r = ross_write_file_replace(in, text, strlen(text), 0600, err)) < 0 ||
            (r = ross_netns_make(ns, err)) < 0 ||
            (r = ross_netavark_run(&nv, "setup", ns, in, out, err)) < 0) {
                spare_destroy(c, sid);
                return r;
        }
        _cleanup_free_ char *ready = xasprintf("%s/ready", dir);
        return ross_write_file_replace(ready, "", 0, 0600, err);
}

static void *spare_thread(void *ud)
{
        RossContainers *c = ud;
        unsigned failures = 0;
        for (;;) {
                pthread_mutex_lock(&spare_lock);
                while (!spare_stopping && spares_ready(c) >= spare_want) {
                        struct timespec t;
                        clock_gettime(CLOCK_REALTIME, &t);
                        t.tv_sec += 60;
                        pthread_cond_timedwait(&spare_wake, &spare_lock, &t);
                }
                bool stop = spare_stopping;
                pthread_mutex_unlock(&spare_lock);
                if (stop)
                        break;
                RossError err = {};
                if (spare_make(c, &err) < 0) {
                        /* the bridge cannot be had now: say so once, try again later */
                        if (failures++ == 0)
                                log_warn("spare endpoints on the bridge network: %s", err.msg);
                        for (unsigned k = 0; k < (failures < 5 ? 10u : 300u) && !spare_stopping;
                             k++)
                                usleep(100000);
                } else
                        failures = 0;
        }
        return NULL;
}

void ross_netspares_start(RossContainers *c, unsigned n)
{
        spare_want = n;
        if (n == 0 || c->networks->unusable)
                return;
        _cleanup_free_ char *top = spares_dir(c);
        if (ross_mkdir_p(top, 0700, NULL) < 0)
                return;
        spare_stopping = false;
        spare_running = pthread_create(&spare_th, NULL, spare_thread, c) == 0;
}

void ross_netspares_stop(void)
{
        if (!spare_running)
                return;
        pthread_mutex_lock(&spare_lock);
        spare_stopping = true;
        pthread_cond_signal(&spare_wake);
        pthread_mutex_unlock(&spare_lock);
        pthread_join(spare_th, NULL);
        spare_running = false;
}

static int move_file(const char *from, const char *to, RossError *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = ross_read_file(from, 1024 * 1024, &text, &len, err);
        return r < 0 ? r : ross_write_file_replace(to, text, len, 0600, err);
}

bool ross_netspare_take(RossContainers *c, const char *id, const char *net_dir, RossNetSpare *ret)
{
        if (spare_want == 0)
                return false;
        _cleanup_free_ char *top = spares_dir(c);
        bool taken = false;
        pthread_mutex_lock(&spare_lock);
        _cleanup_(closedirp) DIR *d = opendir(top);
        struct dirent *de;
        while (!taken && d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *dir = xasprintf("%s/%s", top, de->d_name);
                _cleanup_free_ char *ready = xasprintf("%s/ready", dir);
                if (access(ready, F_OK) < 0)
                        continue;
                _cleanup_free_ char *in = xasprintf("%s/0-start.json", dir);
                _cleanup_free_ char *st = xasprintf("%s/0-start.status", dir);
                _cleanup_free_ char *leasef = xasprintf("%s/lease", dir);
                _cleanup_free_ char *to_in = xasprintf("%s/0-start.json", net_dir);
                _cleanup_free_ char *to_st = xasprintf("%s/0-start.status", net_dir);
                _cleanup_free_ char *to_leases = xasprintf("%s/leases", net_dir);
                _cleanup_free_ char *to_ns = xasprintf("%s/netns", net_dir);
                _cleanup_free_ char *lease = NULL;
                json_auto_t *status = ross_read_json(st, ROSS_STATE_JSON_MAX);
                json_t *iface = json_object_get(
                        json_object_get(json_object_get(status, "bridge"), "interfaces"), "eth0");
                json_t *sub = json_array_get(json_object_get(iface, "subnets"), 0);
                const char *ipnet = json_string_value(json_object_get(sub, "ipnet"));
                const char *gw = json_string_value(json_object_get(sub, "gateway"));
                const char *mac = json_string_value(json_object_get(iface, "mac_address"));
                uint32_t addr;
                unsigned prefix;
                char ab[16];
                if (ross_ip4_prefix_parse(ipnet, &addr, &prefix) < 0 || !gw || !mac) {
                        log_debug("spare %s unusable: %s gives eth0 no address/prefix (\"%s\"), "
                                  "gateway or MAC address",
                                  de->d_name, st, ipnet ?: "");
                        continue;
                }
                _cleanup_free_ char *ns = spare_netns(c, de->d_name);
                RossError err = {};
                if (ross_read_file(leasef, 4096, &lease, NULL, &err) < 0 ||
                    move_file(in, to_in, &err) < 0 || move_file(st, to_st, &err) < 0 ||
                    ross_write_file_replace(to_ns, ns, strlen(ns), 0600, &err) < 0) {
                        log_debug("spare %s unusable: %s", de->d_name, err.msg);
                        continue;
                }
                _cleanup_free_ char *lease_line = xasprintf("%s\n", lease);
                /* the address is the container's now */
                if (ross_write_file_replace(lease, id, strlen(id), 0600, &err) < 0 ||
                    ross_write_file_replace(to_leases, lease_line, strlen(lease_line), 0600, &err) <
                            0) {
                        log_debug("spare %s unusable: %s", de->d_name, err.msg);
                        continue;
                }
                (void)ross_rm_rf(dir);
                *ret = (RossNetSpare){
                        .netns = TAKE_PTR(ns),
                        .ip = xstrdup(ross_ip4_format(addr, ab)),
                        .gateway = xstrdup(gw),
                        .mac = xstrdup(mac),
                        .prefix = prefix,
                };
                taken = true;
        }
        pthread_cond_signal(&spare_wake);
        pthread_mutex_unlock(&spare_lock);
        return taken;
}
