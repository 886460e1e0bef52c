/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "../basic/err.h"

/*
 * virtiofsd, the vhost-user daemon that serves a host directory to a guest over virtio-fs.
 * A QEMU VM's root and volumes go over virtio-fs when one is found (9p otherwise): one
 * virtiofsd per share, started by the container's shim before QEMU, which connects to its
 * socket; it ends when QEMU does.
 */

/* The virtiofsd to use: /usr/libexec/virtiofsd (the Rust one), /usr/lib/qemu/virtiofsd
 * (QEMU's own, Debian 12), or one on PATH; NULL when there is none. */
char *ross_virtiofsd_find(void);

/* Start program serving source on the vhost-user socket sock, its output to logfd. A
 * read_only share is served from a mount namespace of its own in which source is bound
 * read-only first: the host refuses the guest's writes, whatever the guest mounts. A
 * private share (the container's own root: nothing else changes it) is cached in the
 * guest for as long as it likes (cache=always: an exec then costs a few ms under TCG
 * instead of 70); any other is revalidated as files are opened (cache=auto), so the
 * host's changes to a volume show. Then wait (up to timeout_ms) for the socket. */
int ross_virtiofsd_start(const char *program, const char *source, bool read_only, bool private,
                         const char *sock, int logfd, int timeout_ms, pid_t *ret_pid,
                         RossError *err);

/* Bind path onto itself read-only in the caller's mount namespace, which must be its own
 * (after unshare(CLONE_NEWNS)): mounts below it stay as they are. */
int ross_bind_read_only(const char *path, RossError *err);
