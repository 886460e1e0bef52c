/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files in and out of containers and images, Docker's endpoints: HEAD, GET and PUT
 * /containers/{id}/archive (docker cp), GET /containers/{id}/export, and POST
 * /images/create?fromSrc=- (docker import). The tars stream: from the helper's stdout to
 * the response, from the request body (body_fd) to the helper's stdin.
 */
#include "../basic/base64.h"
#include "../basic/log.h"
#include "../container/archive.h"
#include "../daemon/daemon.h"
#include "../event/events.h"
#include "../image/config-changes.h"
#include "../image/import.h"
#include "handlers.h"

#define STAT_HEADER "X-Docker-Container-Path-Stat"

/* The tar of a copy out or an export is read from the helper's stdout as it writes it;
 * ross_container_archive_end closes that and reaps the helper when the response is over. */
static void archive_end(void *userdata)
{
        ross_container_archive_end(userdata);
}

static enum MHD_Result reply_tar(RossRequest *req, RossContainerArchive *a, int fd,
                                 const char *stat_header)
{
        struct MHD_Response *resp =
                ross_stream_response(fd, "application/x-tar", 64 * 1024, archive_end, a);
        if (stat_header)
                MHD_add_response_header(resp, STAT_HEADER, stat_header);
        return ross_reply_response(req, MHD_HTTP_OK, resp);
}

/* PathStat as Docker's header has it: base64 of {name, size, mode, mtime, linkTarget}. */
static char *stat_header(json_t *st)
{
        json_auto_t *o = json_pack(
                "{s:O, s:O, s:O, s:O, s:O}", "name", json_object_get(st, "name"), "size",
                json_object_get(st, "size"), "mode", json_object_get(st, "mode"), "mtime",
                json_object_get(st, "mtime"), "linkTarget", json_object_get(st, "linkTarget"));
        if (!o)
                return NULL;
        _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
        return text ? ross_base64_encode(text, strlen(text), 0) : NULL;
}

static enum MHD_Result archive_stat(RossRequest *req, const char *ref, const char *path, bool get)
{
        RossContainers *c = &req->daemon->containers;
        RossError err = {};
        json_auto_t *st = NULL;
        RossContainerArchive *a = NULL;
        int fd = -EBADF;
        int r = get ? ross_container_archive_get(c, ref, path, &st, &fd, &a, &err)
                    : ross_container_path_stat(c, ref, path, &st, &err);
        if (r < 0)
                return ross_reply_error(req, &err);
        _cleanup_free_ char *header = stat_header(st);
        if (get)
                return reply_tar(req, a, fd, header);
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (header)
                MHD_add_response_header(resp, STAT_HEADER, header);
        return ross_reply_response(req, MHD_HTTP_OK, resp);
}

static enum MHD_Result archive_put(RossRequest *req, const char *ref, const char *path)
{
        RossError err = {};
        bool no_overwrite, copy_ids;
        if (ross_req_bool(req, "noOverwriteDirNonDir", false, &no_overwrite, &err) < 0 ||
            ross_req_bool(req, "copyUIDGID", false, &copy_ids, &err) < 0)
                return ross_reply_error(req, &err);
        RossArchivePut o = {
                .path = path,
                .no_overwrite_dir = no_overwrite,
                .copy_uid_gid = copy_ids,
        };
        if (ross_container_archive_put(&req->daemon->containers, ref, &o, req->body_fd, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_empty(req, MHD_HTTP_OK);
}

enum MHD_Result ross_api_container_archive(RossRequest *req, const char *ref)
{
        const char *path = ross_req_query(req, "path");
        if (STR_EMPTY(path))
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                         "bad parameter: path cannot be empty");
        if (STREQ(req->method, "PUT"))
                return archive_put(req, ref, path);
        return archive_stat(req, ref, path, STREQ(req->method, "GET"));
}

enum MHD_Result ross_api_container_export(RossRequest *req, const char *ref)
{
        RossError err = {};
        RossContainerArchive *a = NULL;
        int fd = -EBADF;
        if (ross_container_export(&req->daemon->containers, ref, &fd, &a, &err) < 0)
                return ross_reply_error(req, &err);
        return reply_tar(req, a, fd, NULL);
}

typedef struct Collect {
        const char *key;
        json_t *values;
        size_t bytes;
} Collect;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
        Collect *c = cls;
        if (key && value && STREQ(key, c->key)) {
                c->bytes += strlen(value);
                json_array_append_new(c->values, json_string(value));
        }
        return MHD_YES;
}

enum MHD_Result ross_api_images_import(RossRequest *req)
{
        const char *src = ross_req_query(req, "fromSrc");
        RossError err = {};
        if (!src || !STREQ(src, "-"))
                return ross_reply_errorf(req, MHD_HTTP_NOT_IMPLEMENTED,
                                         "import from %s: only fromSrc=- (the archive in the "
                                         "request body) is supported, not a URL",
                                         src ? src : "nothing");
        json_auto_t *changes = json_array();
        Collect col = {.key = "changes", .values = changes};
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect, &col);
        const char *platform = ross_req_query(req, "platform");
        RossImportOptions o = {
                .repo = ross_req_query(req, "repo"),
                .tag = ross_req_query(req, "tag"),
                .changes = changes,
                .message = ross_req_query(req, "message"),
                .platform = STR_EMPTY(platform) ? NULL : platform,
        };
        if (STR_EMPTY(o.message))
                o.message = NULL;
        _cleanup_free_ char *id = NULL;
        if (ross_images_import(&req->daemon->images, req->body_fd, &o, &id, &err) < 0) {
                log_debug("%s", err.msg);
                return ross_reply_error(req, &err);
        }
        ross_event_emit("image", "import", id, json_pack("{s:s}", "name", id));
        /* Docker's import stream: the new image's id as a status line */
        return ross_reply_json(req, MHD_HTTP_OK, json_pack("{s:s}", "status", id));
}
