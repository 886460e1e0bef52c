/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"
#include "logconfig.h"
#include "netconfig.h"
#include "spec.h"

/*
 * A container's typed config: Docker's ContainerCreate body merged with the image's
 * config and checked once, at create. It is stored with the container and read back at
 * each start, so a start never parses the request again; what a backend needs comes from
 * here. The request itself is kept beside it for inspect, which shows it as given.
 */
typedef struct RossContainerConfig {
        char *image_id;
        char *runtime;           /* the runtime name, the daemon's default applied */
        RossProcessSpec process; /* args, env, cwd, user as given, terminal */
        bool open_stdin, stdin_once;
        char *hostname;    /* NULL: the short id */
        json_t *binds;     /* binds and volumes (mounts.h), sources absolute */
        json_t *tmpfs;     /* ["/path[:options]"] */
        json_t *group_add; /* [name or number]: strings */
        bool init;         /* --init: ross-init as PID 1 of the command */
        bool readonly_rootfs;
        int64_t memory;     /* bytes, 0: no limit */
        int64_t nano_cpus;  /* 1e-9 CPUs, 0: no limit */
        int64_t pids_limit; /* 0: no limit */
        RossNetConfig net;  /* the network mode, endpoints, ports, DNS (netconfig.h) */
        int stop_signal;    /* the container's, else the image's, else SIGTERM */
        int stop_timeout;   /* seconds; -1: not given */
        /* HostConfig.RestartPolicy: "no", "always", "unless-stopped", "on-failure" (with
         * restart_max tries, 0: no limit) */
        char *restart;
        int restart_max;
        bool auto_remove;  /* --rm */
        json_t *health;    /* the healthcheck (health.h), or NULL */
        RossLogConfig log; /* the log driver and its rotation (logconfig.h) */
} RossContainerConfig;

void ross_container_config_free(RossContainerConfig *c);

/* Check the request (body: ContainerCreate) against the image (image_config: the image's
 * whole config blob) and make the typed config. runtime: the runtime to use when the
 * request names none. known_runtime says whether a name is a runtime. */
int ross_container_config_parse(json_t *body, json_t *image_config, const char *runtime,
                                bool (*known_runtime)(const char *name), RossContainerConfig *ret,
                                RossError *err);

/* The stored form, and back; -EINVAL naming what is wrong when it is not one. */
json_t *ross_container_config_to_json(const RossContainerConfig *c);
int ross_container_config_from_json(json_t *j, RossContainerConfig *ret, RossError *err);
