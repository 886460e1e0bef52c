/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker save, the daemon's side: which images, which of their tags, which blobs; the
 * documents of the layout (index.json, manifest.json, repositories, oci-layout) made here,
 * the tar written by the pull helper (ross-pull save), which reads the blobs from the store.
 * The daemon links no libarchive and writes no tar.
 */
#include "../basic/log.h"
#include "../helper/client.h"
#include "../ref/reference.h"
#include "../registry/manifest.h"
#include "save.h"

struct RossImageSave {
        RossImages *s;
        RossHelper *h;
        int fd;         /* the tar, as the helper writes it */
        json_t *held;   /* digests held against a collection while the tar is written */
        json_t *images; /* [{"id", "refs": ["docker.io/library/x:tag", ...]}], in order */
        json_t *ids;    /* ["sha256:...", ...], the same order */
};

static void save_free(RossImageSave *sv)
{
        if (!sv)
                return;
        safe_close(sv->fd);
        ross_helper_free(sv->h);
        json_t *v;
        size_t i;
        json_array_foreach (sv->held, i, v)
                ross_images_release(sv->s, json_string_value(v));
        json_decref(sv->held);
        json_decref(sv->images);
        json_decref(sv->ids);
        free(sv);
}

static void save_freep(RossImageSave **sv)
{
        save_free(*sv);
}

/* The entry of image id in sv->images, made when missing. */
static json_t *image_entry(RossImageSave *sv, const char *id)
{
        json_t *e;
        size_t i;
        json_array_foreach (sv->images, i, e)
                if (STREQ(json_string_value(json_object_get(e, "id")), id))
                        return e;
        e = json_pack("{s:s, s:[]}", "id", id, "refs");
        json_array_append_new(sv->images, e);
        return e;
}

static void add_ref(json_t *e, const char *ref)
{
        json_t *refs = json_object_get(e, "refs"), *v;
        size_t i;
        json_array_foreach (refs, i, v)
                if (STREQ(json_string_value(v), ref))
                        return;
        json_array_append_new(refs, json_string(ref));
}

/* Did the user write a tag? ("reg:5000/app" has none, "app:1" has one.) */
static bool has_tag(const char *name)
{
        const char *slash = strrchr(name, '/');
        return strchr(slash ? slash : name, ':') != NULL;
}

/* What one name stands for, as moby's tarexport reads it: NAME:TAG that tag, a NAME alone
 * every tag of it, an id or a digest reference the image without a tag. */
static int add_name(RossImageSave *sv, const char *term, RossError *err)
{
        _cleanup_(ross_ref_freep) RossRef ref = {};
        _cleanup_free_ char *id = NULL, *name = NULL;
        RossDb *db = sv->s->db;
        int r;

        if (ross_ref_parse(term, &ref, NULL) == 0 && !ref.digest) {
                name = ross_ref_name(&ref);
                if (!has_tag(term) && !strchr(term, '@')) {
                        json_auto_t *tags = NULL;
                        json_t *t;
                        size_t i;
                        if ((r = ross_db_repo_tags(db, name, &tags, err)) < 0)
                                return r;
                        json_array_foreach (tags, i, t) {
                                _cleanup_free_ char *nt =
                                        xasprintf("%s:%s", name, json_string_value(t));
                                _cleanup_free_ char *tid = NULL;
                                if (ross_db_tag_get(db, nt, &tid, NULL) == 0)
                                        add_ref(image_entry(sv, tid), nt);
                        }
                        if (json_array_size(tags))
                                return 0;
                } else {
                        _cleanup_free_ char *nt = xasprintf("%s:%s", name, ref.tag);
                        r = ross_db_tag_get(db, nt, &id, err);
                        if (r == 0) {
                                add_ref(image_entry(sv, id), nt);
                                return 0;
                        }
                        if (r != -ENOENT)
                                return r;
                }
        }
        /* an id, a prefix of one, NAME@DIGEST */
        if ((r = ross_db_image_resolve(db, term, &id, err)) < 0)
                return r;
        image_entry(sv, id);
        return 0;
}

