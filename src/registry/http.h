/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../basic/buf.h"
#include "../basic/err.h"

/* Streams a 2xx body; returns 0 to go on, negative errno to abort the transfer. */
typedef int (*RossHttpSink)(void *userdata, const char *p, size_t n);
/* Supplies an upload body: up to n bytes at offset into buf; the count (0 at the end) or a
 * negative errno to abort the transfer. Offsets may go back (a request made again). */
typedef ssize_t (*RossHttpSource)(void *userdata, uint64_t offset, char *buf, size_t n);
/* Called while an upload goes on (about once a second even when it stalls): bytes sent of
 * total; a negative errno aborts the transfer. */
typedef int (*RossHttpUploadProgress)(void *userdata, uint64_t sent, uint64_t total);

typedef struct RossHttpRequest {
        const char *url;
        const char *method; /* "POST", "PUT", "DELETE"; NULL: GET (HEAD with head) */
        bool head;
        const char *const *headers; /* NULL-terminated "Name: value" lines */
        const char *bearer;         /* Authorization: Bearer */
        const char *basic_user;     /* Authorization: Basic */
        const char *basic_pass;
        const char *cainfo;   /* extra CA file, NULL for system CAs only */
        size_t body_cap;      /* max bytes kept in response body (non-streamed) */
        uint64_t resume_from; /* Range: bytes=N- */
        RossHttpSink sink;    /* if set, 2xx bodies go here instead of into body */
        void *sink_userdata;
        long timeout_s; /* whole request; 0: none (streams use a stall timer) */
        /* A request body (POST, PUT): body_len bytes at body, or source_len bytes from
         * source. Neither: an empty one. Redirects are not followed for such requests. */
        const void *body;
        size_t body_len;
        RossHttpSource source;
        void *source_userdata; /* also upload_progress's */
        uint64_t source_len;
        RossHttpUploadProgress upload_progress;
} RossHttpRequest;

typedef struct RossHttpResponse {
        long status;
        char *content_type;
        char *docker_content_digest;
        char *www_authenticate;
        char *location;         /* Location: where an upload goes on, or what it made */
        int64_t content_length; /* -1 if unknown */
        RossBuf body;           /* error and small bodies, capped */
        int sink_error; /* errno the sink, the source or the progress returned, if it aborted */
} RossHttpResponse;

void ross_http_response_free(RossHttpResponse *r);
/* Perform a request. Transport failures are errors (named by URL); HTTP statuses are not.
 * On success the caller frees resp; on failure resp holds nothing. */
int ross_http_do(const RossHttpRequest *req, RossHttpResponse *resp, RossError *err);
/* One-time global init; call before threads start. */
void ross_http_global_init(void);
