/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Healthchecks (health.h). A prober thread per running container that has one; its state is
 * <dir>/health.json, Docker's State.Health: {"Status", "FailingStreak", "Log": [{"Start",
 * "End", "ExitCode", "Output"}]}.
 */
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "../basic/clock.h"
#include "../basic/human.h"
#include "../basic/fileio.h"
#include "../basic/jsonfile.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "../shim/frame.h"
#include "../shim/shim.h"
#include "../store/db.h"
#include "config.h"
#include "container-events.h"
#include "containers.h"
#include "exec.h"
#include "health.h"

#define NS                     1000000000LL
#define DEFAULT_PERIOD         (30 * NS)
#define DEFAULT_TIMEOUT        (30 * NS)
#define DEFAULT_START_INTERVAL (5 * NS)
#define DEFAULT_RETRIES        3
#define LOG_KEPT               5
#define OUTPUT_MAX             4096
#define MIN2(a, b)             ((a) < (b) ? (a) : (b))

/* ---- the config ---- */

static int duration_field(json_t *h, const char *key, json_int_t *ret, RossError *err)
{
        json_t *v = json_object_get(h, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return ross_errx(err, EINVAL, "Healthcheck %s: a number of nanoseconds is needed",
                                 key);
        json_int_t n = json_integer_value(v);
        if (n != 0 && n < 1000000)
                return ross_errx(err, EINVAL, "%s in Healthcheck cannot be less than 1ms", key);
        *ret = n;
        return 0;
}

int ross_health_config(json_t *body, json_t *image_config, json_t **ret, RossError *err)
{
        json_t *img = json_object_get(json_object_get(image_config, "config"), "Healthcheck");
        json_t *own = json_object_get(body, "Healthcheck");
        if ((own && !json_is_null(own) && !json_is_object(own)))
                return ross_errx(err, EINVAL, "invalid Healthcheck: an object is needed");
        *ret = NULL;
        json_t *test = json_object_get(own, "Test");
        if (json_array_size(test) == 0)
                test = json_object_get(img, "Test");
        if (json_array_size(test) == 0)
                return 0;
        const char *kind = json_string_value(json_array_get(test, 0));
        if (!kind)
                return ross_errx(err, EINVAL, "invalid Healthcheck Test: strings are needed");
        if (STREQ(kind, "NONE"))
                return 0;
        json_t *v;
        size_t i;
        json_array_foreach (test, i, v)
                if (!json_is_string(v))
                        return ross_errx(err, EINVAL,
                                         "invalid Healthcheck Test: strings are needed");
        if (!STREQ(kind, "CMD") && !STREQ(kind, "CMD-SHELL"))
                return ross_errx(err, EINVAL,
                                 "invalid Healthcheck Test: it begins with CMD, CMD-SHELL or "
                                 "NONE, not '%s'",
                                 kind);
        if (json_array_size(test) < 2 || (STREQ(kind, "CMD-SHELL") && json_array_size(test) != 2))
                return ross_errx(err, EINVAL,
                                 "invalid Healthcheck Test: CMD needs a command, CMD-SHELL one "
                                 "string");
        /* each field: the container's when given (not 0), else the image's, else Docker's
         * default */
        json_int_t f[4] = {0, 0, 0, 0};
        static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
        static const json_int_t defaults[] = {DEFAULT_PERIOD, DEFAULT_TIMEOUT, 0,
                                              DEFAULT_START_INTERVAL};
        for (size_t k = 0; k < 4; k++) {
                json_int_t a = 0, b = 0;
                int r;
                if ((r = duration_field(own, keys[k], &a, err)) < 0 ||
                    (r = duration_field(img, keys[k], &b, err)) < 0)
                        return r;
                f[k] = a ? a : b ? b : defaults[k];
        }
        json_int_t retries = 0;
        json_t *ro = json_object_get(own, "Retries"), *ri = json_object_get(img, "Retries");
        if ((ro && !json_is_null(ro) && !json_is_integer(ro)) || json_integer_value(ro) < 0)
                return ross_errx(err, EINVAL, "Retries in Healthcheck cannot be negative");
        retries = json_integer_value(ro) ? json_integer_value(ro) : json_integer_value(ri);
        if (retries <= 0 || retries > 1000000)
                retries = DEFAULT_RETRIES;
        *ret = json_pack("{s:O, s:I, s:I, s:I, s:I, s:I}", "test", test, "interval", f[0],
                         "timeout", f[1], "start_period", f[2], "start_interval", f[3], "retries",
                         retries);
        return 0;
}

/* ---- the state file ---- */

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

static json_t *read_state(RossContainers *c, const char *id)
{
        _cleanup_free_ char *p = ross_containers_path(c, id, "health.json");
        return ross_read_json(p, ROSS_STATE_JSON_MAX);
}

static void write_state(RossContainers *c, const char *id, json_t *st)
{
        _cleanup_free_ char *p = ross_containers_path(c, id, "health.json");
        _cleanup_free_ char *text = json_dumps(st, JSON_COMPACT);
        (void)ross_write_file_replace(p, text, strlen(text), 0600, NULL);
}

static json_t *health_of(RossContainers *c, const char *id)
{
        _cleanup_(json_decrefp) json_t *row = NULL;
        if (ross_db_container_get(c->db, id, &row) < 0)
                return NULL;
        json_t *h = json_object_get(json_object_get(json_object_get(row, "Config"), "RossConfig"),
                                    "health");
        return json_is_object(h) ? json_incref(h) : NULL;
}

json_t *ross_health_state(RossContainers *c, const char *id, json_t *health)
{
        if (!json_is_object(health))
                return NULL;
        pthread_mutex_lock(&state_lock);
        json_t *st = read_state(c, id);
        pthread_mutex_unlock(&state_lock);
        if (!st)
                st = json_pack("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
        return st;
}

char *ross_health_status(RossContainers *c, const char *id, json_t *health)
{
        json_auto_t *st = ross_health_state(c, id, health);
        const char *s = json_string_value(json_object_get(st, "Status"));
        return s ? xstrdup(s) : NULL;
}

/* ---- a probe ---- */

static void rfc3339_now(char *buf, size_t n)
{
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        struct tm tm;
        gmtime_r(&t.tv_sec, &tm);
        char base[32];
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, n, "%s.%09ldZ", base, t.tv_nsec);
}

/* Run the test as an exec; its exit code (-1: it timed out or could not run) and output. */
static int probe(RossContainers *c, const char *id, json_t *h, RossBuf *out)
{
        json_t *test = json_object_get(h, "test");
        const char *kind = json_string_value(json_array_get(test, 0));
        json_t *cmd = json_array();
        if (STREQ(kind, "CMD-SHELL")) {
                json_array_append_new(cmd, json_string("/bin/sh"));
                json_array_append_new(cmd, json_string("-c"));
                json_array_append(cmd, json_array_get(test, 1));
        } else
                for (size_t i = 1; i < json_array_size(test); i++)
                        json_array_append(cmd, json_array_get(test, i));
        json_auto_t *body =
                json_pack("{s:o, s:b, s:b}", "Cmd", cmd, "AttachStdout", 1, "AttachStderr", 1);
        RossError err = {};
        _cleanup_free_ char *eid = NULL;
        int status = 0;
        if (ross_exec_create(c, id, body, &eid, &err) < 0) {
                ross_buf_printf(out, "%s", err.msg);
                return -1;
        }
        int code = -1;
        if (ross_exec_start(c, eid, true, &status, &err) < 0) {
                ross_buf_printf(out, "%s", err.msg);
                ross_exec_forget(c, eid);
                return status ? status : -1;
        }
        _cleanup_close_ int fd = ross_exec_attach_connect(c, eid, &err);
        long deadline =
                ross_now_ms() + (long)(json_integer_value(json_object_get(h, "timeout")) / 1000000);
        bool timed_out = false;
        _cleanup_(ross_buf_free) RossBuf in = {};
        while (fd >= 0) {
                long left = deadline - ross_now_ms();
                if (left <= 0) {
                        timed_out = true;
                        break;
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, (int)MIN2(left, 1000L)) <= 0)
                        continue;
                char buf[8192];
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                ross_buf_append(&in, buf, (size_t)n);
                /* frames: 8-byte header, then the payload */
                while (in.len >= 8) {
                        const unsigned char *hd = (const unsigned char *)in.data;
                        size_t len = ((size_t)hd[4] << 24) | ((size_t)hd[5] << 16) |
                                     ((size_t)hd[6] << 8) | hd[7];
                        if (in.len < 8 + len)
                                break;
                        if ((hd[0] == ROSS_FRAME_STDOUT || hd[0] == ROSS_FRAME_STDERR) &&
                            out->len < OUTPUT_MAX)
                                ross_buf_append(out, in.data + 8, MIN2(len, OUTPUT_MAX - out->len));
                        memmove(in.data, in.data + 8 + len, in.len - 8 - len);
                        in.len -= 8 + len;
                }
        }
        if (timed_out) {
                (void)ross_exec_kill(c, eid);
                out->len = 0;
                char took[64];
                ross_go_duration(json_integer_value(json_object_get(h, "timeout")), took,
                                 sizeof(took));
                /* Docker's words, the timeout as Go writes a duration */
                ross_buf_printf(out, "Health check exceeded timeout (%s)", took);
        } else {
                /* its exit code, once its shim has written it */
                for (int i = 0; i < 200; i++) {
                        json_auto_t *ins = NULL;
                        if (ross_exec_inspect(c, eid, &ins, NULL) == 0 &&
                            json_is_integer(json_object_get(ins, "ExitCode"))) {
                                code = (int)json_integer_value(json_object_get(ins, "ExitCode"));
                                break;
                        }
                        usleep(10000);
                }
        }
        ross_exec_forget(c, eid);
        return code;
}

