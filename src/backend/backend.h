/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "../basic/err.h"

/*
 * Backends: how a container is isolated, chosen per container by its runtime name. Nothing
 * outside src/backend names a runtime. A backend has two halves, because the shim links
 * libc alone (it stays small in memory) while the daemon's half builds JSON:
 *
 *  - RossBackend (daemon, <name>.c): what is prepared in the container's directory before
 *    its shim starts (an overlay rootfs and an OCI config.json; a rootfs clone and a VM
 *    config), an exec's process description, and what is undone when it is removed.
 *  - RossShimBackend (shim, <name>-shim.c): how the shim runs the workload, signals,
 *    pauses and resumes it, and cleans up after it.
 *
 * Signals, pause and resume reach a container only through its shim's control socket
 * (src/shim/frame.h); whether it runs is asked of its shim (a lock the shim holds), never
 * of a pid that may have been reused.
 */

struct RossContainers;
struct json_t;
struct RossContainerConfig;
struct Shim;
struct ShimClient;
struct pollfd;
struct RossNetPlan;

typedef struct RossBackend {
        const char *name;     /* the runtime name: "crun", "runc", "qemu" */
        const char *kind;     /* "oci", "qemu", "krun" */
        const char *fallback; /* when it cannot run here and was not asked for by name: this
                               * runtime instead (with a warning), or NULL */
        /* At daemon start: NULL when it can run containers on this host, else why not and
         * what to do (caller frees). May fix what it safely can first. */
        char *(*probe)(const struct RossBackend *b, struct RossContainers *c);
        /* At create (may be NULL): what this backend cannot do with this config. */
        int (*check)(const struct RossBackend *b, struct RossContainers *c,
                     const struct RossContainerConfig *cfg, RossError *err);
        /* The program it runs, for /info (caller frees; NULL: not found). */
        char *(*program)(const struct RossBackend *b);
        /* Before the shim starts: the container's root and config in dir; net: its network
         * (the namespace to join, its /etc files; src/container/network.h). */
        int (*prepare)(const struct RossBackend *b, struct RossContainers *c, const char *id,
                       const char *dir, const struct RossContainerConfig *cfg,
                       const struct RossNetPlan *net, RossError *err);
        /* Before an exec's shim starts: its process description in exec_dir, for the shim's
         * --exec (*ret_path; caller frees). e: Docker's ExecConfig; rows/cols: the pty's
         * first size (0: none). */
        int (*prepare_exec)(const struct RossBackend *b, struct RossContainers *c, const char *id,
                            const char *exec_dir, struct json_t *e, unsigned rows, unsigned cols,
                            char **ret_path, RossError *err);
        /* May be NULL (it cannot): give a running container new limits (cfg: its config
         * with them; what: the "memory", "cpus", "pids" that changed, as bits). */
        int (*update)(const struct RossBackend *b, struct RossContainers *c, const char *id,
                      const struct RossContainerConfig *cfg, unsigned what, RossError *err);
        /* When the container is removed: undo prepare (unmount its root). */
        void (*release)(const struct RossBackend *b, struct RossContainers *c, const char *id,
                        const char *dir);
        /* docker cp and export (may be NULL: nothing to do): the container's root at
         * <dir>/rootfs on the host, as a start makes it (the overlay mounted, a VM's clone
         * made), for a container that never ran or whose root went with a reboot. */
        int (*root)(const struct RossBackend *b, struct RossContainers *c, const char *id,
                    const char *dir, const struct RossContainerConfig *cfg, RossError *err);
        /* Its workload runs in a mount namespace of this host whose root is <dir>/rootfs:
         * while it runs, its files are seen as it sees them through its first process
         * (volumes, tmpfs mounts). A VM's are not: its root and volumes are host directories. */
        bool host_mounts;
} RossBackend;

enum {
        ROSS_UPDATE_MEMORY = 1 << 0,
        ROSS_UPDATE_CPUS = 1 << 1,
        ROSS_UPDATE_PIDS = 1 << 2,
};

/* The backend of a runtime name, or NULL. */
const RossBackend *ross_backend_find(const char *name);
/* Every backend, NULL-terminated, in the order /info lists them. */
const RossBackend *const *ross_backends(void);
/* "crun, runc, ..." for messages (caller frees). */
char *ross_backend_names(void);

/* What the shim's half is handed: the container's files and its stdio to be. */
typedef struct RossShimBackend {
        const char *name;
        /* Start the workload. Sets s->out_fd/err_fd/in_fd (a pty: out_fd, and in_fd when
         * stdin is open) and *ret_pid, the process the shim waits for (its child, or a
         * grandchild it inherits as a subreaper). On failure: a message, and *ret_code 127
         * (command not found), 126 (not runnable) or 1. */
        int (*start)(struct Shim *s, pid_t *ret_pid, int *ret_code, RossError *err);
        /* Deliver a signal to the workload (the shim holds a pidfd for it). */
        int (*signal)(struct Shim *s, int sig, RossError *err);
        int (*pause)(struct Shim *s, bool pause, RossError *err);
        /* May be NULL (the shim sets the size of its pty): the workload's terminal size. */
        void (*resize)(struct Shim *s, unsigned rows, unsigned cols);
        /* The exit code of the workload from its wait status. */
        int (*exit_code)(struct Shim *s, int wait_status);
        /* After the workload is gone and its status written (or it never started). */
        void (*cleanup)(struct Shim *s);
        /* May be NULL: more fds for the shim's poll while it runs (returns how many), and
         * what to do when they are ready (called at least every 250 ms, n may be 0). */
        size_t (*pollfds)(struct Shim *s, struct pollfd *p, size_t max);
        void (*handle)(struct Shim *s, const struct pollfd *p, size_t n);
        /* May be NULL (execs are the runtime's own): an EXEC request from an exec's shim
         * (client c; cfg: the exec's config, src/vm/proto.h). On success c is that exec's
         * session; its input comes to session_input, and session_gone when c goes. */
        int (*exec)(struct Shim *s, struct ShimClient *c, const char *cfg, size_t n,
                    RossError *err);
        void (*session_input)(struct Shim *s, struct ShimClient *c, int type, const char *p,
                              size_t n);
        void (*session_gone)(struct Shim *s, struct ShimClient *c);
} RossShimBackend;

/* The shim's half of a runtime name (a path is the OCI runtime at that path), or NULL. */
const RossShimBackend *ross_shim_backend_find(const char *name);
