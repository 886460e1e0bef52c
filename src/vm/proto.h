/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../basic/buf.h"

/*
 * What a VM container's shim and ross-init, its guest agent, say to each other. libc only:
 * both the shim and the static ross-init link it.
 *
 * The guest's stdio. Without -t: virtio-serial ports named "ross.stdin", "ross.stdout",
 * "ross.stderr" (raw bytes; the host closing ross.stdin is the command's EOF). With -t: the
 * command's terminal is the guest's /dev/hvc0 (a virtconsole), its bytes relayed by the shim.
 * Under libkrun (ross-init --krun) each of these ports, and the control channel, is a vsock
 * port instead, ROSS_VM_VSOCK_*: the guest connects to it on the host (CID 2), libkrun
 * connects that to the shim's listening unix socket (krun_add_vsock_port2, listen false).
 * The same rules: stdio ports only without -t, stdin only with stdin=1 in the config.
 *
 * The config share (9p tag ROSS_VM_TAG_CONFIG, read-only) holds "config" (below) and the
 * files bound over the root's /etc/hosts, /etc/hostname and /etc/resolv.conf. The root is
 * the share ROSS_VM_TAG_ROOT; volume N is the share "ross.vol<N>". Under libkrun the root
 * is libkrun's (krun_set_root) and the same files are in it, ROSS_VM_KRUN_DIR: "config",
 * "hosts", "hostname", "resolv.conf", and ross-init itself as "init"; the volumes are
 * virtio-fs shares "ross.vol<N>" (the config says fs=virtiofs).
 *
 * The control channel (the virtio-serial port "ross.ctl" under QEMU; a vsock port under
 * libkrun) carries frames both ways: an 8-byte header (type, three zero bytes, the
 * payload's length, 32 bits big-endian) and the payload, which starts with a session
 * (32 bits big-endian): 0 is the container's command, each exec another the host numbered.
 */
#define ROSS_VM_TAG_ROOT     "ross.root"
#define ROSS_VM_TAG_CONFIG   "ross.cfg"
#define ROSS_VM_KRUN_DIR     "/.ross"
#define ROSS_VM_PORT_CTL     "ross.ctl"
#define ROSS_VM_PORT_STDIN   "ross.stdin"
#define ROSS_VM_PORT_STDOUT  "ross.stdout"
#define ROSS_VM_PORT_STDERR  "ross.stderr"
#define ROSS_VM_VSOCK_CTL    1024
#define ROSS_VM_VSOCK_STDOUT 1025
#define ROSS_VM_VSOCK_STDERR 1026
#define ROSS_VM_VSOCK_STDIN  1027
#define ROSS_VM_FRAME_MAX    (1024 * 1024)

enum {
        /* host -> guest */
        ROSS_VM_SIGNAL = 1,    /* session, signal (32 bits): to the session's process */
        ROSS_VM_RESIZE = 2,    /* session, rows, columns (16 bits each): its terminal */
        ROSS_VM_EXEC = 3,      /* session (new), the exec's config (keys arg, env, cwd, uid,
                                * gid, groups, tty, stdin) */
        ROSS_VM_STDIN = 4,     /* session, bytes for an exec's stdin */
        ROSS_VM_STDIN_EOF = 5, /* session: an exec's stdin ends */
        /* guest -> host */
        ROSS_VM_STARTED = 16, /* session, the process's pid in the guest (32 bits) */
        ROSS_VM_FAILED = 17,  /* session, code (32 bits: 127 not found, 126 not runnable, 1
                               * anything else), then a message: it never ran */
        ROSS_VM_STDOUT = 18,  /* session, bytes an exec wrote (a pty's output too) */
        ROSS_VM_STDERR = 19,  /* session, bytes */
        ROSS_VM_EXIT = 20,    /* session, status (32 bits): its exit code, 128+N for signal
                               * N; for session 0, the last frame before the guest powers
                               * off */
        ROSS_VM_LOG = 21,     /* session 0, a line of the agent's own log (its errors) */
};

/* Append one frame to b. */
void ross_vm_frame(RossBuf *b, int type, uint32_t session, const void *p, size_t n);
/* Take the next whole frame from the front of b (valid until ross_vm_consume): false when
 * more bytes are needed; *ret_bad when the bytes are not a frame. */
bool ross_vm_frame_next(const RossBuf *b, int *ret_type, uint32_t *ret_session, const char **ret_p,
                        size_t *ret_n, bool *ret_bad);
/* Drop the frame ross_vm_frame_next returned (n: its payload after the session). */
void ross_vm_consume(RossBuf *b, size_t n);

void ross_vm_put_u32(unsigned char out[4], uint32_t v);
uint32_t ross_vm_get_u32(const void *p);

/*
 * The config format: one "key=value" line per item, in order; the value escaped so any
 * bytes fit ("\\\\", "\\n", "\\xHH" for other bytes below 0x20 and for 0x7f). Keys of a
 * container's config: arg (repeated: the command), env (repeated, KEY=VALUE), cwd, uid,
 * gid, groups (comma-separated numbers), hostname, tty (0/1), stdin (0/1: stdin open),
 * readonly_root (0/1), fs ("9p" or "virtiofs": how the root and the volumes are shared;
 * 9p when not given), volume (repeated: "TAG ro|rw GUEST-PATH"), tmpfs (repeated:
 * "GUEST-PATH[:OPTIONS]"), rlimit (repeated: "NAME SOFT HARD", NAME as "nofile").
 * Unknown keys are ignored (a newer host).
 */
void ross_vm_cfg_add(RossBuf *b, const char *key, const char *value);
/* The next item of text[*pos..len]: 1 with *ret_key and *ret_value (caller frees both), 0
 * at the end, -EINVAL for a line that is not "key=value" or a bad escape. */
int ross_vm_cfg_next(const char *text, size_t len, size_t *pos, char **ret_key, char **ret_value);
