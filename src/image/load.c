/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker load, the daemon's side: the helper has the archive's files in a stage, named by
 * their digests; here its documents are read back from there (each checked against its
 * digest as it is read), every image is resolved to a config and its layers before
 * anything is unpacked, then each layer chain is unpacked (its diff id checked) and only
 * when all are, the blobs move into the store and the images are recorded.
 */
#include "../basic/log.h"
#include "../helper/client.h"
#include "../ref/reference.h"
#include "../registry/manifest.h"
#include "../snapshot/snapshots.h"
#include "import.h"
#include "load.h"

#define DOC_MAX    (4u * 1024 * 1024)
#define CONFIG_MAX (8u * 1024 * 1024)
#define MAX_IMAGES 1000
#define MAX_TAGS   1000

typedef struct LoadLayer {
        char digest[ROSS_DIGEST_LEN + 1];
        int64_t size;
        const char *media_type;
        char diff_id[ROSS_DIGEST_LEN + 1];
        char chain[ROSS_DIGEST_LEN + 1];
} LoadLayer;

typedef struct LoadImage {
        char id[ROSS_DIGEST_LEN + 1];
        char *config;
        size_t config_len;
        json_t *config_doc;
        LoadLayer *layers;
        size_t n_layers;
        json_t *tags; /* ["NAME:TAG" as the archive says it] */
} LoadImage;

typedef struct Load {
        RossImages *s;
        char *stage;
        RossHelper *h;
        json_t *files; /* name -> {digest, size, compression} */
        LoadImage *images;
        size_t n;
        json_t *held_blobs;  /* digests */
        json_t *held_chains; /* chain ids */
        json_t *adopted;     /* digests moved into the store */
} Load;

