/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "images.h"

/*
 * docker save, the daemon's side (src/image/save.c): it finds the images and their blobs
 * and writes the layout's documents; the pull helper (ross-pull save,
 * src/helper/serve-save.c) writes the tar, reading the blobs from the store. The archive
 * is an OCI image layout (oci-layout, index.json, blobs/sha256/...) with Docker's
 * manifest.json and repositories beside it, as Docker 25 and later write it. Each image's
 * registry manifest, config and layers go in as they are stored (layers compressed as
 * pulled), so its id and its manifest digest stay what they were.
 */
typedef struct RossImageSave RossImageSave;

/*
 * Start a save of names (each NAME:TAG, a name alone: all its tags, an id or a digest
 * reference): -ENOENT "No such image: X" before anything is written. *ret_fd is the tar
 * to read (owned by *ret); ross_images_save_end when done with it.
 */
int ross_images_save(RossImages *s, const char *const *names, size_t n, int *ret_fd,
                     RossImageSave **ret, RossError *err);
/* The ids of the images being saved, in order: a JSON array, borrowed from sv. */
json_t *ross_images_save_ids(RossImageSave *sv);
/* Close the tar, reap the helper (its error is logged), let the blobs go. NULL is fine. */
void ross_images_save_end(RossImageSave *sv);
