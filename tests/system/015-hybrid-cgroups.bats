#!/usr/bin/env bats
# A host whose cgroups crun refuses (hybrid v1 + v2 with a controller on the v2 side, as on
# these machines): the daemon fixes what it safely can at start, or falls back to runc with a
# warning that says what to run. These tests change the host's cgroup layout and put it back.

bats_require_minimum_version 1.5.0

load helpers

CG=/sys/fs/cgroup
U=$CG/unified

hybrid_or_skip() {
        [ "$(id -u)" = 0 ] || skip "needs root"
        [ "$(stat -f -c %T $CG)" = tmpfs ] && [ "$(stat -f -c %T $U 2>/dev/null)" = cgroup2fs ] ||
                skip "not a hybrid cgroup host"
        mountpoint -q $CG/hugetlb || skip "hugetlb is not on a v1 hierarchy of its own here"
}

# Hand hugetlb back to the v2 side: the layout crun refuses.
break_layout() {
        # the empty cgroups Ross's containers left (the runtimes keep the "ross" parent) would
        # pin the v1 hierarchy; remove them (rmdir takes only empty ones)
        if [ -d $CG/hugetlb/ross ]; then
                find $CG/hugetlb/ross -depth -type d -exec rmdir {} \; 2>/dev/null || true
        fi
        # a removed cgroup dies a moment later; unmounted before that, the hierarchy stays
        local i
        for i in $(seq 1 50); do
                [ "$(awk '$1 == "hugetlb" { print $3 }' /proc/cgroups)" = 1 ] && break
                sleep 0.1
        done
        # containers of another run on this machine may be in it: nothing to test then
        umount $CG/hugetlb 2>/dev/null ||
                skip "hugetlb's v1 hierarchy is busy (containers of another run are in it)"
        # the kernel destroys the v1 hierarchy asynchronously: give it a moment
        for i in $(seq 1 100); do
                grep -qw hugetlb $U/cgroup.controllers && break
                sleep 0.1
        done
        grep -qw hugetlb $U/cgroup.controllers ||
                skip "the kernel kept hugetlb's v1 hierarchy (cgroups left in it by earlier runs)"
}

restore_layout() {
        if [ -d $U/ross-test-busy ]; then rmdir $U/ross-test-busy; fi
        echo -hugetlb >$U/cgroup.subtree_control 2>/dev/null || true
        "$ROOT/scripts/fix-hybrid-cgroups.sh" >/dev/null
        # the kernel may have kept hugetlb's v1 hierarchy (cgroups left in it): mount it again
        if ! mountpoint -q $CG/hugetlb; then
                mkdir -p $CG/hugetlb
                mount -t cgroup -o hugetlb cgroup $CG/hugetlb
        fi
}

setup() {
        hybrid_or_skip
}

teardown() {
        teardown_containers
        restore_layout
}

@test "crun refused by the cgroup layout: the daemon moves the controller and crun runs" {
        break_layout
        start_daemon --default-runtime crun --log-level info
        grep -q "moved the cgroup controller(s) hugetlb" "$DAEMON_LOG"
        mountpoint -q $CG/hugetlb
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        run ross run --rm --runtime crun "$REG_PLAIN/busybox" echo crun works
        assert_status 0
        [ "$output" = "crun works" ]
}

@test "when the controller is in use on the v2 side: runc with a warning, crun refused with what to run" {
        break_layout
        # a v2 cgroup using hugetlb: the kernel refuses to move it (EBUSY)
        echo +hugetlb >$U/cgroup.subtree_control
        mkdir $U/ross-test-busy
        start_daemon
        grep -q "crun cannot run containers on this host" "$DAEMON_LOG"
        grep -q "using runc" "$DAEMON_LOG"
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        run ross run --rm "$REG_PLAIN/busybox" echo runc works
        assert_status 0
        [ "$output" = "runc works" ]
        run ross run --rm --runtime crun "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains "crun cannot run containers on this host"
        assert_output_contains "mount -t cgroup -o NAME cgroup $CG/NAME"
        assert_output_contains "--runtime runc"
}

@test "an explicit --default-runtime crun that cannot work stops the daemon with the fix" {
        break_layout
        echo +hugetlb >$U/cgroup.subtree_control
        mkdir $U/ross-test-busy
        run timeout 30 "$ROSS_DAEMON" start --data-dir "$BATS_TEST_TMPDIR/data" \
                --run-dir "$BATS_TEST_TMPDIR/run" --bridge none \
                --default-runtime crun
        assert_status 1
        assert_output_contains "crun cannot run containers on this host"
        assert_output_contains "--runtime runc"
}
