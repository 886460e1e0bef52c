/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/* Scope cleanup for opendir's DIR (NULL is fine). */
static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* mkdir -p with the given mode for the directories it creates. */
int ross_mkdir_p(const char *path, mode_t mode, RossError *err);
/* Write data to path through a temp file, fsync and rename: readers see all or nothing. */
int ross_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           RossError *err);
/* The same without fsync: all or nothing for readers, but not kept through a power cut.
 * For run-time state (a container's config.json, its exit status) that a crash of the
 * machine makes moot anyway. */
int ross_write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                            RossError *err);
/* Read a whole file, refusing files over max bytes. *ret is NUL-terminated. */
int ross_read_file(const char *path, size_t max, char **ret, size_t *ret_len, RossError *err);
int ross_fsync_dir(const char *dir);
/* Write all of buf to fd, retrying on EINTR and short writes. */
int ross_write_all(int fd, const void *buf, size_t len);
/* n random bytes as 2n lowercase hex chars. */
void ross_random_hex(char *out, size_t n);
/* Remove a tree (no symlinks are followed). Missing path is not an error. */
int ross_rm_rf(const char *path);
/* The same for name inside the directory dfd. */
int ross_rm_rf_at(int dfd, const char *name);
