/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/buf.h"
#include "../basic/err.h"
#include "../image/images.h"
#include "../net/networks.h"
#include "../volume/volumes.h"

/* The container service: what the daemon's container endpoints call. */
typedef struct RossContainers {
        RossDb *db;
        RossImages *images;
        char *dir;          /* <data>/containers */
        char *runtime_root; /* <run>/runtime/<name>: the OCI runtimes' state */
        char *shim_path;
        char *default_runtime; /* "crun" */
        RossNetworks *networks;
        RossVolumes *volumes;
        bool no_default_bridge; /* --bridge none: containers without --network get none */
        /* runtime name -> why it cannot run containers on this host (its backend's probe) */
        json_t *unusable;
        /* what the list and inspect answered, kept until it changes (summary-cache.h) */
        struct RossSummaryCache *summaries;
        /* the stats answers' samples, kept for the next one's precpu (stats-recent.h) */
        struct RossStatsRecent *stats_recent;
        /* --log-driver and --log-opt: the LogConfig a create without its own gets (logconfig.h),
         * or NULL: json-file with Ross's defaults */
        json_t *log_default;
        /* the micro-VM backends */
        struct {
                char *kernel;       /* --vm-kernel, or NULL: the newest /boot/vmlinuz-* */
                char *accel;        /* --vm-accel: "auto", "kvm" or "tcg" */
                char *fs;           /* --vm-fs: "auto", "virtiofs" or "9p" */
                char *krun_library; /* --krun-library, or NULL: libkrun.so.1 */
                bool krun_net;      /* that libkrun puts a VM on a network (krun_add_net_tap) */
                char *cache_dir;    /* <data>/vm: initramfs builds */
        } vm;
} RossContainers;

/* A program that sits beside ross-shim (ross-init), by name (caller frees). */
char *ross_containers_helper(RossContainers *c, const char *name);
struct RossNetPlan;
struct RossContainerConfig;
/* The container's /etc/hosts, /etc/hostname and /etc/resolv.conf, in its directory: the
 * hosts and resolv.conf its network prepared (network.h). */
int ross_containers_write_etc(RossContainers *c, const char *id, const char *hostname,
                              const struct RossNetPlan *net, RossError *err);
/* A file of the container's directory (file NULL: the directory; caller frees). */
char *ross_containers_path(RossContainers *c, const char *id, const char *file);
/* Its stored row and typed config; and the typed config stored again (network connect). */
int ross_containers_config_load(RossContainers *c, const char *id, json_t **ret_row,
                                struct RossContainerConfig *ret, RossError *err);
int ross_containers_config_store(RossContainers *c, const char *id, json_t *row,
                                 const struct RossContainerConfig *cfg, RossError *err);

/* Create from Docker's ContainerCreate body; name may be NULL (one is made up). */
int ross_containers_create(RossContainers *c, json_t *body, const char *name, char **ret_id,
                           RossError *err);
/* Start; a command that cannot run gives its message and *ret_exec_status 126 or 127. */
int ross_containers_start(RossContainers *c, const char *ref, int *ret_exec_status, RossError *err);
/* POST /containers/{id}/update's body: RestartPolicy, Memory, NanoCpus (or CpuQuota and
 * CpuPeriod), PidsLimit; kept, and applied to a running container (update.c). */
int ross_containers_update(RossContainers *c, const char *ref, json_t *body, RossError *err);
/* The same for a restart policy's start: the restart count goes on. */
int ross_containers_start_policy(RossContainers *c, const char *id, int *ret_exec_status,
                                 RossError *err);
/* Block until the container exits at or after since (Unix time), or is removed: for waits
 * that come before the start (docker run asks for the next exit first). */
void ross_containers_wait_next_exit(RossContainers *c, const char *id, double since);
/* Block until the container is removed (--rm, or by someone else). */
void ross_containers_wait_removed(RossContainers *c, const char *id);
/* Block until the container is not running; its exit code. */
int ross_containers_wait(RossContainers *c, const char *ref, int *ret_code, RossError *err);
/* Send a signal (a name as Docker takes it, "KILL", "SIGKILL", "RTMIN+3", or a number; NULL or
 * "" is SIGKILL): -EINVAL "Invalid signal: X" before anything else, -EBUSY when the container
 * is not running. SIGKILL returns once the container has exited, as Docker's kill does;
 * other signals once delivered. */
int ross_containers_kill(RossContainers *c, const char *ref, const char *signal, RossError *err);
/* The signal number of a name or number as above; -EINVAL if it is none. */
int ross_containers_parse_signal(const char *s, int *ret);
/* The stop signal, then SIGKILL after timeout seconds (<0: the container's own or 10). */
int ross_containers_stop(RossContainers *c, const char *ref, int timeout, RossError *err);
/* volumes: its anonymous volumes go too (rm -v, --rm). */
int ross_containers_remove(RossContainers *c, const char *ref, bool force, bool volumes,
                           RossError *err);
