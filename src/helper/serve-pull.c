/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pull helper's pull: resolve the reference at the registry, then download the layers
 * the daemon asks for into the stage (verified), and unpack them into the snapshot temp
 * trees the daemon made, several at a time. Everything here reads bytes a registry sent.
 * The daemon keeps the database: it decides what to fetch and unpack, and commits.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../basic/log.h"
#include "../image/pull-resolve.h"
#include "../registry/auth.h"
#include "../store/content.h"
#include "../unpack/extract.h"
#include "../unpack/resolve.h"
#include "serve.h"

typedef struct HelperPull {
        const RossHelperOptions *o;
        RossChannel *ch;
        RossContent *store; /* staged: commits land in the stage */
        RossRef ref;
        RossPlatform platform;
        RossRegistry *reg;
        RossPullResolved res;
        char *snapshots_dir;
        uint64_t max_layer_bytes;
        RossSpaceReserve reserve;
        atomic_bool gone; /* the daemon closed the channel */
} HelperPull;

typedef struct Work Work;

typedef struct Layer {
        HelperPull *p;
        Work *w;
        size_t index;
        const RossDescriptor *d;
        char short_id[13];
        bool need_fetch, need_unpack, parallel;
        bool fetched, done;
        char *tree; /* its snapshot tree, relative to snapshots/, or NULL */
        int rootfd; /* the tree to unpack into (need_unpack) */
        uint64_t unpacked_bytes;
        json_t *whiteouts;
        struct timespec last_event;
        RossError err;
        int r;
} Layer;

struct Work {
        HelperPull *p;
        Layer *layers;
        size_t n;
        size_t next;
        pthread_mutex_t lock;
        atomic_bool cancel;
};

static void emit(HelperPull *p, const char *id, const char *status, int64_t cur, int64_t total)
{
        json_t *m = json_pack("{s:s, s:s, s:I, s:I}", "type", "event", "status", status, "current",
                              (json_int_t)cur, "total", (json_int_t)total);
        if (id)
                json_object_set_new(m, "id", json_string(id));
        if (ross_channel_send_new(p->ch, m, NULL) < 0)
                atomic_store(&p->gone, true);
}

/* Sources for ross_pull_resolve: the registry, and the store for a config we have. */
static int src_manifest(void *ud, const char *reference, RossFetched *ret, RossError *err)
{
        HelperPull *p = ud;
        return ross_registry_get_manifest(p->reg, p->ref.path, reference, ret, err);
}

static int src_config(void *ud, const RossDescriptor *d, RossFetched *ret, RossError *err)
{
        HelperPull *p = ud;
        if (ross_content_has(p->store, d->digest, d->size) &&
            ross_content_read(p->store, d->digest, ROSS_CONFIG_MAX, &ret->body, &ret->len, NULL) ==
                    0) {
                memcpy(ret->digest, d->digest, sizeof(ret->digest));
                return 0;
        }
        int r = ross_registry_get_blob(p->reg, p->ref.path, d, ROSS_CONFIG_MAX, ret, err);
        return r < 0 ? ross_err_prefix(err, "image config") : 0;
}

static json_t *fetched_json(const RossFetched *f)
{
        return json_pack("{s:s, s:s?}", "digest", f->digest, "content_type", f->content_type);
}

static int resolve(HelperPull *p, json_t *req, RossError *err)
{
        const char *reference = json_string_value(json_object_get(req, "reference"));
        const char *platform = json_string_value(json_object_get(req, "platform"));
        json_t *creds = json_object_get(req, "creds");
        RossCreds c = {
                .username = (char *)json_string_value(json_object_get(creds, "username")),
                .password = (char *)json_string_value(json_object_get(creds, "password")),
                .identity_token =
                        (char *)json_string_value(json_object_get(creds, "identity_token")),
        };
        int r;

        if (!reference)
                return ross_errx(err, EPROTO, "resolve: no reference");
        if ((r = ross_ref_parse(reference, &p->ref, err)) < 0 ||
            (r = ross_platform_parse(platform, &p->platform, err)) < 0 ||
            (r = ross_registry_new(&p->o->registry, p->ref.domain, &c, &p->reg, err)) < 0)
                return r;
        ross_token_cache_import(json_object_get(req, "tokens"));

        RossPullSource src = {src_manifest, src_config, p};
        r = ross_pull_resolve(&p->ref, &p->platform, platform != NULL, &src, &p->res, err);
        if (r < 0)
                return r;
        /* The bytes go to the daemon through the stage; it checks them again. */
        RossPullResolved *s = &p->res;
        if (s->has_index &&
            (r = ross_content_put(p->store, s->top.digest, s->top.body, s->top.len, err)) < 0)
                return r;
        if ((r = ross_content_put(p->store, s->manifest.digest, s->manifest.body, s->manifest.len,
                                  err)) < 0 ||
            (r = ross_content_put(p->store, s->config.digest, s->config.body, s->config.len, err)) <
                    0)
                return r;
        json_t *m =
                json_pack("{s:s, s:b, s:o, s:o, s:s, s:o}", "type", "resolved", "has_index",
                          s->has_index, "top", fetched_json(s->has_index ? &s->top : &s->manifest),
                          "manifest", fetched_json(&s->manifest), "config", s->config.digest,
                          "tokens", ross_token_cache_export(p->ref.domain));
        return ross_channel_send_new(p->ch, m, err);
}

