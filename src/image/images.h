/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "../basic/err.h"
#include "../registry/auth.h"
#include "../registry/client.h"
#include "../snapshot/snapshots.h"
#include "../store/content.h"
#include "../store/db.h"
#include "../store/space.h"

/* The image service: what the daemon's image endpoints call. */
typedef struct RossImages {
        RossDb *db;
        RossContent *content;
        const RossRegistryConfig *registry;
        int max_concurrent_downloads;
        int max_concurrent_uploads; /* layers a push uploads at a time; 0: 5 */
        RossSnapshots *snapshots;
        char *mounts_dir;         /* image mounts: <run>/image-mounts/<id> */
        const char *data_dir;     /* the daemon's data dir, for the pull helper */
        char *helper_path;        /* ross-pull, next to ross-daemon (docs/pull-helper.md) */
        uint64_t max_layer_bytes; /* cap on a layer's uncompressed size; 0: default */
        /* Free space pulls and flat merges leave on the data dir's filesystem; {0}: none */
        RossSpaceReserve min_free_space;

        /* Blobs that pulls under way depend on: digest -> count. Removal (a failed pull's
         * undo, rmi) leaves them alone, so one pull cannot delete what another is about to
         * record. */
        pthread_mutex_t busy_lock;
        json_t *busy;
} RossImages;

/* Set up and tear down the image service's own state. */
void ross_images_init(RossImages *s);
void ross_images_done(RossImages *s);
/* Mark or unmark a blob as needed by a pull under way. */
void ross_images_hold(RossImages *s, const char *digest);
void ross_images_release(RossImages *s, const char *digest);
/* Remove a blob unless an image references it or a pull holds it (or the database cannot
 * tell). */
void ross_images_drop_blob(RossImages *s, const char *digest);

/* Progress as Docker's pull stream has it: id is a short layer id or a tag, or NULL. */
typedef void (*RossPullEventFn)(void *userdata, const char *id, const char *status, int64_t current,
                                int64_t total);

typedef struct RossPullOptions {
        const char *reference;
        const char *platform; /* "os/arch[/variant]" or NULL for the host's */
        const RossCreds *creds;
        RossPullEventFn event;
        void *userdata;
} RossPullOptions;

/* A pull in two steps, so a caller can report a bad reference or a missing manifest as an
 * error status before it starts streaming progress. */
typedef struct RossPull RossPull;

/* Parse the reference, fetch and check manifest(s) and config. No disk writes. */
int ross_pull_prepare(RossImages *s, const RossPullOptions *o, RossPull **ret, RossError *err);
/* Download what is missing, store it, record the image. On failure nothing of it remains. */
int ross_pull_run(RossPull *p, RossError *err);
/* Image id once prepared. */
const char *ross_pull_image_id(RossPull *p);
void ross_pull_free(RossPull *p);

/* Docker's ImageSummary list, newest first (the caller owns *ret). */
int ross_images_list(RossImages *s, json_t **ret, RossError *err);
/* Docker's ImageInspect for name, id or id prefix. */
int ross_images_inspect(RossImages *s, const char *name, json_t **ret, RossError *err);
/* Untag and/or delete as `docker rmi` does; the report is [{"Untagged"|"Deleted": ...}]. */
int ross_images_remove(RossImages *s, const char *name, bool force, json_t **ret_report,
                       RossError *err);
/* Point repo:tag (tag NULL: latest) at the image name resolves to. */
int ross_images_tag(RossImages *s, const char *name, const char *repo, const char *tag,
                    RossError *err);
/* Remove blobs and snapshots no image references, and leftover ingest files. Returns the
 * bytes freed, or a negative errno (no blob removed when the database cannot say what images
 * use). */
int64_t ross_images_gc(RossImages *s, bool at_start, RossError *err);
/* Should a prune remove this image? img: its ImageSummary (Labels, Created, RepoTags). */
typedef bool (*RossImagePrunePick)(void *ud, json_t *img);
/* Remove dangling images (all unused ones with all) that pick (NULL: any) chooses, then
 * collect garbage. The report is Docker's {"ImagesDeleted": [...], "SpaceReclaimed": N}. */
int ross_images_prune(RossImages *s, bool all, RossImagePrunePick pick, void *ud,
                      json_t **ret_report, RossError *err);
/* distribution.c: Docker's DistributionInspect of name from its registry, through the pull
 * helper: {"Descriptor": {mediaType, digest, size} of what the tag or digest names,
 * "Platforms": an index's entries', or the image config's os/architecture/variant}. creds may
 * be NULL. */
int ross_images_distribution(RossImages *s, const char *name, const RossCreds *creds, json_t **ret,
                             RossError *err);
/* usage.c: the image summaries with SharedSize (the bytes of their layers another image has
 * too), and LayersSize (every layer once), as /system/df reports them. */
int ross_images_disk_usage(RossImages *s, json_t **ret_images, int64_t *ret_layers_size,
                           RossError *err);
/* Mount an image's filesystem read-only (an overlay of its snapshots); the path is the
 * caller's. Mounting a mounted image gives the same path. */
int ross_images_mount(RossImages *s, const char *name, char **ret_path, char **ret_id,
                      RossError *err);
int ross_images_unmount(RossImages *s, const char *name, char **ret_id, RossError *err);
/* The image's flat rootfs (micro-VM root): merged once per top chain ID and cached; the
 * path is the caller's. Containers get copies of it (ross_tree_clone). */
int ross_images_flat(RossImages *s, const char *name, char **ret_path, RossError *err);
/* Remove cached flat trees no image has (at_start: half-made ones too); returns how many. */
int64_t ross_images_flat_gc(RossImages *s, bool at_start);
