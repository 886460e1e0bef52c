/* SPDX-License-Identifier: Apache-2.0 */
#include "handlers.h"

static bool is(RossRequest *req, const char *method)
{
        return STREQ(req->method, method);
}

/* segs[from .. n-1-drop_tail] joined with '/': image names carry slashes. */
static char *join(RossRequest *req, size_t from, size_t drop_tail)
{
        RossBuf b = {};
        for (size_t i = from; i + drop_tail < req->n_segs; i++) {
                if (i > from)
                        ross_buf_append(&b, "/", 1);
                ross_buf_append(&b, req->segs[i], strlen(req->segs[i]));
        }
        return ross_buf_steal(&b);
}

static enum MHD_Result images(RossRequest *req)
{
        size_t n = req->n_segs;
        const char *last = req->segs[n - 1];

        if (n == 2 && STREQ(last, "create") && is(req, "POST"))
                return ross_api_images_create(req);
        if (n == 2 && STREQ(last, "json") && is(req, "GET"))
                return ross_api_images_list(req);
        if (n == 2 && STREQ(last, "prune") && is(req, "POST"))
                return ross_api_images_prune(req);
        if (n == 2 && STREQ(last, "get") && is(req, "GET"))
                return ross_api_images_get(req);
        if (n == 2 && STREQ(last, "load") && is(req, "POST"))
                return ross_api_images_load(req);
        if (n >= 3 && STREQ(last, "get") && is(req, "GET")) {
                _cleanup_free_ char *name = join(req, 1, 1);
                return ross_api_image_get(req, name);
        }
        if (n >= 3 && STREQ(last, "rootfs") && is(req, "POST")) {
                _cleanup_free_ char *name = join(req, 1, 1);
                return ross_api_image_rootfs(req, name);
        }
        if (n >= 3 && (STREQ(last, "mount") || STREQ(last, "unmount")) && is(req, "POST")) {
                _cleanup_free_ char *name = join(req, 1, 1);
                return STREQ(last, "mount") ? ross_api_image_mount(req, name)
                                            : ross_api_image_unmount(req, name);
        }
        if (n >= 3 && STREQ(last, "json") && is(req, "GET")) {
                _cleanup_free_ char *name = join(req, 1, 1);
                return ross_api_image_inspect(req, name);
        }
        if (n >= 3 && STREQ(last, "push") && is(req, "POST")) {
                _cleanup_free_ char *name = join(req, 1, 1);
                return ross_api_image_push(req, name);
        }
        if (n >= 3 && STREQ(last, "tag") && is(req, "POST")) {
                _cleanup_free_ char *name = join(req, 1, 1);
                return ross_api_image_tag(req, name);
        }
        if (n >= 2 && is(req, "DELETE")) {
                _cleanup_free_ char *name = join(req, 1, 0);
                return ross_api_image_delete(req, name);
        }
        return ross_reply_errorf(req, MHD_HTTP_NOT_FOUND, "page not found: %s %s", req->method,
                                 req->path);
}

static enum MHD_Result containers(RossRequest *req)
{
        size_t n = req->n_segs;
        const char *ref = n >= 2 ? req->segs[1] : "";

        if (n == 2 && STREQ(ref, "create") && is(req, "POST"))
                return ross_api_containers_create(req);
        if (n == 2 && STREQ(ref, "json") && is(req, "GET"))
                return ross_api_containers_list(req);
        if (n == 2 && STREQ(ref, "prune") && is(req, "POST"))
                return ross_api_containers_prune(req);
        if (n == 2 && is(req, "DELETE"))
                return ross_api_container_delete(req, ref);
        if (n == 3) {
                const char *verb = req->segs[2];
                if (STREQ(verb, "start") && is(req, "POST"))
                        return ross_api_container_start(req, ref);
                if (STREQ(verb, "wait") && is(req, "POST"))
                        return ross_api_container_wait(req, ref);
                if (STREQ(verb, "kill") && is(req, "POST"))
                        return ross_api_container_kill(req, ref);
                if (STREQ(verb, "stop") && is(req, "POST"))
                        return ross_api_container_stop(req, ref);
                if (STREQ(verb, "json") && is(req, "GET"))
                        return ross_api_container_inspect(req, ref);
                if (STREQ(verb, "logs") && is(req, "GET"))
                        return ross_api_container_logs(req, ref);
                if (STREQ(verb, "attach") && is(req, "POST"))
                        return ross_api_container_attach(req, ref);
                if (STREQ(verb, "resize") && is(req, "POST"))
                        return ross_api_container_resize(req, ref);
                if (STREQ(verb, "exec") && is(req, "POST"))
                        return ross_api_exec_create(req, ref);
                if (STREQ(verb, "rename") && is(req, "POST"))
                        return ross_api_container_rename(req, ref);
                if ((STREQ(verb, "pause") || STREQ(verb, "unpause")) && is(req, "POST"))
                        return ross_api_container_pause(req, ref, STREQ(verb, "pause"));
                if (STREQ(verb, "restart") && is(req, "POST"))
                        return ross_api_container_restart(req, ref);
                if (STREQ(verb, "update") && is(req, "POST"))
                        return ross_api_container_update(req, ref);
                if (STREQ(verb, "stats") && is(req, "GET"))
                        return ross_api_container_stats(req, ref);
                if (STREQ(verb, "top") && is(req, "GET"))
                        return ross_api_container_top(req, ref);
                if (STREQ(verb, "changes") && is(req, "GET"))
                        return ross_api_container_changes(req, ref);
                if (STREQ(verb, "archive") && (is(req, "GET") || is(req, "HEAD") || is(req, "PUT")))
                        return ross_api_container_archive(req, ref);
                if (STREQ(verb, "export") && is(req, "GET"))
                        return ross_api_container_export(req, ref);
        }
        return ross_reply_errorf(req, MHD_HTTP_NOT_FOUND, "page not found: %s %s", req->method,
                                 req->path);
}

