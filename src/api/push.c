/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /images/{name}/push?tag=: Docker's push. What is not there locally is a status
 * (404 "An image does not exist locally with the tag: NAME"); once the image is found the
 * answer is a 200 stream of Docker's push progress, written by a thread of its own (as the
 * pull's is), ending in "TAG: digest: ... size: N" and its aux line, or in an error line.
 * A client that goes away stops the push.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../basic/log.h"
#include "../daemon/daemon.h"
#include "../event/events.h"
#include "../image/push.h"
#include "../registry/auth.h"
#include "handlers.h"

typedef struct PushStream {
        RossPush *push;
        int wfd; /* the push thread writes JSON lines here; the response reads the other end */
        atomic_bool gone;
} PushStream;

static void on_event(void *ud, const char *id, const char *status, int64_t cur, int64_t total)
{
        PushStream *ps = ud;
        if (ross_api_stream_event(ps->wfd, id, status, cur, total) < 0)
                atomic_store(&ps->gone, true);
}

static void on_aux(void *ud, json_t *aux)
{
        PushStream *ps = ud;
        json_t *o = json_pack("{s:{}, s:O}", "progressDetail", "aux", aux);
        if (ross_api_stream_line(ps->wfd, o) < 0)
                atomic_store(&ps->gone, true);
}

/* Gone once a write failed, or once the response let go of the pipe's other end (poll
 * says so without a write: a push between two events notices too). */
static bool is_gone(void *ud)
{
        PushStream *ps = ud;
        struct pollfd p = {.fd = ps->wfd, .events = POLLOUT};
        if (!atomic_load(&ps->gone) && poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)))
                atomic_store(&ps->gone, true);
        return atomic_load(&ps->gone);
}

static void *push_thread(void *ud)
{
        PushStream *ps = ud;
        RossError err = {};

        int r = ross_push_run(ps->push, &err);
        if (r < 0) {
                log_debug("%s", err.msg);
                (void)ross_api_stream_line(ps->wfd,
                                           json_pack("{s:{s:s}, s:s}", "errorDetail", "message",
                                                     err.msg, "error", err.msg));
        }
        /* the tags the registry took, even when a later one failed */
        json_t *ref;
        size_t i;
        json_array_foreach (ross_push_refs(ps->push), i, ref) {
                const char *s = json_string_value(ref);
                _cleanup_free_ char *name = xstrndup(s, (size_t)(strrchr(s, ':') - s));
                ross_event_emit("image", "push", s, json_pack("{s:s}", "name", name));
        }
        ross_push_free(ps->push);
        close(ps->wfd);
        free(ps);
        return NULL;
}

enum MHD_Result ross_api_image_push(RossRequest *req, const char *name)
{
        RossCreds creds = {};
        RossError err = {};
        RossPush *push = NULL;

        /* Docker ignores a header it cannot read; so does Ross, as anonymous */
        if (ross_creds_from_header(ross_req_header(req, "X-Registry-Auth"), &creds, &err) < 0)
                log_debug("push %s: %s; pushing without credentials", name, err.msg);

        _cleanup_free_ PushStream *ps = xcalloc(1, sizeof(*ps));
        RossPushOptions o = {
                .name = name,
                .tag = ross_req_query(req, "tag"),
                .creds = &creds,
                .event = on_event,
                .aux = on_aux,
                .gone = is_gone,
                .userdata = ps,
        };
        int r = ross_push_prepare(&req->daemon->images, &o, &push, &err);
        ross_creds_free(&creds);
        if (r < 0) {
                log_debug("%s", err.msg);
                return ross_reply_error(req, &err);
        }

        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                ross_push_free(push);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "pipe: %m");
        }
        ps->push = push;
        ps->wfd = p[1];
        pthread_t th;
        if (pthread_create(&th, NULL, push_thread, ps) != 0) {
                close(p[0]);
                close(p[1]);
                ross_push_free(push);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                         "cannot start push thread");
        }
        pthread_detach(th);
        ps = NULL; /* the thread's now */
        return ross_reply_stream(req, p[0], "application/json");
}
