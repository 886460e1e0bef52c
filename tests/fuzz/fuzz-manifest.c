/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: manifest, index and image config JSON as a registry may send them. */
#include <stdbool.h>

#include "ref/reference.h"
#include "registry/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *body = (const char *)data;
        RossManifestKind kind;
        RossManifest m = {};
        RossDescriptor d = {};
        RossImageConfig c = {};
        RossPlatform p;
        char *mt = NULL;

        if (ross_manifest_kind(NULL, body, size, &kind, &mt, NULL) == 0)
                free(mt);
        if (ross_manifest_parse(body, size, &m, NULL) == 0) {
                for (size_t i = 0; i < m.n_layers; i++)
                        if (!ross_digest_valid(m.layers[i].digest) || m.layers[i].size < 0)
                                abort();
                ross_manifest_free(&m);
        }
        ross_platform_parse("linux/amd64", &p, NULL);
        if (ross_index_select(body, size, &p, &d, NULL) == 0) {
                if (!ross_digest_valid(d.digest))
                        abort();
                ross_descriptor_free(&d);
        }
        if (ross_config_parse(body, size, &c, NULL) == 0)
                ross_config_free(&c);
        return 0;
}