/* ---- the prober threads ---- */

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond; /* stop_all wakes them; the last one leaving wakes stop_all */
        bool stopping;
        unsigned live;
        json_t *ids; /* containers with a prober -> how often it was paused or unpaused */
} pr = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

typedef struct Prober {
        RossContainers *c;
        char id[65];
} Prober;

/* Sleep ms unless stopping; false when stopping. */
static bool nap(long ms)
{
        struct timespec until;
        ross_deadline_in_ms(ms, &until);
        pthread_mutex_lock(&pr.lock);
        while (!pr.stopping && pthread_cond_timedwait(&pr.cond, &pr.lock, &until) == 0)
                ;
        bool go = !pr.stopping;
        pthread_mutex_unlock(&pr.lock);
        return go;
}

static void record(RossContainers *c, const char *id, json_t *h, int code, RossBuf *out,
                   const char *start, bool in_start_period)
{
        char end[48];
        rfc3339_now(end, sizeof(end));
        /* the output as text JSON can carry: ASCII, newlines and tabs kept */
        for (size_t i = 0; i < out->len; i++) {
                unsigned char ch = (unsigned char)out->data[i];
                if (ch >= 0x80 || (ch < 0x20 && ch != '\n' && ch != '\t'))
                        out->data[i] = '?';
        }
        pthread_mutex_lock(&state_lock);
        json_auto_t *st = read_state(c, id);
        if (!st)
                st = json_pack("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
        _cleanup_free_ char *old = xstrdup(json_string_value(json_object_get(st, "Status")) ?: "");
        json_t *log = json_object_get(st, "Log");
        if (!json_is_array(log))
                json_object_set_new(st, "Log", log = json_array());
        json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s%}", "Start", start, "End", end,
                                             "ExitCode", code, "Output", out->data ? out->data : "",
                                             out->len));
        while (json_array_size(log) > LOG_KEPT)
                json_array_remove(log, 0);
        json_int_t streak = json_integer_value(json_object_get(st, "FailingStreak"));
        if (code == 0) {
                streak = 0;
                json_object_set_new(st, "Status", json_string("healthy"));
        } else if (!(in_start_period && STREQ(old, "starting"))) {
                /* failures in the start period do not count */
                streak++;
                if (streak >= json_integer_value(json_object_get(h, "retries")))
                        json_object_set_new(st, "Status", json_string("unhealthy"));
        }
        json_object_set_new(st, "FailingStreak", json_integer(streak));
        write_state(c, id, st);
        const char *now = json_string_value(json_object_get(st, "Status"));
        _cleanup_free_ char *changed = STREQ(old, now) ? NULL : xasprintf("health_status: %s", now);
        pthread_mutex_unlock(&state_lock);
        if (changed)
                ross_container_event(c, id, changed, NULL);
}

