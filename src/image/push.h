/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "images.h"

/*
 * A push, the daemon's side (src/image/push.c): the daemon finds the image and its blobs,
 * looks up where else in the registry each blob already is (blob sources), and records the
 * outcome; the pull helper (ross-pull push, src/helper/serve-push.c) makes every registry
 * request, reading the blobs from the store. See docs/pull-helper.md.
 *
 * What is pushed is the image's own manifest, its stored bytes, so its digest does not
 * change. An image pulled through an index has its index and the one platform manifest
 * it was pulled for; that manifest is pushed (a registry would refuse, or serve broken, an
 * index whose other manifests it lacks), as Docker does when not all of an index's
 * content is present, with the same note (aux manifestPushedInsteadOfIndex).
 */

/* An aux object of Docker's push stream ({"Tag", "Digest", "Size"} and the note above),
 * borrowed. */
typedef void (*RossPushAuxFn)(void *userdata, json_t *aux);

typedef struct RossPushOptions {
        const char *name; /* NAME or NAME:TAG */
        const char *tag;  /* NULL or "": NAME's tag if it has one, else every tag of NAME */
        const RossCreds *creds;
        RossPullEventFn event; /* Docker's push progress; id NULL for the repository lines */
        RossPushAuxFn aux;
        /* asked after each step; true stops the push (the client went away) */
        bool (*gone)(void *userdata);
        void *userdata;
} RossPushOptions;

typedef struct RossPush RossPush;

/* Find what to push: a name without an image is -ENOENT "An image does not exist locally
 * with the tag: NAME" (Docker's words), a missing tag "tag does not exist: NAME:TAG", a
 * digest reference -EINVAL. Nothing is sent anywhere yet. */
int ross_push_prepare(RossImages *s, const RossPushOptions *o, RossPush **ret, RossError *err);
/* Push, streaming events; each tag the registry took gets its repo digest
 * (NAME@sha256:...) and its blobs are recorded as in NAME; a tag it did not take records
 * nothing. */
int ross_push_run(RossPush *p, RossError *err);
/* The references pushed ("REG/NAME:TAG", familiar), for the push events: a JSON array. */
json_t *ross_push_refs(RossPush *p);
void ross_push_free(RossPush *p);
