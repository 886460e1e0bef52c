/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <jansson.h>
#include <strings.h>
#include <sys/utsname.h>

#include "../ref/reference.h"
#include "manifest.h"

static bool mt_is(const char *a, const char *b)
{
        return a && strcasecmp(a, b) == 0;
}

/* "application/json; charset=utf-8" -> "application/json" */
static char *mt_base(const char *ct)
{
        size_t n = strcspn(ct, "; \t");
        return xstrndup(ct, n);
}

static RossManifestKind kind_of(const char *mt)
{
        if (mt_is(mt, ROSS_MT_DOCKER_MANIFEST) || mt_is(mt, ROSS_MT_OCI_MANIFEST))
                return ROSS_KIND_MANIFEST;
        if (mt_is(mt, ROSS_MT_DOCKER_LIST) || mt_is(mt, ROSS_MT_OCI_INDEX))
                return ROSS_KIND_INDEX;
        return ROSS_KIND_UNKNOWN;
}

static json_t *load(const char *body, size_t len, const char *what, RossError *err)
{
        json_error_t jerr;
        _cleanup_(json_decrefp) json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j) {
                ross_errx(err, EBADMSG, "%s is not valid JSON: %s (line %d)", what, jerr.text,
                          jerr.line);
                return NULL;
        }
        if (!json_is_object(j)) {
                ross_errx(err, EBADMSG, "%s is not a JSON object", what);
                return NULL;
        }
        return TAKE_PTR(j);
}

int ross_manifest_kind(const char *content_type, const char *body, size_t len,
                       RossManifestKind *ret, char **ret_media_type, RossError *err)
{
        _cleanup_free_ char *ct = content_type ? mt_base(content_type) : NULL;
        RossManifestKind k = kind_of(ct);

        _cleanup_(json_decrefp) json_t *j = load(body, len, "manifest", err);
        if (!j)
                return -EBADMSG;

        const char *doc_mt = json_string_value(json_object_get(j, "mediaType"));
        const char *mt = NULL;
        if (k != ROSS_KIND_UNKNOWN)
                mt = ct;
        else if (doc_mt) {
                k = kind_of(doc_mt);
                mt = doc_mt;
        } else if (json_is_array(json_object_get(j, "manifests"))) {
                k = ROSS_KIND_INDEX;
                mt = ROSS_MT_OCI_INDEX;
        } else if (json_is_object(json_object_get(j, "config")) &&
                   json_is_array(json_object_get(j, "layers"))) {
                k = ROSS_KIND_MANIFEST;
                mt = ROSS_MT_OCI_MANIFEST;
        }

        if (k == ROSS_KIND_UNKNOWN)
                return ross_errx(err, EPROTONOSUPPORT, "unsupported manifest media type '%s'",
                                 doc_mt ? doc_mt : (ct ? ct : "(none)"));
        /* A document that names another type than the header is a confused or hostile one. */
        if (doc_mt && kind_of(doc_mt) != k)
                return ross_errx(err, EBADMSG,
                                 "manifest media type '%s' does not match Content-Type '%s'",
                                 doc_mt, ct ? ct : "");
        *ret = k;
        if (ret_media_type)
                *ret_media_type = xstrdup(mt);
        return 0;
}

void ross_descriptor_free(RossDescriptor *d)
{
        free(d->media_type);
        memset(d, 0, sizeof(*d));
}

static int parse_descriptor(json_t *o, const char *what, RossDescriptor *ret, RossError *err)
{
        const char *mt = NULL, *digest = NULL;
        json_int_t size = -1;
        json_error_t jerr;

        if (json_unpack_ex(o, &jerr, 0, "{s?s, s:s, s:I}", "mediaType", &mt, "digest", &digest,
                           "size", &size) < 0)
                return ross_errx(err, EBADMSG, "%s: invalid descriptor: %s", what, jerr.text);
        if (!ross_digest_valid(digest))
                return ross_errx(err, EBADMSG, "%s: invalid or unsupported digest '%s'", what,
                                 digest);
        if (size < 0 || size > ROSS_BLOB_MAX)
                return ross_errx(err, EBADMSG, "%s: invalid size %lld", what, (long long)size);
        memset(ret, 0, sizeof(*ret));
        ret->media_type = mt ? xstrdup(mt) : NULL;
        memcpy(ret->digest, digest, ROSS_DIGEST_LEN + 1);
        ret->size = size;
        return 0;
}

