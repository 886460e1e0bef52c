/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flat rootfs a micro-VM needs: an image's layers merged once, whiteouts applied, and
 * cached per chain ID under <data>/flat/<top chain id>. Each container then gets its own
 * copy, cloned with reflinks where the filesystem can (see unpack/clone.c). The merge reads
 * layer tars, so it runs in the pull helper (ross-pull flat), which may write only the temp
 * tree it is given; the daemon syncs it and renames it into place.
 */
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../helper/client.h"
#include "../registry/manifest.h"
#include "images.h"

typedef struct FlatLayer {
        char *digest;
        char *diff_id;
} FlatLayer;

/* An image's layers, bottom first. */
typedef struct FlatLayers {
        FlatLayer *v;
        size_t n;
} FlatLayers;

static void flat_layers_done(FlatLayers *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].digest);
                free(l->v[i].diff_id);
        }
        free(l->v);
        *l = (FlatLayers){};
}

static char *flat_dir(RossImages *s)
{
        /* <data>/flat, next to <data>/blobs */
        const char *blobs = ross_content_blobs_dir(s->content);
        size_t n = strlen(blobs) - strlen("/blobs/sha256");
        return xasprintf("%.*s/flat", (int)n, blobs);
}

static int image_layers(RossImages *s, const char *id, FlatLayers *ret, char **ret_top_chain,
                        RossError *err)
{
        _cleanup_free_ char *cfg = NULL;
        _cleanup_(ross_config_free) RossImageConfig c = {};
        _cleanup_(flat_layers_done) FlatLayers layers = {};
        json_auto_t *blobs = NULL;
        size_t len;
        int r = ross_content_read(s->content, id, ROSS_CONFIG_MAX, &cfg, &len, err);
        if (r < 0)
                return r;
        r = ross_config_parse(cfg, len, &c, err);
        if (r < 0)
                return r;
        r = ross_db_image_blobs(s->db, id, &blobs, err);
        if (r < 0)
                return r;

        json_t *b;
        size_t i;
        char chain[ROSS_DIGEST_LEN + 1] = "";
        layers.v = xcalloc(c.n_diff_ids + 1, sizeof(FlatLayer));
        json_array_foreach (blobs, i, b) {
                if (!STREQ(json_string_value(json_object_get(b, "kind")), "layer"))
                        continue;
                if (layers.n >= c.n_diff_ids)
                        return ross_errx(err, EBADMSG, "image %.12s has more layers than diff ids",
                                         id + 7);
                const char *digest = json_string_value(json_object_get(b, "digest"));
                FlatLayer *l = &layers.v[layers.n++];
                l->digest = xstrdup(digest ? digest : "");
                l->diff_id = xstrdup(c.diff_ids[layers.n - 1]);
                if (!ross_content_has(s->content, l->digest, -1))
                        return ross_err(err, ENOENT, "open layer %s", l->digest);
                ross_chain_id(layers.n > 1 ? chain : NULL, l->diff_id, chain);
        }
        if (layers.n != c.n_diff_ids)
                return ross_errx(err, EBADMSG, "image %.12s is missing layers", id + 7);
        *ret = layers;
        layers = (FlatLayers){};
        *ret_top_chain = xstrdup(chain);
        return 0;
}

