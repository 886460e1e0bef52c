#!/usr/bin/env bash
# crun refuses a hybrid cgroup setup (v1 controllers plus a v2 hierarchy) while the v2 side
# holds a controller. On these machines that is hugetlb: bind it to a v1 hierarchy of its
# own. Idempotent; does nothing where the v2 side holds no controller. Needs root.
set -euo pipefail
u=/sys/fs/cgroup/unified
[ -r "$u/cgroup.controllers" ] || exit 0
for c in $(cat "$u/cgroup.controllers"); do
        [ -d "/sys/fs/cgroup/$c" ] && mountpoint -q "/sys/fs/cgroup/$c" && continue
        mkdir -p "/sys/fs/cgroup/$c"
        mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
        echo "fix-hybrid-cgroups: moved $c to its own v1 hierarchy"
done
