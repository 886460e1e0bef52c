/* SPDX-License-Identifier: Apache-2.0 */
/* /networks: Docker's network endpoints over src/net and the containers' endpoints. */
#include <time.h>

#include "../basic/log.h"
#include "../basic/parse.h"
#include "../container/network.h"
#include "../daemon/daemon.h"
#include "../event/events.h"
#include "filters.h"
#include "handlers.h"

static RossNetworks *nets(RossRequest *req)
{
        return &req->daemon->networks;
}

/* A network event with Docker's attributes: name and type, and the container. */
static void net_event(RossRequest *req, const char *action, const char *ref, const char *cid)
{
        json_auto_t *def = NULL;
        if (ross_network_find(nets(req), ref, &def, NULL) < 0)
                return;
        json_t *attrs = json_pack("{s:s, s:s}", "name", ross_network_name(def), "type",
                                  ross_network_driver(def));
        if (cid)
                json_object_set_new(attrs, "container", json_string(cid));
        ross_event_emit("network", action, ross_network_id(def), attrs);
}

static const char *const network_filters[] = {"name", "id",    "driver",   "label",
                                              "type", "scope", "dangling", NULL};

/* Docker's network filters: name and id match substrings and prefixes, driver, label,
 * type custom|builtin, scope local, dangling (no container on it). */
static bool keep(RossRequest *req, const RossFilters *f, json_t *def, json_t *docker)
{
        const char *name = json_string_value(json_object_get(docker, "Name"));
        const char *id = json_string_value(json_object_get(docker, "Id"));
        if (ross_filters_contains(f, "name") && !ross_filters_match(f, "name", name))
                return false;
        if (ross_filters_contains(f, "id") && !ross_filters_match(f, "id", id))
                return false;
        if (ross_filters_contains(f, "driver") &&
            !ross_filters_exact(f, "driver", json_string_value(json_object_get(docker, "Driver"))))
                return false;
        if (ross_filters_contains(f, "label") &&
            !ross_filters_match_kv(f, "label", json_object_get(docker, "Labels")))
                return false;
        if (ross_filters_contains(f, "scope") && !ross_filters_exact(f, "scope", "local"))
                return false;
        if (ross_filters_contains(f, "type") &&
            !ross_filters_exact(f, "type", ross_network_predefined(def) ? "builtin" : "custom"))
                return false;
        if (ross_filters_contains(f, "dangling")) {
                bool want = false;
                if (ross_filters_bool(f, "dangling", false, &want, NULL) < 0)
                        return false;
                json_auto_t *l = ross_network_leases(nets(req), id);
                bool dangling = json_array_size(l) == 0 && !ross_network_predefined(def);
                if (want != dangling)
                        return false;
        }
        return true;
}

static int filters_of(RossRequest *req, RossFilters *f, RossError *err)
{
        int r = ross_filters_parse(ross_req_query(req, "filters"), f, err);
        if (r == 0)
                r = ross_filters_validate(f, network_filters, err);
        return r;
}

enum MHD_Result ross_api_networks_list(RossRequest *req)
{
        RossError err = {};
        _cleanup_(ross_filters_done) RossFilters f = {};
        if (filters_of(req, &f, &err) < 0)
                return ross_reply_error(req, &err);
        json_auto_t *all = ross_networks_all(nets(req));
        json_t *out = json_array(), *def;
        size_t i;
        json_array_foreach (all, i, def) {
                json_t *d = ross_network_docker(def);
                if (keep(req, &f, def, d))
                        json_array_append_new(out, d);
                else
                        json_decref(d);
        }
        return ross_reply_json(req, MHD_HTTP_OK, out);
}

enum MHD_Result ross_api_network_inspect(RossRequest *req, const char *ref)
{
        RossError err = {};
        json_auto_t *def = NULL;
        if (ross_network_find(nets(req), ref, &def, &err) < 0)
                return ross_reply_error(req, &err);
        json_t *d = ross_network_docker(def);
        json_object_set_new(d, "Containers",
                            ross_network_containers(&req->daemon->containers, def));
        return ross_reply_json(req, MHD_HTTP_OK, d);
}

