/* SPDX-License-Identifier: Apache-2.0 */
/* ross-init: PID 1 for `run --init` (src/init/init.h) and the guest agent of a micro-VM
 * (src/init/guest.h): /init of the initramfs, or `ross-init --vm`. */
#include "init/guest.h"
#include "init/init.h"

int main(int argc, char **argv)
{
        if (ross_guest_wanted(argc, argv))
                return ross_guest_main(argc, argv);
        return ross_init_main(argc, argv);
}
