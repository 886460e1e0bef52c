/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pull helper's inspect (docs/pull-helper.md): what the registry has for a reference,
 * for DistributionInspect. It fetches the manifest the tag or digest names and, for a single
 * image, its config, checks their digests, and leaves the bytes in the stage; the daemon reads
 * and parses them from there. Nothing is pulled.
 */
#include "../basic/log.h"
#include "../ref/reference.h"
#include "../registry/auth.h"
#include "../registry/manifest.h"
#include "../store/content.h"
#include "serve.h"

typedef struct Inspect {
        RossRef ref;
        RossRegistry *reg;
        RossContent *store;
        RossFetched top, config;
} Inspect;

static void inspect_done(Inspect *i)
{
        ross_ref_free(&i->ref);
        ross_registry_free(i->reg);
        ross_content_free(i->store);
        ross_fetched_free(&i->top);
        ross_fetched_free(&i->config);
}

int ross_helper_serve_inspect(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        _cleanup_(inspect_done) Inspect i = {};
        json_auto_t *req = NULL;
        int r = ross_content_open_staged(o->data_dir, o->stage, &i.store, err);
        if (r == 0)
                r = ross_channel_recv(ch, &req, err);
        if (r < 0)
                return r;
        const char *reference = json_string_value(json_object_get(req, "reference"));
        json_t *creds = json_object_get(req, "creds");
        RossCreds c = {
                .username = (char *)json_string_value(json_object_get(creds, "username")),
                .password = (char *)json_string_value(json_object_get(creds, "password")),
                .identity_token =
                        (char *)json_string_value(json_object_get(creds, "identity_token")),
        };
        if (!STREQ(ross_channel_type(req), "inspect") || !reference)
                return ross_errx(err, EPROTO, "expected an inspect request");
        if ((r = ross_ref_parse(reference, &i.ref, err)) < 0 ||
            (r = ross_registry_new(&o->registry, i.ref.domain, &c, &i.reg, err)) < 0)
                return r;
        ross_token_cache_import(json_object_get(req, "tokens"));

        r = ross_registry_get_manifest(i.reg, i.ref.path, i.ref.digest ? i.ref.digest : i.ref.tag,
                                       &i.top, err);
        RossManifestKind kind;
        _cleanup_free_ char *mt = NULL;
        if (r == 0)
                r = ross_manifest_kind(i.top.content_type, i.top.body, i.top.len, &kind, &mt, err);
        if (r == 0)
                r = ross_content_put(i.store, i.top.digest, i.top.body, i.top.len, err);
        if (r < 0)
                return r;
        bool have_config = false;
        if (kind == ROSS_KIND_MANIFEST) {
                _cleanup_(ross_manifest_free) RossManifest m = {};
                r = ross_manifest_parse(i.top.body, i.top.len, &m, err);
                if (r < 0)
                        return r;
                /* as Docker: a config the registry will not give means no platform, not an
                 * error */
                RossError cerr = {};
                if (ross_registry_get_blob(i.reg, i.ref.path, &m.config, ROSS_CONFIG_MAX, &i.config,
                                           &cerr) == 0)
                        have_config = ross_content_put(i.store, m.config.digest, i.config.body,
                                                       i.config.len, err) == 0;
                else
                        log_debug("inspect: config %s: %s", m.config.digest, cerr.msg);
                if (have_config)
                        memcpy(i.config.digest, m.config.digest, sizeof(i.config.digest));
        }
        json_t *msg = json_pack("{s:s, s:{s:s, s:s?}, s:s?, s:o}", "type", "inspected", "top",
                                "digest", i.top.digest, "content_type", i.top.content_type,
                                "config", have_config ? i.config.digest : NULL, "tokens",
                                ross_token_cache_export(i.ref.domain));
        return ross_channel_send_new(ch, msg, err);
}
