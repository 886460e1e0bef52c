/* SPDX-License-Identifier: Apache-2.0 */
#include "../basic/log.h"
#include "../snapshot/snapshots.h"
#include "pull-resolve.h"

void ross_pull_resolved_free(RossPullResolved *r)
{
        ross_fetched_free(&r->top);
        ross_fetched_free(&r->manifest);
        ross_manifest_free(&r->m);
        ross_fetched_free(&r->config);
        ross_config_free(&r->cfg);
        free(r->chain);
        memset(r, 0, sizeof(*r));
}

static int resolve(const RossRef *ref, const RossPlatform *platform, bool platform_given,
                   const RossPullSource *src, RossPullResolved *p, RossError *err)
{
        RossManifestKind kind;
        _cleanup_free_ char *mt = NULL;
        const char *reference = ref->digest ? ref->digest : ref->tag;
        int r;

        r = src->manifest(src->userdata, reference, &p->top, err);
        if (r < 0)
                return r;
        r = ross_manifest_kind(p->top.content_type, p->top.body, p->top.len, &kind, &mt, err);
        if (r < 0)
                return r;

        if (kind == ROSS_KIND_INDEX) {
                RossDescriptor d = {};
                RossManifestKind k2;
                _cleanup_free_ char *mt2 = NULL;
                p->has_index = true;
                r = ross_index_select(p->top.body, p->top.len, platform, &d, err);
                if (r < 0)
                        return r;
                log_debug("pull: platform entry %s", d.digest);
                r = src->manifest(src->userdata, d.digest, &p->manifest, err);
                ross_descriptor_free(&d);
                if (r < 0)
                        return r;
                r = ross_manifest_kind(p->manifest.content_type, p->manifest.body, p->manifest.len,
                                       &k2, &mt2, err);
                if (r < 0)
                        return r;
                if (k2 != ROSS_KIND_MANIFEST)
                        return ross_errx(err, EBADMSG,
                                         "manifest list entry is not an image manifest");
        } else {
                p->manifest = p->top;
                memset(&p->top, 0, sizeof(p->top));
                memcpy(p->top.digest, p->manifest.digest, sizeof(p->top.digest));
        }

        r = ross_manifest_parse(p->manifest.body, p->manifest.len, &p->m, err);
        if (r < 0)
                return r;
        r = src->config(src->userdata, &p->m.config, &p->config, err);
        if (r < 0)
                return r;
        r = ross_config_parse(p->config.body, p->config.len, &p->cfg, err);
        if (r < 0)
                return r;
        if (p->cfg.n_diff_ids != p->m.n_layers)
                return ross_errx(err, EBADMSG,
                                 "image config lists %zu layers (diff_ids) but the manifest has "
                                 "%zu",
                                 p->cfg.n_diff_ids, p->m.n_layers);
        p->chain = xcalloc(p->m.n_layers ? p->m.n_layers : 1, sizeof(*p->chain));
        for (size_t i = 0; i < p->m.n_layers; i++)
                ross_chain_id(i ? p->chain[i - 1] : NULL, p->cfg.diff_ids[i], p->chain[i]);
        if (!p->has_index && platform_given && !STREQ(p->cfg.os, platform->os)) {
                char buf[96];
                return ross_errx(err, ENOENT, "image is for %s/%s, not %s", p->cfg.os, p->cfg.arch,
                                 ross_platform_format(platform, buf, sizeof(buf)));
        }
        return 0;
}

int ross_pull_resolve(const RossRef *ref, const RossPlatform *platform, bool platform_given,
                      const RossPullSource *src, RossPullResolved *ret, RossError *err)
{
        RossPullResolved p = {};
        int r = resolve(ref, platform, platform_given, src, &p, err);
        if (r < 0) {
                ross_pull_resolved_free(&p);
                return r;
        }
        *ret = p;
        return 0;
}
