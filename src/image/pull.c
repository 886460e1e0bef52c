/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../basic/log.h"
#include "../ref/reference.h"
#include "../unpack/extract.h"
#include "../unpack/resolve.h"
#include "images.h"

struct RossPull {
        RossImages *s;
        RossPullOptions o;
        RossRef ref;
        char *familiar; /* "alpine:latest" as the user sees it */
        RossRegistry *reg;
        RossPlatform platform;

        RossFetched top;      /* what the tag or digest points at */
        RossFetched manifest; /* the image manifest (== top unless top is an index) */
        bool has_index;
        RossManifest m;
        RossFetched config;
        RossImageConfig cfg;

        /* chain[i]: the snapshot key of layers 0..i */
        char (*chain)[ROSS_DIGEST_LEN + 1];

        /* What this pull put in the store, to take out again if it fails. */
        bool *stored; /* per layer */
        bool config_stored;
};

typedef struct Work Work;

typedef struct Layer {
        RossPull *p;
        Work *w;
        size_t index;
        const RossDescriptor *d;
        char short_id[13];
        bool need_fetch;  /* the blob is not in the store */
        bool need_unpack; /* its snapshot is not committed */
        bool parallel;    /* a worker takes it (not a duplicate of an earlier layer) */
        bool fetched;     /* the blob was stored by this pull */
        bool done;
        RossSnapshotTx *tx; /* unpacked, not committed yet */
        uint64_t unpacked_bytes;
        json_t *whiteouts; /* paths of the whiteout devices it holds */
        struct timespec last_event;
        RossError err;
        int r;
} Layer;

struct Work {
        RossPull *p;
        Layer *layers;
        size_t n;
        size_t next;
        pthread_mutex_t lock;
        atomic_bool cancel;
};

static void emit(RossPull *p, const char *id, const char *status, int64_t cur, int64_t total)
{
        if (p->o.event)
                p->o.event(p->o.userdata, id, status, cur, total);
}

void ross_pull_free(RossPull *p)
{
        if (!p)
                return;
        ross_ref_free(&p->ref);
        free(p->familiar);
        ross_registry_free(p->reg);
        ross_fetched_free(&p->top);
        ross_fetched_free(&p->manifest);
        ross_manifest_free(&p->m);
        ross_fetched_free(&p->config);
        ross_config_free(&p->cfg);
        free(p->chain);
        free(p->stored);
        free(p);
}

const char *ross_pull_image_id(RossPull *p)
{
        return p->m.config.digest;
}

