/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker save: GET /images/{name}/get and GET /images/get?names=A&names=B, the tar the
 * helper writes (src/image/save.c) streamed as the response; docker load: POST
 * /images/load, the request's body to the helper (src/image/load.c).
 */
#include "../basic/log.h"
#include "../daemon/daemon.h"
#include "../event/events.h"
#include "../image/load.h"
#include "../image/save.h"
#include "handlers.h"

#define MAX_NAMES 1024

/* ross_images_save_end closes the tar and reaps the helper once the response is over. */
static void save_end(void *userdata)
{
        ross_images_save_end(userdata);
}

static enum MHD_Result save(RossRequest *req, const char *const *names, size_t n)
{
        RossError err = {};
        RossImageSave *sv = NULL;
        int fd = -EBADF;
        if (ross_images_save(&req->daemon->images, names, n, &fd, &sv, &err) < 0)
                return ross_reply_error(req, &err);
        json_t *v;
        size_t i;
        /* Docker's, one per image as its archive is made */
        json_array_foreach (ross_images_save_ids(sv), i, v)
                ross_event_emit("image", "save", json_string_value(v),
                                json_pack("{s:O}", "name", v));
        return ross_reply_response(
                req, MHD_HTTP_OK,
                ross_stream_response(fd, "application/x-tar", 64 * 1024, save_end, sv));
}

enum MHD_Result ross_api_image_get(RossRequest *req, const char *name)
{
        const char *names[] = {name};
        return save(req, names, 1);
}

typedef struct Names {
        json_t *values;
} Names;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
        Names *c = cls;
        if (key && value && STREQ(key, "names") && json_array_size(c->values) < MAX_NAMES)
                json_array_append_new(c->values, json_string(value));
        return MHD_YES;
}

enum MHD_Result ross_api_images_get(RossRequest *req)
{
        json_auto_t *values = json_array();
        Names c = {.values = values};
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect, &c);
        size_t n = json_array_size(values);
        if (!n)
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                         "no images to save: give names=NAME");
        _cleanup_free_ const char **names = xcalloc(n, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                names[i] = json_string_value(json_array_get(values, i));
        return save(req, names, n);
}

/* docker load: the archive is the request's body, streamed to the helper; the answer is
 * Docker's JSON stream, a {"stream": "Loaded image: NAME:TAG\n"} line per tag. */
enum MHD_Result ross_api_images_load(RossRequest *req)
{
        RossError err = {};
        bool quiet;
        json_auto_t *loaded = NULL, *ids = NULL;
        if (ross_req_bool(req, "quiet", false, &quiet, &err) < 0)
                return ross_reply_error(req, &err);
        if (ross_images_load(&req->daemon->images, req->body_fd, &loaded, &ids, &err) < 0) {
                log_debug("%s", err.msg);
                return ross_reply_error(req, &err);
        }
        json_t *v;
        size_t i;
        json_array_foreach (ids, i, v)
                ross_event_emit("image", "load", json_string_value(v),
                                json_pack("{s:O}", "name", v));
        _cleanup_(ross_buf_free) RossBuf out = {};
        json_array_foreach (loaded, i, v) {
                json_auto_t *line = json_pack("{s:s+}", "stream", json_string_value(v), "\n");
                _cleanup_free_ char *text = json_dumps(line, JSON_COMPACT);
                ross_buf_printf(&out, "%s\n", text);
        }
        return ross_reply_text(req, MHD_HTTP_OK, "application/json", out.data ? out.data : "");
}