static void load_done(Load *l)
{
        RossImages *s = l->s;
        json_t *v;
        size_t i;
        json_array_foreach (l->held_blobs, i, v)
                ross_images_release(s, json_string_value(v));
        json_array_foreach (l->held_chains, i, v)
                ross_snapshots_release(s->snapshots, json_string_value(v));
        ross_helper_free(l->h);
        if (l->stage)
                ross_content_stage_remove(s->content, l->stage);
        free(l->stage);
        for (size_t k = 0; k < l->n; k++) {
                free(l->images[k].config);
                json_decref(l->images[k].config_doc);
                free(l->images[k].layers);
                json_decref(l->images[k].tags);
        }
        free(l->images);
        json_decref(l->files);
        json_decref(l->held_blobs);
        json_decref(l->held_chains);
        json_decref(l->adopted);
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

/* A path of a document as a name of the archive: "./" dropped; NULL: none such. */
static json_t *file_of(Load *l, const char *path)
{
        if (!path)
                return NULL;
        while (path[0] == '.' && path[1] == '/')
                path += 2;
        return json_object_get(l->files, path);
}

/* A document of the archive, from the stage. */
static int read_doc(Load *l, json_t *f, size_t max, char **ret, size_t *ret_len, RossError *err)
{
        const char *digest = json_string_value(json_object_get(f, "digest"));
        if (!ross_digest_valid(digest))
                return ross_errx(err, EPROTO, "the pull helper named no digest");
        return ross_content_stage_read(l->s->content, l->stage, digest, max, ret, ret_len, err);
}

/* The blob of an OCI layout that descriptor d names: blobs/sha256/<hex>, with that digest
 * and size. */
static json_t *blob_of(Load *l, const char *digest, int64_t size, RossError *err)
{
        if (!ross_digest_valid(digest)) {
                ross_errx(err, EINVAL, "invalid digest '%s'", digest ? digest : "");
                return NULL;
        }
        _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", digest + 7);
        json_t *f = file_of(l, path);
        if (!f) {
                ross_errx(err, ENOENT, "blob %s is not in the archive", digest);
                return NULL;
        }
        if (!STREQ(json_string_value(json_object_get(f, "digest")), digest)) {
                ross_errx(err, EINVAL, "%s does not match its digest (its content is %s)", path,
                          json_string_value(json_object_get(f, "digest")));
                return NULL;
        }
        if (size >= 0 && json_integer_value(json_object_get(f, "size")) != size) {
                ross_errx(err, EINVAL, "%s has %lld bytes, its descriptor says %lld", path,
                          (long long)json_integer_value(json_object_get(f, "size")),
                          (long long)size);
                return NULL;
        }
        return f;
}

static const char *layer_media_type(const char *compression)
{
        if (STREQ(compression, "gzip"))
                return "application/vnd.oci.image.layer.v1.tar+gzip";
        if (STREQ(compression, "zstd"))
                return "application/vnd.oci.image.layer.v1.tar+zstd";
        return "application/vnd.oci.image.layer.v1.tar";
}

/* An image from its config file and layer files, checked against each other. */
static int add_image(Load *l, json_t *config_file, json_t **layer_files, size_t n_layers,
                     json_t *tags, RossError *err)
{
        _cleanup_(ross_config_free) RossImageConfig cfg = {};
        char *body = NULL;
        size_t len = 0;
        int r = read_doc(l, config_file, CONFIG_MAX, &body, &len, err);
        if (r < 0)
                return ross_err_prefix(err, "config");
        l->images = xrealloc(l->images, (l->n + 1) * sizeof(LoadImage));
        LoadImage *im = &l->images[l->n++];
        *im = (LoadImage){.config = body, .config_len = len, .tags = json_incref(tags)};
        memcpy(im->id, json_string_value(json_object_get(config_file, "digest")), sizeof(im->id));
        if ((r = ross_config_parse(body, len, &cfg, err)) < 0)
                return ross_err_prefix(err, "config %s", im->id);
        im->config_doc = json_loadb(body, len, 0, NULL);
        if (!json_is_object(im->config_doc))
                return ross_errx(err, EINVAL, "config %s is not a JSON object", im->id);
        if (cfg.n_diff_ids != n_layers)
                return ross_errx(err, EINVAL, "image %.19s has %zu layers, its config %zu diff ids",
                                 im->id, n_layers, cfg.n_diff_ids);
        json_t *t;
        size_t k;
        json_array_foreach (tags, k, t) {
                /* checked here, before anything is stored */
                _cleanup_(ross_ref_freep) RossRef ref = {};
                if ((r = ross_ref_parse(json_string_value(t), &ref, err)) < 0)
                        return ross_err_prefix(err, "image %.19s", im->id);
                if (!ref.tag || ref.digest)
                        return ross_errx(err, EINVAL, "image %.19s: '%s' is not a tag", im->id,
                                         json_string_value(t));
        }
        im->layers = xcalloc(n_layers ? n_layers : 1, sizeof(LoadLayer));
        im->n_layers = n_layers;
        for (size_t i = 0; i < n_layers; i++) {
                LoadLayer *ly = &im->layers[i];
                const char *d = json_string_value(json_object_get(layer_files[i], "digest"));
                if (!ross_digest_valid(d) || !ross_digest_valid(cfg.diff_ids[i]))
                        return ross_errx(err, EINVAL, "image %.19s: layer %zu: invalid digest",
                                         im->id, i + 1);
                memcpy(ly->digest, d, sizeof(ly->digest));
                memcpy(ly->diff_id, cfg.diff_ids[i], sizeof(ly->diff_id));
                ly->size = json_integer_value(json_object_get(layer_files[i], "size"));
                ly->media_type = layer_media_type(
                        json_string_value(json_object_get(layer_files[i], "compression")));
                ross_chain_id(i ? im->layers[i - 1].chain : NULL, ly->diff_id, ly->chain);
        }
        return 0;
}

/* Docker's manifest.json: [{Config, RepoTags, Layers}], paths into the archive. */
static int plan_legacy(Load *l, json_t *mf, RossError *err)
{
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        json_error_t jerr;
        int r = read_doc(l, mf, DOC_MAX, &body, &len, err);
        if (r < 0)
                return ross_err_prefix(err, "manifest.json");
        json_auto_t *doc = json_loadb(body, len, 0, &jerr);
        if (!json_is_array(doc) || json_array_size(doc) > MAX_IMAGES)
                return ross_errx(err, EINVAL, "manifest.json: not a list of images%s%s",
                                 doc ? "" : ": ", doc ? "" : jerr.text);
        json_t *item;
        size_t i;
        json_array_foreach (doc, i, item) {
                const char *config = json_string_value(json_object_get(item, "Config"));
                json_t *tags = json_object_get(item, "RepoTags");
                json_t *layers = json_object_get(item, "Layers");
                json_t *cf = file_of(l, config);
                if (!cf)
                        return ross_errx(err, ENOENT,
                                         "manifest.json: image %zu: its config '%s' is not in "
                                         "the archive",
                                         i + 1, config ? config : "");
                if (!json_is_array(layers) || json_array_size(layers) > ROSS_LAYERS_MAX ||
                    (tags && !json_is_null(tags) &&
                     (!json_is_array(tags) || json_array_size(tags) > MAX_TAGS)))
                        return ross_errx(err, EINVAL, "manifest.json: image %zu is invalid", i + 1);
                size_t n = json_array_size(layers);
                _cleanup_free_ json_t **files = xcalloc(n ? n : 1, sizeof(json_t *));
                for (size_t k = 0; k < n; k++) {
                        const char *p = json_string_value(json_array_get(layers, k));
                        if (!(files[k] = file_of(l, p)))
                                return ross_errx(err, ENOENT,
                                                 "manifest.json: image %zu: layer '%s' is not in "
                                                 "the archive",
                                                 i + 1, p ? p : "");
                }
                json_auto_t *names = json_array();
                json_t *t;
                size_t k;
                json_array_foreach (json_is_array(tags) ? tags : NULL, k, t) {
                        if (!json_is_string(t))
                                return ross_errx(err, EINVAL,
                                                 "manifest.json: image %zu: a tag is not a string",
                                                 i + 1);
                        json_array_append(names, t);
                }
                if ((r = add_image(l, cf, files, n, names, err)) < 0)
                        return r;
        }
        return 0;
}

/* An image of an OCI layout from its manifest's descriptor (an index: this host's). */
static int plan_oci_manifest(Load *l, json_t *desc, json_t *names, int depth, RossError *err)
{
        const char *digest = json_string_value(json_object_get(desc, "digest"));
        json_int_t size = json_integer_value(json_object_get(desc, "size"));
        json_t *f = blob_of(l, digest, size, err);
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        if (!f)
                return -err->code;
        int r = read_doc(l, f, ROSS_MANIFEST_MAX, &body, &len, err);
        if (r < 0)
                return r;
        const char *mt = json_string_value(json_object_get(desc, "mediaType"));
        if (mt && (STREQ(mt, ROSS_MT_OCI_INDEX) || STREQ(mt, ROSS_MT_DOCKER_LIST))) {
                RossPlatform host;
                _cleanup_(ross_descriptor_free) RossDescriptor d = {};
                ross_platform_host(&host);
                if (depth > 2)
                        return ross_errx(err, ELOOP, "index %s: indexes nested too deep", digest);
                if ((r = ross_index_select(body, len, &host, &d, err)) < 0)
                        return ross_err_prefix(err, "index %s", digest);
                json_auto_t *sub = json_pack("{s:s?, s:s, s:I}", "mediaType", d.media_type,
                                             "digest", d.digest, "size", (json_int_t)d.size);
                return plan_oci_manifest(l, sub, names, depth + 1, err);
        }
        _cleanup_(ross_manifest_free) RossManifest m = {};
        if ((r = ross_manifest_parse(body, len, &m, err)) < 0)
                return ross_err_prefix(err, "manifest %s", digest);
        json_t *cf = blob_of(l, m.config.digest, m.config.size, err);
        if (!cf)
                return ross_err_prefix(err, "manifest %s: config", digest);
        _cleanup_free_ json_t **files = xcalloc(m.n_layers ? m.n_layers : 1, sizeof(json_t *));
        for (size_t k = 0; k < m.n_layers; k++)
                if (!(files[k] = blob_of(l, m.layers[k].digest, m.layers[k].size, err)))
                        return ross_err_prefix(err, "manifest %s: layer %zu", digest, k + 1);
        return add_image(l, cf, files, m.n_layers, names, err);
}

/* Its name in an OCI layout's index: io.containerd.image.name, else a ref.name that is a
 * whole reference (a tag alone names nothing). */
static const char *oci_name(json_t *desc)
{
        json_t *a = json_object_get(desc, "annotations");
        const char *n = json_string_value(json_object_get(a, "io.containerd.image.name"));
        if (n)
                return n;
        n = json_string_value(json_object_get(a, "org.opencontainers.image.ref.name"));
        return n && (strchr(n, '/') || strchr(n, ':')) ? n : NULL;
}

static int plan_oci(Load *l, json_t *idx, RossError *err)
{
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        int r = read_doc(l, idx, DOC_MAX, &body, &len, err);
        if (r < 0)
                return ross_err_prefix(err, "index.json");
        json_auto_t *doc = json_loadb(body, len, 0, NULL);
        json_t *list = json_object_get(doc, "manifests");
        if (!json_is_array(list) || json_array_size(list) > MAX_IMAGES)
                return ross_errx(err, EINVAL, "index.json: no list of manifests");
        json_t *d;
        size_t i;
        json_array_foreach (list, i, d) {
                const char *name = oci_name(d);
                json_auto_t *names = name ? json_pack("[s]", name) : json_array();
                if ((r = plan_oci_manifest(l, d, names, 0, err)) < 0)
                        return ross_err_prefix(err, "index.json: manifest %zu", i + 1);
        }
        return 0;
}

/* Every layer chain unpacked (or, when the store has it, the layer hashed): the helper
 * checks each against its diff id. */
static int unpack_all(Load *l, RossError *err)
{
        RossImages *s = l->s;
        json_auto_t *seen = json_object();
        for (size_t k = 0; k < l->n; k++) {
                LoadImage *im = &l->images[k];
                for (size_t i = 0; i < im->n_layers; i++) {
                        LoadLayer *ly = &im->layers[i];
                        _cleanup_free_ char *key = xasprintf("%s %s", ly->chain, ly->digest);
                        if (json_object_get(seen, key))
                                continue;
                        json_object_set_new(seen, key, json_true());
                        if (!json_object_get(seen, ly->chain)) {
                                json_object_set_new(seen, ly->chain, json_true());
                                ross_snapshots_hold(s->snapshots, ly->chain);
                                json_array_append_new(l->held_chains, json_string(ly->chain));
                        }
                        ross_images_hold(s, ly->digest);
                        json_array_append_new(l->held_blobs, json_string(ly->digest));
                        RossSnapshotTx *tx = NULL;
                        int r = ross_snapshots_begin(s->snapshots, ly->chain,
                                                     i ? im->layers[i - 1].chain : NULL,
                                                     ly->diff_id, &tx, err);
                        if (r < 0)
                                return r;
                        _cleanup_free_ char *tree =
                                tx ? xasprintf("%s/fs", ross_snapshot_tx_name(tx)) : NULL;
                        json_auto_t *done = NULL;
                        r = ross_helper_send(l->h,
                                             json_pack("{s:s, s:s, s:s, s:s?}", "type", "unpack",
                                                       "digest", ly->digest, "diff_id", ly->diff_id,
                                                       "tree", tree),
                                             err);
                        if (r == 0)
                                r = recv_msg(l->h, &done, err);
                        if (r == 0 && !STREQ(ross_channel_type(done), "unpacked"))
                                r = ross_errx(err, EPROTO,
                                              "the pull helper answered '%s' to an "
                                              "unpack",
                                              ross_channel_type(done));
                        if (r < 0) {
                                if (tx)
                                        ross_snapshots_abort(tx);
                                return ross_err_prefix(err, "image %.19s", im->id);
                        }
                        if (tx && (r = ross_snapshots_commit(
                                           tx, json_integer_value(json_object_get(done, "bytes")),
                                           err)) < 0)
                                return r;
                }
        }
        return 0;
}

/* The blobs into the store, each image recorded with its tags. */
static int store_all(Load *l, json_t *loaded, json_t *ids, RossError *err)
{
        RossImages *s = l->s;
        int r;
        for (size_t k = 0; k < l->n; k++)
                for (size_t i = 0; i < l->images[k].n_layers; i++) {
                        LoadLayer *ly = &l->images[k].layers[i];
                        if (ross_content_has(s->content, ly->digest, ly->size))
                                continue;
                        r = ross_content_stage_adopt(s->content, l->stage, ly->digest, ly->size,
                                                     err);
                        if (r < 0)
                                return r;
                        json_array_append_new(l->adopted, json_string(ly->digest));
                }
        for (size_t k = 0; k < l->n; k++) {
                LoadImage *im = &l->images[k];
                _cleanup_free_ RossLocalLayer *layers =
                        xcalloc(im->n_layers ? im->n_layers : 1, sizeof(RossLocalLayer));
                int64_t size = 0;
                for (size_t i = 0; i < im->n_layers; i++) {
                        RossSnapshotRow row = {};
                        layers[i] = (RossLocalLayer){im->layers[i].digest, im->layers[i].size,
                                                     im->layers[i].media_type, im->layers[i].chain};
                        if (ross_db_snapshot_get(s->db, im->layers[i].chain, &row) == 0)
                                size += row.size;
                }
                _cleanup_(ross_ref_freep) RossRef first = {};
                _cleanup_free_ char *name = NULL, *id = NULL;
                size_t n_tags = json_array_size(im->tags);
                if (n_tags) {
                        if ((r = ross_ref_parse(json_string_value(json_array_get(im->tags, 0)),
                                                &first, err)) < 0)
                                return ross_err_prefix(err, "image %.19s", im->id);
                        if (!first.tag)
                                return ross_errx(err, EINVAL, "image %.19s: '%s' is not a tag",
                                                 im->id,
                                                 json_string_value(json_array_get(im->tags, 0)));
                        name = ross_ref_name(&first);
                }
                RossLocalImage li = {
                        .config = im->config_doc,
                        .config_raw = im->config,
                        .config_len = im->config_len,
                        .layers = layers,
                        .n_layers = im->n_layers,
                        .name = name,
                        .tag = name ? first.tag : NULL,
                        .size = size,
                };
                if ((r = ross_images_add_local(s, &li, &id, err)) < 0)
                        return r;
                for (size_t t = 1; t < n_tags; t++) {
                        _cleanup_(ross_ref_freep) RossRef ref = {};
                        const char *tag = json_string_value(json_array_get(im->tags, t));
                        if ((r = ross_ref_parse(tag, &ref, err)) < 0)
                                return ross_err_prefix(err, "image %.19s", im->id);
                        if (!ref.tag)
                                return ross_errx(err, EINVAL, "image %.19s: '%s' is not a tag",
                                                 im->id, tag);
                        _cleanup_free_ char *full = ross_ref_string(&ref);
                        if ((r = ross_db_tag_set(s->db, full, id, err)) < 0)
                                return r;
                }
                json_t *t;
                size_t i;
                json_array_foreach (im->tags, i, t) {
                        _cleanup_(ross_ref_freep) RossRef ref = {};
                        (void)ross_ref_parse(json_string_value(t), &ref, NULL);
                        _cleanup_free_ char *full = ross_ref_string(&ref);
                        _cleanup_free_ char *familiar = ross_ref_familiar(full);
                        json_array_append_new(loaded, json_sprintf("Loaded image: %s", familiar));
                }
                if (!n_tags)
                        json_array_append_new(loaded, json_sprintf("Loaded image ID: %s", id));
                json_array_append_new(ids, json_string(id));
        }
        return 0;
}

/* The archive checked through: every image's config and layers found and consistent. */
static int plan(Load *l, RossError *err)
{
        json_t *mf = json_object_get(l->files, "manifest.json");
        json_t *idx = json_object_get(l->files, "index.json");
        if (mf)
                return plan_legacy(l, mf, err);
        if (idx)
                return plan_oci(l, idx, err);
        return ross_errx(err, EINVAL,
                         "the archive has neither manifest.json nor index.json: not an image "
                         "archive (docker save or an OCI layout)");
}

int ross_images_load(RossImages *s, int fd, json_t **ret_loaded, json_t **ret_ids, RossError *err)
{
        _cleanup_(load_done) Load l = {
                .s = s,
                .files = json_object(),
                .held_blobs = json_array(),
                .held_chains = json_array(),
                .adopted = json_array(),
        };
        _cleanup_(ross_argv_free) RossArgv argv = {};
        json_auto_t *list = NULL, *loaded = json_array(), *ids = json_array();
        int r = ross_content_stage_new(s->content, &l.stage, err);
        if (r < 0)
                return ross_err_prefix(err, "load");
        ross_helper_argv(&argv, s->helper_path, "load", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        ross_argv_add(&argv, "--stage");
        ross_argv_add(&argv, l.stage);
        r = ross_helper_start_io(&argv, s->registry, fd, -1, &l.h, err);
        if (r == 0)
                r = ross_helper_send(l.h,
                                     json_pack("{s:s, s:I, s:I, s:I}", "type", "load",
                                               "max_layer_bytes", (json_int_t)s->max_layer_bytes,
                                               "reserve_bytes", (json_int_t)s->min_free_space.bytes,
                                               "reserve_percent",
                                               (json_int_t)s->min_free_space.percent),
                                     err);
        if (r == 0)
                r = recv_msg(l.h, &list, err);
        if (r == 0 && !STREQ(ross_channel_type(list), "files"))
                r = ross_errx(err, EPROTO, "the pull helper sent no list of files");
        json_t *f;
        size_t i;
        json_array_foreach (r == 0 ? json_object_get(list, "files") : NULL, i, f) {
                const char *name = json_string_value(json_object_get(f, "name"));
                if (!name || !ross_digest_valid(json_string_value(json_object_get(f, "digest")))) {
                        r = ross_errx(err, EPROTO, "the pull helper sent an invalid file");
                        break;
                }
                json_object_set(l.files, name, f);
        }
        if (r == 0)
                r = plan(&l, err);
        if (r == 0)
                r = unpack_all(&l, err);
        if (r == 0) {
                json_auto_t *done = NULL;
                r = ross_helper_send(l.h, json_pack("{s:s}", "type", "end"), err);
                if (r == 0)
                        r = recv_msg(l.h, &done, err);
                if (r == 0)
                        r = ross_helper_finish(l.h, err);
        }
        if (r == 0)
                r = store_all(&l, loaded, ids, err);
        if (r < 0) {
                /* nothing of it stays: blobs and snapshots no image took */
                json_t *v;
                json_array_foreach (l.held_blobs, i, v)
                        ross_images_release(s, json_string_value(v));
                json_array_clear(l.held_blobs);
                json_array_foreach (l.adopted, i, v)
                        ross_images_drop_blob(s, json_string_value(v));
                json_array_foreach (l.held_chains, i, v)
                        ross_snapshots_release(s->snapshots, json_string_value(v));
                json_array_clear(l.held_chains);
                ross_snapshots_gc(s->snapshots);
                return ross_err_prefix(err, "load");
        }
        log_debug("load: %zu image(s)", l.n);
        *ret_loaded = TAKE_PTR(loaded);
        *ret_ids = TAKE_PTR(ids);
        return 0;
}
