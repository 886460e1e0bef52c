/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "../ref/reference.h"
#include "../registry/client.h"
#include "../registry/manifest.h"

/*
 * What a reference resolves to: the document the tag or digest names, the image manifest
 * (through an index when there is one), the config, and the chain IDs of its layers. The
 * pull helper resolves from the registry; the daemon then resolves again from the bytes the
 * helper left in its stage, with the same checks, so nothing the helper says is taken on
 * trust but the choice of bytes.
 */
typedef struct RossPullSource {
        /* A manifest by tag or digest (reference); digest and content_type filled in. */
        int (*manifest)(void *userdata, const char *reference, RossFetched *ret, RossError *err);
        /* The config blob d names, verified. */
        int (*config)(void *userdata, const RossDescriptor *d, RossFetched *ret, RossError *err);
        void *userdata;
} RossPullSource;

typedef struct RossPullResolved {
        RossFetched top;      /* what the tag or digest points at */
        RossFetched manifest; /* the image manifest (== top unless top is an index) */
        bool has_index;
        RossManifest m;
        RossFetched config;
        RossImageConfig cfg;
        char (*chain)[ROSS_DIGEST_LEN + 1]; /* chain[i]: the snapshot key of layers 0..i */
} RossPullResolved;

/* platform_given: the user asked for a platform (an image without an index must match). */
int ross_pull_resolve(const RossRef *ref, const RossPlatform *platform, bool platform_given,
                      const RossPullSource *src, RossPullResolved *ret, RossError *err);
void ross_pull_resolved_free(RossPullResolved *r);
