/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker commit (commit.h). Two pull helpers, joined by a pipe: the first ("archive", in a
 * read-only view of the container's upper dir) packs the changes as a layer; the second
 * ("import") stores that tar as a blob and unpacks it into a snapshot on top of the image's
 * chain. The daemon reads no byte of the container's files itself; it writes the config
 * and the record once both helpers have said they are done.
 */
#include <time.h>

#include "../backend/backend.h"
#include "../basic/argv.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../container/config.h"
#include "../container/containers.h"
#include "../helper/client.h"
#include "../ref/reference.h"
#include "../registry/manifest.h"
#include "commit.h"
#include "config-changes.h"
#include "import.h"

#define LAYER_MEDIA_TYPE "application/vnd.oci.image.layer.v1.tar"

/* The runtime's mount points (changes.c leaves them out of docker diff too): what is there
 * belongs to the runtime, not to the container. */
static const char *const runtime_paths[] = {
        "proc", "sys", "dev", "etc/hosts", "etc/hostname", "etc/resolv.conf", NULL,
};

typedef struct Commit {
        RossContainers *c;
        const RossCommitOptions *o;
        char *id;             /* the container */
        bool vm;              /* a micro-VM's: its root is a tree, not an overlay upper dir */
        const char *image_id; /* the container's image */
        json_t *image;        /* its image's config document */
        json_t *base;         /* its image's manifest layers, media types as an OCI one has them */
        char *parent_chain;   /* the chain id of the image's top layer, or NULL */
        RossHelper *packer, *importer;
        char *stage;
        char digest[ROSS_DIGEST_LEN + 1]; /* the new layer, once the importer has it */
        char chain[ROSS_DIGEST_LEN + 1];
        int64_t size, unpacked;
        RossSnapshotTx *tx;
        bool held, adopted, paused;
} Commit;

static void commit_done(Commit *m)
{
        RossImages *s = m->c->images;
        RossError e = {};
        if (m->paused && ross_containers_pause(m->c, m->id, false, &e) < 0)
                log_debug("commit: unpause %.12s: %s", m->id, e.msg);
        if (m->tx)
                ross_snapshots_abort(m->tx);
        ross_helper_free(m->packer);
        ross_helper_free(m->importer);
        if (m->stage)
                ross_content_stage_remove(s->content, m->stage);
        free(m->stage);
        if (m->held) {
                ross_images_release(s, m->digest);
                ross_snapshots_release(s->snapshots, m->chain);
        }
        json_decref(m->image);
        json_decref(m->base);
        free(m->parent_chain);
        free(m->id);
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

/* A helper's next message that is not progress. */
static int recv_msg(RossHelper *h, json_t **ret, RossError *err)
{
        for (;;) {
                json_t *msg = NULL;
                int r = ross_helper_recv(h, &msg, err);
                if (r < 0)
                        return r;
                if (!STREQ(ross_channel_type(msg), "event")) {
                        *ret = msg;
                        return 0;
                }
                json_decref(msg);
        }
}

/* A Docker v2 layer type as the OCI manifest of the new image names it. */
static const char *oci_layer_type(const char *mt)
{
        if (STREQ(mt, "application/vnd.docker.image.rootfs.diff.tar.gzip"))
                return "application/vnd.oci.image.layer.v1.tar+gzip";
        if (STREQ(mt, "application/vnd.docker.image.rootfs.diff.tar"))
                return LAYER_MEDIA_TYPE;
        return mt;
}

/* The image's config and its manifest's layers, each checked against the other. */
static int load_image(Commit *m, const char *image_id, RossError *err)
{
        RossImages *s = m->c->images;
        _cleanup_free_ char *text = NULL, *body = NULL;
        json_auto_t *blobs = NULL, *manifest = NULL;
        const char *mdigest = NULL;
        size_t len;
        json_t *b;
        size_t i;
        int r = ross_content_read(s->content, image_id, ROSS_CONFIG_MAX, &text, &len, err);
        if (r < 0)
                return ross_err_prefix(err, "image %.19s: config", image_id);
        m->image = json_loadb(text, len, 0, NULL);
        if (!json_is_object(m->image))
                return ross_errx(err, EIO, "image %.19s: its config is not JSON", image_id);
        if ((r = ross_db_image_blobs(s->db, image_id, &blobs, err)) < 0)
                return r;
        json_array_foreach (blobs, i, b)
                if (STREQ(json_string_value(json_object_get(b, "kind")) ?: "", "manifest"))
                        mdigest = json_string_value(json_object_get(b, "digest"));
        if (!ross_digest_valid(mdigest))
                return ross_errx(err, EOPNOTSUPP,
                                 "image %.19s has no stored manifest to build a new image on",
                                 image_id);
        r = ross_content_read(s->content, mdigest, ROSS_MANIFEST_MAX, &body, &len, err);
        if (r < 0)
                return ross_err_prefix(err, "image %.19s: manifest", image_id);
        manifest = json_loadb(body, len, 0, NULL);
        json_t *layers = json_object_get(manifest, "layers");
        json_t *diff_ids = json_object_get(json_object_get(m->image, "rootfs"), "diff_ids");
        if (!json_is_array(layers) || json_array_size(layers) != json_array_size(diff_ids))
                return ross_errx(err, EIO, "image %.19s: its manifest and config disagree",
                                 image_id);
        m->base = json_array();
        char chain[ROSS_DIGEST_LEN + 1];
        json_array_foreach (layers, i, b) {
                const char *d = json_string_value(json_object_get(b, "digest"));
                const char *mt = json_string_value(json_object_get(b, "mediaType"));
                const char *diff = json_string_value(json_array_get(diff_ids, i));
                json_t *size = json_object_get(b, "size");
                if (!ross_digest_valid(d) || !ross_digest_valid(diff) || !mt ||
                    !json_is_integer(size))
                        return ross_errx(err, EIO, "image %.19s: layer %zu is not valid", image_id,
                                         i);
                ross_chain_id(i ? chain : NULL, diff, chain);
                json_array_append_new(m->base,
                                      json_pack("{s:s, s:s, s:O, s:s}", "digest", d, "mediaType",
                                                oci_layer_type(mt), "size", size, "chain", chain));
        }
        if (json_array_size(layers))
                m->parent_chain = xstrdup(chain);
        return 0;
}

static bool empty_value(json_t *v)
{
        return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
               (json_is_array(v) && !json_array_size(v)) ||
               (json_is_object(v) && !json_object_size(v)) || json_is_false(v) ||
               (json_is_integer(v) && !json_integer_value(v));
}

/* The new image's config section: the container's, the request's set fields over it, then
 * the changes. -EINVAL in Docker's words for a bad change. */
static int new_config(Commit *m, json_t **ret, RossError *err)
{
        json_auto_t *ins = NULL;
        int r = ross_containers_inspect(m->c, m->id, &ins, err);
        if (r < 0)
                return r;
        json_auto_t *cfg = json_deep_copy(json_object_get(ins, "Config"));
        if (!json_is_object(cfg))
                return ross_errx(err, EIO, "container %.12s has no config", m->id);
        const char *k;
        json_t *v;
        if (json_is_object(m->o->config))
                json_object_foreach (m->o->config, k, v)
                        if (!empty_value(v))
                                json_object_set(cfg, k, v);
        if (m->o->changes && (r = ross_image_config_changes_apply(cfg, m->o->changes, err)) < 0)
                return r;
        *ret = TAKE_PTR(cfg);
        return 0;
}

/* Start the packer on the container's upper dir; its tar goes to out_fd. */
static int start_packer(Commit *m, int out_fd, RossError *err)
{
        RossImages *s = m->c->images;
        _cleanup_(ross_argv_free) RossArgv argv = {};
        _cleanup_free_ char *root = NULL, *base = NULL;
        int r;
        if (m->vm) {
                /* a VM's root is a whole clone of the image's flat rootfs: its layer is
                 * what differs from that tree; one that never ran has no root yet, and the
                 * flat rootfs against itself is an empty layer */
                if ((r = ross_images_flat(s, m->image_id, &base, err)) < 0)
                        return r;
                root = ross_containers_path(m->c, m->id, "rootfs");
                if (access(root, F_OK) < 0) {
                        free(root);
                        root = xstrdup(base);
                }
        } else {
                root = ross_containers_path(m->c, m->id, "upper");
                /* a container that never ran has changed nothing: its layer is empty */
                if ((r = ross_mkdir_p(root, 0755, err)) < 0)
                        return r;
        }
        /* an upper dir's opaque markers are trusted.* xattrs: "layer" lets the helper read
         * them */
        json_auto_t *view = json_pack("{s:s, s:b}", "root", root, "layer", !m->vm);
        _cleanup_free_ char *view_text = json_dumps(view, JSON_COMPACT);
        ross_helper_argv(&argv, s->helper_path, "archive", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        ross_argv_add(&argv, "--view");
        ross_argv_add(&argv, view_text);
        if ((r = ross_helper_start_io(&argv, s->registry, -1, out_fd, &m->packer, err)) < 0)
                return r;
        json_t *ex = json_array();
        for (size_t i = 0; runtime_paths[i]; i++)
                json_array_append_new(ex, json_string(runtime_paths[i]));
        json_t *req = m->vm ? json_pack("{s:s, s:s, s:o}", "type", "tree-layer", "base", base,
                                        "exclude", ex)
                            : json_pack("{s:s, s:o}", "type", "layer", "exclude", ex);
        return ross_helper_send(m->packer, req, err);
}

/* The importer reads the tar from in_fd into the stage and unpacks it above the image. */
static int store_layer(Commit *m, int in_fd, RossError *err)
{
        RossImages *s = m->c->images;
        _cleanup_(ross_argv_free) RossArgv argv = {};
        json_auto_t *layer = NULL, *packed = NULL, *done = NULL;
        int r = ross_content_stage_new(s->content, &m->stage, err);
        if (r < 0)
                return r;
        ross_helper_argv(&argv, s->helper_path, "import", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        ross_argv_add(&argv, "--stage");
        ross_argv_add(&argv, m->stage);
        if ((r = ross_helper_start_io(&argv, s->registry, in_fd, -1, &m->importer, err)) < 0)
                return r;
        r = ross_helper_send(m->importer,
                             json_pack("{s:s, s:I, s:I, s:I}", "type", "import", "max_layer_bytes",
                                       (json_int_t)s->max_layer_bytes, "reserve_bytes",
                                       (json_int_t)s->min_free_space.bytes, "reserve_percent",
                                       (json_int_t)s->min_free_space.percent),
                             err);
        if (r == 0)
                r = recv_msg(m->importer, &layer, err);
        /* the tar has ended: the packer has said whether it is whole */
        if (r == 0)
                r = recv_msg(m->packer, &packed, err);
        if (r == 0 && !STREQ(ross_channel_type(packed), "done"))
                r = ross_errx(err, EPROTO, "the archive helper answered '%s' to a commit",
                              ross_channel_type(packed));
        if (r == 0)
                r = ross_helper_finish(m->packer, err);
        if (r < 0)
                return r;
        /* the files are read: the container may run on */
        if (m->paused && (r = ross_containers_pause(m->c, m->id, false, err)) < 0)
                return r;
        m->paused = false;
        const char *digest = json_string_value(json_object_get(layer, "digest"));
        json_int_t size = json_integer_value(json_object_get(layer, "size"));
        if (!STREQ(ross_channel_type(layer), "layer") || !ross_digest_valid(digest) || size < 0)
                return ross_errx(err, EPROTO, "the pull helper sent no layer");
        memcpy(m->digest, digest, sizeof(m->digest));
        m->size = size;
        ross_chain_id(m->parent_chain, m->digest, m->chain);
        ross_images_hold(s, m->digest);
        ross_snapshots_hold(s->snapshots, m->chain);
        m->held = true;
        r = ross_snapshots_begin(s->snapshots, m->chain, m->parent_chain, m->digest, &m->tx, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *tree = m->tx ? xasprintf("%s/fs", ross_snapshot_tx_name(m->tx)) : NULL;
        r = ross_helper_send(
                m->importer,
                json_pack("{s:s, s:s?, s:b}", "type", "unpack", "tree", tree, "above", 1), err);
        if (r == 0)
                r = recv_msg(m->importer, &done, err);
        if (r < 0)
                return r;
        if (!STREQ(ross_channel_type(done), "done"))
                return ross_errx(err, EPROTO, "the pull helper answered '%s' to a commit",
                                 ross_channel_type(done));
        if ((r = ross_helper_finish(m->importer, err)) < 0)
                return r;
        if (m->tx) {
                json_int_t bytes = json_integer_value(json_object_get(done, "bytes"));
                r = ross_snapshots_commit(m->tx, bytes, err);
                m->tx = NULL;
                if (r < 0)
                        return r;
        }
        RossSnapshotRow row = {};
        if (ross_db_snapshot_get(s->db, m->chain, &row) == 0)
                m->unpacked = row.size;
        r = ross_content_stage_adopt(s->content, m->stage, m->digest, m->size, err);
        m->adopted = r == 0;
        return r;
}

/* Pack and store the layer, the container paused meanwhile when it runs and o asks. */
static int make_layer(Commit *m, RossError *err)
{
        json_auto_t *ins = NULL;
        int r = ross_containers_inspect(m->c, m->id, &ins, err);
        if (r < 0)
                return r;
        json_t *state = json_object_get(ins, "State");
        if (m->o->pause && json_is_true(json_object_get(state, "Running")) &&
            !json_is_true(json_object_get(state, "Paused"))) {
                if ((r = ross_containers_pause(m->c, m->id, true, err)) < 0)
                        return ross_err_prefix(err, "pause container %.12s", m->id);
                m->paused = true;
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ross_err(err, errno, "pipe");
        r = start_packer(m, p[1], err);
        close(p[1]);
        if (r == 0)
                r = store_layer(m, p[0], err);
        close(p[0]);
        return r;
}

/* "cmd arg ...": Docker's created_by for a commit, the container's command. */
static char *created_by(json_t *cfg)
{
        RossBuf b = {};
        json_t *v;
        size_t i;
        json_array_foreach (json_object_get(cfg, "Cmd"), i, v) {
                const char *a = json_string_value(v);
                if (!a)
                        continue;
                if (b.len)
                        ross_buf_append(&b, " ", 1);
                ross_buf_append(&b, a, strlen(a));
        }
        char *s = ross_buf_steal(&b);
        return s ? s : xstrdup("");
}

/* The new image's config document: the old one's, with its config, layer and history. */
static json_t *image_document(Commit *m, json_t *cfg, json_t *container_cfg)
{
        char now[64];
        rfc3339_now(now, sizeof(now));
        json_t *doc = json_deep_copy(m->image);
        json_object_set(doc, "config", cfg);
        json_object_set_new(doc, "container", json_string(m->id));
        json_object_set_new(doc, "created", json_string(now));
        json_object_del(doc, "container_config");
        if (!STR_EMPTY(m->o->author))
                json_object_set_new(doc, "author", json_string(m->o->author));
        else
                json_object_del(doc, "author");
        if (!STR_EMPTY(m->o->comment))
                json_object_set_new(doc, "comment", json_string(m->o->comment));
        else
                json_object_del(doc, "comment");
        json_t *rootfs = json_object_get(doc, "rootfs");
        if (!json_is_object(rootfs)) {
                rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
                json_object_set_new(doc, "rootfs", rootfs);
        }
        json_t *diff_ids = json_object_get(rootfs, "diff_ids");
        if (!json_is_array(diff_ids)) {
                diff_ids = json_array();
                json_object_set_new(rootfs, "diff_ids", diff_ids);
        }
        json_array_append_new(diff_ids, json_string(m->digest));
        json_t *history = json_object_get(doc, "history");
        if (!json_is_array(history)) {
                history = json_array();
                json_object_set_new(doc, "history", history);
        }
        _cleanup_free_ char *by = created_by(container_cfg);
        json_t *h = json_pack("{s:s, s:s}", "created", now, "created_by", by);
        if (!STR_EMPTY(m->o->author))
                json_object_set_new(h, "author", json_string(m->o->author));
        if (!STR_EMPTY(m->o->comment))
                json_object_set_new(h, "comment", json_string(m->o->comment));
        json_array_append_new(history, h);
        return doc;
}

static int record(Commit *m, json_t *doc, const char *name, const char *tag, const char *image_id,
                  char **ret_id, RossError *err)
{
        RossImages *s = m->c->images;
        size_t n = json_array_size(m->base);
        _cleanup_free_ RossLocalLayer *layers = xcalloc(n + 1, sizeof(RossLocalLayer));
        json_t *b;
        size_t i;
        json_array_foreach (m->base, i, b)
                layers[i] = (RossLocalLayer){
                        json_string_value(json_object_get(b, "digest")),
                        json_integer_value(json_object_get(b, "size")),
                        json_string_value(json_object_get(b, "mediaType")),
                        json_string_value(json_object_get(b, "chain")),
                };
        layers[n] = (RossLocalLayer){m->digest, m->size, LAYER_MEDIA_TYPE, m->chain};
        json_auto_t *old = NULL;
        int64_t base_size = 0;
        if (ross_db_image_get(s->db, image_id, &old, NULL) == 0)
                base_size = json_integer_value(json_object_get(old, "Size"));
        RossLocalImage li = {
                .config = doc,
                .layers = layers,
                .n_layers = n + 1,
                .name = name,
                .tag = tag,
                .size = base_size + m->unpacked,
        };
        return ross_images_add_local(s, &li, ret_id, err);
}

/* Undo what a failed commit stored: the blob and snapshot no image took. */
static void drop_layer(Commit *m)
{
        RossImages *s = m->c->images;
        if (!m->held)
                return;
        ross_images_release(s, m->digest);
        ross_snapshots_release(s->snapshots, m->chain);
        m->held = false;
        if (m->adopted)
                ross_images_drop_blob(s, m->digest);
        if (m->tx)
                ross_snapshots_abort(TAKE_PTR(m->tx));
        ross_snapshots_gc(s->snapshots);
}

int ross_images_commit(RossContainers *c, const RossCommitOptions *o, char **ret_id, RossError *err)
{
        _cleanup_(commit_done) Commit m = {.c = c, .o = o};
        _cleanup_(ross_container_config_free) RossContainerConfig cc = {};
        _cleanup_(ross_ref_freep) RossRef ref = {};
        json_auto_t *row = NULL, *cfg = NULL, *doc = NULL, *container_cfg = NULL;
        _cleanup_free_ char *name = NULL;
        bool named = false;
        int r = ross_containers_resolve(c, o->container ? o->container : "", &m.id, err);
        if (r < 0)
                return r;
        if ((r = ross_containers_config_load(c, m.id, &row, &cc, err)) < 0)
                return r;
        const RossBackend *be = ross_backend_find(cc.runtime);
        if (!be)
                return ross_errx(err, EINVAL, "commit of container %.12s: unknown runtime %s", m.id,
                                 cc.runtime ?: "(none)");
        m.vm = !STREQ(be->kind, "oci");
        m.image_id = cc.image_id;
        if (!STR_EMPTY(o->repo)) {
                _cleanup_free_ char *full =
                        STR_EMPTY(o->tag) ? xstrdup(o->repo) : xasprintf("%s:%s", o->repo, o->tag);
                if ((r = ross_ref_parse(full, &ref, err)) < 0)
                        return r;
                if (ref.digest)
                        return ross_errx(err, EINVAL,
                                         "refusing to create a tag with a digest reference");
                named = true;
                name = ross_ref_name(&ref);
        }
        /* everything that can be refused is, before anything is written */
        if ((r = load_image(&m, cc.image_id, err)) < 0 || (r = new_config(&m, &cfg, err)) < 0)
                return r;
        json_auto_t *ins = NULL;
        if ((r = ross_containers_inspect(c, m.id, &ins, err)) < 0)
                return r;
        container_cfg = json_incref(json_object_get(ins, "Config"));
        r = make_layer(&m, err);
        if (r == 0) {
                doc = image_document(&m, cfg, container_cfg);
                r = record(&m, doc, name, named ? ref.tag : NULL, cc.image_id, ret_id, err);
        }
        if (r < 0) {
                drop_layer(&m);
                return ross_err_prefix(err, "commit container %.12s", m.id);
        }
        log_debug("commit: container %.12s as image %s, a layer of %lld bytes", m.id, *ret_id,
                  (long long)m.size);
        return 0;
}
