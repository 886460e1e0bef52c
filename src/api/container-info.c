/* SPDX-License-Identifier: Apache-2.0 */
/* Looking into a container: GET /containers/{id}/top and GET /containers/{id}/changes. */
#include "../container/changes.h"
#include "../container/top.h"
#include "../daemon/daemon.h"
#include "handlers.h"

enum MHD_Result ross_api_container_top(RossRequest *req, const char *ref)
{
        RossError err = {};
        json_t *o = NULL;
        if (ross_containers_top(&req->daemon->containers, ref, ross_req_query(req, "ps_args"), &o,
                                &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, o);
}

enum MHD_Result ross_api_container_changes(RossRequest *req, const char *ref)
{
        RossError err = {};
        json_t *o = NULL;
        if (ross_containers_changes(&req->daemon->containers, ref, &o, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, o);
}
