/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "images.h"

/* How many layers the image has: its layer blobs. */
static int layer_count(RossImages *s, const char *id, RossError *err)
{
        json_auto_t *blobs = NULL;
        json_t *b;
        size_t i;
        int n = 0;
        int r = ross_db_image_blobs(s->db, id, &blobs, err);
        if (r < 0)
                return r;
        json_array_foreach (blobs, i, b)
                if (STREQ(json_string_value(json_object_get(b, "kind")), "layer"))
                        n++;
        return n;
}

int ross_images_mount(RossImages *s, const char *name, char **ret_path, char **ret_id,
                      RossError *err)
{
        _cleanup_free_ char *id = NULL;
        json_auto_t *ids = NULL;
        int r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        r = ross_db_image_snapshot_ids(s->db, id, &ids, err);
        if (r < 0)
                return r;
        int layers = layer_count(s, id, err);
        if (layers < 0)
                return layers;
        if (layers == 0 || json_array_size(ids) != (size_t)layers)
                return ross_errx(err, ENOENT,
                                 "image %.12s has %d layers but %zu unpacked: pull it again",
                                 id + 7, layers, json_array_size(ids));
        _cleanup_free_ char *path = xasprintf("%s/%s", s->mounts_dir, id + 7);
        r = ross_mkdir_p(path, 0700, err);
        if (r == 0 && !ross_is_mountpoint(path))
                r = ross_snapshots_mount(s->snapshots, ids, path, err);
        if (r < 0)
                return ross_err_prefix(err, "mount image %.12s", id + 7);
        log_debug("image %s mounted at %s", id, path);
        *ret_path = TAKE_PTR(path);
        if (ret_id)
                *ret_id = TAKE_PTR(id);
        return 0;
}

int ross_images_unmount(RossImages *s, const char *name, char **ret_id, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = xasprintf("%s/%s", s->mounts_dir, id + 7);
        r = ross_snapshots_unmount(path, err);
        if (r < 0)
                return r;
        (void)rmdir(path);
        if (ret_id)
                *ret_id = TAKE_PTR(id);
        return 0;
}
