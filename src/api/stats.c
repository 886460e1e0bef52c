/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /containers/{id}/stats: Docker's ContainerStatsResponse objects (src/container/stats.h).
 * stream=true (the default): one object a second, a line each, precpu_stats and preread
 * from the object before (the first has none, as Docker's), until the container is removed
 * or the client goes. stream=false: one object with precpu_stats from a sample one to three
 * seconds older: one an earlier answer kept (stats-recent.c), else taken now and a second
 * waited, as Docker does; with one-shot=true from one sample at once. A container that does
 * not run gives Docker's empty object at once.
 */
#include <pthread.h>
#include <time.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../container/stats.h"
#include "../daemon/daemon.h"
#include "handlers.h"

/* Docker's collector samples once a second */
#define STATS_INTERVAL_S 1

typedef struct StatsStream {
        RossStatsSource *src;
        int wfd;
} StatsStream;

/* Until the monotonic time t (absolute). */
static void sleep_until(const struct timespec *t)
{
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR)
                ;
}

static void *stream_thread(void *ud)
{
        StatsStream *st = ud;
        _cleanup_(ross_stats_sample_free) RossStatsSample pre = {};
        bool have_pre = false;
        struct timespec next;
        clock_gettime(CLOCK_MONOTONIC, &next);
        for (;;) {
                _cleanup_(ross_stats_sample_free) RossStatsSample cur = {};
                _cleanup_(ross_buf_free) RossBuf line = {};
                /* the container removed: the stream ends, as Docker's does */
                if (ross_stats_sample(st->src, &cur, NULL) < 0)
                        break;
                ross_stats_json(&line, &cur, have_pre ? &pre : NULL);
                ross_stats_keep(st->src, &cur);
                /* the client gone: the response closed the pipe's other end */
                if (ross_write_all(st->wfd, line.data, line.len) < 0)
                        break;
                ross_stats_sample_free(&pre);
                pre = cur;
                cur = (RossStatsSample){};
                have_pre = true;
                next.tv_sec += STATS_INTERVAL_S;
                sleep_until(&next);
        }
        close(st->wfd);
        ross_stats_close(st->src);
        free(st);
        return NULL;
}

static enum MHD_Result reply_once(RossRequest *req, RossStatsSource *src, bool one_shot)
{
        RossError err = {};
        _cleanup_(ross_stats_sample_free) RossStatsSample first = {};
        _cleanup_(ross_stats_sample_free) RossStatsSample second = {};
        _cleanup_(ross_stats_sample_free) RossStatsSample kept = {};
        _cleanup_(ross_buf_free) RossBuf out = {};
        if (ross_stats_sample(src, &first, &err) < 0)
                return ross_reply_error(req, &err);
        if (one_shot || !ross_stats_sample_taken(&first)) {
                ross_stats_json(&out, &first, NULL);
                ross_stats_keep(src, &first);
        } else if (ross_stats_kept_before(src, &first, &kept)) {
                ross_stats_json(&out, &first, &kept);
                ross_stats_keep(src, &first);
        } else {
                ross_stats_keep(src, &first);
                struct timespec next;
                clock_gettime(CLOCK_MONOTONIC, &next);
                next.tv_sec += STATS_INTERVAL_S;
                sleep_until(&next);
                if (ross_stats_sample(src, &second, &err) < 0)
                        return ross_reply_error(req, &err);
                ross_stats_json(&out, &second, &first);
                ross_stats_keep(src, &second);
        }
        return ross_reply_text(req, MHD_HTTP_OK, "application/json", out.data);
}

enum MHD_Result ross_api_container_stats(RossRequest *req, const char *ref)
{
        RossError err = {};
        bool stream, one_shot;
        _cleanup_(ross_stats_closep) RossStatsSource *src = NULL;
        if (ross_req_bool(req, "stream", true, &stream, &err) < 0 ||
            ross_req_bool(req, "one-shot", false, &one_shot, &err) < 0 ||
            ross_stats_open(&req->daemon->containers, ref, &src, &err) < 0)
                return ross_reply_error(req, &err);
        if (!stream)
                return reply_once(req, src, one_shot);

        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "pipe: %m");
        StatsStream *st = xcalloc(1, sizeof(*st));
        st->src = src;
        st->wfd = p[1];
        pthread_t th;
        if (pthread_create(&th, NULL, stream_thread, st) != 0) {
                close(p[0]);
                close(p[1]);
                free(st);
                return ross_reply_errorf(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no thread");
        }
        pthread_detach(th);
        src = NULL; /* the thread's now */
        return ross_reply_stream(req, p[0], "application/json");
}
