/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../basic/buf.h"
#include "../basic/spawn.h"
#include "log.h"

/* Attach clients at once; more are refused (and the shim's poll set is sized by it). */
#define SHIM_CLIENTS_MAX 64
/* Published host ports one container holds (a range counts each port). */
#define SHIM_HOLD_MAX 1024

/* One connection on the attach socket. */
typedef struct ShimClient {
        int fd;
        bool hello;  /* wants output */
        bool live;   /* wants the output from now on (not only the log) */
        RossBuf in;  /* bytes of a frame not complete yet */
        RossBuf out; /* frames not sent yet (the socket is non-blocking) */
        /* HELLO with ROSS_HELLO_LOGS: the log so far goes first, then the unfinished lines
         * as they were at the HELLO (tail), then what came since (held) */
        ShimLogReader *replay;
        RossBuf tail, held;
        bool done;        /* close once out is sent */
        uint32_t session; /* an exec session of a VM (EXEC), or 0 */
        struct ShimClient *next;
} ShimClient;

typedef struct Shim {
        const char *id, *bundle, *runtime, *root, *dir;
        const struct RossShimBackend *be;
        int sigfd; /* SIGCHLD */
        int pidfd; /* the workload's, once it runs */
        pid_t pid; /* the workload's */
        bool paused;
        void *be_data; /* the backend's own state */
        /* The workload is not a host process of ours (a VM's exec): the backend says when
         * it ended, in be_status (-1 until then); the pid is only for the record. */
        bool be_managed;
        int be_status;
        bool tty, open_stdin, stdin_once;
        unsigned attach_wait;     /* hold output until this many clients said HELLO */
        const char *exec_process; /* exec mode: `runtime exec` this process.json */
        ShimLog log;
        bool no_log; /* --no-log: log.path stays NULL */

        int out_fd, err_fd; /* the container's stdout and stderr (a pty: out_fd only) */
        int in_fd;          /* its stdin: a pipe's write end or the pty; -EBADF: none */
        RossBuf in_pending; /* stdin not written yet */

        int listen_fd;
        ShimClient *clients;
        unsigned hellos;

        /* networks (net.c): NULL netns, none of the shim's business */
        const char *netns, *netavark, *netavark_config, *aardvark;
        const char *hold[SHIM_HOLD_MAX]; /* "tcp:0.0.0.0:8080" */
        int hold_fd[SHIM_HOLD_MAX];
        size_t n_hold;
        RossChild net_setup; /* netavark's setup while it runs */
        bool net_ready;      /* --net-ready: no setup to run */
        /* what teardown needs, read before the exit is reported (the container's directory
         * may be removed right after): netavark's inputs, the lease files */
        char **net_down;
        size_t n_net_down;
        char *net_leases;
        bool net_pending;
} Shim;

/* attach.c: the attach socket */
int shim_attach_listen(Shim *s, const char *path);
/* Add the socket and its clients to the poll set; returns how many were added. */
size_t shim_attach_pollfds(Shim *s, struct pollfd *p, size_t max);
/* Serve what poll reported for them (accept, read frames, write pending output). */
void shim_attach_handle(Shim *s, const struct pollfd *p, size_t n);
/* Queue output for every client that said HELLO. */
void shim_attach_broadcast(Shim *s, int type, const char *p, size_t n);
/* Send what is pending (blocking, a bounded time) and close every client. */
void shim_attach_close_all(Shim *s);

/* shim.c: what the clients ask for */
void shim_on_stdin(Shim *s, const char *p, size_t n);
void shim_on_stdin_eof(Shim *s);
void shim_on_resize(Shim *s, unsigned rows, unsigned cols);
/* A control request (SIGNAL, PAUSE, EXEC) from client c: act, and queue its REPLY. */
void shim_on_control(Shim *s, ShimClient *c, int type, const char *p, size_t n);
/* Queue a REPLY frame for c: an errno (0 for success) and a message. */
void shim_reply(ShimClient *c, int e, const char *msg);

/* net.c: the container's networks. Begin: hold the published ports and start netavark's
 * setup (before the runtime's create); wait: its end (before the workload runs; called
 * again it does nothing); teardown: after the workload is gone, or when it never ran. */
int shim_net_begin(Shim *s, RossError *err);
int shim_net_wait(Shim *s, RossError *err);
void shim_net_teardown(Shim *s);
/* Read what teardown needs into memory (before the exit is reported). */
void shim_net_keep(Shim *s);
/* A VM's NIC: a tap in the container's namespace, its traffic redirected to and from the
 * namespace's interface ifname ("eth0"); the tap's fd for the VMM (ret_fd NULL: the tap is
 * made persistent instead, for a VMM that opens it by name, as libkrun does). */
int shim_net_tap(Shim *s, const char *ifname, int *ret_fd, RossError *err);

/* runtime_log.c: the last error the OCI runtime logged (JSON lines), never NULL */
char *shim_runtime_error(const char *path);
