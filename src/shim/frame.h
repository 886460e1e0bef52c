/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../basic/buf.h"

/*
 * The shim's attach socket (<container dir>/attach.sock) speaks frames both ways, each an
 * 8-byte header (type, three zero bytes, the payload's length big-endian) and the payload:
 * the layout of Docker's multiplexed stream, so output frames pass through unchanged.
 *
 * client -> shim: HELLO first (the client wants output; a client that never says it only
 *                 sends control frames, such as RESIZE), then STDIN data, STDIN_EOF,
 *                 RESIZE (rows and columns, 16 bits each, big-endian). HELLO may carry one
 *                 byte of ROSS_HELLO_* flags: LOGS, the log so far first (the seam with
 *                 the live output exact: the shim alone writes both); NO_STREAM, nothing
 *                 live (with LOGS: the log, then the shim closes the connection).
 *                 Control requests, each answered by one REPLY: SIGNAL (the signal
 *                 number, 32 bits big-endian) for the workload, PAUSE (one byte: 1 pause,
 *                 0 resume). EXEC (a micro-VM's exec shim: the exec's config, as
 *                 src/vm/proto.h writes it): the connection becomes that exec's session;
 *                 the guest's frames for it (src/vm/proto.h) come back on it, and its
 *                 STDIN, STDIN_EOF and RESIZE go to the exec. An error is a REPLY.
 * shim -> client: STDOUT and STDERR data (a pty's output is STDOUT). The shim closes the
 *                 connection once the container has exited and its output is drained.
 *                 REPLY: an errno (32 bits big-endian, 0 for success), then a message.
 */
enum {
        ROSS_FRAME_STDIN = 0,
        ROSS_FRAME_STDOUT = 1,
        ROSS_FRAME_STDERR = 2,
        ROSS_FRAME_STDIN_EOF = 3,
        ROSS_FRAME_RESIZE = 4,
        ROSS_FRAME_HELLO = 5,
        ROSS_FRAME_SIGNAL = 6,
        ROSS_FRAME_PAUSE = 7,
        ROSS_FRAME_REPLY = 8,
        ROSS_FRAME_EXEC = 9,
};

enum {
        ROSS_HELLO_LOGS = 1 << 0,
        ROSS_HELLO_NO_STREAM = 1 << 1,
};

#define ROSS_FRAME_MAX (1024 * 1024) /* a longer payload is a protocol error */

/* Header and payload in one write; 0 or a negative errno. */
int ross_frame_write(int fd, int type, const void *p, size_t n);
/* Append the header of a frame to b. */
void ross_frame_header(RossBuf *b, int type, size_t n);

/* Take the next whole frame from the front of b: true with its type, payload and length
 * (valid until ross_frame_consume); false when more bytes are needed. *ret_bad is set when
 * the header is not a frame. */
bool ross_frame_next(const RossBuf *b, int *ret_type, const char **ret_p, size_t *ret_n,
                     bool *ret_bad);
void ross_frame_consume(RossBuf *b, size_t payload_len);