static void hold(RossImageSave *sv, const char *digest)
{
        ross_images_hold(sv->s, digest);
        json_array_append_new(sv->held, json_string(digest));
}

static char *blob_path(const char *digest)
{
        return xasprintf("blobs/sha256/%s", digest + 7);
}

/* A blob of the image, checked to be in the store, to be written once. */
static int add_blob(RossImageSave *sv, json_t *blobs, const char *id, const RossDescriptor *d,
                    const char *kind, RossError *err)
{
        if (!ross_content_has(sv->s->content, d->digest, d->size))
                return ross_errx(err, ENOENT, "image %.19s: %s %s is not in the store", id, kind,
                                 d->digest);
        json_t *v;
        size_t i;
        json_array_foreach (blobs, i, v)
                if (STREQ(json_string_value(json_object_get(v, "digest")), d->digest))
                        return 0;
        hold(sv, d->digest);
        json_array_append_new(
                blobs, json_pack("{s:s, s:I}", "digest", d->digest, "size", (json_int_t)d->size));
        return 0;
}

/* The index.json descriptors, manifest.json entry and repositories of one image, and its
 * blobs. */
static int add_image(RossImageSave *sv, json_t *e, json_t *blobs, json_t *index, json_t *legacy,
                     json_t *repos, RossError *err)
{
        const char *id = json_string_value(json_object_get(e, "id"));
        json_t *refs = json_object_get(e, "refs");
        json_auto_t *rows = NULL;
        const char *digest = NULL;
        json_t *b, *v;
        size_t i;

        int r = ross_db_image_blobs(sv->s->db, id, &rows, err);
        if (r < 0)
                return r;
        json_array_foreach (rows, i, b)
                if (STREQ(json_string_value(json_object_get(b, "kind")), "manifest"))
                        digest = json_string_value(json_object_get(b, "digest"));
        if (!ross_digest_valid(digest))
                return ross_errx(err, EINVAL, "image %.19s has no manifest in the store", id);
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        _cleanup_(ross_manifest_free) RossManifest m = {};
        if ((r = ross_content_read(sv->s->content, digest, ROSS_MANIFEST_MAX, &body, &len, err)) <
                    0 ||
            (r = ross_manifest_parse(body, len, &m, err)) < 0)
                return ross_err_prefix(err, "image %.19s: manifest %s", id, digest);
        if (!STREQ(m.config.digest, id))
                return ross_errx(err, EINVAL, "image %.19s: its manifest %s is for config %s", id,
                                 digest, m.config.digest);
        hold(sv, digest);
        RossDescriptor md = {.digest = {0}, .size = (int64_t)len};
        memcpy(md.digest, digest, sizeof(md.digest));
        if ((r = add_blob(sv, blobs, id, &md, "manifest", err)) < 0 ||
            (r = add_blob(sv, blobs, id, &m.config, "config", err)) < 0)
                return r;
        json_t *layers = json_array();
        json_auto_t *item = json_pack("{s:s+, s:[], s:o}", "Config", "blobs/sha256/", id + 7,
                                      "RepoTags", "Layers", layers);
        for (size_t k = 0; k < m.n_layers; k++) {
                if ((r = add_blob(sv, blobs, id, &m.layers[k], "layer", err)) < 0)
                        return r;
                _cleanup_free_ char *path = blob_path(m.layers[k].digest);
                json_array_append_new(layers, json_string(path));
        }
        /* the document's own mediaType is what its descriptor must say */
        json_auto_t *doc = json_loadb(body, len, 0, NULL);
        const char *mt = json_string_value(json_object_get(doc, "mediaType"));
        if (!mt)
                mt = m.media_type ? m.media_type : ROSS_MT_OCI_MANIFEST;
        json_t *tags = json_object_get(item, "RepoTags");
        json_array_foreach (refs, i, v) {
                const char *full = json_string_value(v);
                const char *colon = strrchr(full, ':');
                _cleanup_free_ char *familiar = ross_ref_familiar(full);
                _cleanup_free_ char *repo = xstrndup(familiar, strrchr(familiar, ':') - familiar);
                json_array_append_new(tags, json_string(familiar));
                json_array_append_new(index,
                                      json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType", mt,
                                                "digest", digest, "size", (json_int_t)len,
                                                "annotations", "io.containerd.image.name", full,
                                                "org.opencontainers.image.ref.name", colon + 1));
                if (m.n_layers) {
                        json_t *r_tags = json_object_get(repos, repo);
                        if (!r_tags)
                                json_object_set_new(repos, repo, r_tags = json_object());
                        json_object_set_new(r_tags, colon + 1,
                                            json_string(m.layers[m.n_layers - 1].digest + 7));
                }
        }
        if (!json_array_size(refs))
                json_array_append_new(index, json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest",
                                                       digest, "size", (json_int_t)len));
        json_array_append(legacy, item);
        return 0;
}

