/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"
#include "../basic/spawn.h"

/*
 * Running netavark, as podman does: `netavark --config DIR --rootless false
 * --aardvark-binary PATH setup|teardown NETNS`, the network options on stdin, the status
 * block (or {"error": "..."}) on stdout. libc only: the daemon runs it for connect,
 * disconnect and clean-up, the shim for a container's start and exit.
 *
 * Calls are serialized by a lock file in config_dir (util-linux's flock runs netavark).
 * stdout goes to a file (output), stderr to output + ".log": aardvark-dns, which netavark
 * starts, keeps what it inherits open for ever, so a pipe would never see its end.
 */
typedef struct RossNetavark {
        const char *program;
        const char *config_dir; /* aardvark-dns's files: <run>/networks/aardvark */
        const char *aardvark;   /* may be NULL: DNS off */
} RossNetavark;

int ross_netavark_spawn(const RossNetavark *nv, const char *cmd, const char *netns,
                        const char *input, const char *output, RossChild *ret, RossError *err);
/* Wait for it: 0, or its error (netavark's own message when it gave one). */
int ross_netavark_finish(RossChild *c, const char *cmd, const char *output, RossError *err);
int ross_netavark_run(const RossNetavark *nv, const char *cmd, const char *netns, const char *input,
                      const char *output, RossError *err);
/* The same with the input given as text, and nothing read from or written to disk. */
int ross_netavark_run_text(const RossNetavark *nv, const char *cmd, const char *netns,
                           const char *input, RossError *err);
