/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"
#include "digest.h"
#include "space.h"

/*
 * The content store: blobs/sha256/<hex>, written through ingest/ so a blob in
 * place is always whole and verified.
 */
typedef struct RossContent RossContent;

int ross_content_open(const char *data_dir, RossContent **ret, RossError *err);
void ross_content_free(RossContent *c);

/* The directory holding blobs by hex digest. */
const char *ross_content_blobs_dir(RossContent *c);
/* Path of a blob (digest must be valid); caller frees. */
char *ross_content_path(RossContent *c, const char *digest);
/* true if the blob is present with this size (size < 0: any size). */
bool ross_content_has(RossContent *c, const char *digest, int64_t size);
/* Read a blob of at most max bytes and check its digest. */
int ross_content_read(RossContent *c, const char *digest, size_t max, char **ret, size_t *ret_len,
                      RossError *err);
/* Verify data against digest and store it atomically. */
int ross_content_put(RossContent *c, const char *digest, const void *data, size_t len,
                     RossError *err);
int ross_content_remove(RossContent *c, const char *digest);
/* Remove every leftover ingest file (called at daemon start). */
void ross_content_clean_ingest(RossContent *c);
/* Free space ingest writes leave on the store's filesystem (default: none). A write that
 * would go under it fails with -ENOSPC; the caller aborts the ingest. */
void ross_content_set_reserve(RossContent *c, const RossSpaceReserve *reserve);

/*
 * Stages: DATA/ingest/.stage-<16 hex>/, one per pull, the only part of the store a pull
 * helper may write (docs/pull-helper.md). A staged store (the helper's) ingests there and
 * commits each verified blob under its hex digest in the same directory; the daemon then
 * moves the blobs into blobs/ with ross_content_stage_adopt and removes the stage.
 */
/* The helper's view: reads fall back to blobs/, ingest and commits go to the stage. */
int ross_content_open_staged(const char *data_dir, const char *stage, RossContent **ret,
                             RossError *err);
/* Make a new empty stage; *ret_stage is its name (".stage-<hex>"), the caller's. */
int ross_content_stage_new(RossContent *c, char **ret_stage, RossError *err);
/* Read a blob of at most max bytes from the stage, else from the store; digest checked. */
int ross_content_stage_read(RossContent *c, const char *stage, const char *digest, size_t max,
                            char **ret, size_t *ret_len, RossError *err);
/* Move a staged blob into the store. Its size must be size (< 0: any); its digest was
 * checked by the stage's writer when it committed it there. */
int ross_content_stage_adopt(RossContent *c, const char *stage, const char *digest, int64_t size,
                             RossError *err);
/* Remove a stage and everything in it. */
void ross_content_stage_remove(RossContent *c, const char *stage);
/* Remove every stage (at daemon start: pulls a crash interrupted). */
void ross_content_clean_stages(RossContent *c);

/* A blob being written: hashed as it arrives, renamed into place on commit. */
typedef struct RossIngest RossIngest;

/* expected_size < 0: unknown. digest NULL: whatever arrives is the blob (an import); it is
 * committed with ross_ingest_commit_digest, which names it. */
int ross_ingest_begin(RossContent *c, const char *digest, int64_t expected_size, RossIngest **ret,
                      RossError *err);
int ross_ingest_write(RossIngest *in, const void *p, size_t n, RossError *err);
uint64_t ross_ingest_offset(RossIngest *in);
/* Check size and digest, fsync, rename. Frees the ingest in any case. */
int ross_ingest_commit(RossIngest *in, RossError *err);
/* The same, and the blob's digest into ret_digest (ROSS_DIGEST_LEN + 1 bytes; may be NULL):
 * for an ingest begun without one, what the bytes hash to. */
int ross_ingest_commit_digest(RossIngest *in, char *ret_digest, RossError *err);
/* Drop the temp file. */
void ross_ingest_abort(RossIngest *in);
