/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Images made here: docker import (a tar as a one-layer image), and the part any local image
 * shares with a pulled one: its config and manifest in the content store, one record. The
 * tar is hostile, so it is read in a pull helper (ross-pull import, in its sandbox), which
 * decompresses it into its stage and unpacks it into the snapshot tree the daemon made, as
 * a pull does; the daemon commits and records.
 */
#include <time.h>

#include "../basic/log.h"
#include "../helper/client.h"
#include "../ref/reference.h"
#include "../registry/manifest.h"
#include "config-changes.h"
#include "import.h"

#define LAYER_MEDIA_TYPE "application/vnd.oci.image.layer.v1.tar"

static char *dump(json_t *j)
{
        char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                abort(); /* out of memory, as xmalloc */
        return s;
}

int ross_images_add_local(RossImages *s, const RossLocalImage *li, char **ret_id, RossError *err)
{
        _cleanup_free_ char *config =
                li->config_raw ? xstrndup(li->config_raw, li->config_len) : dump(li->config);
        size_t config_len = li->config_raw ? li->config_len : strlen(config);
        char config_digest[ROSS_DIGEST_LEN + 1], manifest_digest[ROSS_DIGEST_LEN + 1];
        ross_digest_buf(config, config_len, config_digest);

        json_t *layers = json_array();
        for (size_t i = 0; i < li->n_layers; i++)
                json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType",
                                                        li->layers[i].media_type, "digest",
                                                        li->layers[i].digest, "size",
                                                        (json_int_t)li->layers[i].size));
        json_auto_t *m =
                json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                          ROSS_MT_OCI_MANIFEST, "config", "mediaType", ROSS_MT_OCI_CONFIG, "digest",
                          config_digest, "size", (json_int_t)config_len, "layers", layers);
        _cleanup_free_ char *manifest = dump(m);
        ross_digest_buf(manifest, strlen(manifest), manifest_digest);

        size_t n = li->n_layers + 2, k = 0;
        _cleanup_free_ RossImageBlob *blobs = xcalloc(n, sizeof(RossImageBlob));
        _cleanup_free_ const char **chains = xcalloc(li->n_layers + 1, sizeof(char *));
        blobs[k++] = (RossImageBlob){manifest_digest, (int64_t)strlen(manifest),
                                     ROSS_MT_OCI_MANIFEST, "manifest"};
        blobs[k++] =
                (RossImageBlob){config_digest, (int64_t)config_len, ROSS_MT_OCI_CONFIG, "config"};
        for (size_t i = 0; i < li->n_layers; i++) {
                blobs[k++] = (RossImageBlob){li->layers[i].digest, li->layers[i].size,
                                             li->layers[i].media_type, "layer"};
                chains[i] = li->layers[i].chain_id;
        }
        json_t *plat = li->config;
        RossImageRecord rec = {
                .id = config_digest,
                .name = li->name,
                .tag = li->name ? li->tag : NULL,
                .created = json_string_value(json_object_get(plat, "created")),
                .os = json_string_value(json_object_get(plat, "os")),
                .arch = json_string_value(json_object_get(plat, "architecture")),
                .variant = json_string_value(json_object_get(plat, "variant")),
                .size = li->size,
                .blobs = blobs,
                .n_blobs = k,
                .chain_ids = chains,
                .n_chain_ids = li->n_layers,
        };
        /* no collection may take them between the store and the record */
        ross_images_hold(s, config_digest);
        ross_images_hold(s, manifest_digest);
        int r = ross_content_put(s->content, config_digest, config, config_len, err);
        if (r == 0)
                r = ross_content_put(s->content, manifest_digest, manifest, strlen(manifest), err);
        if (r == 0)
                r = ross_db_image_put(s->db, &rec, err);
        ross_images_release(s, config_digest);
        ross_images_release(s, manifest_digest);
        if (r < 0) {
                ross_images_drop_blob(s, config_digest);
                ross_images_drop_blob(s, manifest_digest);
                return r;
        }
        *ret_id = xstrdup(config_digest);
        return 0;
}

