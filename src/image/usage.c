/* SPDX-License-Identifier: Apache-2.0 */
/* What the images take on disk, for /system/df: each layer (snapshot) counted once. */
#include "images.h"

int ross_images_disk_usage(RossImages *s, json_t **ret_images, int64_t *ret_layers_size,
                           RossError *err)
{
        json_auto_t *list = NULL, *layers = NULL;
        int r = ross_images_list(s, &list, err);
        if (r == 0)
                r = ross_db_image_layers(s->db, &layers, err);
        if (r < 0)
                return r;

        /* snapshot id -> {"size": N, "images": {image id: true}} */
        json_auto_t *by_snap = json_object();
        json_t *l;
        size_t i;
        json_array_foreach (layers, i, l) {
                char key[24];
                snprintf(key, sizeof(key), "%lld",
                         (long long)json_integer_value(json_object_get(l, "id")));
                json_t *e = json_object_get(by_snap, key);
                if (!e) {
                        e = json_pack("{s:O, s:{}}", "size", json_object_get(l, "size"), "images");
                        json_object_set_new(by_snap, key, e);
                }
                json_object_set_new(json_object_get(e, "images"),
                                    json_string_value(json_object_get(l, "image")), json_true());
        }
        int64_t total = 0;
        const char *key;
        json_t *e;
        json_object_foreach (by_snap, key, e)
                total += json_integer_value(json_object_get(e, "size"));

        /* an image's shared size: its layers another image has too */
        json_t *img;
        json_array_foreach (list, i, img) {
                const char *id = json_string_value(json_object_get(img, "Id"));
                int64_t shared = 0;
                json_object_foreach (by_snap, key, e) {
                        json_t *users = json_object_get(e, "images");
                        if (id && json_object_get(users, id) && json_object_size(users) > 1)
                                shared += json_integer_value(json_object_get(e, "size"));
                }
                json_object_set_new(img, "SharedSize", json_integer(shared));
        }
        *ret_images = TAKE_PTR(list);
        *ret_layers_size = total;
        return 0;
}
