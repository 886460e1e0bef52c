/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flat rootfs a micro-VM needs: an image's layers merged once, whiteouts applied, and
 * cached per chain ID under <data>/flat/<top chain id>. Each container then gets its own
 * copy, cloned with reflinks where the filesystem can (see unpack/clone.c).
 */
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../registry/manifest.h"
#include "../unpack/rootfs.h"
#include "images.h"

static char *flat_dir(RossImages *s)
{
        /* <data>/flat, next to <data>/blobs */
        const char *blobs = ross_content_blobs_dir(s->content);
        size_t n = strlen(blobs) - strlen("/blobs/sha256");
        return xasprintf("%.*s/flat", (int)n, blobs);
}

static int image_layers(RossImages *s, const char *id, RossRootfsLayer **ret, size_t *ret_n,
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

        json_t *blobs = ross_db_image_blobs(s->db, id), *b;
        size_t i, n = 0;
        RossRootfsLayer *layers = xcalloc(c.n_diff_ids + 1, sizeof(RossRootfsLayer));
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
                RossRootfsLayer *l = &layers[n];
                l->path = ross_content_path(s->content, digest);
                l->diff_id = xstrdup(c.diff_ids[n]);
                _cleanup_close_ int fd = open(l->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || ross_layer_detect_compression(fd, &l->compression) < 0) {
                        n++;
                        r = ross_err(err, errno, "open layer %s", digest);
                        break;
                }
                ross_chain_id(n ? chain : NULL, c.diff_ids[n], chain);
                n++;
        }
        json_decref(blobs);
        if (r == 0 && n != c.n_diff_ids)
                r = ross_errx(err, EBADMSG, "image %.12s is missing layers", id + 7);
        ross_config_free(&c);
        if (r < 0) {
                for (i = 0; i < n; i++) {
                        free((char *)layers[i].path);
                        free((char *)layers[i].diff_id);
                }
                free(layers);
                return r;
        }
        *ret = layers;
        *ret_n = n;
        *ret_top_chain = xstrdup(chain);
        return 0;
}

int ross_images_flat(RossImages *s, const char *name, char **ret_path, RossError *err)
{
        _cleanup_free_ char *id = NULL, *top = NULL, *tmp = NULL, *path = NULL;
        _cleanup_free_ char *dir = flat_dir(s);
        RossRootfsLayer *layers = NULL;
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
        if (r == 0)
                r = ross_rootfs_prepare(tmp, layers, n, s->max_layer_bytes, &s->min_free_space,
                                        err);
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
        for (size_t i = 0; i < n; i++) {
                free((char *)layers[i].path);
                free((char *)layers[i].diff_id);
        }
        free(layers);
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
                RossRootfsLayer *layers = NULL;
                size_t n = 0;
                _cleanup_free_ char *top = NULL;
                if (image_layers(s, id, &layers, &n, &top, NULL) == 0) {
                        json_object_set_new(keep, top + 7, json_true());
                        for (size_t k = 0; k < n; k++) {
                                free((char *)layers[k].path);
                                free((char *)layers[k].diff_id);
                        }
                        free(layers);
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
