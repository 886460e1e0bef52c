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

/*
 * Reading the log back (attach with logs=1, as Docker's json-file reader does): the entries
 * of NAME.1 then NAME, as they stood when the reader was opened (what is written later,
 * and a rotation meanwhile, do not change what it reads), each decoded to the bytes the
 * container wrote. Lines that are not log entries are skipped.
 */
typedef struct ShimLogReader {
        int fd[2];        /* NAME.1 and NAME; -EBADF when absent or done */
        uint64_t left[2]; /* bytes still to read of each: their sizes at open */
        int cur;          /* which is being read */
        RossBuf buf;      /* read but not yet taken */
        bool skipping;    /* inside a line too long to be an entry */
} ShimLogReader;

/* A missing log is an empty one; other errors are a negative errno. */
int shim_log_reader_open(ShimLogReader *r, const char *path);
/* 1 with the next entry's stream (1 stdout, 2 stderr) and its bytes appended to out; 0 at
 * the end; a negative errno when reading fails. */
int shim_log_reader_next(ShimLogReader *r, int *ret_stream, RossBuf *out);
void shim_log_reader_close(ShimLogReader *r);

/* One log line (without its newline): 0 with its stream and its "log" bytes appended to
 * out, -EINVAL when it is not an entry (out is then left as it was). */
int shim_log_decode(const char *line, size_t n, int *ret_stream, RossBuf *out);
