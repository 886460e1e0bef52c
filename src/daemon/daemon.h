/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <time.h>

#include "../basic/err.h"
#include "../container/containers.h"
#include "../image/images.h"
#include "../registry/client.h"

typedef struct RossDaemonConfig {
        char *data_dir;
        char *run_dir;
        char *socket_path;
        char **insecure_registries; /* NULL-terminated */
        size_t n_insecure;
        int max_concurrent_downloads;
        int max_concurrent_uploads;
        uint64_t max_layer_size;         /* bytes, uncompressed; 0: the default cap */
        RossSpaceReserve min_free_space; /* --min-free-space; {0}: no reserve */
        char *certs_dir;
        char *default_runtime;
        char *vm_kernel;     /* --vm-kernel, or NULL */
        char *vm_accel;      /* --vm-accel, or NULL: auto */
        char *vm_fs;         /* --vm-fs, or NULL: auto */
        char *krun_library;  /* --krun-library, or NULL: libkrun.so.1 */
        char *netavark;      /* --netavark, or NULL: where Debian and podman put it */
        char *bridge_subnet; /* --bridge-subnet, or NULL: the first free default pool */
        bool no_bridge;      /* --bridge none: no --network given means none */
        int network_spares;  /* --network-spares, or -1: the default */
        /* the environment's ROSS_HELPER_STALL_SECONDS, or 0: the default */
        int helper_stall_seconds;
        /* --log-driver and --log-opt as ross_log_default_parse made them, or NULL */
        json_t *log_default;
} RossDaemonConfig;

typedef struct RossDaemon RossDaemon;

/* What the API handlers reach: configuration and the services. */
struct RossDaemon {
        RossDaemonConfig cfg;
        RossRegistryConfig registry;
        RossDb *db;
        RossContent *content;
        RossSnapshots *snapshots;
        RossImages images;
        RossContainers containers;
        RossNetworks networks;
        RossVolumes volumes;
        time_t started;
        char id[65];
};

/* Create directories, open the database and content store, clean what a crash left. */
int ross_daemon_open(RossDaemon *d, RossError *err);
void ross_daemon_close(RossDaemon *d);
void ross_daemon_config_free(RossDaemonConfig *cfg);
