/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/*
 * The one way Ross starts a child program: posix_spawn (a vfork underneath, cheap however
 * big the caller is), signal mask and dispositions reset, every fd but the ones named here
 * closed (Ross opens everything O_CLOEXEC), and the child's stderr captured so that a
 * failure reads "crun pause abc: exited with status 1: <what crun said>".
 */
typedef struct RossSpawnOptions {
        int stdin_fd;      /* the child's fd 0; -1: /dev/null */
        int stdout_fd;     /* the child's fd 1; -1: /dev/null */
        int stderr_fd;     /* the child's fd 2; -1: captured into the error */
        int extra_fd;      /* the child's fd 3, or -1 */
        bool setsid;       /* a session of its own */
        char *const *envp; /* NULL: the caller's environment */
} RossSpawnOptions;

#define ROSS_SPAWN_OPTIONS_INIT                                                                    \
        {                                                                                          \
                .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .extra_fd = -1                   \
        }

/* A started child. pid <= 0: none. */
typedef struct RossChild {
        pid_t pid;
        int stderr_fd; /* read end of the captured stderr, or -EBADF */
        char *name;    /* argv[0], for messages */
} RossChild;

#define ROSS_CHILD_INIT                                                                            \
        {                                                                                          \
                .pid = 0, .stderr_fd = -EBADF, .name = NULL                                        \
        }

/* Start argv (argv[0] is looked up in PATH unless it has a '/'). */
int ross_spawn(char *const argv[], const RossSpawnOptions *o, RossChild *ret, RossError *err);
/*
 * Wait for the child; its captured stderr (the last 4 KiB) goes into the message when it
 * fails. *ret_status (may be NULL): the exit code, or 128+signal. Returns 0 when it exited
 * 0, -EIO when it exited with another code, -ECHILD when a signal killed it.
 */
int ross_child_wait(RossChild *c, int *ret_status, RossError *err);
/*
 * Hand the read end of the captured stderr to the caller (who reads and closes it): for a
 * child whose stderr must be read while it runs, or that leaves a grandchild holding it (a
 * daemonizing program). -EBADF when it is not captured. ross_child_wait then only reaps,
 * and its message carries no stderr.
 */
int ross_child_take_stderr(RossChild *c);
/* Start, wait; 0 when it exited 0. */
int ross_spawn_run(char *const argv[], const RossSpawnOptions *o, int *ret_status, RossError *err);
/* Scope cleanup: a child still running is killed (SIGKILL) and reaped. */
void ross_child_done(RossChild *c);

/* The path of a program in PATH (or the default PATH), or NULL when there is none
 * (caller frees). A name with a '/' is itself, if it is executable. */
char *ross_find_program(const char *name);