static bool throttled(struct timespec *last, bool final)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - last->tv_sec) * 1000 + (now.tv_nsec - last->tv_nsec) / 1000000;
        if (ms < 100 && !final)
                return true;
        *last = now;
        return false;
}

static int on_download(void *ud, uint64_t cur, int64_t total)
{
        Layer *l = ud;
        if (atomic_load(&l->w->cancel) || atomic_load(&l->p->gone))
                return -ECANCELED;
        if (!throttled(&l->last_event, (int64_t)cur == total))
                emit(l->p, l->short_id, "Downloading", (int64_t)cur, total);
        return 0;
}

static void on_whiteout(void *ud, const char *path)
{
        Layer *l = ud;
        if (!l->whiteouts)
                l->whiteouts = json_array();
        json_array_append_new(l->whiteouts, json_string(path));
}

static void on_extract(void *ud, uint64_t consumed)
{
        Layer *l = ud;
        if (!throttled(&l->last_event, false))
                emit(l->p, l->short_id, "Extracting", (int64_t)consumed, l->d->size);
}

static int unpack_layer(Layer *l, RossError *err)
{
        HelperPull *p = l->p;
        RossUnpackStats st = {};
        _cleanup_free_ char *blob = ross_content_path(p->store, l->d->digest);
        _cleanup_close_ int fd = open(blob, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return ross_err(err, errno, "open blob %s", l->d->digest);
        emit(p, l->short_id, "Extracting", 0, l->d->size);
        RossUnpackOptions o = {
                .whiteouts = ROSS_WHITEOUT_OVERLAY,
                .compression = l->d->compression,
                .max_bytes = p->max_layer_bytes,
                .reserve = p->reserve,
                .expected_diff_id = p->res.cfg.diff_ids[l->index],
                .progress = on_extract,
                .whiteout = on_whiteout,
                .userdata = l,
        };
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = ross_unpack_layer(fd, l->rootfd, &o, &st, err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        log_debug("pull: layer %s: %llu entries, %llu bytes unpacked in %.3f s", l->d->digest,
                  (unsigned long long)st.entries, (unsigned long long)st.bytes,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        if (r < 0)
                return ross_err_prefix(err, "layer %s", l->d->digest);
        emit(p, l->short_id, "Extracting", l->d->size, l->d->size);
        l->unpacked_bytes = st.bytes;
        return 0;
}

static void process_layer(Work *w, Layer *l)
{
        HelperPull *p = w->p;

        if (l->need_fetch) {
                emit(p, l->short_id, "Downloading", 0, l->d->size);
                l->r = ross_registry_fetch_blob(p->reg, p->ref.path, l->d, p->store, on_download, l,
                                                &l->err);
                if (l->r < 0)
                        goto fail;
                l->fetched = true;
                emit(p, l->short_id, "Verifying Checksum", -1, -1);
                emit(p, l->short_id, "Download complete", -1, -1);
        }
        if (l->need_unpack) {
                if (atomic_load(&w->cancel)) {
                        l->r = -ECANCELED;
                        return;
                }
                l->r = unpack_layer(l, &l->err);
                if (l->r < 0)
                        goto fail;
        }
        l->done = true;
        if (!l->need_unpack)
                emit(p, l->short_id, "Pull complete", -1, -1);
        return;
fail:
        atomic_store(&w->cancel, true);
}

static void *worker(void *ud)
{
        Work *w = ud;
        for (;;) {
                pthread_mutex_lock(&w->lock);
                size_t i = w->next;
                while (i < w->n && !w->layers[i].parallel)
                        i++;
                w->next = i + 1;
                pthread_mutex_unlock(&w->lock);
                if (i >= w->n || atomic_load(&w->cancel))
                        break;
                process_layer(w, &w->layers[i]);
        }
        return NULL;
}

static int open_tree(HelperPull *p, const char *rel, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", p->snapshots_dir, rel);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? ross_err(err, errno, "open snapshot tree '%s'", rel) : fd;
}

/*
 * overlayfs hides a whiteout only in a directory that layers below it also have; in a
 * directory no lower layer has, the 0/0 device would show as an entry nobody can open. Such
 * a whiteout hides nothing, so it goes.
 */
static int prune_whiteouts(HelperPull *p, Layer *layers, size_t i, RossError *err)
{
        Layer *l = &layers[i];
        json_t *w;
        size_t k;

        json_array_foreach (l->whiteouts, k, w) {
                const char *path = json_string_value(w);
                const char *slash = strrchr(path, '/');
                if (!slash)
                        continue; /* the root is in every layer */
                _cleanup_free_ char *dir = xstrndup(path, (size_t)(slash - path));
                bool below = false;
                for (size_t j = 0; j < i && !below; j++) {
                        if (!layers[j].tree)
                                continue;
                        _cleanup_close_ int fd = open_tree(p, layers[j].tree, NULL);
                        if (fd < 0)
                                continue;
                        _cleanup_close_ int d =
                                ross_resolve_dir(fd, dir, ROSS_RESOLVE_NO_SYMLINKS, NULL);
                        below = d >= 0;
                }
                if (below)
                        continue;
                _cleanup_close_ int d =
                        ross_resolve_dir(l->rootfd, dir, ROSS_RESOLVE_NO_SYMLINKS, err);
                if (d < 0)
                        return d;
                if (unlinkat(d, slash + 1, 0) < 0 && errno != ENOENT)
                        return ross_err(err, errno, "remove whiteout '%s'", path);
                log_debug("pull: whiteout %s hides nothing below, removed", path);
        }
        return 0;
}

static int layers_from(HelperPull *p, json_t *req, Layer *layers, Work *w, RossError *err)
{
        json_t *list = json_object_get(req, "layers");
        if (json_array_size(list) != p->res.m.n_layers)
                return ross_errx(err, EPROTO, "run: %zu layers asked for, the image has %zu",
                                 json_array_size(list), p->res.m.n_layers);
        for (size_t i = 0; i < p->res.m.n_layers; i++) {
                json_t *e = json_array_get(list, i);
                Layer *l = &layers[i];
                l->p = p;
                l->w = w;
                l->index = i;
                l->d = &p->res.m.layers[i];
                l->rootfd = -EBADF;
                snprintf(l->short_id, sizeof(l->short_id), "%.12s", l->d->digest + 7);
                l->need_fetch = json_is_true(json_object_get(e, "fetch"));
                l->need_unpack = json_is_true(json_object_get(e, "unpack"));
                l->parallel = json_is_true(json_object_get(e, "parallel"));
                const char *tree = json_string_value(json_object_get(e, "tree"));
                if (tree && !ross_helper_tree_valid(tree))
                        return ross_errx(err, EPROTO, "run: invalid snapshot tree '%s'", tree);
                l->tree = tree ? xstrdup(tree) : NULL;
                if (l->need_unpack) {
                        if (!tree || tree[0] != '.')
                                return ross_errx(err, EPROTO,
                                                 "run: layer %zu to unpack has no temp tree", i);
                        l->rootfd = open_tree(p, tree, err);
                        if (l->rootfd < 0)
                                return l->rootfd;
                }
        }
        return 0;
}

static int run(HelperPull *p, json_t *req, RossError *err)
{
        size_t n = p->res.m.n_layers;
        _cleanup_free_ Layer *layers = xcalloc(n ? n : 1, sizeof(Layer));
        Work w = {.p = p, .layers = layers, .n = n};
        json_int_t max = json_integer_value(json_object_get(req, "max_concurrent"));
        int r;

        if (max < 1 || max > 64)
                max = 3;
        p->max_layer_bytes = (uint64_t)json_integer_value(json_object_get(req, "max_layer_bytes"));
        p->reserve.bytes = (uint64_t)json_integer_value(json_object_get(req, "reserve_bytes"));
        p->reserve.percent = (unsigned)json_integer_value(json_object_get(req, "reserve_percent"));
        if (p->reserve.percent > 100)
                p->reserve.percent = 100;
        ross_content_set_reserve(p->store, &p->reserve);

        r = layers_from(p, req, layers, &w, err);
        size_t todo = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                if (layers[i].parallel)
                        todo++;
        if (r == 0) {
                pthread_mutex_init(&w.lock, NULL);
                int nthreads = todo < (size_t)max ? (int)todo : (int)max;
                pthread_t th[64];
                int started = 0;
                for (int i = 0; i < nthreads; i++) {
                        if (pthread_create(&th[i], NULL, worker, &w) != 0)
                                break;
                        started++;
                }
                if (started == 0 && todo > 0)
                        worker(&w);
                for (int i = 0; i < started; i++)
                        pthread_join(th[i], NULL);
                pthread_mutex_destroy(&w.lock);

                /* what waited for a duplicate blob */
                for (size_t i = 0; i < n; i++)
                        if (!layers[i].done && !layers[i].parallel && !atomic_load(&w.cancel) &&
                            (layers[i].need_fetch || layers[i].need_unpack))
                                process_layer(&w, &layers[i]);
                for (size_t i = 0; i < n && r == 0; i++)
                        if (layers[i].r < 0 && layers[i].r != -ECANCELED) {
                                if (err)
                                        *err = layers[i].err;
                                r = layers[i].r;
                        }
                for (size_t i = 0; i < n && r == 0; i++)
                        if (!layers[i].done && (layers[i].need_fetch || layers[i].need_unpack)) {
                                r = layers[i].r < 0 ? layers[i].r : -EIO;
                                if (err)
                                        *err = layers[i].err;
                                if (r == -ECANCELED && atomic_load(&p->gone))
                                        ross_errx(err, ECANCELED, "the daemon went away");
                        }
                for (size_t i = 0; i < n && r == 0; i++)
                        if (layers[i].need_unpack)
                                r = prune_whiteouts(p, layers, i, err);
        }

        json_auto_t *done = json_array();
        for (size_t i = 0; i < n; i++) {
                json_array_append_new(done,
                                      json_pack("{s:b, s:I}", "fetched", layers[i].fetched, "bytes",
                                                (json_int_t)layers[i].unpacked_bytes));
                json_decref(layers[i].whiteouts);
                free(layers[i].tree);
                if (layers[i].rootfd >= 0)
                        close(layers[i].rootfd);
        }
        if (r < 0)
                return r;
        json_t *m = json_pack("{s:s, s:o, s:o}", "type", "done", "layers", TAKE_PTR(done), "tokens",
                              ross_token_cache_export(p->ref.domain));
        return ross_channel_send_new(p->ch, m, err);
}

static void helper_pull_done(HelperPull *p)
{
        ross_pull_resolved_free(&p->res);
        ross_registry_free(p->reg);
        ross_ref_free(&p->ref);
        ross_content_free(p->store);
        free(p->snapshots_dir);
}

int ross_helper_serve_pull(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        _cleanup_(helper_pull_done) HelperPull p = {.o = o, .ch = ch};
        json_auto_t *req = NULL;
        int r;

        p.snapshots_dir = xasprintf("%s/snapshots", o->data_dir);
        r = ross_content_open_staged(o->data_dir, o->stage, &p.store, err);
        if (r == 0)
                r = ross_channel_recv(ch, &req, err);
        if (r == 0 && !STREQ(ross_channel_type(req), "resolve"))
                r = ross_errx(err, EPROTO, "expected a resolve request, got '%s'",
                              ross_channel_type(req));
        if (r == 0)
                r = resolve(&p, req, err);
        json_decref(TAKE_PTR(req));
        /* then "run", or "quit" when the daemon has everything already */
        if (r == 0) {
                r = ross_channel_recv(ch, &req, err);
                if (r == -EPIPE || (r == 0 && STREQ(ross_channel_type(req), "quit")))
                        r = 1;
                else if (r == 0 && !STREQ(ross_channel_type(req), "run"))
                        r = ross_errx(err, EPROTO, "expected a run request, got '%s'",
                                      ross_channel_type(req));
        }
        if (r == 0)
                r = run(&p, req, err);
        return r < 0 ? r : 0;
}
