/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../basic/buf.h"

/*
 * The container log: Docker's json-file format, one JSON object per line of output
 * ({"log":"...","stream":"stdout","time":"RFC 3339 with ns"}), rotated to NAME.1 once
 * it would pass max bytes. A line longer than 16 KiB is cut, as Docker does; output from a
 * terminal is logged as it comes, prompts without a newline included.
 */
typedef struct ShimLog {
        char *path;
        int fd;
        uint64_t size, max;
        RossBuf partial[2]; /* stdout's and stderr's unfinished line */
} ShimLog;

int shim_log_open(ShimLog *l, const char *path, uint64_t max);
/* stream: 1 stdout, 2 stderr; whole lines are written, the rest kept for later unless
 * flush_now. */
void shim_log_take(ShimLog *l, int stream, const char *p, size_t n, bool flush_now);
/* Write what is left of unfinished lines. */
void shim_log_flush(ShimLog *l);
void shim_log_close(ShimLog *l);

/* Escape text as the inside of a JSON string; bytes that are not UTF-8 become U+FFFD. */
void shim_json_escape(RossBuf *b, const char *p, size_t n);
/* The current time as RFC 3339 UTC with nanoseconds. */
void shim_now_rfc3339(char *buf, size_t n);
