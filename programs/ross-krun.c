/* SPDX-License-Identifier: Apache-2.0 */
/* ross-krun: the VMM process of a krun container, started by its shim; with --probe, the
 * daemon's check that libkrun loads (src/backend/krun-vmm.c). */
#include <string.h>

#include "backend/krun-vmm.h"

int main(int argc, char **argv)
{
        if (argc == 3 && strcmp(argv[1], "--probe") == 0)
                return ross_krun_probe_main(argv[2]);
        ross_krun_vmm_main(argc, argv);
}
