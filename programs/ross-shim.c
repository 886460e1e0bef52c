/* SPDX-License-Identifier: Apache-2.0 */
/* ross-shim: started by ross-daemon, one per running container. See src/shim/shim.h. */
#include "shim/shim.h"

int main(int argc, char **argv)
{
        return ross_shim_main(argc, argv);
}
