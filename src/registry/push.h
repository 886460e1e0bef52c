/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "client.h"
#include "http.h"

/*
 * The upload half of the distribution API (OCI distribution spec, "Push"), as the pull
 * helper's push uses it: is a blob there, mount it from another repository, upload it
 * (monolithic: POST for a session, then one PUT with ?digest=), PUT the manifest. Each call
 * is one attempt; the caller retries (ross_registry_push_retryable says when it may).
 *
 * Refusals carry the registry's words as Docker prints them: "unauthorized: authentication
 * required", "denied: requested access to the resource is denied" (-EACCES).
 */

/* The scope a push asks a token server for: "repository:REPO:pull,push". Caller frees. */
char *ross_registry_push_scope(const char *repo);

/* 1 when repo has the blob, 0 when it has not or will not say (a 401 or 403: the upload
 * that follows gets the registry's answer), negative errno when the registry fails. */
int ross_registry_blob_exists(RossRegistry *reg, const char *repo, const char *digest,
                              RossError *err);

/*
 * Ask the registry to mount digest from repository from (same registry) into repo. 1: it
 * did. 0: it did not, and started an upload session instead, whose URL *ret_session gets
 * (caller frees; NULL when the registry sent none). Negative errno: refused or failed.
 */
int ross_registry_blob_mount(RossRegistry *reg, const char *repo, const char *digest,
                             const char *from, char **ret_session, RossError *err);

/*
 * Upload the blob d of repo, its d->size bytes read from source, progress (may be NULL)
 * told as they go; both get userdata. session: an upload URL a mount attempt started, or
 * NULL to start one. An upload URL on another host (the spec allows it) is sent no
 * credentials.
 */
int ross_registry_blob_upload(RossRegistry *reg, const char *repo, const RossDescriptor *d,
                              const char *session, RossHttpSource source,
                              RossHttpUploadProgress progress, void *userdata, RossError *err);

/* Cancel an upload session (DELETE); best effort, for a session a mount started and that
 * is not used. */
void ross_registry_upload_cancel(RossRegistry *reg, const char *repo, const char *session);

/* PUT a manifest's exact bytes under tag with its media type; the digest the registry
 * reports, if it does, must be digest. */
int ross_registry_put_manifest(RossRegistry *reg, const char *repo, const char *tag,
                               const char *media_type, const char *body, size_t len,
                               const char *digest, RossError *err);

/* May a failed call above be made again: a broken connection, a timeout, a 5xx, a 429. */
bool ross_registry_push_retryable(int r);