/* What the options make before the archive is read: the name, the platform, the config. */
typedef struct Prepared {
        RossRef ref;
        bool named;
        RossPlatform platform;
        json_t *config; /* the "config" object, changes applied */
} Prepared;

static void prepared_done(Prepared *p)
{
        ross_ref_free(&p->ref);
        json_decref(p->config);
}

static int prepare(const RossImportOptions *o, Prepared *p, RossError *err)
{
        int r;
        if (!STR_EMPTY(o->repo)) {
                _cleanup_free_ char *full =
                        STR_EMPTY(o->tag) ? xstrdup(o->repo) : xasprintf("%s:%s", o->repo, o->tag);
                if ((r = ross_ref_parse(full, &p->ref, err)) < 0)
                        return r;
                if (p->ref.digest)
                        return ross_errx(err, EINVAL,
                                         "refusing to create a tag with a digest reference");
                p->named = true;
        }
        if ((r = ross_platform_parse(o->platform, &p->platform, err)) < 0)
                return r;
        p->config = json_object();
        return ross_image_config_changes_apply(p->config, o->changes, err);
}

static void rfc3339_now(char *buf, size_t n)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

/* The helper's next message that is not progress. */
static int recv_msg(RossHelper *h, json_t **ret, RossError *err)
{
        for (;;) {
                json_t *m = NULL;
                int r = ross_helper_recv(h, &m, err);
                if (r < 0)
                        return r;
                if (!STREQ(ross_channel_type(m), "event")) {
                        *ret = m;
                        return 0;
                }
                json_decref(m);
        }
}

typedef struct Import {
        RossImages *s;
        const RossImportOptions *o;
        Prepared p;
        char *stage;
        RossHelper *h;
        char digest[ROSS_DIGEST_LEN + 1]; /* the layer, once the helper has it */
        int64_t size;
        RossSnapshotTx *tx;
        bool held, adopted;
} Import;

