/* SPDX-License-Identifier: Apache-2.0 */
/* The guest initramfs as the qemu backend builds it (src/vm/initramfs.c), for the VM tests
 * that boot a kernel of their own choosing: tests/vm/guest-arm64.sh.
 *
 *   mkinitramfs ROSS-INIT MODULES-DIR|- CACHE-DIR
 *
 * Prints the path of the cached cpio archive; "-" builds one without modules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/macros.h"
#include "vm/initramfs.h"

int main(int argc, char **argv)
{
        if (argc != 4) {
                fprintf(stderr, "usage: mkinitramfs ROSS-INIT MODULES-DIR|- CACHE-DIR\n");
                return 2;
        }
        RossInitramfsSpec spec = {
                .init_path = argv[1],
                .modules_dir = strcmp(argv[2], "-") == 0 ? NULL : argv[2],
                .cache_dir = argv[3],
        };
        RossError err = {};
        _cleanup_free_ char *path = NULL;
        if (ross_initramfs_get(&spec, &path, &err) < 0) {
                fprintf(stderr, "mkinitramfs: %s\n", err.msg);
                return 1;
        }
        printf("%s\n", path);
        return 0;
}
