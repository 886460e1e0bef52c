/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../basic/err.h"

/*
 * The other direction of extract.c: a tree as a tar stream (PAX, libarchive's writer), for
 * docker cp out of a container, docker export and ross-cli cp into one. The tree is walked
 * through directory fds only: every entry is opened with O_NOFOLLOW and described by what
 * the opened fd says, so a symlink swapped in while the walk runs is archived as a symlink,
 * never followed. Hard links stay links (the second name refers to the first), owners,
 * modes, times and xattrs (but trusted.*, which belong to overlayfs) go with each entry;
 * sockets are left out. The contents of pseudo filesystems mounted in the tree (proc,
 * sysfs, cgroup, devpts, mqueue, ...) are left out too: their directory is archived empty.
 */

/* Where the bytes go: called with each block of output; a negative errno stops the walk. */
typedef int (*RossPackWrite)(void *userdata, const void *p, size_t n);

typedef struct RossPackOptions {
        RossPackWrite write;
        void *userdata;
        /* Owner in every entry, instead of the file's (ross-cli cp without -a: root). */
        bool set_owner;
        unsigned uid, gid;
        bool no_xattrs; /* leave xattrs out */
        /* The tree is an overlay upper dir and becomes a layer (docker commit): a 0/0
         * character device NAME is written as the OCI whiteout ".wh.NAME", a directory with
         * trusted.overlay.opaque=y gets a ".wh..wh..opq" entry before its own entries. */
        bool overlay_whiteouts;
        /* Archive names ("etc/hosts", "dev") left out with all that is under them; a
         * NULL-terminated list, or NULL. */
        const char *const *exclude;
        /* Only the entries named here (a tree against its base: docker commit of a VM's
         * root): an object whose keys are archive names ("etc/passwd"); every directory is
         * still walked for what is below it. NULL: every entry. */
        json_t *only;
        /* Archive names written as OCI whiteouts (".wh.NAME" beside where it was, owned by
         * root) after the tree: what the base has and the tree not. NULL-terminated, or
         * NULL. */
        const char *const *whiteouts;
} RossPackOptions;

/*
 * Archive the entry `name` of the directory dirfd ("." for dirfd itself) under the name
 * `as` in the archive: a directory as "as/" followed by its tree as "as/...", anything else
 * as one entry "as". `as` "" archives a directory's tree without an entry of its own ("a",
 * "a/b", as docker export has it); `as` "." gives "./" and "./a" (docker cp's "DIR/."). A
 * symlink is archived as one (the caller resolves it first when it should be followed).
 * Ends the archive (the two zero blocks). Messages name the entry in the tree.
 */
int ross_pack(int dirfd, const char *name, const char *as, const RossPackOptions *o,
              RossError *err);

/* A RossPackWrite to a file descriptor (userdata: a pointer to the int fd). */
int ross_pack_write_fd(void *userdata, const void *p, size_t n);
