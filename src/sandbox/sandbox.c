/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pull helper's sandbox: a read-only view of the host with a few writable holes,
 * capabilities cut to what unpacking needs, no-new-privs, and a seccomp filter. The order
 * matters: mounts need CAP_SYS_ADMIN and no filter yet; dropping the bounding set needs
 * CAP_SETPCAP, so it goes before the capability sets; the filter comes last so the set-up
 * itself may still mount.
 */
#include <sched.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>

#include "sandbox.h"

/* A sanitizer build keeps what the sanitizers need (see sanitizer_dirs and filter). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* The directory of a sanitizer's log_path=DIR/PREFIX in opts, or NULL. */
static char *log_dir(const char *opts)
{
        const char *p = opts ? strstr(opts, "log_path=") : NULL;
        if (!p)
                return NULL;
        p += strlen("log_path=");
        size_t n = strcspn(p, ": ");
        char *path = xstrndup(p, n);
        char *slash = strrchr(path, '/');
        if (!slash || slash == path) {
                free(path);
                return NULL;
        }
        *slash = '\0';
        return path;
}

static int mounts(RossSandbox *sb, RossError *err)
{
        if (unshare(CLONE_NEWNS) < 0)
                return ross_err(err, errno, "sandbox: new mount namespace");
        /* Nothing done here may reach the host's mounts. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return ross_err(err, errno, "sandbox: make mounts private");
        /* Each writable directory becomes a mount of its own, so it can stay writable when
         * everything else turns read-only. */
        /* under ASan/UBSan their reports must still reach their log directories */
        char *san[3] = {};
        if (SANITIZED) {
                san[0] = log_dir(getenv("ASAN_OPTIONS"));
                san[1] = log_dir(getenv("UBSAN_OPTIONS"));
        }
        for (size_t i = 0; i < 2; i++)
                if (san[i] && mount(san[i], san[i], NULL, MS_BIND | MS_REC, NULL) < 0) {
                        free(san[i]);
                        san[i] = NULL;
                }
        for (const char *const *w = sb->writable; w && *w; w++)
                if (mount(*w, *w, NULL, MS_BIND | MS_REC, NULL) < 0) {
                        free(san[0]);
                        free(san[1]);
                        return ross_err(err, errno, "sandbox: bind '%s'", *w);
                }
        int r = sb->setup ? sb->setup(sb, sb->userdata, err) : 0;
        if (r < 0) {
                free(san[0]);
                free(san[1]);
                return r;
        }
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
        r = mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro));
        for (size_t i = 0; i < 2; i++) {
                if (r == 0 && san[i])
                        (void)mount_setattr(AT_FDCWD, san[i], 0, &rw, sizeof(rw));
                free(san[i]);
        }
        if (r < 0)
                return ross_err(err, errno, "sandbox: make / read-only");
        /* Not recursive: a mount below a writable directory stays read-only. */
        for (const char *const *w = sb->writable; w && *w; w++)
                if (mount_setattr(AT_FDCWD, *w, 0, &rw, sizeof(rw)) < 0)
                        return ross_err(err, errno, "sandbox: make '%s' writable", *w);
        for (size_t i = 0; i < sb->n_writable_mounts; i++)
                if (mount_setattr(sb->writable_mounts[i], "", AT_EMPTY_PATH, &rw, sizeof(rw)) < 0)
                        return ross_err(err, errno, "sandbox: make a mount writable");
        return 0;
}

static int capabilities(uint64_t keep, RossError *err)
{
        cap_value_t last = (cap_value_t)cap_max_bits() - 1;

        for (cap_value_t c = 0; c <= last; c++)
                if (!(keep & ROSS_CAP(c)) && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0)
                        return ross_err(err, errno,
                                        "sandbox: drop capability %d from the bounding set",
                                        (int)c);
        if (cap_reset_ambient() < 0 && errno != EINVAL)
                return ross_err(err, errno, "sandbox: clear ambient capabilities");

        cap_t caps = cap_init();
        if (!caps)
                return ross_err(err, errno, "sandbox: capabilities");
        for (cap_value_t c = 0; c <= last && c < 64; c++) {
                if (!(keep & ROSS_CAP(c)))
                        continue;
                if (cap_set_flag(caps, CAP_PERMITTED, 1, &c, CAP_SET) < 0 ||
                    cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET) < 0) {
                        int r = ross_err(err, errno, "sandbox: capability %d", (int)c);
                        cap_free(caps);
                        return r;
                }
        }
        int r = cap_set_proc(caps) < 0 ? ross_err(err, errno, "sandbox: set capabilities") : 0;
        cap_free(caps);
        return r;
}

