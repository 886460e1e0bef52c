/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "../basic/err.h"
#include "images.h"

/*
 * Images made on this host rather than pulled: docker import now, docker commit later. They
 * are stored as a pulled image is (each layer a blob, the config and an OCI manifest in the
 * content store, a committed snapshot per layer chain, one record in ross.db), so that they
 * run, tag, inspect, save and push like any other.
 */

/* A layer already in the store, and its committed snapshot. */
typedef struct RossLocalLayer {
        const char *digest;     /* the blob */
        int64_t size;           /* its size */
        const char *media_type; /* e.g. "application/vnd.oci.image.layer.v1.tar" */
        const char *chain_id;   /* the snapshot of the chain up to this layer */
} RossLocalLayer;

typedef struct RossLocalImage {
        json_t *config; /* the image config document; rootfs.diff_ids match the layers */
        /* its bytes as they came (docker load: their digest is the image's id), or NULL:
         * config is written out */
        const char *config_raw;
        size_t config_len;
        const RossLocalLayer *layers;
        size_t n_layers;
        const char *name; /* "docker.io/library/x" as ross_ref_name gives it, or NULL */
        const char *tag;  /* with a name; NULL: untagged */
        int64_t size;     /* the unpacked layers' bytes (Docker's image size) */
} RossLocalImage;

/* Write the config and a manifest for it into the store and record the image (name:tag
 * pointing at it). *ret_id: the image id (its config's digest; caller frees). */
int ross_images_add_local(RossImages *s, const RossLocalImage *li, char **ret_id, RossError *err);

typedef struct RossImportOptions {
        const char *repo;     /* REPOSITORY[:TAG], or NULL: untagged */
        const char *tag;      /* overrides repo's tag; NULL or "" */
        json_t *changes;      /* Dockerfile instructions (config-changes.h), or NULL */
        const char *message;  /* its comment; NULL: "Imported from -" */
        const char *platform; /* "os/arch[/variant]"; NULL: this host's */
} RossImportOptions;

/*
 * docker import: the tar read from fd (plain, gzip or zstd) as an image of one layer,
 * stored uncompressed as a pulled layer is and unpacked in a pull helper (its digest is its
 * diff id). On failure nothing of it remains: no blob, snapshot or record. *ret_id: the new
 * image's id.
 */
int ross_images_import(RossImages *s, int fd, const RossImportOptions *o, char **ret_id,
                       RossError *err);
