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
        char digest[ROSS_DIGEST_LEN + 1];
        char *diff_id;
} FlatLayer;

static void flat_layers_free(FlatLayer *layers, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(layers[i].diff_id);
        free(layers);
}

static char *flat_dir(RossImages *s)
{
        /* <data>/flat, next to <data>/blobs */
        const char *blobs = ross_content_blobs_dir(s->content);
        size_t n = strlen(blobs) - strlen("/blobs/sha256");
        return xasprintf("%.*s/flat", (int)n, blobs);
}

static int image_layers(RossImages *s, const char *id, FlatLayer **ret, size_t *ret_n,
                        char **ret_top_chain, RossError *err)
{
        _cleanup_free_ char *cfg = NULL;
        size_t len;
        RossImageConfig c = {};
        int r = ross_content_read(s->content, id, ROSS_CONFIG_MAX, &cfg, &len, err);
        if (r < 0)
                return r;
        r = ross_config_parse(cfg, len, &c, err);
        if (r < 0)
                return r;

        _cleanup_(json_decrefp) json_t *blobs = ross_db_image_blobs(s->db, id);
        json_t *b;
        size_t i, n = 0;
        FlatLayer *layers = xcalloc(c.n_diff_ids + 1, sizeof(FlatLayer));
        char chain[ROSS_DIGEST_LEN + 1] = "";
        json_array_foreach (blobs, i, b) {
                if (!STREQ(json_string_value(json_object_get(b, "kind")), "layer"))
                        continue;
                if (n >= c.n_diff_ids) {
                        r = ross_errx(err, EBADMSG, "image %.12s has more layers than diff ids",
                                      id + 7);
                        break;
                }
                const char *digest = json_string_value(json_object_get(b, "digest"));
                FlatLayer *l = &layers[n];
                snprintf(l->digest, sizeof(l->digest), "%s", digest ? digest : "");
                l->diff_id = xstrdup(c.diff_ids[n]);
                if (!ross_content_has(s->content, l->digest, -1)) {
                        n++;
                        r = ross_err(err, ENOENT, "open layer %s", l->digest);
                        break;
                }
                ross_chain_id(n ? chain : NULL, c.diff_ids[n], chain);
                n++;
        }
        if (r == 0 && n != c.n_diff_ids)
                r = ross_errx(err, EBADMSG, "image %.12s is missing layers", id + 7);
        ross_config_free(&c);
        if (r < 0) {
                flat_layers_free(layers, n);
                return r;
        }
        *ret = layers;
        *ret_n = n;
        *ret_top_chain = xstrdup(chain);
        return 0;
}

/* Merge the layers into <data>/<target> in a pull helper. */
static int merge(RossImages *s, const char *target, const FlatLayer *layers, size_t n,
                 RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv argv = {};
        _cleanup_(ross_helper_freep) RossHelper *h = NULL;
        _cleanup_(json_decrefp) json_t *msg = NULL;

        ross_helper_argv(&argv, s->helper_path, "flat", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        ross_argv_add(&argv, "--target");
        ross_argv_add(&argv, target);
        int r = ross_helper_start(&argv, &h, err);
        if (r < 0)
                return r;
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(list, json_pack("{s:s, s:s}", "digest", layers[i].digest,
                                                      "diff_id", layers[i].diff_id));
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
        FlatLayer *layers = NULL;
        size_t n = 0;
        int r;

        r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        r = image_layers(s, id, &layers, &n, &top, err);
        if (r < 0)
                return r;
        path = xasprintf("%s/%s", dir, top + 7);
        struct stat st;
        if (stat(path, &st) == 0)
                goto done; /* merged once already */

        char rnd[17];
        ross_random_hex(rnd, 8);
        tmp = xasprintf("%s/.tmp-%s", dir, rnd);
        r = ross_mkdir_p(dir, 0700, err);
        if (r == 0 && mkdir(tmp, 0755) < 0)
                r = ross_err(err, errno, "create '%s'", tmp);
        if (r == 0) {
                _cleanup_free_ char *target = xasprintf("flat/.tmp-%s", rnd);
                r = merge(s, target, layers, n, err);
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
        if (r < 0) {
                ross_err_prefix(err, "flat rootfs of image %.12s", id + 7);
                goto out;
        }
        log_debug("flat rootfs of %s at %s", id, path);
done:
        *ret_path = TAKE_PTR(path);
        r = 0;
out:
        flat_layers_free(layers, n);
        return r;
}

int64_t ross_images_flat_gc(RossImages *s, bool at_start)
{
        _cleanup_free_ char *dir = flat_dir(s);
        DIR *d = opendir(dir);
        struct dirent *de;
        int64_t removed = 0;
        if (!d)
                return 0;
        /* The top chain ids of the images we have. */
        json_t *keep = json_object(), *list = ross_db_image_list(s->db), *img;
        size_t i;
        json_array_foreach (list, i, img) {
                const char *id = json_string_value(json_object_get(img, "Id"));
                FlatLayer *layers = NULL;
                size_t n = 0;
                _cleanup_free_ char *top = NULL;
                if (image_layers(s, id, &layers, &n, &top, NULL) == 0) {
                        json_object_set_new(keep, top + 7, json_true());
                        flat_layers_free(layers, n);
                }
        }
        json_decref(list);
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
        json_decref(keep);
        return removed;
}