/* How often the container was paused or unpaused while its prober ran. */
static json_int_t pauses(const char *id)
{
        pthread_mutex_lock(&pr.lock);
        json_int_t n = json_integer_value(json_object_get(pr.ids, id));
        pthread_mutex_unlock(&pr.lock);
        return n;
}

void ross_health_paused(const char *id)
{
        pthread_mutex_lock(&pr.lock);
        json_t *n = json_object_get(pr.ids, id);
        if (n)
                json_integer_set(n, json_integer_value(n) + 1);
        pthread_mutex_unlock(&pr.lock);
}

static void *prober_thread(void *ud)
{
        Prober *p = ud;
        RossContainers *c = p->c;
        long started = ross_now_ms();
        json_t *h = health_of(c, p->id);
        while (h && ross_containers_running(c, p->id)) {
                long period =
                        (long)(json_integer_value(json_object_get(h, "start_period")) / 1000000);
                bool in_start = ross_now_ms() - started < period;
                long every = (long)(json_integer_value(json_object_get(
                                            h, in_start ? "start_interval" : "interval")) /
                                    1000000);
                if (!nap(every > 0 ? every : 1000) || !ross_containers_running(c, p->id))
                        break;
                /* no probe of a paused container, and none that a pause or unpause came
                 * upon counts (Docker stops its monitor while paused) */
                json_int_t before = pauses(p->id);
                if (ross_containers_paused(c, p->id))
                        continue;
                char start[48];
                rfc3339_now(start, sizeof(start));
                _cleanup_(ross_buf_free) RossBuf out = {};
                int code = probe(c, p->id, h, &out);
                if (!ross_containers_running(c, p->id))
                        break;
                if (pauses(p->id) != before || ross_containers_paused(c, p->id))
                        continue;
                in_start = ross_now_ms() - started < period;
                record(c, p->id, h, code, &out, start, in_start);
        }
        json_decref(h);
        pthread_mutex_lock(&pr.lock);
        json_object_del(pr.ids, p->id);
        pr.live--;
        pthread_cond_broadcast(&pr.cond);
        pthread_mutex_unlock(&pr.lock);
        free(p);
        return NULL;
}

