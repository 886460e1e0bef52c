/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <pthread.h>

#include "../basic/buf.h"
#include "../basic/err.h"

/*
 * The daemon and the pull helper talk JSON lines over a socketpair: one compact JSON object
 * per line, each with a "type" (see docs/pull-helper.md). Sends are whole lines under a
 * lock (the helper's worker threads send progress concurrently); a line longer than
 * ROSS_CHANNEL_LINE_MAX is an error, not a larger buffer.
 */
#define ROSS_CHANNEL_LINE_MAX (1024 * 1024)

typedef struct RossChannel {
        int fd;
        pthread_mutex_t lock;
        RossBuf in; /* bytes read and not yet handed out */
} RossChannel;

void ross_channel_init(RossChannel *c, int fd);
/* Frees the buffer; the fd stays the caller's. */
void ross_channel_done(RossChannel *c);

/* Send msg (not consumed). -EPIPE when the other side is gone. */
int ross_channel_send(RossChannel *c, json_t *msg, RossError *err);
/* Send and decref msg. */
int ross_channel_send_new(RossChannel *c, json_t *msg, RossError *err);

/*
 * Take the next complete line out of what was read so far: 1 with *ret an object, 0 when
 * no line is complete yet, negative errno for a line that is not a JSON object or too long.
 */
int ross_channel_next(RossChannel *c, json_t **ret, RossError *err);
/* Read what the fd has (one read); 0 at the end of the stream, else the bytes read. */
ssize_t ross_channel_fill(RossChannel *c, RossError *err);
/* Blocking: the next message, or -EPIPE at the end of the stream. */
int ross_channel_recv(RossChannel *c, json_t **ret, RossError *err);

/* {"type": "error", "code": errno, "message": ...} from err. */
json_t *ross_channel_error_msg(const RossError *err);
/* The type of a message, "" when it has none. */
const char *ross_channel_type(json_t *msg);
/* A received error message into err; returns -code (EIO when it names none). */
int ross_channel_error_from(json_t *msg, RossError *err);
