/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

/*
 * ross-init: a tiny init for PID 1 of a container (`run --init`, like Docker's
 * docker-init). It runs the command as its child in its own process group, passes every
 * signal it can catch on to it, reaps whatever is re-parented to it, and exits with the
 * command's status (128+N when a signal N killed it). Its other mode, the agent of a
 * micro-VM, is guest.h.
 * libc only and linked statically: it is bind-mounted into images that have no libc.
 */
int ross_init_main(int argc, char **argv);
/* Signals that stop or crash us stay ours; every other one goes to the command. */
bool ross_init_forwards(int sig);