void ross_health_start(RossContainers *c, const char *id)
{
        json_auto_t *h = health_of(c, id);
        if (!h)
                return;
        pthread_mutex_lock(&pr.lock);
        if (!pr.ids)
                pr.ids = json_object();
        bool have = json_object_get(pr.ids, id) != NULL;
        if (!have && !pr.stopping) {
                Prober *p = xcalloc(1, sizeof(*p));
                p->c = c;
                snprintf(p->id, sizeof(p->id), "%s", id);
                pthread_t th;
                if (pthread_create(&th, NULL, prober_thread, p) == 0) {
                        pthread_detach(th);
                        json_object_set_new(pr.ids, id, json_integer(0));
                        pr.live++;
                } else {
                        free(p);
                }
        }
        pthread_mutex_unlock(&pr.lock);
}

void ross_health_reset(RossContainers *c, const char *id)
{
        json_auto_t *h = health_of(c, id);
        if (!h)
                return;
        pthread_mutex_lock(&state_lock);
        json_auto_t *st =
                json_pack("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
        write_state(c, id, st);
        pthread_mutex_unlock(&state_lock);
}

void ross_health_stop_all(void)
{
        pthread_mutex_lock(&pr.lock);
        pr.stopping = true;
        pthread_cond_broadcast(&pr.cond);
        while (pr.live > 0)
                pthread_cond_wait(&pr.cond, &pr.lock);
        json_decref(pr.ids);
        pr.ids = NULL;
        pr.stopping = false;
        pthread_mutex_unlock(&pr.lock);
}
