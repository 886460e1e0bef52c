/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>

#include "../basic/err.h"
#include "extract.h"

/*
 * The flat root filesystem a micro-VM boots from: one plain directory, the image's layers
 * merged with their whiteouts applied (the libkrun design note's rootfs module).
 */

typedef struct RossRootfsLayer {
        const char *path; /* the layer blob */
        RossLayerCompression compression;
        const char *diff_id; /* checked, or NULL */
} RossRootfsLayer;

/* Guess a blob's compression from its first bytes (gzip, zstd, else plain tar). */
int ross_layer_detect_compression(int fd, RossLayerCompression *ret);
/* The same from its first n bytes (4 are enough). */
RossLayerCompression ross_layer_compression_of(const void *head, size_t n);

/* Extract one layer into the flat tree at rootfd, deleting what its whiteouts name. The
 * free-space reserve is kept on rootfd's filesystem (NULL: none). */
int ross_rootfs_extract_layer(int rootfd, const RossRootfsLayer *layer, uint64_t max_bytes,
                              const RossSpaceReserve *reserve, RossError *err);
/* Merge layers (bottom first) into the empty directory dir, then ensure the essential
 * directories. On failure dir holds part of the tree; the caller removes it. */
int ross_rootfs_prepare(const char *dir, const RossRootfsLayer *layers, size_t n,
                        uint64_t max_bytes, const RossSpaceReserve *reserve, RossError *err);
/* A minimal tree for tests: the essential directories, /etc/passwd and /etc/group, and
 * /bin/sh when a static busybox is given (NULL: none). */
int ross_rootfs_create_minimal(const char *dir, const char *busybox, RossError *err);
/* /dev, /proc, /sys, /tmp, /run, /etc, /var, /var/tmp, /root: created where missing. */
int ross_rootfs_ensure_essential_dirs(int rootfd, RossError *err);
