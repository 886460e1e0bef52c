/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>

#include "registry/manifest.h"
#include "tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char oci_manifest[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" ROSS_MT_OCI_MANIFEST "\","
        "\"config\":{\"mediaType\":\"" ROSS_MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":10},"
        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
        "\"digest\":\"" D2
        "\",\"size\":20},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
        "\"digest\":\"" D3 "\",\"size\":30}]}";

static const char index_doc[] =
        "{\"schemaVersion\":2,\"mediaType\":\"" ROSS_MT_OCI_INDEX "\",\"manifests\":["
        "{\"mediaType\":\"" ROSS_MT_OCI_MANIFEST "\",\"digest\":\"" D3 "\",\"size\":1,"
        "\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"},"
        "\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}},"
        "{\"mediaType\":\"" ROSS_MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":2,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
        "{\"mediaType\":\"" ROSS_MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":3,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";

static void manifest_tests(void)
{
        RossManifest m = {};
        RossError err = {};
        RossManifestKind k;
        char *mt = NULL;

        ok(ross_manifest_kind(NULL, oci_manifest, strlen(oci_manifest), &k, &mt, &err) == 0 &&
                   k == ROSS_KIND_MANIFEST,
           "OCI manifest recognised from its mediaType");
        free(mt);
        ok(ross_manifest_kind("application/vnd.oci.image.index.v1+json; charset=utf-8", index_doc,
                              strlen(index_doc), &k, NULL, &err) == 0 &&
                   k == ROSS_KIND_INDEX,
           "index recognised from Content-Type with parameters");
        ok(ross_manifest_kind(ROSS_MT_OCI_INDEX, oci_manifest, strlen(oci_manifest), &k, NULL,
                              &err) == -EBADMSG,
           "Content-Type and mediaType that disagree are refused");
        ok(ross_manifest_kind(NULL, "{\"mediaType\":\"x/y\"}", 19, &k, NULL, &err) ==
                   -EPROTONOSUPPORT,
           "unknown media type refused: %s", err.msg);
        ok(ross_manifest_kind(NULL, "[1,2", 4, &k, NULL, &err) == -EBADMSG, "garbage refused: %s",
           err.msg);

        ok(ross_manifest_parse(oci_manifest, strlen(oci_manifest), &m, &err) == 0,
           "parse manifest");
        ok(m.n_layers == 2 && m.layers[0].compression == ROSS_LAYER_ZSTD &&
                   m.layers[1].compression == ROSS_LAYER_TAR && m.layers[1].size == 30,
           "layers, sizes and compression");
        is_str(m.config.digest, D1, "config digest");
        ross_manifest_free(&m);

        const char *bad[] = {
                "{\"schemaVersion\":1,\"config\":{},\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:../../x\",\"size\":1},"
                "\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1
                "\",\"size\":-1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":"
                "[{\"mediaType\":\"application/x-foo\",\"digest\":\"" D2 "\",\"size\":1}]}",
                "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config."
                "v1+json\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}",
                "{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":{},\"layers\":[]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ross_err_clear(&err);
                ok(ross_manifest_parse(bad[i], strlen(bad[i]), &m, &err) < 0 && err.msg[0],
                   "bad manifest %zu refused: %s", i, err.msg);
        }
}

static void index_tests(void)
{
        RossPlatform p;
        RossDescriptor d;
        RossError err = {};

        ross_platform_parse("linux/amd64", &p, &err);
        ok(ross_index_select(index_doc, strlen(index_doc), &p, &d, &err) == 0 &&
                   STREQ(d.digest, D1),
           "amd64 entry chosen, attestation skipped");
        ross_descriptor_free(&d);
        ross_platform_parse("linux/arm64", &p, &err);
        ok(ross_index_select(index_doc, strlen(index_doc), &p, &d, &err) == 0 &&
                   STREQ(d.digest, D2),
           "arm64 entry chosen");
        ross_descriptor_free(&d);
        ross_platform_parse("linux/arm64/v8", &p, &err);
        ok(ross_index_select(index_doc, strlen(index_doc), &p, &d, &err) == 0, "arm64/v8 too");
        ross_descriptor_free(&d);
        ross_platform_parse("linux/s390x", &p, &err);
        ok(ross_index_select(index_doc, strlen(index_doc), &p, &d, &err) == -ENOENT &&
                   strstr(err.msg, "no matching manifest for linux/s390x"),
           "no entry: %s", err.msg);
        ross_platform_parse("unknown/unknown", &p, &err);
        ok(ross_index_select(index_doc, strlen(index_doc), &p, &d, &err) == -ENOENT,
           "unknown/unknown never matches");

        ok(ross_platform_parse("linux", &p, &err) == -EINVAL, "platform without arch refused");
        ok(ross_platform_parse("linux/arm/v7/x", &p, &err) == -EINVAL, "too many parts refused");
        ok(ross_platform_parse("Linux/AMD64", &p, &err) == 0 && STREQ(p.os, "linux") &&
                   STREQ(p.arch, "amd64"),
           "platform lower-cased");
        ok(ross_platform_parse(NULL, &p, &err) == 0 && STREQ(p.os, "linux"), "host platform");
}

static void config_tests(void)
{
        RossImageConfig c = {};
        RossError err = {};
        const char good[] =
                "{\"os\":\"linux\",\"architecture\":\"amd64\",\"created\":\"2000-01-01T00:00:00Z\","
                "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
        ok(ross_config_parse(good, strlen(good), &c, &err) == 0 && c.n_diff_ids == 2 &&
                   STREQ(c.arch, "amd64"),
           "config parsed");
        ross_config_free(&c);
        const char nodiff[] = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"md5:x\"]}}";
        ok(ross_config_parse(nodiff, strlen(nodiff), &c, &err) == -EBADMSG, "bad diff_id refused");
        const char norootfs[] = "{\"os\":\"linux\"}";
        ok(ross_config_parse(norootfs, strlen(norootfs), &c, &err) == -EBADMSG,
           "config without rootfs refused: %s", err.msg);
}

int main(void)
{
        manifest_tests();
        index_tests();
        config_tests();
        return tap_done();
}
