/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "../basic/buf.h"
#include "../basic/err.h"

/*
 * ross-init's guest mode: the agent of a micro-VM container (src/vm/proto.h is its contract
 * with the host). As PID 1 of the initramfs it mounts /proc, /sys and /dev, loads the
 * modules the host put in /modules, mounts the config share and the container's root
 * share, the volumes and tmpfs mounts, switches into the root, sets the hostname, runs the
 * command on the stdio ports (or /dev/hvc0 for a tty), serves the control channel (signals,
 * resizes, execs), reaps every child, and powers off once the command has exited and its
 * EXIT frame is out. A failure before the command runs is told to the console and, once
 * the control port is open, as a FAILED frame for session 0; then the VM powers off.
 *
 * `ross-init --krun` is the same agent under libkrun, whose own init (/init.krun) has
 * mounted /proc, /sys, /dev, /dev/pts, /dev/shm in the container's root and runs us as its
 * child (KRUN_INIT): no modules, no shares but the volumes, no root to switch; the config
 * and the /etc files are in ROSS_VM_KRUN_DIR; the channels are vsock ports. Its exit
 * status is the workload's, which libkrun's init hands to the VMM (krun_start_enter's
 * process exits with it). Options, for tests: --config PATH, --etc-dir DIR, and
 * --channel-dir DIR, --share-dir DIR (test seams: unix sockets DIR/ctl.sock, out.sock,
 * err.sock, in.sock instead of vsock; a volume's share TAG is the directory DIR/TAG, bound,
 * instead of a virtio-fs device).
 */

/* Whether argv asks for guest mode: PID 1 named "init" (an initramfs's /init), --vm or
 * --krun. */
bool ross_guest_wanted(int argc, char **argv);
/* Run the guest agent; returns only when not PID 1 (--vm under a process that reaps it). */
int ross_guest_main(int argc, char **argv);

/* ---- internal to src/init/guest*.c ---- */

typedef struct RossGuestVolume {
        char *tag;
        char *path;
        bool ro;
} RossGuestVolume;

typedef struct RossGuestTmpfs {
        char *path;
        unsigned long flags; /* MS_* from the options */
        char *data;          /* the options the kernel takes as data ("size=64m,mode=1777") */
} RossGuestTmpfs;

typedef struct RossGuestRlimit {
        int resource;
        struct rlimit lim;
} RossGuestRlimit;

/* A container's config (ross_guest_config_parse) or an exec's (the same keys, fewer). */
typedef struct RossGuestConfig {
        char **argv; /* NULL-terminated, n_argv >= 1 after a successful parse */
        size_t n_argv;
        char **envp; /* NULL-terminated */
        size_t n_env;
        char *cwd;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        bool tty;
        bool stdin_open;
        /* the container's only */
        char *hostname;
        char *net; /* "ADDRESS/PREFIX GATEWAY" of eth0, or NULL: no NIC */
        bool readonly_root;
        bool virtiofs; /* "fs": the root and volumes over virtio-fs, not 9p */
        RossGuestVolume *volumes;
        size_t n_volumes;
        RossGuestTmpfs *tmpfs;
        size_t n_tmpfs;
        RossGuestRlimit *rlimits;
        size_t n_rlimits;
} RossGuestConfig;

/* guest-net.c: lo up; with spec ("ADDRESS/PREFIX GATEWAY"), eth0 too, and the default
 * route. */
int ross_guest_net_up(const char *spec, RossError *err);

/* Parse the config text (proto.h's format). exec: an EXEC frame's config, where the
 * container's own keys are ignored like unknown ones and cwd stays NULL when not given.
 * On failure err says which line and why, and *ret is left alone. */
int ross_guest_config_parse(const char *text, size_t len, bool exec, RossGuestConfig *ret,
                            RossError *err);
void ross_guest_config_free(RossGuestConfig *c);
/* "nofile" for RLIMIT_NOFILE */
const char *ross_guest_rlimit_name(int resource);
/* Docker's --tmpfs options ("size=64m,mode=1777,exec") as mount flags (from Docker's
 * defaults nosuid,nodev,noexec) and the kernel's data string (caller frees). */
int ross_guest_tmpfs_options(const char *opts, unsigned long *ret_flags, char **ret_data,
                             RossError *err);

/* An exec session (the command, session 0, is kept apart: its stdio are the ports). */
typedef struct RossGuestSession {
        uint32_t id;
        pid_t pid;
        bool tty;
        int out_fd; /* a pipe, or the pty's master (then also in_fd's file) */
        int err_fd; /* -EBADF with a tty */
        int in_fd;  /* -EBADF when stdin is closed */
        RossBuf in; /* STDIN bytes not yet written */
        bool in_eof;
        bool exited;
        int status;        /* exit code, 128+N for a signal */
        int64_t exited_at; /* ms, CLOCK_MONOTONIC */
} RossGuestSession;

typedef struct RossGuest {
        bool pid1;
        bool initramfs;          /* we are the initramfs's /init (not --vm in a booted system) */
        bool krun;               /* --krun: libkrun's init started us in the container's root */
        bool reboot_to_stop;     /* power off would only halt: reboot (QEMU runs -no-reboot) */
        const char *channel_dir; /* --channel-dir: unix sockets instead of vsock (tests) */
        const char *share_dir;   /* --share-dir: volumes bound from DIR/TAG (tests) */
        int console;             /* where our messages go (the kernel console), or -EBADF */
        int ctl;                 /* the control port, -EBADF until open */
        bool ctl_stream;         /* it is a socket: its end is for good (a port's is not) */
        bool ctl_hup;            /* the host side is not connected (for now) */
        int64_t ctl_retry_at;
        RossBuf ctl_in;
        RossBuf ctl_out;
        int sigfd;
        int hvc; /* session 0's terminal with tty=1, for RESIZE */
        RossGuestConfig cfg;
        pid_t pid0; /* the command, 0 before it runs */
        bool exited0;
        int status0;
        RossGuestSession **sessions;
        size_t n_sessions;
} RossGuest;

