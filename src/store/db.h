/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"

/*
 * ross.db: images, tags, repo digests and the blobs each image holds.
 * One connection, serialised by a mutex; every multi-row change is one
 * transaction.
 */
typedef struct RossDb RossDb;

int ross_db_open(const char *path, RossDb **ret, RossError *err);
void ross_db_close(RossDb *db);

typedef struct RossImageBlob {
        const char *digest;
        int64_t size;
        const char *media_type;
        const char *kind; /* "index", "manifest", "config", "layer" */
} RossImageBlob;

typedef struct RossImageRecord {
        const char *id;          /* config digest */
        const char *name;        /* "docker.io/library/alpine" */
        const char *tag;         /* NULL when pulled by digest only */
        const char *repo_digest; /* digest the registry serves for name (index or manifest) */
        const char *created;     /* RFC 3339 from the config, may be NULL */
        const char *os, *arch, *variant;
        int64_t size; /* sum of layer sizes */
        const RossImageBlob *blobs;
        size_t n_blobs;
        const char *const *chain_ids; /* the image's snapshots, bottom layer first */
        size_t n_chain_ids;
        /* The repository ("domain/path") its layers and config were pulled from, recorded
         * as where they are (blob sources, below); NULL: none. */
        const char *source;
} RossImageRecord;

/*
 * A database failure is -EIO with SQLite's words in err ("... : database: ..."), never a
 * "No such image": callers answer it with a 500, not a 404.
 */

/* Record an image and point name:tag at it, in one transaction. */
int ross_db_image_put(RossDb *db, const RossImageRecord *rec, RossError *err);
/* false when there is no such image, or the database cannot tell. */
bool ross_db_image_exists(RossDb *db, const char *id);
/* Which image does name:tag point at? -ENOENT if none (no message), -EIO. */
int ross_db_tag_get(RossDb *db, const char *name_tag, char **ret_id, RossError *err);
/* Resolve what a user typed: name[:tag], name@digest, full id or unique id prefix. -ENOENT
 * "No such image: X", -EINVAL for an ambiguous prefix, -EIO. */
int ross_db_image_resolve(RossDb *db, const char *term, char **ret_id, RossError *err);
/* Docker-shaped summaries: {Id, RepoTags, RepoDigests, Created, Size, Os, Architecture, ...}.
 * get: -ENOENT "No such image: ID", -EIO. The caller owns *ret. */
int ross_db_image_get(RossDb *db, const char *id, json_t **ret, RossError *err);
int ross_db_image_list(RossDb *db, json_t **ret, RossError *err);
/* The config/layer/manifest digests of an image, in order (layers by index): [{"digest",
 * "kind", "size", "mediaType"}]; empty for an image there is not. */
int ross_db_image_blobs(RossDb *db, const char *id, json_t **ret, RossError *err);

int ross_db_tag_set(RossDb *db, const char *name_tag, const char *id, RossError *err);
/* -ENOENT if the tag does not exist. */
int ross_db_tag_remove(RossDb *db, const char *name_tag, RossError *err);
/* Number of tags pointing at an image (0 if the database cannot tell). */
int ross_db_image_tag_count(RossDb *db, const char *id);
/* Remove the image and its tags and repo digests; return digests of blobs no image references
 * any more (a JSON array of strings, caller owns). */
int ross_db_image_delete(RossDb *db, const char *id, json_t **ret_orphans, RossError *err);
/* Every blob digest any image references (JSON object used as a set; caller owns). */
int ross_db_referenced_blobs(RossDb *db, json_t **ret, RossError *err);

/*
 * Blob sources (db_sources.c): the repositories ("domain/path") a blob is known to be in,
 * because a pull took it from there or a push put it there. A push to another repository
 * of the same registry mounts the blob from one of them instead of uploading it (as
 * Docker's distribution metadata does). Rows go when no image holds the blob any more.
 */
/* The repositories of digest, newest first (at most 16); an empty array when there are
 * none or the database fails (a source is a hint, never a requirement). Caller owns it. */
json_t *ross_db_blob_sources(RossDb *db, const char *digest);
/* After a push of image_id to repo (full name) as manifest digest: repo@digest is a repo
 * digest of the image, and repo has each blob of digests (a JSON array of strings). One
 * transaction; nothing when the image is gone meanwhile. */
