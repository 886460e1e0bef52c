/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

#include "../basic/buf.h"
#include "../basic/err.h"

/* The Docker Engine API version Ross speaks (a compatible subset of it). */
#define ROSS_API_VERSION     "1.45"
#define ROSS_API_MIN_VERSION "1.24"
#define ROSS_API_BODY_MAX    (1024 * 1024)

typedef struct RossDaemon RossDaemon;

/* One API request once its body has arrived. */
typedef struct RossRequest {
        struct MHD_Connection *conn;
        const char *method;
        char *path;  /* without the /v1.NN prefix */
        char **segs; /* path split on '/', URL-decoded, NULL-terminated */
        size_t n_segs;
        RossBuf body;
        RossDaemon *daemon;
        /* A streamed body (ross_api_streams_body says which requests have one: a tar to
         * extract or import): the handler runs in a thread of its own from the start and
         * reads the body from body_fd as it arrives (EOF at its end); what it answers is
         * queued once the whole body is in. -EBADF for the other requests, whose body is in
         * `body`. */
        int body_fd;
        /* the rest is server.c's */
        int upload_fd;
        bool streaming;
        pthread_t handler;
        enum MHD_Result handler_result;
        struct MHD_Response *deferred;
        unsigned deferred_status;
} RossRequest;

typedef enum MHD_Result (*RossHandler)(RossRequest *req);

const char *ross_req_query(RossRequest *req, const char *key);
/* Unchecked: true for "1", "true", "True", false for anything else. A client's parameter
 * goes through ross_req_bool, which answers a bad value with a 400. */
bool ross_req_query_bool(RossRequest *req, const char *key);
/* A boolean query parameter as Docker reads it ("", "0", "no", "false", "none" are false;
 * "1", "yes", "true" true; any case): def when absent, -EINVAL naming the value for
 * anything else. */
int ross_req_bool(RossRequest *req, const char *key, bool def, bool *ret, RossError *err);
/* A time query parameter as Docker takes since and until: Unix seconds (a fraction
 * allowed) or RFC 3339; 0 when absent or empty, -EINVAL naming the value for anything
 * else. */
int ross_req_time(RossRequest *req, const char *key, double *ret, RossError *err);
const char *ross_req_header(RossRequest *req, const char *key);

/* Reply helpers: each queues one response and returns MHD's result. */
/* The request's body as a JSON object (caller owns it); NULL and -EINVAL "invalid JSON: ..."
 * when it is not one (an empty body is not one either). */
json_t *ross_req_json_object(RossRequest *req, RossError *err);
enum MHD_Result ross_reply_json(RossRequest *req, unsigned status, json_t *body /* stolen */);
/* The same for a body already written as compact JSON text (taken: *body is empty after). */
enum MHD_Result ross_reply_json_text(RossRequest *req, unsigned status, RossBuf *body);
enum MHD_Result ross_reply_text(RossRequest *req, unsigned status, const char *ctype,
                                const char *text);
enum MHD_Result ross_reply_empty(RossRequest *req, unsigned status);
/* {"message": err->msg} with the status that fits err->code. */
enum MHD_Result ross_reply_error(RossRequest *req, const RossError *err);
enum MHD_Result ross_reply_errorf(RossRequest *req, unsigned status, const char *fmt, ...)
        _printf_(3, 4);
/* A 200 whose body is read from fd (the response closes it) as it comes: the headers go
 * out at once. */
enum MHD_Result ross_reply_stream(RossRequest *req, int fd, const char *ctype);
/* What a streamed response runs once MHD is done with it: the body sent, a read error, or
 * the client gone. */
typedef void (*RossStreamFree)(void *userdata);
/* The response under ross_reply_stream, for a reply that needs more: headers of its own
 * (added before ross_reply_response queues it), a block size, or work when it is over (to
 * reap the helper that writes fd, remove a file). Its body is read from fd as it comes, with
 * a Content-Type of ctype. When the response is done, on_free(userdata) runs and fd is its
 * to close (or to leave to what it frees); without on_free the response closes fd. */
struct MHD_Response *ross_stream_response(int fd, const char *ctype, size_t block_size,
                                          RossStreamFree on_free, void *userdata);
/* Queue resp (consumed) with the headers every response carries: for a reply made by hand
 * (headers of its own, a body from a callback). */
enum MHD_Result ross_reply_response(RossRequest *req, unsigned status, struct MHD_Response *resp);
/* Add the headers every Docker API response carries. */
void ross_response_headers(struct MHD_Response *resp);
unsigned ross_http_status_for(int code);

typedef struct RossServer RossServer;
/* Listen on a unix socket (mode 0660) and serve requests with handler threads. */
int ross_server_start(RossDaemon *d, const char *socket_path, RossServer **ret, RossError *err);
void ross_server_stop(RossServer *s);
/* Are requests still being served? */
bool ross_server_busy(RossServer *s);
/* Remove the socket file (for an exit that skips ross_server_stop). */
void ross_server_unlink(RossServer *s);

/* Routing: defined in routes.c. */
enum MHD_Result ross_api_dispatch(RossRequest *req);
/* Does this request's body stream to its handler (body_fd) rather than arrive whole? */
bool ross_api_streams_body(RossRequest *req);
