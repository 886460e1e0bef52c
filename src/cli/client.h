/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "../basic/buf.h"
#include "../basic/err.h"

#define ROSS_DEFAULT_HOST "unix:///run/ross/ross.sock"

/* An API client over the daemon's unix socket (libcurl). */
typedef struct RossClient {
        char *socket_path;
} RossClient;

/* host: "unix:///path", "/path", or NULL for ROSS_HOST or the default. */
int ross_client_init(RossClient *c, const char *host, RossError *err);
void ross_client_done(RossClient *c);

typedef struct RossApiResponse {
        long status;
        RossBuf body;
} RossApiResponse;

/* Called per line of a streamed body; a negative return stops the stream. */
typedef int (*RossLineFn)(void *userdata, const char *line, size_t len);
/* Called with each chunk of a streamed body as it arrives. */
typedef int (*RossRawFn)(void *userdata, const char *p, size_t n);

typedef struct RossApiCall {
        const char *method;
        const char *path;          /* with query string, already escaped */
        const char *body;          /* JSON or NULL */
        const char *registry_auth; /* X-Registry-Auth value or NULL */
        RossLineFn on_line;        /* stream a 2xx body line by line */
        RossRawFn on_raw;          /* or chunk by chunk as it arrives */
        void *userdata;
        /* A header of the answer to keep (NULL: none): *captured gets its value (caller
         * frees; NULL when absent), before the first chunk reaches on_raw. */
        const char *capture_header;
        char **captured;
} RossApiCall;

/* Transport failure is an error ("cannot connect to the Ross daemon at ..."); a non-2xx
 * status is turned into an error carrying the daemon's message. */
int ross_client_call(RossClient *c, const RossApiCall *call, RossApiResponse *ret, RossError *err);
void ross_api_response_free(RossApiResponse *r);
/*
 * A call whose body the caller streams (a tar): begin sends the head (call->body unused),
 * ross_client_upload_write sends each piece as it is made (a RossPackWrite: userdata is the
 * RossUpload), end finishes the body and reads the answer as ross_client_call does. A
 * daemon that stops reading is not an error of the write: end reports what it answered.
 */
typedef struct RossUpload RossUpload;
int ross_client_upload_begin(RossClient *c, const RossApiCall *call, const char *content_type,
                             RossUpload **ret, RossError *err);
int ross_client_upload_write(void *upload, const void *p, size_t n);
/* Send what fd holds, to its end, as the upload's body (a tar in a file or on stdin); a read
 * error is "read WHAT: ...". */
int ross_client_upload_fd(RossUpload *u, int fd, const char *what, RossError *err);
/* Frees u in any case. */
int ross_client_upload_end(RossUpload *u, RossApiResponse *ret, RossError *err);
void ross_client_upload_free(RossUpload *u);
/* One call whose answer is JSON: *ret gets it (NULL for an empty body; ret may be NULL). */
int ross_client_json(RossClient *c, const char *method, const char *path, const char *body,
                     json_t **ret, RossError *err);
/* Percent-escape for a query value or path segment; caller frees. */
char *ross_client_escape(const char *s);
/* "&repo=R" and, when ref has one, "&tag=T" appended to q: REPO[:TAG] apart, as the docker
 * CLI sends them (a colon before the last "/" is a registry's port). */
void ross_client_query_repo_tag(RossBuf *q, const char *ref);
