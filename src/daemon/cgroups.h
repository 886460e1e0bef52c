/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/*
 * crun refuses a hybrid cgroup layout (v1 controllers under /sys/fs/cgroup plus a v2
 * hierarchy at /sys/fs/cgroup/unified) while the v2 side holds a controller ("cgroups in
 * hybrid mode not supported, drop all controllers from cgroupv2"). runc does not mind.
 *
 * Make the layout one crun accepts, where that is safe: each controller the v2 side holds
 * is bound to a v1 hierarchy of its own at /sys/fs/cgroup/NAME (the kernel refuses that
 * mount while any v2 cgroup uses the controller, so nothing in use is moved).
 *
 * root is the cgroup mount point (normally "/sys/fs/cgroup"; tests may pass another).
 * Returns 0 when crun can run (*ret_moved: the controllers moved, space-separated, or NULL
 * when nothing had to move; caller frees); a negative errno when it cannot, with a message
 * that says why and exactly what to run.
 */
int ross_cgroups_prepare_crun(const char *root, char **ret_moved, RossError *err);