/* Merge the layers into <data>/<target> in a pull helper. */
static int merge(RossImages *s, const char *target, const FlatLayers *layers, RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv argv = {};
        _cleanup_(ross_helper_freep) RossHelper *h = NULL;
        json_auto_t *msg = NULL;

        ross_helper_argv(&argv, s->helper_path, "flat", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        ross_argv_add(&argv, "--target");
        ross_argv_add(&argv, target);
        int r = ross_helper_start(&argv, s->registry, &h, err);
        if (r < 0)
                return r;
        json_t *list = json_array();
        for (size_t i = 0; i < layers->n; i++)
                json_array_append_new(list, json_pack("{s:s, s:s}", "digest", layers->v[i].digest,
                                                      "diff_id", layers->v[i].diff_id));
        r = ross_helper_send(h,
                             json_pack("{s:s, s:o, s:I, s:I, s:I}", "type", "flat", "layers", list,
                                       "max_layer_bytes", (json_int_t)s->max_layer_bytes,
                                       "reserve_bytes", (json_int_t)s->min_free_space.bytes,
                                       "reserve_percent", (json_int_t)s->min_free_space.percent),
                             err);
        if (r == 0)
                r = ross_helper_recv(h, &msg, err);
        if (r == 0 && !STREQ(ross_channel_type(msg), "done"))
                r = ross_errx(err, EPROTO, "the pull helper answered '%s' to a merge",
                              ross_channel_type(msg));
        if (r == 0)
                r = ross_helper_finish(h, err);
        return r;
}

int ross_images_flat(RossImages *s, const char *name, char **ret_path, RossError *err)
{
        _cleanup_free_ char *id = NULL, *top = NULL, *tmp = NULL, *path = NULL;
        _cleanup_free_ char *dir = flat_dir(s);
        _cleanup_(flat_layers_done) FlatLayers layers = {};
        int r;

        r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        r = image_layers(s, id, &layers, &top, err);
        if (r < 0)
                return r;
        path = xasprintf("%s/%s", dir, top + 7);
        struct stat st;
        if (stat(path, &st) == 0) {
                *ret_path = TAKE_PTR(path); /* merged once already */
                return 0;
        }

        char rnd[17];
        ross_random_hex(rnd, 8);
        tmp = xasprintf("%s/.tmp-%s", dir, rnd);
        r = ross_mkdir_p(dir, 0700, err);
        if (r == 0 && mkdir(tmp, 0755) < 0)
                r = ross_err(err, errno, "create '%s'", tmp);
        if (r == 0) {
                _cleanup_free_ char *target = xasprintf("flat/.tmp-%s", rnd);
                r = merge(s, target, &layers, err);
        }
        if (r == 0) {
                _cleanup_close_ int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 || syncfs(fd) < 0)
                        r = ross_err(err, errno, "sync '%s'", tmp);
        }
        /* The rename is the commit; a concurrent merge of the same chain may win it. */
        if (r == 0 && rename(tmp, path) < 0 && errno != ENOTEMPTY && errno != EEXIST)
                r = ross_err(err, errno, "store flat rootfs '%s'", path);
        ross_rm_rf(tmp);
        if (r < 0)
                return ross_err_prefix(err, "flat rootfs of image %.12s", id + 7);
        log_debug("flat rootfs of %s at %s", id, path);
        *ret_path = TAKE_PTR(path);
        return 0;
}

int64_t ross_images_flat_gc(RossImages *s, bool at_start)
{
        _cleanup_free_ char *dir = flat_dir(s);
        json_auto_t *keep = json_object(), *list = NULL;
        json_t *img;
        struct dirent *de;
        int64_t removed = 0;
        size_t i;
        RossError err = {};

        DIR *d = opendir(dir);
        if (!d)
                return 0;
        /* The top chain ids of the images we have: none known, none removed. */
        if (ross_db_image_list(s->db, &list, &err) < 0) {
                log_debug("gc of flat rootfs trees: %s", err.msg);
                closedir(d);
                return 0;
        }
        json_array_foreach (list, i, img) {
                const char *id = json_string_value(json_object_get(img, "Id"));
                _cleanup_(flat_layers_done) FlatLayers layers = {};
                _cleanup_free_ char *top = NULL;
                int r = image_layers(s, id, &layers, &top, &err);
                if (r == -EIO) {
                        /* cannot tell which tree is this image's: remove none */
                        log_debug("gc of flat rootfs trees: %s", err.msg);
                        closedir(d);
                        return 0;
                }
                if (r == 0)
                        json_object_set_new(keep, top + 7, json_true());
        }
        while ((de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, "..") ||
                    json_object_get(keep, de->d_name))
                        continue;
                /* a merge under way, unless the daemon is only starting */
                if (de->d_name[0] == '.' && !at_start)
                        continue;
                log_debug("gc: removing flat rootfs %s", de->d_name);
                if (ross_rm_rf_at(dirfd(d), de->d_name) == 0)
                        removed++;
        }
        closedir(d);
        return removed;
}
