/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A network's keeper: one endpoint of Ross's own, in a namespace of its own, set up with the
 * network's first container and torn down when the network is removed. netavark removes a
 * bridge, its firewall rules and aardvark-dns's entries with the last endpoint on it, and
 * makes them again with the next: 250 ms at a container's exit and 50 at the next start,
 * every time a network empties (each `run --rm` alone on the default bridge). Docker keeps
 * docker0 and its br-* bridges up for as long as the network exists; the keeper makes
 * netavark do the same. It holds the subnet's last address.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "netavark-run.h"
#include "netns.h"
#include "networks.h"

static pthread_mutex_t keeper_lock = PTHREAD_MUTEX_INITIALIZER;

static char *keeper_netns(RossNetworks *n, const char *netid)
{
        return xasprintf("%s/netns/keep-%s", n->run_dir, netid);
}

static char *keeper_file(RossNetworks *n, const char *netid, const char *ext)
{
        return xasprintf("%s/keep/%s%s", n->run_dir, netid, ext);
}

static RossNetavark netavark_of(RossNetworks *n, char **config_dir)
{
        *config_dir = xasprintf("%s/aardvark", n->run_dir);
        return (RossNetavark){
                .program = n->netavark, .config_dir = *config_dir, .aardvark = n->aardvark};
}

static void keeper_remove_locked(RossNetworks *n, const json_t *def);

/* Under keeper_lock. */
static int keeper_make(RossNetworks *n, const json_t *def, const char *ns, RossError *err)
{
        const char *netid = ross_network_id(def);
        _cleanup_free_ char *dir = xasprintf("%s/keep", n->run_dir);
        int r = ross_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        RossSubnet s;
        uint32_t addr;
        _cleanup_free_ char *lease = NULL;
        if (ross_network_subnet(def, &s, NULL) < 0 || s.prefix > 28)
                return 0; /* nothing to keep; or too few addresses to spare one */
        /* the subnet's last address, or the one before when that is the gateway */
        r = -EINVAL;
        for (uint32_t a = ross_subnet_last(&s); r < 0 && a + 1 >= ross_subnet_last(&s); a--) {
                RossError e2 = {};
                r = ross_network_lease(n, def, ROSS_NETWORK_KEEPER, a, &addr, &lease, &e2);
        }
        if (r < 0) {
                /* containers asked for those: this network's bridge goes with its last one */
                log_debug("network %s: no address for a keeper", ross_network_name(def));
                return 0;
        }
        char ab[16];
        _cleanup_free_ char *cid = xasprintf("ross-keeper-%s", netid);
        json_auto_t *opts =
                json_pack("{s:s, s:s, s:{s:{s:s, s:[s]}}, s:{s:o}}", "container_id", cid,
                          "container_name", "ross-keeper", "networks", ross_network_name(def),
                          "interface_name", "eth0", "static_ips", ross_ip4_format(addr, ab),
                          "network_info", ross_network_name(def), ross_network_netavark(def));
        _cleanup_free_ char *in = keeper_file(n, netid, ".json");
        _cleanup_free_ char *out = keeper_file(n, netid, ".status");
        _cleanup_free_ char *text = json_dumps(opts, JSON_COMPACT);
        _cleanup_free_ char *cfgdir = NULL;
        RossNetavark nv = netavark_of(n, &cfgdir);
        if ((r = ross_write_file_replace(in, text, strlen(text), 0600, err)) < 0 ||
            (r = ross_netns_make(ns, err)) < 0) {
                unlink(lease);
                return r;
        }
        r = ross_netavark_run(&nv, "setup", ns, in, out, err);
        if (r < 0) {
                RossError e2 = {};
                (void)ross_netavark_run(&nv, "teardown", ns, in, out, &e2);
                ross_netns_remove(ns);
                unlink(lease);
                unlink(in);
                return ross_err_prefix(err, "network %s", ross_network_name(def));
        }
        log_debug("network %s: kept up by %s on %s", ross_network_name(def), ab, ns);
        return 0;
}

int ross_network_keeper_ensure(RossNetworks *n, const json_t *def, RossError *err)
{
        if (!ross_network_is_bridge(def) || !n->netavark)
                return 0;
        /* ready once its setup is done: a container's setup must not race the keeper's,
         * which makes the network's bridge and chains */
        _cleanup_free_ char *ns = keeper_netns(n, ross_network_id(def));
        _cleanup_free_ char *ready = keeper_file(n, ross_network_id(def), ".ready");
        if (access(ready, F_OK) == 0)
                return 0;
        /* the network may have been removed since the caller found it */
        _cleanup_free_ char *defp = xasprintf("%s/%s.json", n->dir, ross_network_id(def));
        pthread_mutex_lock(&keeper_lock);
        int r = 0;
        if (access(ready, F_OK) < 0 && access(defp, F_OK) == 0) {
                keeper_remove_locked(n, def); /* a half-made one's */
                r = keeper_make(n, def, ns, err);
                if (r == 0)
                        (void)ross_write_file_replace(ready, "", 0, 0600, NULL);
        }
        pthread_mutex_unlock(&keeper_lock);
        return r;
}

/* Under keeper_lock: teardown, namespace, files, its lease. */
static void keeper_remove_locked(RossNetworks *n, const json_t *def)
{
        const char *netid = ross_network_id(def);
        _cleanup_free_ char *ns = keeper_netns(n, netid);
        _cleanup_free_ char *in = keeper_file(n, netid, ".json");
        _cleanup_free_ char *out = keeper_file(n, netid, ".status");
        _cleanup_free_ char *log = keeper_file(n, netid, ".status.log");
        _cleanup_free_ char *ready = keeper_file(n, netid, ".ready");
        struct stat st;
        unlink(ready);
        if (stat(ns, &st) == 0 && access(in, F_OK) == 0 && n->netavark) {
                _cleanup_free_ char *cfgdir = NULL;
                RossNetavark nv = netavark_of(n, &cfgdir);
                RossError err = {};
                if (ross_netavark_run(&nv, "teardown", ns, in, out, &err) < 0)
                        log_warn("network %s: %s", ross_network_name(def), err.msg);
        }
        ross_netns_remove(ns);
        unlink(in);
        unlink(out);
        unlink(log);
        _cleanup_free_ char *dir = xasprintf("%s/ipam/%s", n->run_dir, netid);
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                _cleanup_free_ char *who = NULL;
                if (de->d_name[0] != '.' && ross_read_file(p, 128, &who, NULL, NULL) == 0 &&
                    STREQ(who, ROSS_NETWORK_KEEPER))
                        unlink(p);
        }
}

void ross_network_keeper_remove(RossNetworks *n, const json_t *def)
{
        pthread_mutex_lock(&keeper_lock);
        keeper_remove_locked(n, def);
        pthread_mutex_unlock(&keeper_lock);
}

void ross_network_keeper_lock(void)
{
        pthread_mutex_lock(&keeper_lock);
}

void ross_network_keeper_unlock(void)
{
        pthread_mutex_unlock(&keeper_lock);
}

void ross_network_keeper_remove_held(RossNetworks *n, const json_t *def)
{
        keeper_remove_locked(n, def);
}
