/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"
#include "../store/content.h"
#include "auth.h"
#include "manifest.h"

/* Daemon-wide registry settings. */
typedef struct RossRegistryConfig {
        char **insecure;       /* NULL-terminated list of "host[:port]" allowed over HTTP */
        const char *certs_dir; /* per-registry CAs: <certs_dir>/<host[:port]>/ca.crt */
        /* The daemon's: the pull helper (ross-pull) that makes its registry requests, so
         * that libcurl never runs in the daemon. NULL: requests are made in this process
         * (the helper's own setting). */
        const char *helper;
        /* How long a helper may send nothing before it counts as hung and is killed (see
         * helper/client.h); 0: ROSS_HELPER_STALL_SECONDS. */
        int helper_stall_seconds;
} RossRegistryConfig;

/* A connection context for one registry and one set of credentials. Thread-safe. */
typedef struct RossRegistry RossRegistry;

/* domain is a reference's domain ("docker.io", "localhost:5000"); creds may be NULL. */
int ross_registry_new(const RossRegistryConfig *cfg, const char *domain, const RossCreds *creds,
                      RossRegistry **ret, RossError *err);
void ross_registry_free(RossRegistry *reg);

/* Check that the registry answers and that the credentials are accepted (GET /v2/); with
 * cfg->helper set, in a pull helper. */
int ross_registry_login(RossRegistry *reg, RossError *err);

/* GET /v2/ without credentials, to learn how the registry wants them (a push does this
 * first: its workers then share what it learned). A registry that does not answer is an
 * error naming its URL. */
int ross_registry_ping(RossRegistry *reg, RossError *err);

typedef struct RossFetched {
        char *body;
        size_t len;
        char *content_type;
        char digest[ROSS_DIGEST_LEN + 1]; /* computed from the bytes */
} RossFetched;
void ross_fetched_free(RossFetched *f);

/* GET a manifest by tag or digest (capped at 4 MiB). The digest of the bytes is checked
 * against the reference when it is a digest, and against Docker-Content-Digest. */
int ross_registry_get_manifest(RossRegistry *reg, const char *repo, const char *reference,
                               RossFetched *ret, RossError *err);
/* GET a small blob (a config) into memory and verify it. */
int ross_registry_get_blob(RossRegistry *reg, const char *repo, const RossDescriptor *d, size_t max,
                           RossFetched *ret, RossError *err);

/* Called as bytes arrive: total bytes so far of size. A negative errno aborts the download
 * (a pull cancelled because another layer failed). */
typedef int (*RossBlobProgress)(void *userdata, uint64_t current, int64_t size);

/* Stream a blob into the content store, verified, with resume and retries. */
int ross_registry_fetch_blob(RossRegistry *reg, const char *repo, const RossDescriptor *d,
                             RossContent *store, RossBlobProgress progress, void *userdata,
                             RossError *err);