/* Refused with EPERM, so that a refusal reads as a clear error rather than a crash. */
static const int refused[] = {
        /* mounts and namespaces, once set up */
        SCMP_SYS(mount),
        SCMP_SYS(umount2),
        SCMP_SYS(pivot_root),
        SCMP_SYS(chroot),
        SCMP_SYS(unshare),
        SCMP_SYS(setns),
        SCMP_SYS(open_tree),
        SCMP_SYS(move_mount),
        SCMP_SYS(fsopen),
        SCMP_SYS(fsconfig),
        SCMP_SYS(fsmount),
        SCMP_SYS(fspick),
        SCMP_SYS(mount_setattr),
        /* other processes, the kernel, the machine */
        SCMP_SYS(ptrace),
        SCMP_SYS(process_vm_readv),
        SCMP_SYS(process_vm_writev),
        SCMP_SYS(kcmp),
        SCMP_SYS(pidfd_getfd),
        SCMP_SYS(bpf),
        SCMP_SYS(kexec_load),
        SCMP_SYS(kexec_file_load),
        SCMP_SYS(init_module),
        SCMP_SYS(finit_module),
        SCMP_SYS(delete_module),
        SCMP_SYS(reboot),
        SCMP_SYS(swapon),
        SCMP_SYS(swapoff),
        SCMP_SYS(acct),
        SCMP_SYS(quotactl),
        SCMP_SYS(syslog),
        SCMP_SYS(settimeofday),
        SCMP_SYS(clock_settime),
        SCMP_SYS(clock_adjtime),
        SCMP_SYS(adjtimex),
        SCMP_SYS(sethostname),
        SCMP_SYS(setdomainname),
        SCMP_SYS(iopl),
        SCMP_SYS(ioperm),
        SCMP_SYS(vhangup),
        SCMP_SYS(keyctl),
        SCMP_SYS(add_key),
        SCMP_SYS(request_key),
        SCMP_SYS(perf_event_open),
        SCMP_SYS(userfaultfd),
        SCMP_SYS(fanotify_init),
        SCMP_SYS(open_by_handle_at),
        SCMP_SYS(name_to_handle_at),
        /* io_uring would do the same operations without this filter seeing them */
        SCMP_SYS(io_uring_setup),
        SCMP_SYS(io_uring_enter),
        SCMP_SYS(io_uring_register),
        /* the helper never runs another program */
        SCMP_SYS(execve),
        SCMP_SYS(execveat),
};

static int filter(RossError *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r = 0;

        if (!ctx)
                return ross_errx(err, ENOMEM, "sandbox: seccomp_init failed");
        for (size_t i = 0; i < ELEMENTSOF(refused) && r == 0; i++) {
                if (refused[i] < 0)
                        continue; /* not on this architecture */
                /* LeakSanitizer stops the world with ptrace at exit */
                if (SANITIZED && refused[i] == SCMP_SYS(ptrace))
                        continue;
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), refused[i], 0);
        }
        /* clone() makes threads; with a namespace flag it would unshare. clone3 passes its
         * flags in memory a filter cannot read: ENOSYS makes glibc fall back to clone. */
        static const unsigned long ns_flags[] = {CLONE_NEWNS,    CLONE_NEWUSER, CLONE_NEWPID,
                                                 CLONE_NEWNET,   CLONE_NEWIPC,  CLONE_NEWUTS,
                                                 CLONE_NEWCGROUP};
        for (size_t i = 0; i < ELEMENTSOF(ns_flags) && r == 0; i++)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        if (r < 0) {
                seccomp_release(ctx);
                return ross_errx(err, -r, "sandbox: seccomp rule: %s", strerror(-r));
        }
        r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0)
                return ross_errx(err, -r, "sandbox: load the seccomp filter: %s", strerror(-r));
        return 0;
}

int ross_sandbox_enter(const RossSandbox *sb_in, RossError *err)
{
        RossSandbox s = *sb_in, *sb = &s;
        int r;

        if ((r = mounts(sb, err)) < 0)
                return r;
        if ((r = capabilities(sb->caps, err)) < 0)
                return r;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return ross_err(err, errno, "sandbox: no-new-privs");
        return filter(err);
}

uint64_t ross_sandbox_effective_caps(void)
{
        uint64_t bits = 0;
        cap_t caps = cap_get_proc();
        if (!caps)
                return 0;
        for (cap_value_t c = 0; c < 64 && c < (cap_value_t)cap_max_bits(); c++) {
                cap_flag_value_t v = CAP_CLEAR;
                if (cap_get_flag(caps, c, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
                        bits |= ROSS_CAP(c);
        }
        cap_free(caps);
        return bits;
}
