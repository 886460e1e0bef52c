/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker's DistributionInspect: what the registry has for a reference, without pulling it.
 * The pull helper asks the registry (docs/pull-helper.md: `ross-pull inspect`) and leaves the
 * manifest, and for a single image its config, in a stage; the daemon reads them back from
 * there (digests checked) and parses them itself, as a pull does.
 */
#include "../basic/log.h"
#include "../helper/client.h"
#include "../ref/reference.h"
#include "../registry/manifest.h"
#include "images.h"

static json_t *creds_json(const RossCreds *c)
{
        if (!c)
                return json_null();
        return json_pack("{s:s?, s:s?, s:s?}", "username", c->username, "password", c->password,
                         "identity_token", c->identity_token);
}

/* An OCI platform as Go's ocispec.Platform writes it, from an index entry's platform or an
 * image config (which has the same fields at its top). */
static json_t *platform_of(json_t *p)
{
        static const char *const strs[] = {"architecture", "os", "os.version", "variant"};
        json_t *o = json_object();
        for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
                const char *v = json_string_value(json_object_get(p, strs[i]));
                /* architecture and os always, the others when they have a value */
                if (i < 2 || !STR_EMPTY(v))
                        json_object_set_new(o, strs[i], json_string(v ? v : ""));
        }
        json_t *features = json_object_get(p, "os.features");
        if (json_is_array(features) && json_array_size(features) > 0) {
                json_t *list = json_array(), *f;
                size_t k;
                json_array_foreach (features, k, f)
                        if (json_is_string(f))
                                json_array_append(list, f);
                json_object_set_new(o, "os.features", list);
        }
        return o;
}

/* The platforms of an index's entries, as the registry lists them. */
static int index_platforms(const char *body, size_t len, json_t **ret, RossError *err)
{
        json_auto_t *j = json_loadb(body, len, 0, NULL);
        json_t *list = json_object_get(j, "manifests");
        if (!json_is_array(list))
                return ross_errx(err, EBADMSG, "the index has no manifests list");
        json_t *out = json_array(), *e;
        size_t i;
        json_array_foreach (list, i, e) {
                json_t *p = json_object_get(e, "platform");
                if (json_is_object(p))
                        json_array_append_new(out, platform_of(p));
        }
        *ret = out;
        return 0;
}

/* A single image's platform, from its config (as Docker: none when it says neither). */
static int config_platforms(RossImages *s, const char *stage, const char *body, size_t len,
                            const char *config, json_t **ret, RossError *err)
{
        _cleanup_(ross_manifest_free) RossManifest m = {};
        int r = ross_manifest_parse(body, len, &m, err);
        if (r < 0)
                return r;
        *ret = json_array();
        if (!config)
                return 0; /* the registry would not give it: no platform, as Docker */
        if (!STREQ(config, m.config.digest))
                return ross_errx(err, EPROTO, "the pull helper sent config %s for %s", config,
                                 m.config.digest);
        _cleanup_free_ char *text = NULL;
        size_t n;
        r = ross_content_stage_read(s->content, stage, config, ROSS_CONFIG_MAX, &text, &n, err);
        if (r < 0)
                return ross_err_prefix(err, "image config");
        json_auto_t *cfg = json_loadb(text, n, 0, NULL);
        const char *os = json_string_value(json_object_get(cfg, "os"));
        const char *arch = json_string_value(json_object_get(cfg, "architecture"));
        if (!STR_EMPTY(os) || !STR_EMPTY(arch))
                json_array_append_new(*ret, platform_of(cfg));
        return 0;
}

static int ask(RossImages *s, const RossRef *ref, const char *reference, const RossCreds *creds,
               const char *stage, json_t **ret, RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv argv = {};
        _cleanup_(ross_helper_freep) RossHelper *h = NULL;
        json_auto_t *msg = NULL;

        ross_helper_argv(&argv, s->helper_path, "inspect", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        ross_argv_add(&argv, "--stage");
        ross_argv_add(&argv, stage);
        int r = ross_helper_start(&argv, s->registry, &h, err);
        if (r < 0)
                return r;
        r = ross_helper_send(h,
                             json_pack("{s:s, s:s, s:o, s:o}", "type", "inspect", "reference",
                                       reference, "creds", creds_json(creds), "tokens",
                                       ross_token_cache_export(ref->domain)),
                             err);
        if (r == 0)
                r = ross_helper_recv(h, &msg, err);
        if (r == 0 && !STREQ(ross_channel_type(msg), "inspected"))
                r = ross_errx(err, EPROTO, "the pull helper answered '%s' to inspect",
                              ross_channel_type(msg));
        if (r == 0)
                r = ross_helper_finish(h, err);
        if (r < 0)
                return r;
        ross_token_cache_import(json_object_get(msg, "tokens"));
        *ret = TAKE_PTR(msg);
        return 0;
}

static int inspect(RossImages *s, const RossRef *ref, const char *reference, const RossCreds *creds,
                   const char *stage, json_t **ret, RossError *err)
{
        json_auto_t *msg = NULL;
        int r = ask(s, ref, reference, creds, stage, &msg, err);
        if (r < 0)
                return r;
        json_t *top = json_object_get(msg, "top");
        const char *digest = json_string_value(json_object_get(top, "digest"));
        const char *ctype = json_string_value(json_object_get(top, "content_type"));
        const char *config = json_string_value(json_object_get(msg, "config"));
        if (!ross_digest_valid(digest) || (config && !ross_digest_valid(config)))
                return ross_errx(err, EPROTO, "the pull helper named no valid digest");
        if (ref->digest && !STREQ(ref->digest, digest))
                return ross_errx(err, EPROTO, "the pull helper sent manifest %s for %s", digest,
                                 ref->digest);
        _cleanup_free_ char *body = NULL, *mt = NULL;
        size_t len;
        RossManifestKind kind;
        r = ross_content_stage_read(s->content, stage, digest, ROSS_MANIFEST_MAX, &body, &len, err);
        if (r == 0)
                r = ross_manifest_kind(ctype, body, len, &kind, &mt, err);
        if (r < 0)
                return r;
        json_t *platforms = NULL;
        r = kind == ROSS_KIND_INDEX
                    ? index_platforms(body, len, &platforms, err)
                    : config_platforms(s, stage, body, len, config, &platforms, err);
        if (r < 0)
                return r;
        *ret = json_pack("{s:{s:s, s:s, s:I}, s:o}", "Descriptor", "mediaType", mt ? mt : "",
                         "digest", digest, "size", (json_int_t)len, "Platforms", platforms);
        return 0;
}

int ross_images_distribution(RossImages *s, const char *name, const RossCreds *creds, json_t **ret,
                             RossError *err)
{
        _cleanup_(ross_ref_freep) RossRef ref = {};
        /* an image id names no repository (Docker's words) */
        if (strncmp(name, "sha256:", 7) == 0 ||
            (strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64))
                return ross_errx(err, EINVAL, "no manifest found for full image ID");
        int r = ross_ref_parse(name, &ref, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *full = ross_ref_string(&ref);
        _cleanup_free_ char *stage = NULL;
        r = ross_content_stage_new(s->content, &stage, err);
        if (r < 0)
                return ross_err_prefix(err, "inspect %s", full);
        r = inspect(s, &ref, full, creds, stage, ret, err);
        ross_content_stage_remove(s->content, stage);
        if (r < 0) {
                log_debug("distribution inspect %s: %s", full, err ? err->msg : "");
                return ross_err_prefix(err, "inspect %s", full);
        }
        return 0;
}
