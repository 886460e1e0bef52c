/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "../basic/buf.h"
#include "../basic/err.h"
#include "../container/detach.h"
#include "client.h"

/*
 * Attach the user's terminal to a container: Docker's hijacked /attach stream over the
 * daemon's socket. With a tty and a terminal on stdin, the terminal goes to raw mode and
 * its size follows SIGWINCH; the detach keys end the session and leave the container
 * running; without a tty, SIGINT, SIGTERM, SIGHUP and SIGQUIT go to the container.
 */
typedef struct RossAttach {
        const char *id;      /* container id or name, escaped for a path */
        const char *exec_id; /* an exec's stream instead (POST /exec/ID/start) */
        bool in, out, err;   /* the streams to attach */
        bool tty;            /* the container has a pty: one raw stream */
        bool sig_proxy;
        const char *detach_keys; /* NULL: the default */
        RossDetachKeys keys;
        int fd;        /* the hijacked connection */
        RossBuf early; /* stream bytes that came with the response's head */
} RossAttach;

/* Open the stream (before the start, for run and start -a: the daemon holds the output
 * until it is there). */
int ross_attach_open(RossClient *c, RossAttach *a, RossError *err);
/* Copy until the container's output ends. Returns 1 when the user detached, else 0.
 * resize: the container's tty is sized to the terminal first. Closes the stream. */
int ross_attach_run(RossClient *c, RossAttach *a);
/* Put the terminal back as it was (ross_attach_open may have made it raw). */
void ross_attach_restore_terminal(void);
/* Give up an opened stream without running it. */
void ross_attach_close(RossAttach *a);
