/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the registry client's files only (client.c, push.c). */
#pragma once

#include <pthread.h>

#include "client.h"
#include "http.h"

struct RossRegistry {
        const RossRegistryConfig *cfg;
        char *domain;
        char *base; /* "https://host:port" */
        char *cainfo;
        RossCreds creds;

        pthread_mutex_t lock;
        char scheme[16]; /* auth scheme learned from the last challenge */
        char *realm;
        char *service;
};

/*
 * One request with whatever auth the registry wants: Basic credentials or a bearer token for
 * scope ("repository:NAME:pull", several separated by spaces), learned from the first 401
 * and made once more. Transport failures are errors; statuses are the caller's to read.
 */
int ross_registry_request(RossRegistry *reg, const char *scope, RossHttpRequest *req,
                          RossHttpResponse *resp, RossError *err);
/* The registry's own error text: {"errors":[{"code":"...","message":"..."}]}, or NULL. */
char *ross_registry_error_text(const RossHttpResponse *resp);
/* Worth trying again: a broken connection, a timeout, a 5xx or a 429. */
bool ross_registry_retryable(int r, long status);
/* Sleep before attempt + 1: 250 ms, doubling, at most about 8 s. */
void ross_registry_backoff(int attempt);

/* push.c, here for its unit tests. */
/*
 * A refusal in the registry's words, as Docker prints an errcode: the code in lower case
 * with spaces, then the message ("unauthorized: authentication required"); -EACCES for a
 * 401 or 403, which stands alone (it is the whole push's), else what it was about first.
 */
int ross_registry_refused(RossRegistry *reg, const char *what, const RossHttpResponse *resp,
                          RossError *err);
/* Where an upload goes on: the Location the registry sent, absolute or relative to it; NULL
 * when it is neither or not a plain URL. *ret_foreign: it is not on the registry's own
 * origin (scheme, host and port), so no credentials go there. Caller frees. */
char *ross_registry_upload_url(RossRegistry *reg, const char *loc, bool *ret_foreign);
