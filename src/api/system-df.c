/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /system/df: Docker's SystemDataUsage, in the form of API 1.45 (LayersSize, Images,
 * Containers with SizeRw and SizeRootFs, Volumes with UsageData, BuildCache). The build
 * cache is always empty: Ross has no image builder. type=container|image|volume|build-cache
 * (repeatable) asks for those alone.
 */
#include "../basic/log.h"
#include "../container/changes.h"
#include "../container/volume-use.h"
#include "../daemon/daemon.h"
#include "handlers.h"

typedef struct Types {
        bool any, image, container, volume, build_cache;
        char *bad; /* the first value that is none of them */
} Types;

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
        Types *t = cls;
        (void)kind;
        if (!key || !STREQ(key, "type"))
                return MHD_YES;
        t->any = true;
        const char *v = value ? value : "";
        if (STREQ(v, "image"))
                t->image = true;
        else if (STREQ(v, "container"))
                t->container = true;
        else if (STREQ(v, "volume"))
                t->volume = true;
        else if (STREQ(v, "build-cache"))
                t->build_cache = true;
        else if (!t->bad)
                t->bad = xstrdup(v);
        return MHD_YES;
}

static json_t *containers_usage(RossDaemon *d, RossError *err)
{
        json_auto_t *list = NULL;
        if (ross_containers_list(&d->containers, NULL, NULL, &list, err) < 0)
                return NULL;
        json_t *c;
        size_t i;
        json_array_foreach (list, i, c) {
                const char *id = json_string_value(json_object_get(c, "Id"));
                int64_t rw = 0, rootfs = 0;
                RossError e2 = {};
                if (id && ross_containers_size(&d->containers, id, &rw, &rootfs, &e2) < 0)
                        log_debug("system df: %s", e2.msg); /* counted as nothing written */
                json_object_set_new(c, "SizeRw", json_integer(rw));
                json_object_set_new(c, "SizeRootFs", json_integer(rootfs));
        }
        return TAKE_PTR(list);
}

static json_t *volumes_usage(RossDaemon *d)
{
        json_t *list = ross_volumes_list(&d->volumes), *v;
        size_t i;
        json_array_foreach (list, i, v) {
                const char *name = json_string_value(json_object_get(v, "Name"));
                json_auto_t *users = ross_containers_volume_users(&d->containers, name ?: "");
                json_object_set_new(
                        v, "UsageData",
                        json_pack("{s:I, s:I}", "Size",
                                  (json_int_t)ross_volumes_size(&d->volumes, name ?: ""),
                                  "RefCount", (json_int_t)json_array_size(users)));
        }
        return list;
}

enum MHD_Result ross_api_system_df(RossRequest *req)
{
        RossDaemon *d = req->daemon;
        RossError err = {};
        Types t = {};
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, on_arg, &t);
        if (t.bad) {
                _cleanup_free_ char *bad = t.bad;
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "unknown object type: %s", bad);
        }
        bool all = !t.any;
        json_auto_t *o = json_object();
        if (all || t.image) {
                json_t *images = NULL;
                int64_t layers = 0;
                if (ross_images_disk_usage(&d->images, &images, &layers, &err) < 0)
                        return ross_reply_error(req, &err);
                json_object_set_new(o, "LayersSize", json_integer(layers));
                json_object_set_new(o, "Images", images);
        }
        if (all || t.container) {
                json_t *containers = containers_usage(d, &err);
                if (!containers)
                        return ross_reply_error(req, &err);
                json_object_set_new(o, "Containers", containers);
        }
        if (all || t.volume)
                json_object_set_new(o, "Volumes", volumes_usage(d));
        if (all || t.build_cache)
                json_object_set_new(o, "BuildCache", json_array());
        return ross_reply_json(req, MHD_HTTP_OK, TAKE_PTR(o));
}
