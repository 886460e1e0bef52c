/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "../basic/err.h"

/* Deeper paths are refused: no image needs them, and they exhaust fds and stacks. */
#define ROSS_PATH_MAX_DEPTH 256

/*
 * Clean a path from an archive: leading "/" (relative to the root, as tar has it), "./" and
 * empty components go; "a/../b" is "b" (lexically, as Docker's filepath.Clean). Refused
 * with -EINVAL and a message saying which rule: a ".." that would leave the root, more than
 * ROSS_PATH_MAX_DEPTH components. "" is the root itself.
 */
int ross_path_clean(const char *name, char **ret, RossError *err);

/* Split "a/b/c" into parent "a/b" and base "c" (parent "" for "c"). */
void ross_path_split(const char *clean, char **ret_parent, const char **ret_base);

enum {
        ROSS_RESOLVE_MKDIR = 1 << 0,       /* create missing directories (mode 0755) */
        ROSS_RESOLVE_NO_SYMLINKS = 1 << 1, /* refuse any symlink on the way */
};

/*
 * Open directory `path` (cleaned, relative) inside the tree at rootfd, resolving symlinks as
 * if rootfd were "/": ".." and absolute targets never leave it. Uses openat2(RESOLVE_IN_ROOT)
 * where the kernel has it, else a walk of directory fds with O_NOFOLLOW. Returns an
 * O_DIRECTORY fd.
 */
int ross_resolve_dir(int rootfd, const char *path, unsigned flags, RossError *err);

/* Tests and benchmarks: force the O_NOFOLLOW walk even where openat2 exists. */
void ross_resolve_disable_openat2(bool disable);
bool ross_resolve_have_openat2(void);
