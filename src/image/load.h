/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "images.h"

/*
 * docker load, the daemon's side (src/image/load.c). The archive is read in a pull helper
 * (ross-pull load, src/helper/serve-load.c), which puts each of its files into a stage as a
 * blob named by its digest; the daemon reads the archive's documents from there: Docker's
 * manifest.json ([{Config, RepoTags, Layers}], as Docker of every version writes it) when
 * there is one, else the OCI layout's index.json (oci-layout, blobs/sha256/...; the
 * images named by their io.containerd.image.name or a full org.opencontainers.image.ref.name
 * annotation). Every layer is checked against its config's diff id as the helper unpacks
 * it; the images are stored as pulled ones are (layer blobs as they came, snapshots, the
 * config's own bytes: the id stays, an OCI manifest, one record and its tags).
 *
 * Nothing is stored before every image of the archive checked out: a wrong digest, a
 * name with "..", a document pointing at a file the archive does not have, a layer that is
 * not what its config says is one error and leaves no blob, snapshot or image.
 */

/* Load the archive (plain, gzip or zstd tar) read from fd. *ret_loaded: what Docker
 * prints, a JSON array of "Loaded image: NAME:TAG" and "Loaded image ID: sha256:..."
 * strings; *ret_ids the ids loaded, in order (both the caller's). */
int ross_images_load(RossImages *s, int fd, json_t **ret_loaded, json_t **ret_ids, RossError *err);
