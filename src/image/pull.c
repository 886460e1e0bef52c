/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pull, the daemon's side. The registry, decompression and the tar walk run in the pull
 * helper (ross-pull, src/helper/), one per pull, in a sandbox; the daemon keeps what touches
 * the database: it decides what is missing, makes the snapshot transactions the helper
 * unpacks into, moves the blobs the helper verified from its stage into the store, commits
 * and records. See docs/pull-helper.md.
 */
#include <malloc.h>
#include <pthread.h>

#include "../basic/log.h"
#include "../helper/client.h"
#include "../ref/reference.h"
#include "pull-resolve.h"
#include "images.h"

struct RossPull {
        RossImages *s;
        RossPullOptions o;
        RossRef ref;
        char *familiar; /* "alpine:latest" as the user sees it */
        RossPlatform platform;
        RossHelper *h;
        char *stage; /* the helper's ingest stage */
        RossPullResolved res;

        /* What this pull put in the store, to take out again if it fails. */
        bool *stored; /* per layer */
        bool config_stored;
};

typedef struct Layer {
        const RossDescriptor *d;
        char short_id[13];
        bool need_fetch;  /* the blob is not in the store */
        bool need_unpack; /* its snapshot is not committed */
        bool parallel;    /* a worker takes it (not a duplicate of an earlier layer) */
        RossSnapshotTx *tx;
        char *tree; /* its snapshot tree relative to snapshots/, for the helper */
        uint64_t unpacked_bytes;
} Layer;

static void emit(RossPull *p, const char *id, const char *status, int64_t cur, int64_t total)
{
        if (p->o.event)
                p->o.event(p->o.userdata, id, status, cur, total);
}

void ross_pull_free(RossPull *p)
{
        if (!p)
                return;
        ross_helper_free(p->h);
        if (p->stage)
                ross_content_stage_remove(p->s->content, p->stage);
        free(p->stage);
        ross_ref_free(&p->ref);
        free(p->familiar);
        ross_pull_resolved_free(&p->res);
        free(p->stored);
        free(p);
        /* the pull's documents and buffers go back to the system: the daemon idles small */
        malloc_trim(0);
}

const char *ross_pull_image_id(RossPull *p)
{
        return p->res.m.config.digest;
}

/* The daemon resolves again from the bytes in the helper's stage (digests checked). */
typedef struct StageSource {
        RossPull *p;
        json_t *resolved;
} StageSource;

static int stage_manifest(void *ud, const char *reference, RossFetched *ret, RossError *err)
{
        StageSource *ss = ud;
        RossPull *p = ss->p;
        bool first = !json_is_true(json_object_get(ss->resolved, "seen_top"));
        json_t *which = first ? json_object_get(ss->resolved, "top")
                              : json_object_get(ss->resolved, "manifest");
        const char *digest = json_string_value(json_object_get(which, "digest"));
        const char *ctype = json_string_value(json_object_get(which, "content_type"));
        json_object_set_new(ss->resolved, "seen_top", json_true());

        if (!ross_digest_valid(digest))
                return ross_errx(err, EPROTO, "the pull helper named no valid manifest digest");
        /* a digest reference, or the index's choice, names the bytes itself */
        if (strncmp(reference, "sha256:", 7) == 0 && !STREQ(reference, digest))
                return ross_errx(err, EPROTO, "the pull helper sent manifest %s for %s", digest,
                                 reference);
        int r = ross_content_stage_read(p->s->content, p->stage, digest, 4 * 1024 * 1024,
                                        &ret->body, &ret->len, err);
        if (r < 0)
                return r;
        memcpy(ret->digest, digest, sizeof(ret->digest));
        ret->content_type = ctype ? xstrdup(ctype) : NULL;
        return 0;
}

static int stage_config(void *ud, const RossDescriptor *d, RossFetched *ret, RossError *err)
{
        StageSource *ss = ud;
        int r = ross_content_stage_read(ss->p->s->content, ss->p->stage, d->digest, ROSS_CONFIG_MAX,
                                        &ret->body, &ret->len, err);
        if (r < 0)
                return ross_err_prefix(err, "image config");
        memcpy(ret->digest, d->digest, sizeof(ret->digest));
        return 0;
}

