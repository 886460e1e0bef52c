/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/* A network namespace kept by a bind mount at path (as `ip netns add` does), so netavark
 * can open it before the container runs and after it is gone. libc only. */
int ross_netns_make(const char *path, RossError *err);
/* Unmount and remove; nothing there is no error. */
void ross_netns_remove(const char *path);
