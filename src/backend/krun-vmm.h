/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/* The exit status of ross-krun when it could not enter the VM (its reason on fd 3). */
#define ROSS_KRUN_CHILD_FAILED 125

/* ross-krun KRUN.CFG SOCKDIR tty|notty stdin|nostdin: does not return. */
_noreturn_ int ross_krun_vmm_main(int argc, char **argv);
