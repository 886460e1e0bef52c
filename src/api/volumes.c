/* SPDX-License-Identifier: Apache-2.0 */
/* /volumes: Docker's volume endpoints over src/volume, with the containers saying which
 * volumes are in use. */
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../container/volume-use.h"
#include "../daemon/daemon.h"
#include "filters.h"
#include "handlers.h"

static RossVolumes *vols(RossRequest *req)
{
        return &req->daemon->volumes;
}

static bool in_use(RossRequest *req, const char *name)
{
        json_auto_t *users = ross_containers_volume_users(&req->daemon->containers, name);
        return json_array_size(users) > 0;
}

/* Docker's volume filters: name (substring or expression), driver, label (KEY, KEY=VALUE),
 * dangling (no container names it). */
static bool keep(RossRequest *req, const RossFilters *f, json_t *v)
{
        const char *name = json_string_value(json_object_get(v, "Name"));
        if (ross_filters_contains(f, "name") && !ross_filters_match(f, "name", name))
                return false;
        if (ross_filters_contains(f, "driver") &&
            !ross_filters_exact(f, "driver", json_string_value(json_object_get(v, "Driver"))))
                return false;
        if (ross_filters_contains(f, "label") &&
            !ross_filters_match_kv(f, "label", json_object_get(v, "Labels")))
                return false;
        if (ross_filters_contains(f, "dangling")) {
                bool want = false;
                if (ross_filters_bool(f, "dangling", false, &want, NULL) < 0)
                        return false;
                if (want == in_use(req, name))
                        return false;
        }
        return true;
}

enum MHD_Result ross_api_volumes_list(RossRequest *req)
{
        RossError err = {};
        _cleanup_(ross_filters_done) RossFilters f = {};
        static const char *const accepted[] = {"name", "driver", "label", "dangling", NULL};
        if (ross_filters_parse(ross_req_query(req, "filters"), &f, &err) < 0 ||
            ross_filters_validate(&f, accepted, &err) < 0)
                return ross_reply_error(req, &err);
        if (ross_filters_contains(&f, "dangling")) {
                bool b;
                if (ross_filters_bool(&f, "dangling", false, &b, &err) < 0)
                        return ross_reply_error(req, &err);
        }
        json_auto_t *all = ross_volumes_list(vols(req));
        json_t *out = json_array(), *v;
        size_t i;
        json_array_foreach (all, i, v)
                if (keep(req, &f, v))
                        json_array_append(out, v);
        return ross_reply_json(req, MHD_HTTP_OK,
                               json_pack("{s:o, s:[]}", "Volumes", out, "Warnings"));
}

enum MHD_Result ross_api_volumes_create(RossRequest *req)
{
        RossError err = {};
        json_auto_t *body = ross_req_json_object(req, &err);
        if (!body)
                return ross_reply_error(req, &err);
        json_t *name = json_object_get(body, "Name"), *driver = json_object_get(body, "Driver");
        if ((name && !json_is_string(name) && !json_is_null(name)) ||
            (driver && !json_is_string(driver) && !json_is_null(driver)))
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                         "invalid JSON: Name and Driver must be strings");
        json_t *v = NULL;
        if (ross_volumes_create(vols(req), json_string_value(name), json_string_value(driver),
                                json_object_get(body, "Labels"),
                                json_object_get(body, "DriverOpts"), &v, NULL, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_CREATED, v);
}

enum MHD_Result ross_api_volume_inspect(RossRequest *req, const char *name)
{
        RossError err = {};
        json_t *v = NULL;
        if (ross_volumes_get(vols(req), name, &v, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, v);
}

enum MHD_Result ross_api_volume_delete(RossRequest *req, const char *name)
{
        RossError err = {};
        bool force;
        if (ross_req_bool(req, "force", false, &force, &err) < 0)
                return ross_reply_error(req, &err);
        json_auto_t *users = ross_containers_volume_users(&req->daemon->containers, name);
        if (json_array_size(users) > 0) {
                /* Docker's words: "remove NAME: volume is in use - [ID, ...]" */
                RossBuf b = {};
                json_t *u;
                size_t i;
                json_array_foreach (users, i, u)
                        ross_buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(u));
                _cleanup_free_ char *ids = ross_buf_steal(&b);
                return ross_reply_errorf(req, MHD_HTTP_CONFLICT,
                                         "remove %s: volume is in use - [%s]", name, ids);
        }
        if (ross_volumes_remove(vols(req), name, &err) < 0) {
                if (force && err.code == ENOENT)
                        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
                return ross_reply_error(req, &err);
        }
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result ross_api_volumes_prune(RossRequest *req)
{
        RossError err = {};
        _cleanup_(ross_filters_done) RossFilters f = {};
        static const char *const accepted[] = {"label", "label!", "all", NULL};
        if (ross_filters_parse(ross_req_query(req, "filters"), &f, &err) < 0 ||
            ross_filters_validate(&f, accepted, &err) < 0)
                return ross_reply_error(req, &err);
        /* Docker 23 on: anonymous volumes only, unless all=true */
        bool all = false;
        if (ross_filters_bool(&f, "all", false, &all, &err) < 0)
                return ross_reply_error(req, &err);
        json_auto_t *vs = ross_volumes_list(vols(req));
        json_t *deleted = json_array(), *v;
        int64_t reclaimed = 0;
        size_t i;
        json_array_foreach (vs, i, v) {
                const char *name = json_string_value(json_object_get(v, "Name"));
                json_t *labels = json_object_get(v, "Labels");
                if (!all && !json_object_get(labels, ROSS_VOLUME_ANONYMOUS_LABEL))
                        continue;
                if (ross_filters_contains(&f, "label") &&
                    !ross_filters_match_kv(&f, "label", labels))
                        continue;
                if (ross_filters_contains(&f, "label!") && ross_filters_values(&f, "label!") &&
                    ross_filters_match_kv(&f, "label!", labels))
                        continue;
                if (in_use(req, name))
                        continue;
                int64_t size = ross_volumes_size(vols(req), name);
                RossError e2 = {};
                if (ross_volumes_remove(vols(req), name, &e2) == 0) {
                        json_array_append_new(deleted, json_string(name));
                        reclaimed += size > 0 ? size : 0;
                } else {
                        log_debug("prune: %s", e2.msg);
                }
        }
        return ross_reply_json(req, MHD_HTTP_OK,
                               json_pack("{s:o, s:I}", "VolumesDeleted", deleted, "SpaceReclaimed",
                                         (json_int_t)reclaimed));
}
