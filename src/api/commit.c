/* SPDX-License-Identifier: Apache-2.0 */
/* POST /commit (docker commit): a new image from a container's changes. */
#include "../basic/log.h"
#include "../container/container-events.h"
#include "../daemon/daemon.h"
#include "../image/commit.h"
#include "../image/config-changes.h"
#include "handlers.h"

typedef struct Changes {
        json_t *values;
        size_t bytes;
} Changes;

static enum MHD_Result add_change(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
        Changes *c = cls;
        if (key && value && STREQ(key, "changes")) {
                c->bytes += strlen(value);
                json_array_append_new(c->values, json_string(value));
        }
        return MHD_YES;
}

/* Go's strconv.ParseBool, as Docker reads pause; a missing or empty one is true. */
static int parse_pause(const char *v, bool *ret)
{
        static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
        static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
        *ret = true;
        if (STR_EMPTY(v))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (STREQ(v, yes[i]))
                        return 0;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (STREQ(v, no[i])) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

enum MHD_Result ross_api_commit(RossRequest *req)
{
        RossError err = {};
        json_auto_t *changes = json_array(), *config = NULL;
        Changes ch = {.values = changes};
        bool pause;
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_change, &ch);
        if (json_array_size(changes) > ROSS_CONFIG_CHANGES_MAX ||
            ch.bytes > ROSS_CONFIG_CHANGES_MAX_BYTES)
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "too many changes");
        if (parse_pause(ross_req_query(req, "pause"), &pause) < 0)
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                         "invalid boolean value for pause: %s",
                                         ross_req_query(req, "pause"));
        if (req->body.len) {
                json_error_t jerr;
                config = json_loadb(req->body.data, req->body.len, JSON_DECODE_ANY, &jerr);
                if (!config || (!json_is_object(config) && !json_is_null(config)))
                        return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                                 "invalid JSON: the body is not a container "
                                                 "config");
        }
        const char *container = ross_req_query(req, "container");
        if (STR_EMPTY(container))
                return ross_reply_errorf(req, MHD_HTTP_NOT_FOUND, "No such container: ");
        RossCommitOptions o = {
                .container = container,
                .repo = ross_req_query(req, "repo"),
                .tag = ross_req_query(req, "tag"),
                .comment = ross_req_query(req, "comment"),
                .author = ross_req_query(req, "author"),
                .pause = pause,
                .config = config,
                .changes = changes,
        };
        _cleanup_free_ char *id = NULL;
        RossContainers *c = &req->daemon->containers;
        if (ross_images_commit(c, &o, &id, &err) < 0)
                return ross_reply_error(req, &err);
        _cleanup_free_ char *cid = NULL;
        if (ross_containers_resolve(c, container, &cid, NULL) == 0)
                ross_container_event(c, cid, "commit", NULL);
        return ross_reply_json(req, MHD_HTTP_CREATED, json_pack("{s:s}", "Id", id));
}
