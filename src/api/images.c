/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <signal.h>

#include "../basic/fileio.h"
#include "../basic/format.h"
#include "../basic/log.h"
#include "../daemon/daemon.h"
#include "../registry/auth.h"
#include "filters.h"
#include "../event/events.h"
#include "handlers.h"

/* "[=====>      ]  1.23MB/4.56MB", as docker's JSONProgress renders it. */
static char *progress_bar(int64_t cur, int64_t total)
{
        char a[32], b[32], bar[64];
        int width = 50, filled = total > 0 ? (int)((double)cur / (double)total * width) : 0;
        if (filled > width)
                filled = width;
        memset(bar, ' ', (size_t)width);
        for (int i = 0; i < filled; i++)
                bar[i] = '=';
        if (filled < width)
                bar[filled] = '>';
        bar[width] = '\0';
        ross_format_size((double)cur, a, sizeof(a));
        ross_format_size((double)total, b, sizeof(b));
        return xasprintf("[%s] %8s/%s", bar, a, b);
}

typedef struct PullStream {
        RossPull *pull;
        char *reference; /* as asked: the pull event's Actor.ID */
        int wfd;         /* the pull thread writes JSON lines here */
        int rfd;         /* the response reads them */
} PullStream;

int ross_api_stream_line(int fd, json_t *o)
{
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!s)
                return -ENOMEM;
        size_t n = strlen(s);
        s = xrealloc(s, n + 2);
        s[n++] = '\r';
        s[n++] = '\n';
        int r = ross_write_all(fd, s, n);
        free(s);
        return r;
}

static void write_line(int fd, json_t *o)
{
        /* A client gone away is not the pull's failure: the pull finishes anyway. */
        (void)ross_api_stream_line(fd, o);
}

int ross_api_stream_event(int fd, const char *id, const char *status, int64_t cur, int64_t total)
{
        json_t *o = json_object();

        json_object_set_new(o, "status", json_string(status));
        if (id) {
                json_object_set_new(o, "id", json_string(id));
                json_t *detail = json_object();
                if (cur >= 0 && total > 0) {
                        json_object_set_new(detail, "current", json_integer(cur));
                        json_object_set_new(detail, "total", json_integer(total));
                        _cleanup_free_ char *bar = progress_bar(cur, total);
                        json_object_set_new(o, "progress", json_string(bar));
                }
                json_object_set_new(o, "progressDetail", detail);
        }
        return ross_api_stream_line(fd, o);
}

static void on_event(void *ud, const char *id, const char *status, int64_t cur, int64_t total)
{
        PullStream *ps = ud;
        (void)ross_api_stream_event(ps->wfd, id, status, cur, total);
}

static void *pull_thread(void *ud)
{
        PullStream *ps = ud;
        RossError err = {};

        if (ross_pull_run(ps->pull, &err) < 0) {
                log_debug("%s", err.msg);
                write_line(ps->wfd, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", err.msg,
                                              "error", err.msg));
        } else {
                ross_event_emit("image", "pull", ps->reference,
                                json_pack("{s:s}", "name", ps->reference));
        }
        free(ps->reference);
        ross_pull_free(ps->pull);
        close(ps->wfd);
        free(ps);
        return NULL;
}

enum MHD_Result ross_api_images_create(RossRequest *req)
{
        RossDaemon *d = req->daemon;
        const char *from = ross_req_query(req, "fromImage");
        const char *tag = ross_req_query(req, "tag");
        const char *platform = ross_req_query(req, "platform");
        RossCreds creds = {};
        RossError err = {};
        RossPull *pull = NULL;
        int r;

        if (STR_EMPTY(from)) {
                if (ross_req_query(req, "fromSrc"))
                        return ross_api_images_import(req);
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST,
                                         "fromImage: an image name is required");
        }
        _cleanup_free_ char *reference = NULL;
        if (STR_EMPTY(tag))
                reference = xstrdup(from);
        else
                reference =
                        xasprintf("%s%s%s", from, strncmp(tag, "sha256:", 7) == 0 ? "@" : ":", tag);

        r = ross_creds_from_header(ross_req_header(req, "X-Registry-Auth"), &creds, &err);
        if (r < 0)
                return ross_reply_error(req, &err);

        RossPullOptions o = {
                .reference = reference,
                .platform = STR_EMPTY(platform) ? NULL : platform,
                .creds = &creds,
                .event = on_event,
        };
        _cleanup_free_ PullStream *ps = xcalloc(1, sizeof(*ps));
        o.userdata = ps;
        r = ross_pull_prepare(&d->images, &o, &pull, &err);
        ross_creds_free(&creds);
        if (r < 0) {
                log_debug("%s", err.msg);
                return ross_reply_error(req, &err);
        }

        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                ross_pull_free(pull);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "pipe: %m");
        }
        ps->pull = pull;
        ps->reference = xstrdup(reference);
        ps->rfd = p[0];
        ps->wfd = p[1];

        pthread_t th;
        if (pthread_create(&th, NULL, pull_thread, ps) != 0) {
                close(p[0]);
                close(p[1]);
                free(ps->reference);
                ross_pull_free(pull);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                         "cannot start pull thread");
        }
        pthread_detach(th);
        ps = NULL; /* the thread's now */

        return ross_reply_stream(req, p[0], "application/json");
}

static int resolve_image(void *ud, const char *ref, char **ret_id, RossError *err)
{
        RossImages *s = ud;
        return ross_db_image_resolve(s->db, ref, ret_id, err);
}

