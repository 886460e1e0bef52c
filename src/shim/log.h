/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../basic/buf.h"

/*
 * The container log: Docker's json-file format, one JSON object per line of output
 * ({"log":"...","stream":"stdout","time":"RFC 3339 with ns"}). Before an entry would take
 * the file past max bytes the file is rotated, as Docker's json-file does with max-file:
 * NAME.1 becomes NAME.2 and so on, the oldest (NAME.(files-1)) is dropped, NAME becomes
 * NAME.1 and a new NAME is begun; with files 1 NAME is dropped and begun again. A line
 * longer than 16 KiB is cut, as Docker does; output from a terminal is logged as it comes,
 * prompts without a newline included.
 */
/* A line of output longer than this is logged in pieces of it. */
#define SHIM_LOG_LINE_MAX (16 * 1024)

typedef struct ShimLog {
        char *path; /* NULL: no log (the "none" driver) */
        int fd;
        uint64_t size, max;
        unsigned files;     /* NAME and its backups: 1 and up */
        RossBuf partial[2]; /* stdout's and stderr's unfinished line */
} ShimLog;

/* path NULL: nothing is ever written (take, flush and close do nothing). */
int shim_log_open(ShimLog *l, const char *path, uint64_t max, unsigned files);
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
 * Reading the log back, as Docker's json-file reader does: the entries of every file there
 * is, oldest first (NAME.(files-1) .. NAME.1, NAME), each decoded to the bytes the container
 * wrote; lines that are not log entries are skipped. The files are opened together when the
 * reader is opened (at most SHIM_LOG_FILES_MAX, the newest), so rotations while it reads
 * neither lose nor repeat an entry.
 *  - Without follow: what there was when the reader was opened (NAME up to its size then),
 *    whatever is written or rotated later.
 *  - With follow: then on, as it is written; past the end of NAME, next answers 0 (nothing
 *    yet: call it again later), and once NAME has been rotated away the reader goes on with
 *    the files after it, which it finds by the name of the one it holds now (as Docker's
 *    follower reopens NAME when it is renamed).
 * tail >= 0: only the last tail lines of what there was at open (counted back from the end,
 * across files); -1: all.
 */
#define SHIM_LOG_FILES_MAX 100

typedef struct ShimLogFile {
        int fd;
        dev_t dev;
        ino_t ino;
        unsigned idx;  /* where it was last seen: 0 NAME, k NAME.k */
        uint64_t size; /* at open: where a reader without follow stops */
} ShimLogFile;

typedef struct ShimLogReader {
        char *path; /* NAME; NULL: nothing to read */
        bool follow;
        ShimLogFile cur; /* the file being read (fd -EBADF: none, or not yet with follow) */
        uint64_t off;    /* how far it has been read */
        bool drained;    /* it was seen renamed: read once more, then the next one */
        bool done;
        ShimLogFile *pending; /* the rest of what there was at open, oldest first */
        size_t n_pending, next_pending;
        RossBuf buf; /* read; taken up to pos */
        size_t pos;
        bool skipping; /* inside a line too long to be an entry */
} ShimLogReader;

/* path NULL, or no log yet, is an empty log; other errors are a negative errno. */
int shim_log_reader_open(ShimLogReader *r, const char *path, bool follow, int64_t tail);
/* 1 with the next entry's stream (1 stdout, 2 stderr), its bytes appended to out and, when
 * ret_time is not NULL, its "time" (as written, or "" without one) in *ret_time; 0 at the
 * end (with follow: nothing more yet); a negative errno when reading fails. */
int shim_log_reader_next(ShimLogReader *r, int *ret_stream, RossBuf *out, RossBuf *ret_time);
void shim_log_reader_close(ShimLogReader *r);

/* One log line (without its newline): 0 with its stream and its "log" bytes appended to
 * out (and its "time" set in *ret_time when not NULL), -EINVAL when it is not an entry (out
 * is then left as it was). */
int shim_log_decode(const char *line, size_t n, int *ret_stream, RossBuf *out, RossBuf *ret_time);