/* guest-log.c: a line on the console and, once the control port is open, as a LOG frame */
void ross_guest_log(RossGuest *g, const char *fmt, ...) _printf_(2, 3);
/* Tell the console and the host (FAILED for session 0 with code), then power off. */
_noreturn_ void ross_guest_fatal(RossGuest *g, int code, const char *fmt, ...) _printf_(3, 4);
/* sync and power the VM off (exit(status) when not PID 1; under libkrun as PID 1, the
 * status for the VMM, then a reboot, as libkrun's init does). */
_noreturn_ void ross_guest_poweroff(RossGuest *g, int status);
int64_t ross_guest_now_ms(void);

/* guest-modules.c: load /modules/NN-name.ko in name order; errors are logged, not fatal */
void ross_guest_load_modules(RossGuest *g, const char *dir);

/* guest-channel.c: the host's channels, one fd for each role */
typedef enum RossGuestChannel {
        ROSS_GUEST_CHANNEL_CTL,
        ROSS_GUEST_CHANNEL_STDIN,
        ROSS_GUEST_CHANNEL_STDOUT,
        ROSS_GUEST_CHANNEL_STDERR,
} RossGuestChannel;

/* Open the channel of a role in *ret_fd (O_CLOEXEC; the control channel's non-blocking, the
 * others blocking, stdin read-only, stdout and stderr write-only), waiting up to timeout_ms
 * for it: under QEMU the virtio-serial port of its name (stdin: and for the host to be
 * there); under libkrun a stream socket connected to its vsock port on the host, or with
 * g->channel_dir to the unix socket DIR/ctl.sock, in.sock, out.sock or err.sock. */
int ross_guest_channel_open(RossGuest *g, RossGuestChannel ch, int timeout_ms, int *ret_fd,
                            RossError *err);

/* guest-port.c: the device of the virtio-serial port named name ("/dev/vport0p1", caller
 * frees), waiting up to timeout_ms for it to show up; -ENOENT when it did not. */
int ross_guest_port_find(const char *name, int timeout_ms, char **ret, RossError *err);
/* Whether the host side of the port dev is connected or has sent it bytes, from debugfs
 * (which keeps both, where poll cannot tell "never connected" from "came, wrote, left"):
 * 1 or 0, or -errno when debugfs is not there. */
int ross_guest_port_host_seen(const char *dev);

/* guest-mount.c */
int ross_guest_mount_early(RossError *err);
int ross_guest_mount_config(const char *dir, RossError *err);
int ross_guest_mount_root(const RossGuestConfig *c, const char *dir, RossError *err);
/* chdir into dir, move it onto /, chroot: the initramfs stays underneath */
int ross_guest_switch_root(const char *dir, RossError *err);
/* after the switch: /proc, /sys, /dev and what goes under it. keep: /proc, /sys and /dev
 * may be mounted already (libkrun's init did): those are kept (/sys made read-only), and
 * /dev/pts, /dev/shm are mounted anew over what is there. */
int ross_guest_mount_system(bool keep, RossError *err);
/* after the switch: the volumes, tmpfs mounts and the /etc files (etc_fds: O_PATH fds of
 * the config share's hosts, hostname, resolv.conf, -EBADF when absent), deepest last;
 * /run and /tmp as tmpfs when the image's are empty; the root read-only if asked.
 * share_dir (tests, NULL otherwise): a volume's share TAG is bound from share_dir/TAG. */
int ross_guest_mount_container(const RossGuestConfig *c, const int etc_fds[3],
                               const char *share_dir, RossError *err);
void ross_guest_umount_volumes(const RossGuestConfig *c);

/* guest-exec.c: start c's command with stdio[0..2] as its 0, 1, 2 (ctty: 0 becomes its
 * controlling terminal), in its own session, as c's user, in c's cwd, with exactly c's
 * environment and the rlimits. 0 and *ret_pid once it has exec'd; otherwise the FAILED code
 * (127 not found, 126 not runnable, 1) in *ret_code and the message in err, the child
 * reaped. */
int ross_guest_spawn(const RossGuestConfig *c, const RossGuestRlimit *rl, size_t n_rl,
                     const int stdio[3], bool ctty, pid_t *ret_pid, int *ret_code, RossError *err);

/* guest-ctl.c: the control channel */
void ross_guest_send(RossGuest *g, int type, uint32_t session, const void *p, size_t n);
void ross_guest_send_u32(RossGuest *g, int type, uint32_t session, uint32_t v);
void ross_guest_send_failed(RossGuest *g, uint32_t session, int code, const char *msg);
/* Write what is queued, waiting at most timeout_ms (0: do not wait). */
void ross_guest_flush(RossGuest *g, int timeout_ms);
/* Serve the channel, relay the execs and reap until the command (session 0) has exited. */
void ross_guest_serve(RossGuest *g);
/* After the command: kill everything left, let the execs' ends out, send EXIT for 0. */
void ross_guest_finish(RossGuest *g);