enum MHD_Result ross_api_images_list(RossRequest *req)
{
        RossError err = {};
        RossFilterResolvers res = {.image = resolve_image, .ud = &req->daemon->images};
        json_t *list = NULL, *out = NULL;
        bool all;
        if (ross_req_bool(req, "all", false, &all, &err) < 0 ||
            ross_images_list(&req->daemon->images, &list, &err) < 0 ||
            ross_filter_images(ross_req_query(req, "filters"), list, &res, &out, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, out);
}

enum MHD_Result ross_api_image_inspect(RossRequest *req, const char *name)
{
        RossError err = {};
        json_t *o = NULL;
        if (ross_images_inspect(&req->daemon->images, name, &o, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, o);
}

enum MHD_Result ross_api_image_delete(RossRequest *req, const char *name)
{
        RossError err = {};
        json_t *rep = NULL;
        bool force;
        if (ross_req_bool(req, "force", false, &force, &err) < 0 ||
            ross_images_remove(&req->daemon->images, name, force, &rep, &err) < 0)
                return ross_reply_error(req, &err);
        /* untag and delete events, as the answer lists them */
        json_t *e;
        size_t i;
        json_array_foreach (rep, i, e) {
                const char *u = json_string_value(json_object_get(e, "Untagged"));
                const char *d = json_string_value(json_object_get(e, "Deleted"));
                if (u)
                        ross_event_emit("image", "untag", u, json_pack("{s:s}", "name", u));
                if (d)
                        ross_event_emit("image", "delete", d, json_pack("{s:s}", "name", d));
        }
        return ross_reply_json(req, MHD_HTTP_OK, rep);
}

enum MHD_Result ross_api_image_tag(RossRequest *req, const char *name)
{
        const char *repo = ross_req_query(req, "repo");
        RossError err = {};
        if (STR_EMPTY(repo))
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "repo: a name is required");
        if (ross_images_tag(&req->daemon->images, name, repo, ross_req_query(req, "tag"), &err) < 0)
                return ross_reply_error(req, &err);
        const char *tag = ross_req_query(req, "tag");
        /* Docker names it in the short form: "name:tag" for docker.io/library/name */
        const char *fam = repo;
        if (strncmp(fam, "docker.io/library/", 18) == 0)
                fam += 18;
        else if (strncmp(fam, "docker.io/", 10) == 0)
                fam += 10;
        _cleanup_free_ char *full = xasprintf("%s:%s", fam, STR_EMPTY(tag) ? "latest" : tag);
        _cleanup_free_ char *id = NULL;
        if (ross_db_image_resolve(req->daemon->images.db, name, &id, NULL) == 0)
                ross_event_emit("image", "tag", id, json_pack("{s:s}", "name", full));
        return ross_reply_empty(req, MHD_HTTP_CREATED);
}

/* Docker's prune filters: dangling (default true; false is docker image prune -a), until,
 * label, label!. */
typedef struct ImagePrune {
        RossFilters f;
        double until; /* < 0: none */
} ImagePrune;

static bool prune_pick(void *ud, json_t *img)
{
        ImagePrune *ip = ud;
        double created = (double)json_integer_value(json_object_get(img, "Created"));
        /* Docker: an image without a creation time is kept when until is given */
        if (ip->until >= 0 && (created <= 0 || created > ip->until))
                return false;
        return ross_filters_match_labels(&ip->f, json_object_get(img, "Labels"));
}

enum MHD_Result ross_api_images_prune(RossRequest *req)
{
        static const char *const accepted[] = {"dangling", "label", "label!", "until", NULL};
        RossError err = {};
        ImagePrune ip = {};
        json_t *rep = NULL;
        bool dangling = true;
        int r = ross_filters_parse(ross_req_query(req, "filters"), &ip.f, &err);
        if (r == 0)
                r = ross_filters_validate(&ip.f, accepted, &err);
        if (r == 0)
                r = ross_filters_bool(&ip.f, "dangling", true, &dangling, &err);
        if (r == 0)
                r = ross_filters_until(&ip.f, &ip.until, &err);
        if (r == 0)
                r = ross_images_prune(&req->daemon->images, !dangling, prune_pick, &ip, &rep, &err);
        ross_filters_done(&ip.f);
        if (r < 0)
                return ross_reply_error(req, &err);
        /* the untag and delete events, then Docker's prune event with what it freed */
        json_t *e;
        size_t i;
        json_array_foreach (json_object_get(rep, "ImagesDeleted"), i, e) {
                const char *u = json_string_value(json_object_get(e, "Untagged"));
                const char *d = json_string_value(json_object_get(e, "Deleted"));
                if (u)
                        ross_event_emit("image", "untag", u, json_pack("{s:s}", "name", u));
                if (d)
                        ross_event_emit("image", "delete", d, json_pack("{s:s}", "name", d));
        }
        _cleanup_free_ char *freed = xasprintf(
                "%lld", (long long)json_integer_value(json_object_get(rep, "SpaceReclaimed")));
        ross_event_emit("image", "prune", "", json_pack("{s:s}", "reclaimed", freed));
        return ross_reply_json(req, MHD_HTTP_OK, rep);
}

enum MHD_Result ross_api_image_mount(RossRequest *req, const char *name)
{
        RossError err = {};
        _cleanup_free_ char *path = NULL, *id = NULL;
        if (ross_images_mount(&req->daemon->images, name, &path, &id, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK,
                               json_pack("{s:s, s:s}", "Id", id, "Mountpoint", path));
}

enum MHD_Result ross_api_image_unmount(RossRequest *req, const char *name)
{
        RossError err = {};
        _cleanup_free_ char *id = NULL;
        if (ross_images_unmount(&req->daemon->images, name, &id, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, json_pack("{s:s}", "Id", id));
}

enum MHD_Result ross_api_image_rootfs(RossRequest *req, const char *name)
{
        RossError err = {};
        _cleanup_free_ char *path = NULL;
        if (ross_images_flat(&req->daemon->images, name, &path, &err) < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, json_pack("{s:s}", "Path", path));
}
