/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/* The exit status of ross-krun when it could not enter the VM (its reason on fd 3). */
#define ROSS_KRUN_CHILD_FAILED 125

/* The vsock ports ross-init connects to, on the host's CID; libkrun connects each to a
 * socket the shim listens on (<sockdir>/ctl.sock, out, err, in). */
#ifndef ROSS_VM_VSOCK_CTL
#define ROSS_VM_VSOCK_CTL    1024
#define ROSS_VM_VSOCK_STDOUT 1025
#define ROSS_VM_VSOCK_STDERR 1026
#define ROSS_VM_VSOCK_STDIN  1027
#endif

/* ross-krun KRUN.CFG SOCKDIR tty|notty stdin|nostdin: does not return. */
_noreturn_ int ross_krun_vmm_main(int argc, char **argv);
