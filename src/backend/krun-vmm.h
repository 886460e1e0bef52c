/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/* The exit status of ross-krun when it could not enter the VM (its reason on fd 3). */
#define ROSS_KRUN_CHILD_FAILED 125

/* ross-krun KRUN.CFG SOCKDIR tty|notty stdin|nostdin: does not return. */
_noreturn_ int ross_krun_vmm_main(int argc, char **argv);

/* ross-krun --probe LIBRARY: can it load the library and make a context? 0 yes,
 * ROSS_KRUN_PROBE_DOUBLE yes and it says it is Ross's test double (tests/krun: its
 * ross_krun_test_double() answers non-zero), 1 no (the reason on stderr); when yes, stdout says
 * "net_tap=1" if it can put a VM on a network (krun_add_net_tap), else "net_tap=0". The daemon asks
 * this of ross-krun so that libkrun is never loaded into it. */
#define ROSS_KRUN_PROBE_DOUBLE 3
int ross_krun_probe_main(const char *library);
