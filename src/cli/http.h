/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "../basic/buf.h"
#include "../basic/err.h"

/*
 * Just enough HTTP/1.1 for talking to the daemon over its unix socket: one request per
 * connection, bodies by Content-Length, chunked or until close. (ross-cli starts fast and
 * small without a general HTTP library; the daemon's registry client uses libcurl.)
 */
typedef struct RossHttpHead {
        int status;
        long long content_length; /* -1: not given */
        bool chunked;
        RossBuf rest; /* bytes read after the head: the start of the body or stream */
        RossBuf text; /* the status line and headers */
} RossHttpHead;

/* Connect to the daemon's socket; a refusal says whether the daemon runs. */
int ross_http_connect(const char *socket_path, RossError *err);
/* Write a request; extra_headers is "Name: value\r\n"... or NULL. */
int ross_http_send(int fd, const char *method, const char *path, const char *extra_headers,
                   const char *body, size_t body_len);
/* The start of a request whose body follows in chunks (Transfer-Encoding: chunked). */
int ross_http_send_chunked_head(int fd, const char *method, const char *path,
                                const char *extra_headers, const char *content_type);
/* One chunk of such a body (n 0: nothing is sent; the end is ross_http_send_chunked_end). */
int ross_http_send_chunk(int fd, const void *p, size_t n);
int ross_http_send_chunked_end(int fd);
/* Read the status line and headers (capped at 64 KiB). */
int ross_http_read_head(int fd, RossHttpHead *ret, RossError *err);
/* A header's value (caller frees), or NULL. */
char *ross_http_head_value(const RossHttpHead *h, const char *name);
void ross_http_head_free(RossHttpHead *h);

/* Read the body, handing each piece to fn as it arrives; fn returning <0 stops it (that is
 * not an error). head->rest is consumed. */
typedef int (*RossHttpBodyFn)(void *ud, const char *p, size_t n);
int ross_http_read_body(int fd, RossHttpHead *head, bool no_body, RossHttpBodyFn fn, void *ud,
                        RossError *err);
