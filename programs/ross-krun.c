/* SPDX-License-Identifier: Apache-2.0 */
/* ross-krun: the VMM process of a krun container, started by its shim
 * (src/backend/krun-vmm.c). */
#include "backend/krun-vmm.h"

int main(int argc, char **argv)
{
        ross_krun_vmm_main(argc, argv);
}
