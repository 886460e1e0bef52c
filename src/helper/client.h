/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "../basic/argv.h"
#include "../basic/buf.h"
#include "../basic/spawn.h"
#include "../registry/client.h"
#include "channel.h"

/*
 * The daemon's side of the pull helper (programs/ross-pull.c, docs/pull-helper.md): one
 * helper process per pull, flat rootfs merge or login, started with ross_spawn and spoken
 * to over a socketpair (the helper's fd 3). The helper's stderr is relayed to the daemon's
 * log (when it logs at debug) and its last lines go into the error when it dies.
 */
typedef struct RossHelper {
        RossChild child;
        RossChannel ch;
        int fd;      /* our end of the socketpair */
        RossBuf err; /* the helper's last stderr bytes */
        RossBuf line;
        bool stderr_eof;
        bool closed;       /* the helper closed the channel (it exited or is exiting) */
        bool remote_error; /* the last error is the helper's own answer, not its death */
        int stall_seconds;
        /* Asked while a receive waits (about once a second): true ends it with -ECANCELED,
         * for an operation whose client went away. NULL: never. */
        bool (*cancelled)(void *userdata);
        void *cancel_userdata;
} RossHelper;

/* Silence that counts as a hang: the helper is killed and the operation fails. The
 * daemon's ROSS_HELPER_STALL_SECONDS environment variable (RossRegistryConfig's
 * helper_stall_seconds) sets a shorter one, for tests of a hung helper. */
#define ROSS_HELPER_STALL_SECONDS 600

/* argv[0] ross-pull path, argv[1] the subcommand, then the options every subcommand takes
 * (registry settings, log level). The caller adds its own and starts it. */
void ross_helper_argv(RossArgv *a, const char *path, const char *cmd,
                      const RossRegistryConfig *cfg);

/* Start the helper argv names; cfg (may be NULL) gives its stall limit. */
int ross_helper_start(RossArgv *argv, const RossRegistryConfig *cfg, RossHelper **ret,
                      RossError *err);
/* The same with the helper's stdin and stdout on in_fd and out_fd (-1: /dev/null): the data
 * of a copy into or out of a container, which never travels on the channel. */
int ross_helper_start_io(RossArgv *argv, const RossRegistryConfig *cfg, int in_fd, int out_fd,
                         RossHelper **ret, RossError *err);
/* Send msg (consumed). */
int ross_helper_send(RossHelper *h, json_t *msg, RossError *err);
/*
 * The next message from the helper. A message of type "error" is returned as that error;
 * a helper that closed the channel or died gives an error saying how ("the pull helper was
 * killed by signal 9 (Killed)"), with its last words. A helper that sends nothing, not
 * even to stderr, for its stall limit is killed and the error says so (-ETIMEDOUT).
 */
int ross_helper_recv(RossHelper *h, json_t **ret, RossError *err);
/* Close the channel and wait for the helper to exit (it is killed if it does not). 0 when
 * it exited 0. */
int ross_helper_finish(RossHelper *h, RossError *err);
/* Kill (if running), reap and free. NULL is fine. */
void ross_helper_free(RossHelper *h);
static inline void ross_helper_freep(RossHelper **h)
{
        ross_helper_free(*h);
}
