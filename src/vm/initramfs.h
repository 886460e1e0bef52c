/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/*
 * The guest's initramfs: ross-init as /init, /dev/console, and the kernel modules a
 * stock kernel needs for Ross's devices (virtio-mmio, virtio-serial, 9p), taken from
 * /lib/modules/<version> with their dependencies, as /modules/NN-name.ko in load order.
 * Built once per kernel and ross-init (a hash of both names the file) and cached in
 * cache_dir; a kernel with the drivers built in (no modules directory) gets none.
 */
typedef struct RossInitramfsSpec {
        const char *init_path;   /* the ross-init binary */
        const char *modules_dir; /* /lib/modules/<version>, or NULL */
        const char *cache_dir;
} RossInitramfsSpec;

/* The cached initramfs' path (caller frees), built first when it is not there. */
int ross_initramfs_get(const RossInitramfsSpec *s, char **ret_path, RossError *err);

/* The modules needed, with their dependencies, in load order, from modules_dir's
 * modules.dep: a NULL-terminated list of paths relative to modules_dir (caller frees
 * with ross_strv_free). -ENOENT naming a module that is not there. */
int ross_initramfs_modules(const char *modules_dir, char ***ret, RossError *err);
void ross_strv_free(char **v);