static json_t *creds_json(const RossCreds *c)
{
        if (!c)
                return json_null();
        return json_pack("{s:s?, s:s?, s:s?}", "username", c->username, "password", c->password,
                         "identity_token", c->identity_token);
}

static int prepare(RossPull *p, RossError *err)
{
        RossImages *s = p->s;
        _cleanup_(ross_argv_free) RossArgv argv = {};
        json_auto_t *msg = NULL;
        int r;

        r = ross_content_stage_new(s->content, &p->stage, err);
        if (r < 0)
                return r;
        ross_helper_argv(&argv, s->helper_path, "pull", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        ross_argv_add(&argv, "--stage");
        ross_argv_add(&argv, p->stage);
        r = ross_helper_start(&argv, s->registry, &p->h, err);
        if (r < 0)
                return r;
        r = ross_helper_send(p->h,
                             json_pack("{s:s, s:s, s:s?, s:o, s:o}", "type", "resolve", "reference",
                                       p->o.reference, "platform", p->o.platform, "creds",
                                       creds_json(p->o.creds), "tokens",
                                       ross_token_cache_export(p->ref.domain)),
                             err);
        if (r == 0)
                r = ross_helper_recv(p->h, &msg, err);
        if (r < 0)
                return r;
        if (!STREQ(ross_channel_type(msg), "resolved"))
                return ross_errx(err, EPROTO, "the pull helper answered '%s' to resolve",
                                 ross_channel_type(msg));
        ross_token_cache_import(json_object_get(msg, "tokens"));
        StageSource ss = {p, msg};
        RossPullSource src = {stage_manifest, stage_config, &ss};
        return ross_pull_resolve(&p->ref, &p->platform, p->o.platform != NULL, &src, &p->res, err);
}

int ross_pull_prepare(RossImages *s, const RossPullOptions *o, RossPull **ret, RossError *err)
{
        RossPull *p = xcalloc(1, sizeof(*p));
        int r;

        p->s = s;
        p->o = *o;
        r = ross_ref_parse(o->reference, &p->ref, err);
        if (r < 0)
                goto fail;
        {
                _cleanup_free_ char *full = ross_ref_string(&p->ref);
                p->familiar = ross_ref_familiar(full);
        }
        r = ross_platform_parse(o->platform, &p->platform, err);
        if (r < 0)
                goto fail;
        r = prepare(p, err);
        if (r < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        if (p->familiar)
                ross_err_prefix(err, "pull %s", p->familiar);
        ross_pull_free(p);
        return r;
}

/* The tree of snapshot chain i, relative to snapshots/, if it is committed. */
static char *committed_tree(RossPull *p, size_t i)
{
        RossSnapshotRow row;
        if (ross_db_snapshot_get(p->s->db, p->res.chain[i], &row) < 0 || !row.committed)
                return NULL;
        return xasprintf("%lld/fs", (long long)row.id);
}

/* The temp tree of a transaction ("snapshots/.tmp-X/fs"), relative to snapshots/. */
static char *tx_tree(RossSnapshotTx *tx)
{
        return xasprintf("%s/fs", ross_snapshot_tx_name(tx));
}

/* Commit the unpacked layers bottom up; after a failure (or with r < 0 to start with),
 * abort what is left. */
static int commit_layers(RossPull *p, Layer *layers, size_t n, int r, RossError *err)
{
        for (size_t i = 0; i < n; i++) {
                Layer *l = &layers[i];
                if (!l->tx)
                        continue;
                if (r == 0) {
                        r = ross_snapshots_commit(l->tx, (int64_t)l->unpacked_bytes, err);
                        l->tx = NULL;
                        if (r == 0)
                                emit(p, l->short_id, "Pull complete", -1, -1);
                } else {
                        ross_snapshots_abort(l->tx);
                        l->tx = NULL;
                }
        }
        return r;
}

/* Remove what this pull stored if no image took it and no other pull needs it. */
static void undo(RossPull *p)
{
        for (size_t i = 0; i < p->res.m.n_layers; i++)
                if (p->stored[i])
                        ross_images_drop_blob(p->s, p->res.m.layers[i].digest);
        if (p->config_stored)
                ross_images_drop_blob(p->s, p->res.m.config.digest);
        ross_snapshots_gc(p->s->snapshots);
}

static int record(RossPull *p, RossError *err)
{
        RossPullResolved *res = &p->res;
        size_t n = res->m.n_layers + 3, k = 0;
        _cleanup_free_ RossImageBlob *blobs = xcalloc(n, sizeof(RossImageBlob));
        _cleanup_free_ const char **chains = xcalloc(res->m.n_layers + 1, sizeof(char *));
        _cleanup_free_ char *name = ross_ref_name(&p->ref);
        int64_t size = 0;
        int r;

        if (res->has_index) {
                r = ross_content_put(p->s->content, res->top.digest, res->top.body, res->top.len,
                                     err);
                if (r < 0)
                        return r;
                blobs[k++] = (RossImageBlob){res->top.digest, (int64_t)res->top.len, NULL, "index"};
        }
        r = ross_content_put(p->s->content, res->manifest.digest, res->manifest.body,
                             res->manifest.len, err);
        if (r < 0)
                return r;
        blobs[k++] = (RossImageBlob){res->manifest.digest, (int64_t)res->manifest.len,
                                     res->m.media_type, "manifest"};
        blobs[k++] = (RossImageBlob){res->m.config.digest, res->m.config.size,
                                     res->m.config.media_type, "config"};
        for (size_t i = 0; i < res->m.n_layers; i++) {
                RossSnapshotRow row = {};
                blobs[k++] = (RossImageBlob){res->m.layers[i].digest, res->m.layers[i].size,
                                             res->m.layers[i].media_type, "layer"};
                chains[i] = res->chain[i];
                /* Docker's image size: the unpacked layers */
                if (ross_db_snapshot_get(p->s->db, res->chain[i], &row) == 0)
                        size += row.size;
        }

        RossImageRecord rec = {
                .id = res->m.config.digest,
                .name = name,
                .tag = p->ref.tag,
                .repo_digest = res->top.digest,
                .created = res->cfg.created,
                .os = res->cfg.os,
                .arch = res->cfg.arch,
                .variant = res->cfg.variant,
                .size = size,
                .blobs = blobs,
                .n_blobs = k,
                .chain_ids = chains,
                .n_chain_ids = res->m.n_layers,
                .source = name, /* where a push to another repository may mount them from */
        };
        r = ross_db_image_put(p->s->db, &rec, err);
        if (r < 0) {
                ross_images_drop_blob(p->s, res->manifest.digest);
                if (res->has_index)
                        ross_images_drop_blob(p->s, res->top.digest);
        }
        return r;
}

static bool snapshot_ready(RossPull *p, size_t i)
{
        RossSnapshotRow row;
        return ross_db_snapshot_get(p->s->db, p->res.chain[i], &row) == 0 && row.committed;
}

static bool all_present(RossPull *p)
{
        RossManifest *m = &p->res.m;
        if (!ross_db_image_exists(p->s->db, m->config.digest) ||
            !ross_content_has(p->s->content, m->config.digest, m->config.size))
                return false;
        for (size_t i = 0; i < m->n_layers; i++)
                if (!ross_content_has(p->s->content, m->layers[i].digest, m->layers[i].size) ||
                    !snapshot_ready(p, i))
                        return false;
        return true;
}

/* Decide what each layer needs and make the transactions the helper unpacks into. */
static int plan(RossPull *p, Layer *layers, size_t n, json_t *req, RossError *err)
{
        int max = p->s->max_concurrent_downloads > 0 ? p->s->max_concurrent_downloads : 3;
        json_t *list = json_array();
        json_object_set_new(req, "layers", list);
        for (size_t i = 0; i < n; i++) {
                Layer *l = &layers[i];
                l->d = &p->res.m.layers[i];
                snprintf(l->short_id, sizeof(l->short_id), "%.12s", l->d->digest + 7);
                bool dup = false;
                for (size_t j = 0; j < i; j++)
                        if (STREQ(layers[j].d->digest, l->d->digest))
                                dup = true;
                bool have_blob = ross_content_has(p->s->content, l->d->digest, l->d->size);
                l->need_fetch = !have_blob && !dup;
                l->need_unpack = !snapshot_ready(p, i);
                if (l->need_unpack) {
                        int r = ross_snapshots_begin(p->s->snapshots, p->res.chain[i],
                                                     i ? p->res.chain[i - 1] : NULL,
                                                     p->res.cfg.diff_ids[i], &l->tx, err);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                l->need_unpack = false; /* committed meanwhile by another pull */
                }
                l->tree = l->tx ? tx_tree(l->tx) : committed_tree(p, i);
                /* The same blob twice in one image: the second copy waits for the first. */
                l->parallel = !dup && (l->need_fetch || l->need_unpack);
                if (!l->need_fetch && !l->need_unpack)
                        emit(p, l->short_id, "Already exists", -1, -1);
                else
                        emit(p, l->short_id, "Pulling fs layer", -1, -1);
                json_array_append_new(list, json_pack("{s:b, s:b, s:b, s:s?}", "fetch",
                                                      l->need_fetch, "unpack", l->need_unpack,
                                                      "parallel", l->parallel, "tree", l->tree));
        }
        size_t waiting = 0;
        for (size_t i = 0; i < n; i++)
                if (layers[i].parallel && waiting++ >= (size_t)max)
                        emit(p, layers[i].short_id, "Waiting", -1, -1);
        json_object_set_new(req, "max_concurrent", json_integer(max));
        json_object_set_new(req, "max_layer_bytes",
                            json_integer((json_int_t)p->s->max_layer_bytes));
        json_object_set_new(req, "reserve_bytes",
                            json_integer((json_int_t)p->s->min_free_space.bytes));
        json_object_set_new(req, "reserve_percent",
                            json_integer((json_int_t)p->s->min_free_space.percent));
        return 0;
}

/* Relay the helper's progress until it is done; then take its blobs into the store. */
static int follow(RossPull *p, Layer *layers, size_t n, RossError *err)
{
        for (;;) {
                json_auto_t *msg = NULL;
                int r = ross_helper_recv(p->h, &msg, err);
                if (r < 0)
                        return r;
                const char *type = ross_channel_type(msg);
                if (STREQ(type, "event")) {
                        const char *status = json_string_value(json_object_get(msg, "status"));
                        if (status)
                                emit(p, json_string_value(json_object_get(msg, "id")), status,
                                     json_integer_value(json_object_get(msg, "current")),
                                     json_integer_value(json_object_get(msg, "total")));
                        continue;
                }
                if (!STREQ(type, "done"))
                        return ross_errx(err, EPROTO, "the pull helper sent '%s' during a pull",
                                         type);
                ross_token_cache_import(json_object_get(msg, "tokens"));
                json_t *done = json_object_get(msg, "layers");
                if (json_array_size(done) != n)
                        return ross_errx(err, EPROTO, "the pull helper reported %zu layers of %zu",
                                         json_array_size(done), n);
                for (size_t i = 0; i < n; i++) {
                        json_t *e = json_array_get(done, i);
                        json_int_t bytes = json_integer_value(json_object_get(e, "bytes"));
                        layers[i].unpacked_bytes = bytes > 0 ? (uint64_t)bytes : 0;
                        if (!layers[i].need_fetch)
                                continue;
                        if (!json_is_true(json_object_get(e, "fetched")))
                                return ross_errx(err, EPROTO,
                                                 "the pull helper did not fetch layer %s",
                                                 layers[i].d->digest);
                        r = ross_content_stage_adopt(p->s->content, p->stage, layers[i].d->digest,
                                                     layers[i].d->size, err);
                        if (r < 0)
                                return r;
                        p->stored[i] = true;
                }
                return 0;
        }
}

static int run(RossPull *p, RossError *err)
{
        _cleanup_free_ char *status = NULL;
        const char *tag_or_digest = p->ref.tag ? p->ref.tag : p->ref.digest;
        RossManifest *m = &p->res.m;
        _cleanup_free_ char *pulling = xasprintf("Pulling from %s", p->ref.path);
        int r;

        emit(p, tag_or_digest, pulling, -1, -1);

        if (all_present(p)) {
                _cleanup_free_ char *old = NULL;
                _cleanup_free_ char *name = ross_ref_name(&p->ref);
                _cleanup_free_ char *nt = p->ref.tag ? xasprintf("%s:%s", name, p->ref.tag) : NULL;
                /* the status line only: a failure to tell counts as moved */
                bool moved = nt && (ross_db_tag_get(p->s->db, nt, &old, NULL) < 0 ||
                                    !STREQ(old, m->config.digest));
                (void)ross_helper_send(p->h, json_pack("{s:s}", "type", "quit"), NULL);
                r = record(p, err);
                if (r < 0)
                        return r;
                _cleanup_free_ char *d = xasprintf("Digest: %s", p->res.top.digest);
                emit(p, NULL, d, -1, -1);
                status = xasprintf("Status: %s for %s",
                                   moved ? "Downloaded newer image" : "Image is up to date",
                                   p->familiar);
                emit(p, NULL, status, -1, -1);
                return 0;
        }

        size_t n = m->n_layers;
        _cleanup_free_ Layer *layers = xcalloc(n ? n : 1, sizeof(Layer));
        json_auto_t *req = json_pack("{s:s}", "type", "run");
        r = plan(p, layers, n, req, err);
        if (r == 0)
                r = ross_helper_send(p->h, TAKE_PTR(req), err);
        if (r == 0)
                r = follow(p, layers, n, err);
        /* Commit (or, after a failure, abort) what was unpacked. */
        r = commit_layers(p, layers, n, r, err);
        for (size_t i = 0; i < n; i++)
                free(layers[i].tree);
        if (r == 0) {
                p->config_stored = !ross_content_has(p->s->content, m->config.digest, -1);
                r = ross_content_put(p->s->content, m->config.digest, p->res.config.body,
                                     p->res.config.len, err);
        }
        if (r == 0)
                r = record(p, err);
        if (r < 0)
                return r;

        _cleanup_free_ char *d = xasprintf("Digest: %s", p->res.top.digest);
        emit(p, NULL, d, -1, -1);
        status = xasprintf("Status: Downloaded newer image for %s", p->familiar);
        emit(p, NULL, status, -1, -1);
        return 0;
}

int ross_pull_run(RossPull *p, RossError *err)
{
        RossManifest *m = &p->res.m;
        /* Hold every blob and snapshot this image needs until it is recorded or the pull
         * gave up: removals elsewhere leave them alone. */
        ross_images_hold(p->s, m->config.digest);
        for (size_t i = 0; i < m->n_layers; i++) {
                ross_images_hold(p->s, m->layers[i].digest);
                ross_snapshots_hold(p->s->snapshots, p->res.chain[i]);
        }
        p->stored = xcalloc(m->n_layers ? m->n_layers : 1, sizeof(bool));
        int r = run(p, err);
        /* the helper's work is over either way: let it go, then drop its stage */
        RossError ferr = {};
        if (ross_helper_finish(p->h, &ferr) < 0)
                log_debug("pull %s: %s", p->familiar, ferr.msg);
        ross_helper_free(p->h);
        p->h = NULL;
        ross_content_stage_remove(p->s->content, p->stage);
        for (size_t i = 0; i < m->n_layers; i++) {
                ross_images_release(p->s, m->layers[i].digest);
                ross_snapshots_release(p->s->snapshots, p->res.chain[i]);
        }
        ross_images_release(p->s, m->config.digest);
        if (r < 0)
                undo(p);
        if (r < 0)
                ross_err_prefix(err, "pull %s", p->familiar);
        else
                log_debug("pull %s: image %s", p->familiar, m->config.digest);
        return r;
}