bool ross_api_streams_body(RossRequest *req)
{
        size_t n = req->n_segs;
        if (n == 3 && STREQ(req->segs[0], "containers") && STREQ(req->segs[2], "archive") &&
            is(req, "PUT"))
                return true; /* docker cp into a container */
        if (n == 2 && STREQ(req->segs[0], "images") && STREQ(req->segs[1], "create") &&
            is(req, "POST") && ross_req_query(req, "fromSrc"))
                return true; /* docker import */
        if (n == 2 && STREQ(req->segs[0], "images") && STREQ(req->segs[1], "load") &&
            is(req, "POST"))
                return true; /* docker load */
        return false;
}

enum MHD_Result ross_api_dispatch(RossRequest *req)
{
        size_t n = req->n_segs;
        const char *first = n ? req->segs[0] : "";

        if (n == 1 && STREQ(first, "_ping") && (is(req, "GET") || is(req, "HEAD")))
                return ross_api_ping(req);
        if (n == 1 && STREQ(first, "version") && is(req, "GET"))
                return ross_api_version(req);
        if (n == 1 && STREQ(first, "info") && is(req, "GET"))
                return ross_api_info(req);
        if (n == 1 && STREQ(first, "auth") && is(req, "POST"))
                return ross_api_auth(req);
        if (n == 1 && STREQ(first, "events") && is(req, "GET"))
                return ross_api_events(req);
        if (n == 1 && STREQ(first, "commit") && is(req, "POST"))
                return ross_api_commit(req);
        if (n >= 2 && STREQ(first, "images"))
                return images(req);
        if (n >= 2 && STREQ(first, "containers"))
                return containers(req);
        if (STREQ(first, "networks")) {
                if (n == 1 && is(req, "GET"))
                        return ross_api_networks_list(req);
                if (n == 2 && STREQ(req->segs[1], "create") && is(req, "POST"))
                        return ross_api_networks_create(req);
                if (n == 2 && STREQ(req->segs[1], "prune") && is(req, "POST"))
                        return ross_api_networks_prune(req);
                if (n == 2 && is(req, "GET"))
                        return ross_api_network_inspect(req, req->segs[1]);
                if (n == 2 && is(req, "DELETE"))
                        return ross_api_network_delete(req, req->segs[1]);
                if (n == 3 && is(req, "POST") &&
                    (STREQ(req->segs[2], "connect") || STREQ(req->segs[2], "disconnect")))
                        return ross_api_network_connect(req, req->segs[1],
                                                        STREQ(req->segs[2], "connect"));
        }
        if (STREQ(first, "volumes")) {
                if (n == 1 && is(req, "GET"))
                        return ross_api_volumes_list(req);
                if (n == 2 && STREQ(req->segs[1], "create") && is(req, "POST"))
                        return ross_api_volumes_create(req);
                if (n == 2 && STREQ(req->segs[1], "prune") && is(req, "POST"))
                        return ross_api_volumes_prune(req);
                if (n == 2 && is(req, "GET"))
                        return ross_api_volume_inspect(req, req->segs[1]);
                if (n == 2 && is(req, "DELETE"))
                        return ross_api_volume_delete(req, req->segs[1]);
        }
        if (n == 2 && STREQ(first, "system") && STREQ(req->segs[1], "df") && is(req, "GET"))
                return ross_api_system_df(req);
        if (n >= 3 && STREQ(first, "distribution") && STREQ(req->segs[n - 1], "json") &&
            is(req, "GET")) {
                _cleanup_free_ char *name = join(req, 1, 1);
                return ross_api_distribution_inspect(req, name);
        }
        if (STREQ(first, "build"))
                return ross_api_build(req);
        if (n == 1 && STREQ(first, "session"))
                return ross_api_session(req);
        if (STREQ(first, "plugins"))
                return ross_api_plugins(req);
        if (STREQ(first, "swarm") || STREQ(first, "nodes") || STREQ(first, "services") ||
            STREQ(first, "tasks") || STREQ(first, "secrets") || STREQ(first, "configs"))
                return ross_api_swarm(req);
        if (n == 3 && STREQ(first, "exec")) {
                const char *eid = req->segs[1], *verb = req->segs[2];
                if (STREQ(verb, "start") && is(req, "POST"))
                        return ross_api_exec_start(req, eid);
                if (STREQ(verb, "json") && is(req, "GET"))
                        return ross_api_exec_inspect(req, eid);
                if (STREQ(verb, "resize") && is(req, "POST"))
                        return ross_api_exec_resize(req, eid);
        }
        return ross_reply_errorf(req, MHD_HTTP_NOT_FOUND, "page not found: %s %s", req->method,
                                 req->path);
}
