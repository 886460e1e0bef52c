/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/err.h"

struct RossContainers;

typedef struct RossCommitOptions {
        const char *container; /* id, prefix or name */
        const char *repo;      /* REPOSITORY[:TAG], or NULL: untagged */
        const char *tag;       /* overrides repo's tag; NULL or "" */
        const char *comment;   /* the history entry's comment; NULL: none */
        const char *author;    /* the image's author; NULL: none */
        bool pause;            /* freeze a running container while its files are read */
        json_t *config;        /* a ContainerConfig whose set fields win, or NULL */
        json_t *changes;       /* Dockerfile instructions (config-changes.h), or NULL */
} RossCommitOptions;

/*
 * docker commit: a new image, the container's image with one more layer on top, made of
 * what the container changed (its overlay upper dir, packed in the pull helper with
 * overlay whiteouts turned into OCI whiteouts and the runtime's mount points left out).
 * Its config is the container's (Docker's merge of the container's config over its
 * image's), then o->config's set fields, then o->changes; its history gets one entry.
 * The image is stored as ross_images_add_local stores one, so it runs and pushes like a
 * pulled one. -EINVAL for a bad change or reference (Docker's words), -ENOENT for a
 * container that is not there, -EOPNOTSUPP for a micro-VM container (its root is a whole
 * copy, not a layer). On failure nothing of it remains. *ret_id: the new image's id.
 */
int ross_images_commit(struct RossContainers *c, const RossCommitOptions *o, char **ret_id,
                       RossError *err);
