/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>

#include "../basic/err.h"
#include "../store/digest.h"

#define ROSS_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define ROSS_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define ROSS_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define ROSS_MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define ROSS_MT_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define ROSS_MT_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"

#define ROSS_MANIFEST_MAX (4u * 1024 * 1024)
#define ROSS_CONFIG_MAX   (8u * 1024 * 1024)
#define ROSS_LAYERS_MAX   500
#define ROSS_BLOB_MAX     (64LL * 1024 * 1024 * 1024)

typedef enum RossManifestKind {
        ROSS_KIND_UNKNOWN = 0,
        ROSS_KIND_MANIFEST,
        ROSS_KIND_INDEX,
} RossManifestKind;

typedef enum RossLayerCompression {
        ROSS_LAYER_TAR = 0,
        ROSS_LAYER_GZIP,
        ROSS_LAYER_ZSTD,
} RossLayerCompression;

typedef struct RossDescriptor {
        char *media_type;
        char digest[ROSS_DIGEST_LEN + 1];
        int64_t size;
        RossLayerCompression compression;
} RossDescriptor;

typedef struct RossManifest {
        char *media_type;
        RossDescriptor config;
        RossDescriptor *layers;
        size_t n_layers;
} RossManifest;

typedef struct RossPlatform {
        char os[32];
        char arch[32];
        char variant[16];
} RossPlatform;

typedef struct RossImageConfig {
        char *os, *arch, *variant, *created;
        char **diff_ids;
        size_t n_diff_ids;
} RossImageConfig;

/*
 * Which kind of document is this? Content-Type first; when the registry sends none or a
 * generic one, the document's own mediaType, then its shape. Unknown media types give
 * -EPROTONOSUPPORT with a message naming the type.
 */
int ross_manifest_kind(const char *content_type, const char *body, size_t len,
                       RossManifestKind *ret, char **ret_media_type, RossError *err);
int ross_manifest_parse(const char *body, size_t len, RossManifest *ret, RossError *err);
void ross_manifest_free(RossManifest *m);
/* Pick the entry for platform from an index / manifest list. -ENOENT if none. */
int ross_index_select(const char *body, size_t len, const RossPlatform *want, RossDescriptor *ret,
                      RossError *err);
void ross_descriptor_free(RossDescriptor *d);

/* "os/arch[/variant]"; an empty or NULL string is the host platform. */
int ross_platform_parse(const char *s, RossPlatform *ret, RossError *err);
void ross_platform_host(RossPlatform *ret);
/* "linux/arm64/v8" into buf. */
const char *ross_platform_format(const RossPlatform *p, char *buf, size_t n);

int ross_config_parse(const char *body, size_t len, RossImageConfig *ret, RossError *err);
void ross_config_free(RossImageConfig *c);
