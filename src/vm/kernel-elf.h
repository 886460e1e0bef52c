/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/*
 * The x86 kernel's own ELF (vmlinux), taken out of its bzImage once and cached: QEMU boots
 * it through its PVH entry, so the guest skips the bzImage's decompression, which takes
 * most of a boot under TCG (about 2.5 s of 4 here). Only an xz-compressed payload whose
 * ELF has the PVH entry note is taken; anything else is -ENOTSUP and the caller boots the
 * bzImage as it is. Cached as <cache_dir>/vmlinux-<hash of the bzImage's path, size, time>.
 */
int ross_kernel_elf_get(const char *bzimage, const char *cache_dir, char **ret_path,
                        RossError *err);
