/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The micro-VM backends' shared shim half: whatever the VMM (QEMU, libkrun), the guest's
 * ross-init speaks to the shim over sockets the shim listens on first
 * (<root>/<id16>/ctl.sock, and out, err, in, or con for a terminal the VMM connects): it
 * says when the command started and how it ended, takes signals, window sizes and exec
 * sessions. A backend gives how its VMM starts and pauses (VmmOps) and uses these for the
 * rest of its RossShimBackend.
 */
#include <stdbool.h>
#include <sys/types.h>

#include "../basic/buf.h"
#include "../shim/shim-internal.h"
#include "backend.h"

typedef struct VmState VmState;

typedef struct VmmOps {
        const char *name; /* "QEMU", "libkrun": for messages */
        /* -t: true when the VMM connects con.sock for the guest's console (QEMU); false
         * when the shim's pty is the VMM's own stdio (libkrun) */
        bool console_socket;
        /* the VMM's exit status is the workload's (libkrun), not only the VMM's own */
        bool exit_is_status;
        /* Start the VMM once the sockets listen. tty: the pty's other end for its stdio
         * (-t without a console socket), else -1. */
        int (*launch)(Shim *s, VmState *st, int tty, pid_t *ret_pid, RossError *err);
        /* The VMM ended before its guest's agent spoke (status: its wait status): 1 with
         * *ret_code when that is the workload's end (libkrun exits with the workload's
         * status), else an error. NULL: always an error. */
        int (*early_exit)(Shim *s, VmState *st, int status, int *ret_code, RossError *err);
        int (*pause)(Shim *s, VmState *st, bool pause, RossError *err);
        /* After the VM is gone (may be NULL). */
        void (*cleanup)(Shim *s, VmState *st);
} VmmOps;

struct VmState {
        const VmmOps *ops;
        void *vmm; /* the backend's own */
        char *sockdir;
        int ctl;
        RossBuf ctl_in;
        int exit_status; /* the command's, from EXIT; -1 until then */
        long exit_at;    /* when EXIT came (monotonic ms) */
        bool killed;
        bool vmm_gone;         /* reaped while starting */
        uint32_t next_session; /* the container's shim: the last exec session given */
        /* an exec's shim: the pipes it feeds from the container shim's frames */
        int out_w, err_w; /* write ends of s->out_fd, s->err_fd */
        int in_r;         /* read end of s->in_fd */
};

/* The start of every VM backend: sockets, ops->launch, the guest's channels, its STARTED. */
int ross_vm_shim_start(Shim *s, const VmmOps *ops, pid_t *ret_pid, int *ret_code, RossError *err);

int ross_vm_shim_signal(Shim *s, int sig, RossError *err);
int ross_vm_shim_pause(Shim *s, bool pause, RossError *err);
void ross_vm_shim_resize(Shim *s, unsigned rows, unsigned cols);
int ross_vm_shim_exit_code(Shim *s, int wait_status);
void ross_vm_shim_cleanup(Shim *s);
size_t ross_vm_shim_pollfds(Shim *s, struct pollfd *p, size_t max);
void ross_vm_shim_handle(Shim *s, const struct pollfd *p, size_t n);
int ross_vm_shim_exec(Shim *s, ShimClient *c, const char *cfg, size_t n, RossError *err);
void ross_vm_shim_session_input(Shim *s, ShimClient *c, int type, const char *p, size_t n);
void ross_vm_shim_session_gone(Shim *s, ShimClient *c);

/* The shim's half of a VM backend: these, with its own start. */
#define ROSS_VM_SHIM_BACKEND(n, start_fn)                                                          \
        {                                                                                          \
                .name = (n), .start = (start_fn), .signal = ross_vm_shim_signal,                   \
                .pause = ross_vm_shim_pause, .resize = ross_vm_shim_resize,                        \
                .exit_code = ross_vm_shim_exit_code, .cleanup = ross_vm_shim_cleanup,              \
                .pollfds = ross_vm_shim_pollfds, .handle = ross_vm_shim_handle,                    \
                .exec = ross_vm_shim_exec, .session_input = ross_vm_shim_session_input,            \
                .session_gone = ross_vm_shim_session_gone,                                         \
        }
