/* SPDX-License-Identifier: Apache-2.0 */
/* ross-init: PID 1 for `run --init` (and micro-VM guests). See src/init/init.h. */
#include "init/init.h"

int main(int argc, char **argv)
{
        return ross_init_main(argc, argv);
}
