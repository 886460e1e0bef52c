/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <linux/capability.h>
#include <stdint.h>

#include "../basic/err.h"

/*
 * The pull helper's sandbox (see docs/pull-helper.md): the calling process gets a mount
 * namespace of its own in which every mount is read-only but the directories named
 * writable, keeps only the capabilities named, cannot gain privileges (no-new-privs), and a
 * seccomp filter answers EPERM to what it never needs (mounting, namespaces, ptrace, bpf,
 * module loading, kexec, reboot, swap, keyrings, perf, userfaultfd, handle-based opens,
 * other processes' memory, exec). Set up before any untrusted input is read; cannot be
 * undone. Meant for a single-threaded process: the caps and the filter cover the calling
 * thread and the threads it starts afterwards.
 */

#define ROSS_CAP(c) (1ULL << (c))

/* What unpacking a layer needs: owners (CHOWN), modes and times of files it does not own
 * (FOWNER, FSETID), directories a lower layer made read-only (DAC_OVERRIDE), device nodes
 * and overlayfs whiteouts (MKNOD), file capabilities (SETFCAP) and trusted.* xattrs such as
 * trusted.overlay.opaque (SYS_ADMIN; the seccomp filter keeps it from mounting). */
#define ROSS_SANDBOX_CAPS_UNPACK                                                                   \
        (ROSS_CAP(CAP_CHOWN) | ROSS_CAP(CAP_DAC_OVERRIDE) | ROSS_CAP(CAP_FOWNER) |                 \
         ROSS_CAP(CAP_FSETID) | ROSS_CAP(CAP_MKNOD) | ROSS_CAP(CAP_SETFCAP) |                      \
         ROSS_CAP(CAP_SYS_ADMIN))

/* What docker cp needs to read any file of a container (DAC_READ_SEARCH: directories too). */
#define ROSS_SANDBOX_CAPS_READ (ROSS_CAP(CAP_DAC_OVERRIDE) | ROSS_CAP(CAP_DAC_READ_SEARCH))

typedef struct RossSandbox {
        const char *const *writable; /* NULL-terminated existing directories; may be NULL */
        uint64_t caps;               /* ROSS_CAP() bits kept; all others are dropped */
        /* May be NULL: called in the sandbox's mount namespace once the writable directories
         * are bound and before everything turns read-only, to mount what the caller needs
         * (a container's volumes over its root). It may set writable_mounts. */
        int (*setup)(struct RossSandbox *sb, void *userdata, RossError *err);
        void *userdata;
        /* Mounts (fds from open_tree, attached) made writable again after the rest turned
         * read-only, not recursively. */
        const int *writable_mounts;
        size_t n_writable_mounts;
} RossSandbox;

/* Enter the sandbox. On failure the process is in some partial state and must exit. */
int ross_sandbox_enter(const RossSandbox *sb, RossError *err);

/* The capabilities the calling thread has in its effective set, as ROSS_CAP() bits. */
uint64_t ross_sandbox_effective_caps(void);
