/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/err.h"

/*
 * docker cp and docker export, the daemon's side: which root a container's files are in
 * (a running container's as its first process sees them, volumes and tmpfs mounts
 * included; else its root on the host with its volumes and binds over it), and a helper
 * (ross-pull archive, src/helper/serve-archive.c) that walks it, in its sandbox. The tar
 * never passes through the daemon's code: it goes from the helper's stdout to the API
 * response, and from the request body to the helper's stdin.
 *
 * Errors are Docker's: -ENOENT "Could not find the file P in container C" for a path that
 * is not there, -EINVAL "extraction point is not a directory", -EACCES "container rootfs is
 * marked read-only" / "mounted volume is marked read-only".
 */
struct RossContainers;
typedef struct RossContainerArchive RossContainerArchive;

/* Docker's PathStat of path in container ref: {name, size, mode (Go's os.FileMode bits),
 * mtime (RFC 3339), linkTarget}. The caller owns *ret. */
int ross_container_path_stat(struct RossContainers *c, const char *ref, const char *path,
                             json_t **ret, RossError *err);

/* A tar of path (Docker's rules: a directory's tree under its name, "DIR/." its content,
 * anything else as itself), read from *ret_fd while the helper writes it; *ret_stat is the
 * path's PathStat. ross_container_archive_end once the reading is over (or given up). */
int ross_container_archive_get(struct RossContainers *c, const char *ref, const char *path,
                               json_t **ret_stat, int *ret_fd, RossContainerArchive **ret,
                               RossError *err);
/* docker export: the container's whole root, without its volumes, read from *ret_fd. */
int ross_container_export(struct RossContainers *c, const char *ref, int *ret_fd,
                          RossContainerArchive **ret, RossError *err);
/* Close the reading end, wait for the helper (killed if it does not end) and free. */
void ross_container_archive_end(RossContainerArchive *a);

typedef struct RossArchivePut {
        const char *path;      /* a directory in the container (symlinks followed) */
        bool no_overwrite_dir; /* Docker's noOverwriteDirNonDir */
        bool copy_uid_gid;     /* Docker's copyUIDGID: the container's user owns it all */
} RossArchivePut;

/* Extract the tar (plain, gzip or zstd) read from fd into the container. */
int ross_container_archive_put(struct RossContainers *c, const char *ref, const RossArchivePut *o,
                               int fd, RossError *err);
