/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../basic/err.h"

struct RossContainers;

/*
 * What a container changed in its filesystem, as Docker's ContainerChanges reports it:
 * [{"Path": "/etc", "Kind": 0}, ...], sorted by path, Kind 0 modified, 1 added, 2 deleted.
 * Docker compares the container's merged root with its parent layer's (moby/go-archive's
 * ChangesDirs); Ross gets the same answer without mounting anything:
 *
 *  - a namespace container: its overlay upper dir walked against the lower layers (the
 *    init layer, then the image's snapshots) as overlayfs merges them: an overlay whiteout
 *    (a 0/0 character device) is a deletion, an opaque directory hides what is below it
 *    (what it hid is deleted), an entry the lower layers have is modified when its mode,
 *    owner, device, size or mtime (size and mtime not for directories) or its
 *    security.capability differ, else it is added;
 *  - a micro-VM container: its root (a clone of the image's flat rootfs) walked against
 *    that flat rootfs, tree against tree.
 *
 * Either way a directory with a change below it is itself listed as modified (unless it
 * is added), as Docker does, and the init layer's mount points are left out (/proc, /sys,
 * /dev and what is under them; /etc/hosts, /etc/hostname, /etc/resolv.conf): the runtime
 * mounts over them and what is there is not the container's.
 */
typedef enum RossChangeKind {
        ROSS_CHANGE_MODIFIED = 0,
        ROSS_CHANGE_ADDED = 1,
        ROSS_CHANGE_DELETED = 2,
} RossChangeKind;

/* The changes of the upper dir upper_fd over lower_fds (n_lower directories, the top layer
 * first). *ret is the caller's. Paths are never resolved against the host: the walk goes
 * by directory fds with O_NOFOLLOW. */
int ross_changes_overlay(int upper_fd, const int *lower_fds, size_t n_lower, json_t **ret,
                         RossError *err);
/* The changes of the tree new_fd against the tree old_fd; *ret_size (may be NULL): the bytes
 * of the added and modified non-directories (hard links once), Docker's naive SizeRw. */
int ross_changes_trees(int new_fd, int old_fd, json_t **ret, int64_t *ret_size, RossError *err);
/* Apparent bytes of the non-directories under dir_fd, hard links once (Docker's
 * directory.Size, its overlay SizeRw). */
int64_t ross_changes_tree_size(int dir_fd);

/* Docker's ContainerChanges of a container (id, prefix or name). A container that never
 * started has none. */
int ross_containers_changes(struct RossContainers *c, const char *ref, json_t **ret,
                            RossError *err);
/* Docker's SizeRw (what the container wrote) and SizeRootFs (that and its image) of a
 * container id; 0 for a container that never started. */
int ross_containers_size(struct RossContainers *c, const char *id, int64_t *ret_rw,
                         int64_t *ret_rootfs, RossError *err);