enum MHD_Result ross_api_networks_create(RossRequest *req)
{
        RossError err = {};
        json_auto_t *body = ross_req_json_object(req, &err);
        if (!body)
                return ross_reply_error(req, &err);
        _cleanup_free_ char *id = NULL;
        if (ross_network_create(nets(req), body, &id, &err) < 0)
                return ross_reply_error(req, &err);
        net_event(req, "create", id, NULL);
        return ross_reply_json(req, MHD_HTTP_CREATED,
                               json_pack("{s:s, s:s}", "Id", id, "Warning", ""));
}

enum MHD_Result ross_api_network_delete(RossRequest *req, const char *ref)
{
        RossError err = {};
        json_auto_t *def = NULL;
        if (ross_network_find(nets(req), ref, &def, &err) < 0 ||
            ross_network_remove(nets(req), ref, &err) < 0)
                return ross_reply_error(req, &err);
        ross_event_emit("network", "destroy", ross_network_id(def),
                        json_pack("{s:s, s:s}", "name", ross_network_name(def), "type",
                                  ross_network_driver(def)));
        return ross_reply_empty(req, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result ross_api_network_connect(RossRequest *req, const char *ref, bool connect)
{
        RossError err = {};
        json_auto_t *body = ross_req_json_object(req, &err);
        if (!body)
                return ross_reply_error(req, &err);
        const char *container = json_string_value(json_object_get(body, "Container"));
        if (STR_EMPTY(container))
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "a container is required");
        int r = connect ? ross_container_net_connect(&req->daemon->containers, ref, container,
                                                     json_object_get(body, "EndpointConfig"), &err)
                        : ross_container_net_disconnect(
                                  &req->daemon->containers, ref, container,
                                  json_is_true(json_object_get(body, "Force")), &err);
        if (r < 0)
                return ross_reply_error(req, &err);
        _cleanup_free_ char *cid = NULL;
        if (ross_containers_resolve(&req->daemon->containers, container, &cid, NULL) == 0)
                net_event(req, connect ? "connect" : "disconnect", ref, cid);
        return ross_reply_empty(req, MHD_HTTP_OK);
}

/* Docker's until filter: made before it (ross_filters_until: a duration before now, an
 * RFC 3339 time or Unix seconds; < 0: no filter). */
static bool older_than(double until, json_t *docker)
{
        if (until < 0)
                return true;
        double created = ross_parse_rfc3339(json_string_value(json_object_get(docker, "Created")));
        return created > 0 && created < until;
}

enum MHD_Result ross_api_networks_prune(RossRequest *req)
{
        RossError err = {};
        _cleanup_(ross_filters_done) RossFilters f = {};
        static const char *const accepted[] = {"until", "label", "label!", NULL};
        double until;
        if (ross_filters_parse(ross_req_query(req, "filters"), &f, &err) < 0 ||
            ross_filters_validate(&f, accepted, &err) < 0 ||
            ross_filters_until(&f, &until, &err) < 0)
                return ross_reply_error(req, &err);
        json_auto_t *all = ross_networks_all(nets(req));
        json_t *deleted = json_array(), *def;
        size_t i;
        json_array_foreach (all, i, def) {
                if (ross_network_predefined(def))
                        continue;
                json_auto_t *d = ross_network_docker(def);
                if (!ross_filters_match_labels(&f, json_object_get(d, "Labels")))
                        continue;
                if (!older_than(until, d))
                        continue;
                RossError e2 = {};
                if (ross_network_remove(nets(req), ross_network_id(def), &e2) == 0)
                        json_array_append_new(deleted, json_string(ross_network_name(def)));
                else
                        log_debug("prune: %s", e2.msg);
        }
        return ross_reply_json(req, MHD_HTTP_OK, json_pack("{s:o}", "NetworksDeleted", deleted));
}