static int layer_compression(const char *mt, RossLayerCompression *ret)
{
        static const struct {
                const char *mt;
                RossLayerCompression c;
        } table[] = {
                {"application/vnd.docker.image.rootfs.diff.tar.gzip", ROSS_LAYER_GZIP},
                {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", ROSS_LAYER_GZIP},
                {"application/vnd.oci.image.layer.v1.tar", ROSS_LAYER_TAR},
                {"application/vnd.oci.image.layer.v1.tar+gzip", ROSS_LAYER_GZIP},
                {"application/vnd.oci.image.layer.v1.tar+zstd", ROSS_LAYER_ZSTD},
                {"application/vnd.oci.image.layer.nondistributable.v1.tar", ROSS_LAYER_TAR},
                {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", ROSS_LAYER_GZIP},
                {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", ROSS_LAYER_ZSTD},
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (mt_is(mt, table[i].mt)) {
                        *ret = table[i].c;
                        return 0;
                }
        return -EPROTONOSUPPORT;
}

void ross_manifest_free(RossManifest *m)
{
        free(m->media_type);
        ross_descriptor_free(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                ross_descriptor_free(&m->layers[i]);
        free(m->layers);
        memset(m, 0, sizeof(*m));
}

int ross_manifest_parse(const char *body, size_t len, RossManifest *ret, RossError *err)
{
        _cleanup_(ross_manifest_free) RossManifest m = {};
        json_t *config, *layers, *l;
        json_int_t version = 0;
        json_error_t jerr;
        size_t i;
        int r;

        _cleanup_(json_decrefp) json_t *j = load(body, len, "manifest", err);
        if (!j)
                return -EBADMSG;
        if (json_unpack_ex(j, &jerr, 0, "{s:I, s:o, s:o}", "schemaVersion", &version, "config",
                           &config, "layers", &layers) < 0)
                return ross_errx(err, EBADMSG, "invalid image manifest: %s", jerr.text);
        if (version != 2)
                return ross_errx(err, EPROTONOSUPPORT, "unsupported manifest schemaVersion %lld",
                                 (long long)version);
        if (!json_is_array(layers))
                return ross_errx(err, EBADMSG, "invalid image manifest: layers is not an array");
        if (json_array_size(layers) > ROSS_LAYERS_MAX)
                return ross_errx(err, EBADMSG, "image manifest has %zu layers, more than %d",
                                 json_array_size(layers), ROSS_LAYERS_MAX);
        const char *mt = json_string_value(json_object_get(j, "mediaType"));
        m.media_type = xstrdup(mt ? mt : ROSS_MT_OCI_MANIFEST);
        r = parse_descriptor(config, "manifest config", &m.config, err);
        if (r < 0)
                return r;
        if (m.config.media_type && !mt_is(m.config.media_type, ROSS_MT_DOCKER_CONFIG) &&
            !mt_is(m.config.media_type, ROSS_MT_OCI_CONFIG))
                return ross_errx(err, EPROTONOSUPPORT,
                                 "unsupported image config media type '%s' (not a container "
                                 "image?)",
                                 m.config.media_type);
        if (m.config.size > (int64_t)ROSS_CONFIG_MAX)
                return ross_errx(err, EFBIG, "image config is %lld bytes, more than %u",
                                 (long long)m.config.size, ROSS_CONFIG_MAX);
        m.layers = xcalloc(json_array_size(layers), sizeof(RossDescriptor));
        json_array_foreach (layers, i, l) {
                char what[64];
                snprintf(what, sizeof(what), "layer %zu", i + 1);
                r = parse_descriptor(l, what, &m.layers[i], err);
                if (r < 0)
                        return r;
                m.n_layers++;
                if (layer_compression(m.layers[i].media_type, &m.layers[i].compression) < 0)
                        return ross_errx(err, EPROTONOSUPPORT, "unknown layer media type '%s' (%s)",
                                         m.layers[i].media_type ? m.layers[i].media_type : "(none)",
                                         m.layers[i].digest);
        }
        *ret = m;
        m = (RossManifest){}; /* the caller's now */
        return 0;
}

void ross_platform_host(RossPlatform *ret)
{
        struct utsname u;
        memset(ret, 0, sizeof(*ret));
        strcpy(ret->os, "linux");
        uname(&u);
        if (STREQ(u.machine, "x86_64"))
                strcpy(ret->arch, "amd64");
        else if (STREQ(u.machine, "aarch64") || STREQ(u.machine, "arm64"))
                strcpy(ret->arch, "arm64");
        else if (strncmp(u.machine, "armv7", 5) == 0) {
                strcpy(ret->arch, "arm");
                strcpy(ret->variant, "v7");
        } else if (strncmp(u.machine, "armv6", 5) == 0) {
                strcpy(ret->arch, "arm");
                strcpy(ret->variant, "v6");
        } else if (STREQ(u.machine, "i686") || STREQ(u.machine, "i386"))
                strcpy(ret->arch, "386");
        else if (STREQ(u.machine, "ppc64le") || STREQ(u.machine, "s390x") ||
                 STREQ(u.machine, "riscv64"))
                snprintf(ret->arch, sizeof(ret->arch), "%s", u.machine);
        else
                snprintf(ret->arch, sizeof(ret->arch), "%s", u.machine);
}

int ross_platform_parse(const char *s, RossPlatform *ret, RossError *err)
{
        RossPlatform p = {};
        if (STR_EMPTY(s)) {
                ross_platform_host(ret);
                return 0;
        }
        const char *a = strchr(s, '/');
        if (!a || a == s || !a[1])
                return ross_errx(err, EINVAL, "invalid platform '%s': want os/arch[/variant]", s);
        const char *v = strchr(a + 1, '/');
        size_t ol = (size_t)(a - s), al = v ? (size_t)(v - a - 1) : strlen(a + 1);
        size_t vl = v ? strlen(v + 1) : 0;
        if (ol >= sizeof(p.os) || al == 0 || al >= sizeof(p.arch) || vl >= sizeof(p.variant) ||
            (v && (vl == 0 || strchr(v + 1, '/'))))
                return ross_errx(err, EINVAL, "invalid platform '%s': want os/arch[/variant]", s);
        memcpy(p.os, s, ol);
        memcpy(p.arch, a + 1, al);
        if (v)
                memcpy(p.variant, v + 1, vl);
        for (char *c = p.os; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        for (char *c = p.arch; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        *ret = p;
        return 0;
}

const char *ross_platform_format(const RossPlatform *p, char *buf, size_t n)
{
        if (p->variant[0])
                snprintf(buf, n, "%s/%s/%s", p->os, p->arch, p->variant);
        else
                snprintf(buf, n, "%s/%s", p->os, p->arch);
        return buf;
}

static bool variant_matches(const RossPlatform *want, const char *arch, const char *variant)
{
        if (!want->variant[0])
                return true;
        if (variant && STREQ(want->variant, variant))
                return true;
        /* arm64 images usually leave out their v8 variant. */
        return STREQ(arch, "arm64") && STREQ(want->variant, "v8") && STR_EMPTY(variant);
}

int ross_index_select(const char *body, size_t len, const RossPlatform *want, RossDescriptor *ret,
                      RossError *err)
{
        json_t *manifests, *e;
        json_error_t jerr;
        size_t i;
        int best = -1;
        char pbuf[96];

        _cleanup_(json_decrefp) json_t *j = load(body, len, "manifest list", err);
        if (!j)
                return -EBADMSG;
        if (json_unpack_ex(j, &jerr, 0, "{s:o}", "manifests", &manifests) < 0 ||
            !json_is_array(manifests))
                return ross_errx(err, EBADMSG, "invalid manifest list: no manifests array");
        if (json_array_size(manifests) > 1000)
                return ross_errx(err, EBADMSG, "manifest list has too many entries");
        json_array_foreach (manifests, i, e) {
                const char *os = NULL, *arch = NULL, *variant = NULL, *rtype = NULL;
                json_t *plat = json_object_get(e, "platform");
                json_t *ann = json_object_get(e, "annotations");
                if (!json_is_object(e))
                        continue;
                if (json_is_object(ann))
                        rtype = json_string_value(
                                json_object_get(ann, "vnd.docker.reference.type"));
                /* Attestations (SBOM, provenance) ride along in indexes; they are not images. */
                if (rtype && STREQ(rtype, "attestation-manifest"))
                        continue;
                if (!json_is_object(plat))
                        continue;
                os = json_string_value(json_object_get(plat, "os"));
                arch = json_string_value(json_object_get(plat, "architecture"));
                variant = json_string_value(json_object_get(plat, "variant"));
                if (!os || !arch || STREQ(os, "unknown"))
                        continue;
                if (!STREQ(os, want->os) || !STREQ(arch, want->arch))
                        continue;
                if (!variant_matches(want, arch, variant))
                        continue;
                best = (int)i;
                break;
        }
        if (best < 0)
                return ross_errx(err, ENOENT,
                                 "no matching manifest for %s in the manifest list entries",
                                 ross_platform_format(want, pbuf, sizeof(pbuf)));
        return parse_descriptor(json_array_get(manifests, (size_t)best), "manifest list entry", ret,
                                err);
}

void ross_config_free(RossImageConfig *c)
{
        free(c->os);
        free(c->arch);
        free(c->variant);
        free(c->created);
        for (size_t i = 0; i < c->n_diff_ids; i++)
                free(c->diff_ids[i]);
        free(c->diff_ids);
        memset(c, 0, sizeof(*c));
}

int ross_config_parse(const char *body, size_t len, RossImageConfig *ret, RossError *err)
{
        _cleanup_(ross_config_free) RossImageConfig c = {};
        const char *os = NULL, *arch = NULL, *variant = NULL, *created = NULL, *type = NULL;
        json_t *rootfs = NULL, *diff_ids = NULL, *d;
        json_error_t jerr;
        size_t i;

        _cleanup_(json_decrefp) json_t *j = load(body, len, "image config", err);
        if (!j)
                return -EBADMSG;
        if (json_unpack_ex(j, &jerr, 0, "{s?s, s?s, s?s, s?s, s:o}", "os", &os, "architecture",
                           &arch, "variant", &variant, "created", &created, "rootfs",
                           &rootfs) < 0 ||
            json_unpack_ex(rootfs, &jerr, 0, "{s:s, s:o}", "type", &type, "diff_ids", &diff_ids) <
                    0)
                return ross_errx(err, EBADMSG, "invalid image config: %s", jerr.text);
        if (!STREQ(type, "layers") || !json_is_array(diff_ids))
                return ross_errx(err, EBADMSG,
                                 "invalid image config: rootfs is not of type layers");
        if (json_array_size(diff_ids) > ROSS_LAYERS_MAX)
                return ross_errx(err, EBADMSG, "invalid image config: too many diff_ids");
        c.diff_ids = xcalloc(json_array_size(diff_ids), sizeof(char *));
        json_array_foreach (diff_ids, i, d) {
                const char *s = json_string_value(d);
                if (!ross_digest_valid(s))
                        return ross_errx(err, EBADMSG, "invalid image config: bad diff_id %zu",
                                         i + 1);
                c.diff_ids[c.n_diff_ids++] = xstrdup(s);
        }
        c.os = xstrdup(os ? os : "linux");
        c.arch = xstrdup(arch ? arch : "");
        c.variant = variant ? xstrdup(variant) : NULL;
        c.created = created ? xstrdup(created) : NULL;
        *ret = c;
        c = (RossImageConfig){}; /* the caller's now */
        return 0;
}
