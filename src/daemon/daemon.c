/* SPDX-License-Identifier: Apache-2.0 */
#include "../api/server.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../backend/backend.h"
#include "../container/netspare.h"
#include "../container/exec.h"
#include "../container/health.h"
#include "../container/logconfig.h"
#include "../container/monitor.h"
#include "../container/network.h"
#include "../container/restart.h"
#include "../container/stats-recent.h"
#include "../container/summary-cache.h"
#include "daemon.h"

static void load_id(RossDaemon *d)
{
        _cleanup_free_ char *path = xasprintf("%s/daemon-id", d->cfg.data_dir);
        _cleanup_free_ char *s = NULL;
        if (ross_read_file(path, 256, &s, NULL, NULL) == 0 && strlen(s) >= 64) {
                memcpy(d->id, s, 64);
                d->id[64] = '\0';
                return;
        }
        ross_random_hex(d->id, 32);
        (void)ross_write_file_atomic(path, d->id, 64, 0600, NULL);
}

/*
 * Ask each backend whether it can run containers here (crun may first fix this host's
 * cgroup layout). A default runtime that cannot run: named by --default-runtime, the
 * daemon does not start; the implicit default falls back (crun to runc) with a warning.
 * Containers asking for a runtime that cannot run get the message that says what to do.
 */
static int probe_backends(RossDaemon *d, RossError *err)
{
        RossContainers *c = &d->containers;
        c->unusable = json_object();
        for (const RossBackend *const *b = ross_backends(); *b; b++) {
                _cleanup_free_ char *why = (*b)->probe ? (*b)->probe(*b, c) : NULL;
                if (!why)
                        continue;
                log_debug("runtime %s cannot run containers here: %s", (*b)->name, why);
                json_object_set_new(c->unusable, (*b)->name, json_string(why));
        }
        const char *def = c->default_runtime;
        const char *why = json_string_value(json_object_get(c->unusable, def));
        if (!why)
                return 0;
        if (d->cfg.default_runtime)
                return ross_errx(err, EBUSY, "%s", why);
        const RossBackend *be = ross_backend_find(def);
        const char *fb = be ? be->fallback : NULL;
        if (!fb || json_object_get(c->unusable, fb))
                return 0; /* each container says why */
        log_warn("%s; using %s for containers", why, fb);
        free(c->default_runtime);
        c->default_runtime = xstrdup(fb);
        return 0;
}

