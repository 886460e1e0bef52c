/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/*
 * Unix stream sockets by path. A path longer than sun_path (108 bytes, easily passed by
 * a data dir under /tmp) is reached through its directory: /proc/self/fd/N/NAME.
 */

/* Bind and listen on path (an old socket there is replaced). Returns the fd (O_CLOEXEC,
 * non-blocking) or a negative errno. */
int ross_unix_listen(const char *path, int backlog);
/* Connect to path. Returns the fd (O_CLOEXEC, blocking) or a negative errno. */
int ross_unix_connect(const char *path);
/* Send one fd over a unix socket with a byte of data / receive one (O_CLOEXEC).
 * ross_recv_fd returns the fd or a negative errno. */
int ross_send_fd(int sock, int fd);
int ross_recv_fd(int sock);