/* The archive through the helper into the stage, then into a snapshot tree. */
static int unpack(Import *im, int fd, int64_t *ret_unpacked, RossError *err)
{
        RossImages *s = im->s;
        _cleanup_(ross_argv_free) RossArgv argv = {};
        json_auto_t *layer = NULL, *done = NULL;
        int r = ross_content_stage_new(s->content, &im->stage, err);
        if (r < 0)
                return r;
        ross_helper_argv(&argv, s->helper_path, "import", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        ross_argv_add(&argv, "--stage");
        ross_argv_add(&argv, im->stage);
        if ((r = ross_helper_start_io(&argv, s->registry, fd, -1, &im->h, err)) < 0)
                return r;
        r = ross_helper_send(im->h,
                             json_pack("{s:s, s:I, s:I, s:I}", "type", "import", "max_layer_bytes",
                                       (json_int_t)s->max_layer_bytes, "reserve_bytes",
                                       (json_int_t)s->min_free_space.bytes, "reserve_percent",
                                       (json_int_t)s->min_free_space.percent),
                             err);
        if (r == 0)
                r = recv_msg(im->h, &layer, err);
        if (r < 0)
                return r;
        const char *digest = json_string_value(json_object_get(layer, "digest"));
        json_int_t size = json_integer_value(json_object_get(layer, "size"));
        if (!STREQ(ross_channel_type(layer), "layer") || !ross_digest_valid(digest) || size < 0)
                return ross_errx(err, EPROTO, "the pull helper sent no layer");
        memcpy(im->digest, digest, sizeof(im->digest));
        im->size = size;
        ross_images_hold(s, im->digest);
        ross_snapshots_hold(s->snapshots, im->digest);
        im->held = true;
        /* one layer: its chain id is its diff id, which is its digest (uncompressed) */
        r = ross_snapshots_begin(s->snapshots, im->digest, NULL, im->digest, &im->tx, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *tree =
                im->tx ? xasprintf("%s/fs", ross_snapshot_tx_name(im->tx)) : NULL;
        r = ross_helper_send(im->h, json_pack("{s:s, s:s?}", "type", "unpack", "tree", tree), err);
        if (r == 0)
                r = recv_msg(im->h, &done, err);
        if (r < 0)
                return r;
        if (!STREQ(ross_channel_type(done), "done"))
                return ross_errx(err, EPROTO, "the pull helper answered '%s' to an import",
                                 ross_channel_type(done));
        if ((r = ross_helper_finish(im->h, err)) < 0)
                return r;
        RossSnapshotRow row = {};
        if (im->tx) {
                json_int_t bytes = json_integer_value(json_object_get(done, "bytes"));
                r = ross_snapshots_commit(im->tx, bytes, err);
                im->tx = NULL;
                if (r < 0)
                        return r;
        }
        if (ross_db_snapshot_get(s->db, im->digest, &row) == 0)
                *ret_unpacked = row.size;
        r = ross_content_stage_adopt(s->content, im->stage, im->digest, im->size, err);
        im->adopted = r == 0;
        return r;
}

static void import_done(Import *im)
{
        RossImages *s = im->s;
        if (im->tx)
                ross_snapshots_abort(im->tx);
        ross_helper_free(im->h);
        if (im->stage)
                ross_content_stage_remove(s->content, im->stage);
        free(im->stage);
        if (im->held) {
                ross_images_release(s, im->digest);
                ross_snapshots_release(s->snapshots, im->digest);
        }
        prepared_done(&im->p);
}

int ross_images_import(RossImages *s, int fd, const RossImportOptions *o, char **ret_id,
                       RossError *err)
{
        _cleanup_(import_done) Import im = {.s = s, .o = o};
        _cleanup_free_ char *name = NULL;
        char now[64];
        int64_t unpacked = 0;
        int r = prepare(o, &im.p, err);
        if (r < 0)
                return r;
        r = unpack(&im, fd, &unpacked, err);
        if (r == 0) {
                char plat[96];
                const char *msg = o->message ? o->message : "Imported from -";
                rfc3339_now(now, sizeof(now));
                json_auto_t *config =
                        json_pack("{s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
                                  "architecture", im.p.platform.arch, "os", im.p.platform.os,
                                  "created", now, "config", im.p.config, "rootfs", "type", "layers",
                                  "diff_ids", im.digest, "history", "created", now, "comment", msg);
                if (im.p.platform.variant[0])
                        json_object_set_new(config, "variant", json_string(im.p.platform.variant));
                if (*msg)
                        json_object_set_new(config, "comment", json_string(msg));
                if (im.p.named)
                        name = ross_ref_name(&im.p.ref);
                RossLocalLayer layer = {im.digest, im.size, LAYER_MEDIA_TYPE, im.digest};
                RossLocalImage li = {
                        .config = config,
                        .layers = &layer,
                        .n_layers = 1,
                        .name = name,
                        .tag = im.p.named ? im.p.ref.tag : NULL,
                        .size = unpacked,
                };
                r = ross_images_add_local(s, &li, ret_id, err);
                if (r == 0)
                        log_debug("import: image %s (%s) from a layer of %lld bytes", *ret_id,
                                  ross_platform_format(&im.p.platform, plat, sizeof(plat)),
                                  (long long)im.size);
        }
        if (r < 0 && im.held) {
                /* nothing of it stays: the blob and snapshot no image took */
                ross_images_release(s, im.digest);
                ross_snapshots_release(s->snapshots, im.digest);
                im.held = false;
                if (im.adopted)
                        ross_images_drop_blob(s, im.digest);
                if (im.tx)
                        ross_snapshots_abort(TAKE_PTR(im.tx));
                ross_snapshots_gc(s->snapshots);
        }
        if (r < 0)
                return ross_err_prefix(err, "import");
        return 0;
}
