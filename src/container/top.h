/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "../basic/err.h"

struct RossContainers;

/*
 * Docker's ContainerTop: {"Titles": [...], "Processes": [[...], ...]} for a running container,
 * from `ps ps_args` (NULL or "": "-ef"), as Docker runs it.
 *
 *  - a namespace container: the host's ps, its rows kept for the processes of the
 *    container's PID namespace (found in /proc by the namespace of its init, State.Pid);
 *  - a micro-VM container: ps inside the guest, run as an exec (ross-init runs it), every
 *    row kept but the guest kernel's threads and that ps itself; when the image has no ps,
 *    the VM's processes on the host instead (the VMM and its helpers, the shim's children),
 *    from the host's ps.
 *
 * A container that is not running: -EBUSY "Container ID is not running" (Docker's words, a
 * 409). ps failing: "Error running ps: <its first line on stderr>".
 */
int ross_containers_top(struct RossContainers *c, const char *ref, const char *ps_args,
                        json_t **ret, RossError *err);

/* Docker's check of ps_args: no column renamed to "PID..." but pid's ("-o user=PID"). */
int ross_top_check_args(const char *ps_args, RossError *err);

/*
 * Docker's parsePSOutput: the titles of ps's first line and the rows whose PID column is one
 * of pids (sorted; pids NULL: every row), a thread row ("-" for its PID, from `ps -L` or
 * `m`) kept with its process; a row's fields past the last title joined with spaces into
 * the last column. -EINVAL for a header without PID or a PID that is no number.
 */
int ross_top_parse(const char *out, const pid_t *pids, size_t n_pids, json_t **ret, RossError *err);