int ross_daemon_open(RossDaemon *d, RossError *err)
{
        int r;

        if ((r = ross_mkdir_p(d->cfg.data_dir, 0711, err)) < 0 ||
            (r = ross_mkdir_p(d->cfg.run_dir, 0711, err)) < 0)
                return r;
        _cleanup_free_ char *dbpath = xasprintf("%s/ross.db", d->cfg.data_dir);
        r = ross_db_open(dbpath, &d->db, err);
        if (r < 0)
                return r;
        r = ross_content_open(d->cfg.data_dir, &d->content, err);
        if (r < 0)
                return r;
        ross_content_set_reserve(d->content, &d->cfg.min_free_space);
        r = ross_snapshots_open(d->cfg.data_dir, d->db, &d->snapshots, err);
        if (r < 0)
                return r;
        /* A crash mid-unpack leaves snapshots that are not committed: drop them. */
        r = ross_snapshots_recover(d->snapshots, err);
        if (r < 0)
                return r;
        load_id(d);

        d->registry.insecure = d->cfg.insecure_registries;
        d->registry.certs_dir = d->cfg.certs_dir;
        d->registry.helper_stall_seconds = d->cfg.helper_stall_seconds;
        d->images.db = d->db;
        d->images.content = d->content;
        d->images.registry = &d->registry;
        d->images.max_concurrent_downloads = d->cfg.max_concurrent_downloads;
        d->images.max_concurrent_uploads = d->cfg.max_concurrent_uploads;
        d->images.snapshots = d->snapshots;
        d->images.max_layer_bytes = d->cfg.max_layer_size;
        d->images.min_free_space = d->cfg.min_free_space;
        d->images.mounts_dir = xasprintf("%s/image-mounts", d->cfg.run_dir);
        d->images.data_dir = d->cfg.data_dir;
        ross_images_init(&d->images);
        d->started = time(NULL);

        d->containers.db = d->db;
        d->containers.images = &d->images;
        d->containers.dir = xasprintf("%s/containers", d->cfg.data_dir);
        d->containers.runtime_root = xasprintf("%s/runtime", d->cfg.run_dir);
        d->containers.default_runtime =
                xstrdup(d->cfg.default_runtime ? d->cfg.default_runtime : "crun");
        d->containers.vm.kernel = d->cfg.vm_kernel ? xstrdup(d->cfg.vm_kernel) : NULL;
        d->containers.vm.accel = xstrdup(d->cfg.vm_accel ? d->cfg.vm_accel : "auto");
        d->containers.vm.fs = xstrdup(d->cfg.vm_fs ? d->cfg.vm_fs : "auto");
        d->containers.vm.krun_library = d->cfg.krun_library ? xstrdup(d->cfg.krun_library) : NULL;
        d->containers.vm.cache_dir = xasprintf("%s/vm", d->cfg.data_dir);
        d->containers.log_default = json_incref(d->cfg.log_default);
        {
                /* ross-shim and ross-pull sit next to ross-daemon */
                char self[4096];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                self[n > 0 ? n : 0] = '\0';
                char *slash = strrchr(self, '/');
                if (slash)
                        *slash = '\0';
                d->containers.shim_path = xasprintf("%s/ross-shim", n > 0 ? self : "/usr/bin");
                d->images.helper_path = xasprintf("%s/ross-pull", n > 0 ? self : "/usr/bin");
                d->registry.helper = d->images.helper_path;
        }
        if ((r = ross_mkdir_p(d->containers.dir, 0700, err)) < 0 ||
            (r = ross_summary_cache_new(d->containers.dir, &d->containers.summaries, err)) < 0)
                return r;
        d->containers.stats_recent = ross_stats_recent_new();
        r = ross_networks_init(&d->networks, d->cfg.data_dir, d->cfg.run_dir, d->cfg.netavark,
                               d->cfg.bridge_subnet, err);
        if (r < 0)
                return r;
        d->containers.networks = &d->networks;
        if ((r = ross_volumes_init(&d->volumes, d->cfg.data_dir, err)) < 0)
                return r;
        d->containers.volumes = &d->volumes;
        d->containers.no_default_bridge = d->cfg.no_bridge;
        r = probe_backends(d, err);
        if (r < 0)
                return r;
        /* the networks of containers whose shim is gone (a crash, a reboot), and the spare
         * endpoints a former daemon made */
        ross_containers_net_recover(&d->containers);
        ross_netspares_clean(&d->containers);
        if (!d->cfg.no_bridge)
                ross_netspares_start(&d->containers, d->cfg.network_spares < 0
                                                             ? 2
                                                             : (unsigned)d->cfg.network_spares);
        ross_containers_reap_autoremove(&d->containers);
        /* the daemon's eye on exits (die events, restart policies), on every container
         * still running; then the ones a restart policy wants up */
        if ((r = ross_monitor_start(&d->containers, ross_container_exited, ross_exec_exited)) < 0 ||
            (r = ross_restart_start(&d->containers)) < 0)
                return ross_errx(err, -r, "start the container monitor: %s", strerror(-r));
        ross_containers_watch_running(&d->containers);
        ross_restart_at_daemon_start(&d->containers);

        /* A crash mid-pull leaves ingest files and stages, blobs and snapshots no image
         * took. */
        ross_content_clean_stages(d->content);
        int64_t freed = ross_images_gc(&d->images, true, err);
        if (freed < 0)
                return (int)freed;
        if (freed > 0)
                log_debug("garbage collection freed %lld bytes", (long long)freed);
        return 0;
}

void ross_daemon_close(RossDaemon *d)
{
        ross_restart_stop();
        ross_health_stop_all();
        ross_monitor_stop();
        ross_netspares_stop();
        if (d->images.busy)
                ross_images_done(&d->images);
        free(d->images.mounts_dir);
        free(d->containers.dir);
        free(d->containers.runtime_root);
        free(d->containers.default_runtime);
        json_decref(d->containers.unusable);
        free(d->containers.vm.kernel);
        free(d->containers.vm.accel);
        free(d->containers.vm.fs);
        free(d->containers.vm.krun_library);
        free(d->containers.vm.cache_dir);
        free(d->containers.shim_path);
        ross_summary_cache_free(d->containers.summaries);
        ross_stats_recent_free(d->containers.stats_recent);
        json_decref(d->containers.log_default);
        free(d->images.helper_path);
        d->images.helper_path = NULL;
        d->registry.helper = NULL;
        memset(&d->containers, 0, sizeof(d->containers));
        if (d->networks.dir)
                ross_networks_done(&d->networks);
        memset(&d->networks, 0, sizeof(d->networks));
        if (d->volumes.dir)
                ross_volumes_done(&d->volumes);
        memset(&d->volumes, 0, sizeof(d->volumes));
        d->images.mounts_dir = NULL;
        ross_snapshots_free(d->snapshots);
        d->snapshots = NULL;
        ross_db_close(d->db);
        ross_content_free(d->content);
        d->db = NULL;
        d->content = NULL;
}

void ross_daemon_config_free(RossDaemonConfig *cfg)
{
        free(cfg->data_dir);
        free(cfg->run_dir);
        free(cfg->socket_path);
        free(cfg->certs_dir);
        free(cfg->default_runtime);
        free(cfg->vm_kernel);
        free(cfg->vm_accel);
        free(cfg->vm_fs);
        free(cfg->krun_library);
        free(cfg->netavark);
        free(cfg->bridge_subnet);
        json_decref(cfg->log_default);
        for (size_t i = 0; i < cfg->n_insecure; i++)
                free(cfg->insecure_registries[i]);
        free(cfg->insecure_registries);
        memset(cfg, 0, sizeof(*cfg));
}