int ross_containers_rename(RossContainers *c, const char *ref, const char *name, RossError *err);
/* Freeze or thaw every process of a running container (the runtime's pause/resume). */
int ross_containers_pause(RossContainers *c, const char *ref, bool pause, RossError *err);
/* What a list filter looks at (borrowed for the call). */
typedef struct RossContainerInfo {
        const char *id;
        const char *name; /* without the leading '/' */
        const char *image_id;
        json_t *labels;    /* the image's, then the container's own */
        const char *state; /* created, running, paused, exited */
        int exit_code;
        bool started;        /* it ran at least once */
        json_t *mounts;      /* Docker's Mounts list: Source, Destination, ... */
        const char *network; /* "none" or "host": the one network it is in; NULL: none yet */
        const char *health;  /* "starting", "healthy", "unhealthy", or "none" */
} RossContainerInfo;

/* Keep this container? Set *ret_stop to end the walk (the walk goes newest first). */
typedef bool (*RossContainerPick)(void *ud, const RossContainerInfo *ci, bool *ret_stop);

/* Docker's list entries (ContainerSummary), newest first, of the containers pick keeps
 * (pick NULL: every container). */
int ross_containers_list(RossContainers *c, RossContainerPick pick, void *ud, json_t **ret,
                         RossError *err);
/* The same list as its compact JSON text (what json_dumps writes of it), in *ret (the
 * caller frees it): made from what the summary cache keeps. */
int ross_containers_list_text(RossContainers *c, RossContainerPick pick, void *ud, RossBuf *ret,
                              RossError *err);
/* For /info: how many containers there are in each state. */
typedef struct RossContainerCounts {
        int total, running, paused, stopped;
} RossContainerCounts;
int ross_containers_count(RossContainers *c, RossContainerCounts *ret, RossError *err);
/* Docker's ContainerInspectResponse: State, Config as merged with the image, HostConfig with
 * Docker's defaults filled in, Mounts, NetworkSettings. */
int ross_containers_inspect(RossContainers *c, const char *ref, json_t **ret, RossError *err);
/* The same as its compact JSON text, in *ret (the caller frees it). */
int ross_containers_inspect_text(RossContainers *c, const char *ref, RossBuf *ret, RossError *err);
int ross_containers_resolve(RossContainers *c, const char *ref, char **ret_id, RossError *err);
/* <dir>/<id>/container.log */
char *ross_containers_log_path(RossContainers *c, const char *id);
/* true while the container's shim runs it */
bool ross_containers_running(RossContainers *c, const char *id);
/* true while a running container is paused (its "paused" file, from pause to unpause) */
bool ross_containers_paused(RossContainers *c, const char *id);
/* An attach client that waits for the container's next start: the eventfd returned becomes
 * readable once a start was tried (the start holds the output until the client is there).
 * ross_containers_attach_forget withdraws it if that has not happened yet; the caller
 * closes the fd after that. */
int ross_containers_attach_expect(RossContainers *c, const char *id);
void ross_containers_attach_forget(RossContainers *c, int efd);
/* Connect to a running container's shim (src/shim/frame.h); want_output: say HELLO. */
int ross_containers_attach_connect(RossContainers *c, const char *id, bool want_output,
                                   RossError *err);
/* Set the size of a running container's terminal. */
int ross_containers_resize(RossContainers *c, const char *ref, unsigned rows, unsigned cols,
                           RossError *err);
/* exec.c: another process in a running container (Docker's exec instances). body is
 * Docker's ExecConfig (Cmd, Env, User, WorkingDir, Tty, AttachStdin...). */
int ross_exec_create(RossContainers *c, const char *ref, json_t *body, char **ret_id,
                     RossError *err);
/* Start it; attached: its shim holds the output until one client has connected. */
int ross_exec_start(RossContainers *c, const char *exec_id, bool attached, int *ret_exec_status,
                    RossError *err);
int ross_exec_inspect(RossContainers *c, const char *exec_id, json_t **ret, RossError *err);
int ross_exec_attach_connect(RossContainers *c, const char *exec_id, RossError *err);
int ross_exec_resize(RossContainers *c, const char *exec_id, unsigned rows, unsigned cols,
                     RossError *err);
/* The exit code of a container removed a moment ago (kept for the last 64). */
bool ross_containers_removed_exit(const char *id, int *ret_code);
/* Remove containers created with AutoRemove that have exited (at start, after a crash). */
void ross_containers_reap_autoremove(RossContainers *c);
/* At daemon start: the monitor watches every container that is running (monitor.h). */
void ross_containers_watch_running(RossContainers *c);
