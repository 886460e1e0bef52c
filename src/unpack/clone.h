/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"

typedef struct RossCloneStats {
        uint64_t files;     /* regular files */
        uint64_t reflinked; /* of them, cloned with FICLONE (shared extents) */
        uint64_t copied;    /* of them, copied byte for byte */
        uint64_t bytes;     /* apparent size of the regular files */
} RossCloneStats;

/*
 * Copy the tree src into dst (which must not exist): every entry with its owner, mode,
 * times and xattrs; hard links stay links; sparse files stay sparse. Regular files are
 * cloned with FICLONE (reflinks: XFS with reflink=1, btrfs) when allow_reflink and the
 * filesystem can, and copied otherwise.
 */
int ross_tree_clone(const char *src, const char *dst, bool allow_reflink, RossCloneStats *stats,
                    RossError *err);