static int prepare(RossPull *p, RossError *err)
{
        RossManifestKind kind;
        _cleanup_free_ char *mt = NULL;
        const char *reference = p->ref.digest ? p->ref.digest : p->ref.tag;
        int r;

        r = ross_registry_get_manifest(p->reg, p->ref.path, reference, &p->top, err);
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
                r = ross_index_select(p->top.body, p->top.len, &p->platform, &d, err);
                if (r < 0)
                        return r;
                log_debug("pull %s: platform entry %s", p->familiar, d.digest);
                r = ross_registry_get_manifest(p->reg, p->ref.path, d.digest, &p->manifest, err);
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

        /* The config is small and names the image; take it from the store when we have it. */
        if (ross_content_has(p->s->content, p->m.config.digest, p->m.config.size)) {
                r = ross_content_read(p->s->content, p->m.config.digest, ROSS_CONFIG_MAX,
                                      &p->config.body, &p->config.len, err);
                if (r == 0)
                        memcpy(p->config.digest, p->m.config.digest, sizeof(p->config.digest));
        } else
                r = -ENOENT;
        if (r < 0) {
                r = ross_registry_get_blob(p->reg, p->ref.path, &p->m.config, ROSS_CONFIG_MAX,
                                           &p->config, err);
                if (r < 0)
                        return ross_err_prefix(err, "image config");
        }
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
        if (!p->has_index && p->o.platform && !STREQ(p->cfg.os, p->platform.os)) {
                char buf[96];
                return ross_errx(err, ENOENT, "image is for %s/%s, not %s", p->cfg.os, p->cfg.arch,
                                 ross_platform_format(&p->platform, buf, sizeof(buf)));
        }
        return 0;
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
        r = ross_registry_new(s->registry, p->ref.domain, o->creds, &p->reg, err);
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
        if (atomic_load(&l->w->cancel))
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

/* Unpack layer i into a snapshot (if nobody has yet), committed later in layer order. */
static int unpack_layer(Layer *l, RossError *err)
{
        RossPull *p = l->p;
        size_t i = l->index;
        RossSnapshotTx *tx = NULL;
        RossUnpackStats st = {};
        int r;

        r = ross_snapshots_begin(p->s->snapshots, p->chain[i], i ? p->chain[i - 1] : NULL,
                                 p->cfg.diff_ids[i], &tx, err);
        if (r != 0)
                return r < 0 ? r : 0; /* 1: committed meanwhile by another pull */
        _cleanup_free_ char *blob = ross_content_path(p->s->content, l->d->digest);
        _cleanup_close_ int fd = open(blob, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                r = ross_err(err, errno, "open blob %s", l->d->digest);
                ross_snapshots_abort(tx);
                return r;
        }
        emit(p, l->short_id, "Extracting", 0, l->d->size);
        RossUnpackOptions o = {
                .whiteouts = ROSS_WHITEOUT_OVERLAY,
                .compression = l->d->compression,
                .max_bytes = p->s->max_layer_bytes,
                .reserve = p->s->min_free_space,
                .expected_diff_id = p->cfg.diff_ids[i],
                .progress = on_extract,
                .whiteout = on_whiteout,
                .userdata = l,
        };
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = ross_unpack_layer(fd, ross_snapshot_tx_fd(tx), &o, &st, err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        log_debug("pull: layer %s: %llu entries, %llu bytes unpacked in %.3f s", l->d->digest,
                  (unsigned long long)st.entries, (unsigned long long)st.bytes,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        if (r < 0) {
                ross_snapshots_abort(tx);
                return ross_err_prefix(err, "layer %s", l->d->digest);
        }
        emit(p, l->short_id, "Extracting", l->d->size, l->d->size);
        l->tx = tx;
        l->unpacked_bytes = st.bytes;
        return 0;
}

/* An fd of layer j's tree: its transaction's, or its committed snapshot's. */
static int lower_fd(RossPull *p, Layer *layers, size_t j)
{
        if (layers[j].tx)
                return fcntl(ross_snapshot_tx_fd(layers[j].tx), F_DUPFD_CLOEXEC, 3);
        RossSnapshotRow row;
        if (ross_db_snapshot_get(p->s->db, p->chain[j], &row) < 0 || !row.committed)
                return -ENOENT;
        _cleanup_free_ char *path = ross_snapshots_path(p->s->snapshots, row.id);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/*
 * overlayfs hides a whiteout only in a directory that layers below it also have; in a
 * directory no lower layer has, the 0/0 device would show as an entry nobody can open. Such
 * a whiteout hides nothing, so it goes.
 */
static int prune_whiteouts(RossPull *p, Layer *layers, size_t i, RossError *err)
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
                        _cleanup_close_ int fd = lower_fd(p, layers, j);
                        if (fd < 0)
                                continue;
                        _cleanup_close_ int d =
                                ross_resolve_dir(fd, dir, ROSS_RESOLVE_NO_SYMLINKS, NULL);
                        below = d >= 0;
                }
                if (below)
                        continue;
                _cleanup_close_ int d = ross_resolve_dir(ross_snapshot_tx_fd(l->tx), dir,
                                                         ROSS_RESOLVE_NO_SYMLINKS, err);
                if (d < 0)
                        return d;
                if (unlinkat(d, slash + 1, 0) < 0 && errno != ENOENT)
                        return ross_err(err, errno, "remove whiteout '%s'", path);
                log_debug("pull: whiteout %s hides nothing below, removed", path);
        }
        return 0;
}

/* Commit the unpacked layers bottom up; after a failure (or with r < 0 to start with),
 * abort what is left. */
static int commit_layers(RossPull *p, Layer *layers, size_t n, int r, RossError *err)
{
        for (size_t i = 0; i < n; i++) {
                Layer *l = &layers[i];
                if (!l->tx)
                        continue;
                if (r == 0)
                        r = prune_whiteouts(p, layers, i, err);
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

static void process_layer(Work *w, Layer *l)
{
        RossPull *p = w->p;

        if (l->need_fetch) {
                emit(p, l->short_id, "Downloading", 0, l->d->size);
                l->r = ross_registry_fetch_blob(p->reg, p->ref.path, l->d, p->s->content,
                                                on_download, l, &l->err);
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
        if (!l->tx)
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

/* Remove what this pull stored if no image took it and no other pull needs it. */
static void undo(RossPull *p)
{
        for (size_t i = 0; i < p->m.n_layers; i++)
                if (p->stored[i])
                        ross_images_drop_blob(p->s, p->m.layers[i].digest);
        if (p->config_stored)
                ross_images_drop_blob(p->s, p->m.config.digest);
        ross_snapshots_gc(p->s->snapshots);
}

static int record(RossPull *p, RossError *err)
{
        size_t n = p->m.n_layers + 3, k = 0;
        _cleanup_free_ RossImageBlob *blobs = xcalloc(n, sizeof(RossImageBlob));
        _cleanup_free_ const char **chains = xcalloc(p->m.n_layers + 1, sizeof(char *));
        _cleanup_free_ char *name = ross_ref_name(&p->ref);
        int64_t size = 0;
        int r;

        if (p->has_index) {
                r = ross_content_put(p->s->content, p->top.digest, p->top.body, p->top.len, err);
                if (r < 0)
                        return r;
                blobs[k++] = (RossImageBlob){p->top.digest, (int64_t)p->top.len, NULL, "index"};
        }
        r = ross_content_put(p->s->content, p->manifest.digest, p->manifest.body, p->manifest.len,
                             err);
        if (r < 0)
                return r;
        blobs[k++] = (RossImageBlob){p->manifest.digest, (int64_t)p->manifest.len, p->m.media_type,
                                     "manifest"};
        blobs[k++] = (RossImageBlob){p->m.config.digest, p->m.config.size, p->m.config.media_type,
                                     "config"};
        for (size_t i = 0; i < p->m.n_layers; i++) {
                RossSnapshotRow row = {};
                blobs[k++] = (RossImageBlob){p->m.layers[i].digest, p->m.layers[i].size,
                                             p->m.layers[i].media_type, "layer"};
                chains[i] = p->chain[i];
                /* Docker's image size: the unpacked layers */
                if (ross_db_snapshot_get(p->s->db, p->chain[i], &row) == 0)
                        size += row.size;
        }

        RossImageRecord rec = {
                .id = p->m.config.digest,
                .name = name,
                .tag = p->ref.tag,
                .repo_digest = p->top.digest,
                .created = p->cfg.created,
                .os = p->cfg.os,
                .arch = p->cfg.arch,
                .variant = p->cfg.variant,
                .size = size,
                .blobs = blobs,
                .n_blobs = k,
                .chain_ids = chains,
                .n_chain_ids = p->m.n_layers,
        };
        r = ross_db_image_put(p->s->db, &rec, err);
        if (r < 0) {
                ross_images_drop_blob(p->s, p->manifest.digest);
                if (p->has_index)
                        ross_images_drop_blob(p->s, p->top.digest);
        }
        return r;
}

static bool snapshot_ready(RossPull *p, size_t i)
{
        RossSnapshotRow row;
        return ross_db_snapshot_get(p->s->db, p->chain[i], &row) == 0 && row.committed;
}

static bool all_present(RossPull *p)
{
        if (!ross_db_image_exists(p->s->db, p->m.config.digest) ||
            !ross_content_has(p->s->content, p->m.config.digest, p->m.config.size))
                return false;
        for (size_t i = 0; i < p->m.n_layers; i++)
                if (!ross_content_has(p->s->content, p->m.layers[i].digest, p->m.layers[i].size) ||
                    !snapshot_ready(p, i))
                        return false;
        return true;
}

static int run(RossPull *p, RossError *err)
{
        _cleanup_free_ char *status = NULL;
        const char *tag_or_digest = p->ref.tag ? p->ref.tag : p->ref.digest;
        char pulling[512];
        int r;

        snprintf(pulling, sizeof(pulling), "Pulling from %s", p->ref.path);
        emit(p, tag_or_digest, pulling, -1, -1);

        if (all_present(p)) {
                _cleanup_free_ char *old = NULL;
                _cleanup_free_ char *name = ross_ref_name(&p->ref);
                _cleanup_free_ char *nt = p->ref.tag ? xasprintf("%s:%s", name, p->ref.tag) : NULL;
                bool moved = nt && (ross_db_tag_get(p->s->db, nt, &old) < 0 ||
                                    !STREQ(old, p->m.config.digest));
                r = record(p, err);
                if (r < 0)
                        return r;
                _cleanup_free_ char *d = xasprintf("Digest: %s", p->top.digest);
                emit(p, NULL, d, -1, -1);
                status = xasprintf("Status: %s for %s",
                                   moved ? "Downloaded newer image" : "Image is up to date",
                                   p->familiar);
                emit(p, NULL, status, -1, -1);
                return 0;
        }

        size_t n = p->m.n_layers;
        _cleanup_free_ Layer *layers = xcalloc(n ? n : 1, sizeof(Layer));
        Work w = {.p = p, .layers = layers, .n = n};
        pthread_mutex_init(&w.lock, NULL);
        int max = p->s->max_concurrent_downloads > 0 ? p->s->max_concurrent_downloads : 3;
        size_t todo = 0;

        for (size_t i = 0; i < n; i++) {
                Layer *l = &layers[i];
                l->p = p;
                l->w = &w;
                l->index = i;
                l->d = &p->m.layers[i];
                snprintf(l->short_id, sizeof(l->short_id), "%.12s", l->d->digest + 7);
                bool dup = false;
                for (size_t j = 0; j < i; j++)
                        if (STREQ(layers[j].d->digest, l->d->digest))
                                dup = true;
                bool have_blob = ross_content_has(p->s->content, l->d->digest, l->d->size);
                l->need_fetch = !have_blob && !dup;
                l->need_unpack = !snapshot_ready(p, i);
                /* The same blob twice in one image: the second copy waits for the first. */
                l->parallel = !dup && (l->need_fetch || l->need_unpack);
                if (!l->need_fetch && !l->need_unpack) {
                        l->done = true;
                        emit(p, l->short_id, "Already exists", -1, -1);
                } else {
                        emit(p, l->short_id, "Pulling fs layer", -1, -1);
                        if (l->parallel)
                                todo++;
                }
        }
        size_t waiting = 0;
        for (size_t i = 0; i < n; i++)
                if (layers[i].parallel && waiting++ >= (size_t)max)
                        emit(p, layers[i].short_id, "Waiting", -1, -1);

        int nthreads = todo < (size_t)max ? (int)todo : max;
        pthread_t th[64];
        if (nthreads > (int)ELEMENTSOF(th))
                nthreads = (int)ELEMENTSOF(th);
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
                if (!layers[i].done && !layers[i].parallel && !atomic_load(&w.cancel))
                        process_layer(&w, &layers[i]);

        r = 0;
        for (size_t i = 0; i < n; i++)
                p->stored[i] = layers[i].fetched;
        for (size_t i = 0; i < n && r == 0; i++)
                if (layers[i].r < 0 && layers[i].r != -ECANCELED) {
                        if (err)
                                *err = layers[i].err;
                        r = layers[i].r;
                }
        for (size_t i = 0; i < n && r == 0; i++)
                if (!layers[i].done) {
                        r = layers[i].r < 0 ? layers[i].r : -EIO;
                        if (err)
                                *err = layers[i].err;
                }
        /* Commit (or, after a failure, abort) what was unpacked. */
        r = commit_layers(p, layers, n, r, err);
        for (size_t i = 0; i < n; i++)
                json_decref(layers[i].whiteouts);
        if (r == 0) {
                p->config_stored = !ross_content_has(p->s->content, p->m.config.digest, -1);
                r = ross_content_put(p->s->content, p->m.config.digest, p->config.body,
                                     p->config.len, err);
        }
        if (r == 0)
                r = record(p, err);
        if (r < 0)
                return r;

        _cleanup_free_ char *d = xasprintf("Digest: %s", p->top.digest);
        emit(p, NULL, d, -1, -1);
        status = xasprintf("Status: Downloaded newer image for %s", p->familiar);
        emit(p, NULL, status, -1, -1);
        return 0;
}

int ross_pull_run(RossPull *p, RossError *err)
{
        /* Hold every blob and snapshot this image needs until it is recorded or the pull
         * gave up: removals elsewhere leave them alone. */
        ross_images_hold(p->s, p->m.config.digest);
        for (size_t i = 0; i < p->m.n_layers; i++) {
                ross_images_hold(p->s, p->m.layers[i].digest);
                ross_snapshots_hold(p->s->snapshots, p->chain[i]);
        }
        p->stored = xcalloc(p->m.n_layers ? p->m.n_layers : 1, sizeof(bool));
        int r = run(p, err);
        for (size_t i = 0; i < p->m.n_layers; i++) {
                ross_images_release(p->s, p->m.layers[i].digest);
                ross_snapshots_release(p->s->snapshots, p->chain[i]);
        }
        ross_images_release(p->s, p->m.config.digest);
        if (r < 0)
                undo(p);
        if (r < 0)
                ross_err_prefix(err, "pull %s", p->familiar);
        else
                log_debug("pull %s: image %s", p->familiar, p->m.config.digest);
        return r;
}
