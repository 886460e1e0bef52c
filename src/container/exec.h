/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/err.h"
#include "containers.h"

/*
 * exec.c beyond what containers.h declares: the start with the terminal's first size, and
 * Docker's ConsoleSize ([height, width]).
 */

/* ross_exec_start, the exec's pty made rows x cols (0: the size the create asked for, else
 * the runtime's default). An exec that cannot start is recorded as run with 126, or 127
 * when its command is not there (*ret_exec_status: the shim's code, 126/127 for those). */
int ross_exec_start_sized(RossContainers *c, const char *exec_id, bool attached, unsigned rows,
                          unsigned cols, int *ret_exec_status, RossError *err);

/* v: null/absent (0, 0) or [height, width]; -EINVAL for anything else. */
int ross_exec_console_size(json_t *v, unsigned *ret_rows, unsigned *ret_cols, RossError *err);

/* At daemon start: watch the execs of a running container that still run (their exec_die
 * comes when they end). */
void ross_exec_watch_running(RossContainers *c, const char *cid);
/* An exec's exit seen (the monitor's): its exec_die event, with its exit code. */
void ross_exec_exited(RossContainers *c, const char *cid, const char *exec_id, int code);

/* An exec done with (a healthcheck's probe): its directory and its id go. */
void ross_exec_forget(RossContainers *c, const char *exec_id);
/* SIGKILL to an exec's process (a probe past its timeout). */
int ross_exec_kill(RossContainers *c, const char *exec_id);