int ross_db_push_record(RossDb *db, const char *image_id, const char *repo, const char *digest,
                        json_t *digests, RossError *err);
/* The tags of repository name (full name), as ["latest", ...], sorted; -EIO. */
int ross_db_repo_tags(RossDb *db, const char *name, json_t **ret, RossError *err);

/* Snapshots: one row per unpacked layer chain; state "unpacking" until committed. */
typedef struct RossSnapshotRow {
        int64_t id;
        bool committed;
        int64_t size;
} RossSnapshotRow;

/* Add a row in state "unpacking"; -EEXIST if chain_id has a row already. */
int ross_db_snapshot_reserve(RossDb *db, const char *chain_id, const char *parent,
                             const char *diff_id, int64_t *ret_id, RossError *err);
int ross_db_snapshot_commit(RossDb *db, int64_t id, int64_t size, RossError *err);
void ross_db_snapshot_delete(RossDb *db, int64_t id);
/* -ENOENT if chain_id has no row, -EIO if the database cannot tell. */
int ross_db_snapshot_get(RossDb *db, const char *chain_id, RossSnapshotRow *ret);
/* [{"id": N, "chain_id": "...", "committed": bool}] for every row (the rows read before a
 * database failure). */
int ross_db_snapshot_list(RossDb *db, json_t **ret, RossError *err);
/* Committed snapshots no image uses: [{"id": N, "chain_id": "..."}] (the rows read before a
 * database failure). */
int ross_db_snapshot_unused(RossDb *db, json_t **ret, RossError *err);
/* An image's snapshot ids, bottom layer first: [N, ...]; empty if it has none recorded.
 * -EIO for a database failure. */
int ross_db_image_snapshot_ids(RossDb *db, const char *image_id, json_t **ret, RossError *err);
/* Every image's committed snapshots: [{"image": ID, "id": N, "size": BYTES}], bottom layer
 * first per image. */
int ross_db_image_layers(RossDb *db, json_t **ret, RossError *err);

/* Containers: one row each; the request that created it is kept as JSON. */
int ross_db_container_add(RossDb *db, const char *id, const char *name, const char *image_id,
                          const char *image_ref, const char *config_json, RossError *err);
/* -ENOENT "No such container: ID" if there is none, -EIO with SQLite's words if the
 * database fails. ret: {"Id","Name","ImageId","Image","Created","Config","Version"} */
int ross_db_container_fetch(RossDb *db, const char *id, json_t **ret, RossError *err);
/* The same without the message. */
int ross_db_container_get(RossDb *db, const char *id, json_t **ret);
/* Id for a name, full id or unique id prefix: -ENOENT "No such container: X", -EINVAL for
 * an ambiguous prefix, -EIO for a database failure. */
int ross_db_container_resolve(RossDb *db, const char *term, char **ret_id, RossError *err);
/* Every row, newest first. Each has "Version" too: 0 when added, one more at each rename
 * and set_config. */
int ross_db_container_list(RossDb *db, json_t **ret, RossError *err);
/* Every row's id, name and version, newest first, without the stored request: *ret_n of
 * them in *ret (free with ross_db_container_stamps_free), read at generation *ret_gen. */
typedef struct RossDbContainerStamp {
        char *id, *name;
        int64_t version;
} RossDbContainerStamp;
int ross_db_container_stamps(RossDb *db, RossDbContainerStamp **ret, size_t *ret_n,
                             uint64_t *ret_gen, RossError *err);
void ross_db_container_stamps_free(RossDbContainerStamp *v, size_t n);
/* A number that grows at every write to the containers (add, rename, set_config, delete)
 * made through this RossDb, the only writer of its database: rows read at one generation
 * are still the rows while it has not moved. */
uint64_t ross_db_container_generation(RossDb *db);
int ross_db_container_delete(RossDb *db, const char *id, RossError *err);
/* Replace the stored request (and typed config) of a container: network connect. */
int ross_db_container_set_config(RossDb *db, const char *id, const char *config_json,
                                 RossError *err);
int ross_db_container_rename(RossDb *db, const char *id, const char *name, RossError *err);
/* Number of containers using an image, or -EIO. */
int ross_db_image_containers(RossDb *db, const char *image_id, RossError *err);
