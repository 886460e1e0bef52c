/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../basic/err.h"

/* The log's rotation when none is asked for (an exec's shim): as a container's default
 * (src/container/logconfig.h). */
#define ROSS_SHIM_LOG_MAX_DEFAULT   (10 * 1024 * 1024)
#define ROSS_SHIM_LOG_FILES_DEFAULT 2

/*
 * ross-shim: one small process per container, detached from the daemon (own session),
 * like conmon. It runs the OCI runtime, holds the container's stdio (pipes, or the pty
 * the runtime hands over on the console socket), writes the log (one JSON line per line
 * of output, with stream and time), serves attach clients on <dir>/attach.sock (see
 * frame.h), reaps the workload as a child subreaper and writes the exit status (and the
 * time) atomically to <dir>/exit.json.
 */
typedef struct RossShimArgs {
        const char *shim_path; /* the ross-shim binary */
        const char *id;
        const char *bundle;       /* holds config.json */
        const char *runtime;      /* the runtime name (src/backend), or an OCI runtime's path */
        const char *runtime_root; /* --root for the runtime's state */
        const char *dir;          /* container dir: log, exit file, pid files */
        uint64_t log_max;         /* rotate the log past this many bytes (0: 10 MiB) */
        unsigned log_files;       /* files of it kept, the current one too (0: 2) */
        bool no_log;              /* write no log at all (the "none" driver) */
        bool tty;                 /* the runtime makes a pty (process.terminal) */
        bool open_stdin;          /* keep the container's stdin open for attach clients */
        bool stdin_once;          /* close it when an attached client's input ends */
        unsigned attach_wait;     /* hold the output until this many clients attached */
        const char *exec_process; /* an exec: this process.json joins the running container */
        /* Networks (src/container/network.h): the shim runs netavark's setup of
         * <dir>/net/0-start.json on netns beside the runtime's create, holds the published
         * host ports ("tcp:0.0.0.0:8080"), and tears it all down when the workload is gone. */
        const char *netns;
        bool net_ready; /* netavark's setup is done already (a spare endpoint) */
        const char *netavark, *netavark_config, *aardvark;
        const char *const *hold_ports; /* NULL-terminated, or NULL */
} RossShimArgs;

/* Start a shim and wait until the container runs (or failed to). On success the
 * container's pid is *ret_pid. A runtime failure comes back with its message, and
 * 126/127 in *ret_exec_status when the command could not be run / was not found. */
int ross_shim_start(const RossShimArgs *a, pid_t *ret_pid, int *ret_exec_status, RossError *err);

/* The daemon's side of a shim's attach socket (path: <dir>/attach.sock). Connect, saying
 * HELLO when the output is wanted: the fd, or -ESRCH when no shim can be reached there. */
int ross_shim_attach(const char *sock_path, bool want_output);
/* The same with HELLO's ROSS_HELLO_* flags (frame.h): the log replayed first, or no live
 * output. */
int ross_shim_attach_hello(const char *sock_path, unsigned flags);
/* Set the size of the shim's pty; -ESRCH when no shim listens there. */
int ross_shim_resize(const char *sock_path, unsigned rows, unsigned cols);
/* Ask the shim to signal its workload, or to pause or resume it, the backend's way; the
 * shim's answer: 0, -ESRCH when no shim listens there, else its error and message. */
int ross_shim_signal(const char *sock_path, int sig, RossError *err);
int ross_shim_pause(const char *sock_path, bool pause, RossError *err);

/* Does a shim run in dir? It holds <dir>/shim.lock while it lives (a pid may be reused; a
 * lock dies with its holder). */
bool ross_shim_alive(const char *dir);
/* The same for dir relative to the directory dfd (AT_FDCWD: as ross_shim_alive). */
bool ross_shim_alive_at(int dfd, const char *dir);
/* Wait up to timeout_ms for the shim of dir to be gone; false when it is still there. */
bool ross_shim_wait_gone(const char *dir, int timeout_ms);
/* The shim's side: take the lock (fd kept open for its life); a negative errno when
 * another shim holds it. */
int ross_shim_lock(const char *dir);

/* The shim's main(), for programs/ross-shim.c. */
int ross_shim_main(int argc, char **argv);