static char *dump(json_t *j)
{
        char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                abort(); /* out of memory, as xmalloc */
        return s;
}

int ross_images_save(RossImages *s, const char *const *names, size_t n, int *ret_fd,
                     RossImageSave **ret, RossError *err)
{
        _cleanup_(save_freep) RossImageSave *sv = xcalloc(1, sizeof(*sv));
        _cleanup_(ross_argv_free) RossArgv argv = {};
        int r;

        sv->s = s;
        sv->fd = -EBADF;
        sv->held = json_array();
        sv->images = json_array();
        if (!n)
                return ross_errx(err, EINVAL, "no image names were given");
        for (size_t i = 0; i < n; i++)
                if ((r = add_name(sv, names[i], err)) < 0)
                        return r;

        json_auto_t *blobs = json_array(), *index = json_array(), *legacy = json_array(),
                    *repos = json_object();
        json_t *e;
        size_t i;
        sv->ids = json_array();
        json_array_foreach (sv->images, i, e) {
                if ((r = add_image(sv, e, blobs, index, legacy, repos, err)) < 0)
                        return r;
                json_array_append(sv->ids, json_object_get(e, "id"));
        }
        json_auto_t *idx = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
                                     ROSS_MT_OCI_INDEX, "manifests", index);
        _cleanup_free_ char *idx_text = dump(idx), *legacy_text = dump(legacy),
                            *repos_text = dump(repos);
        json_t *files =
                json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "name", "index.json", "data",
                          idx_text, "name", "manifest.json", "data", legacy_text, "name",
                          "oci-layout", "data", "{\"imageLayoutVersion\":\"1.0.0\"}");
        if (json_object_size(repos))
                json_array_append_new(
                        files, json_pack("{s:s, s:s}", "name", "repositories", "data", repos_text));

        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                json_decref(files);
                return ross_err(err, errno, "pipe");
        }
        ross_helper_argv(&argv, s->helper_path, "save", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        r = ross_helper_start_io(&argv, s->registry, -1, p[1], &sv->h, err);
        close(p[1]);
        sv->fd = p[0];
        if (r == 0)
                r = ross_helper_send(sv->h,
                                     json_pack("{s:s, s:O, s:o}", "type", "save", "blobs", blobs,
                                               "files", files),
                                     err);
        else
                json_decref(files);
        if (r < 0)
                return ross_err_prefix(err, "save");
        log_debug("save: %zu image(s), %zu blob(s)", json_array_size(sv->images),
                  json_array_size(blobs));
        *ret_fd = sv->fd;
        *ret = TAKE_PTR(sv);
        return 0;
}

json_t *ross_images_save_ids(RossImageSave *sv)
{
        return sv->ids;
}

void ross_images_save_end(RossImageSave *sv)
{
        if (!sv)
                return;
        /* the reader is done: a helper still writing gets EPIPE and ends */
        sv->fd = safe_close(sv->fd);
        RossError err = {};
        for (;;) {
                json_auto_t *m = NULL;
                if (ross_helper_recv(sv->h, &m, &err) < 0) {
                        log_debug("save: %s", err.msg);
                        break;
                }
                if (!STREQ(ross_channel_type(m), "event"))
                        break;
        }
        if (ross_helper_finish(sv->h, &err) < 0)
                log_debug("save: %s", err.msg);
        save_free(sv);
}
