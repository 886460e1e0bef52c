/* SPDX-License-Identifier: Apache-2.0 */
/*
 * After an exit: the die event, and the restart policy. always and unless-stopped restart
 * a container unless a user stopped it; on-failure when it failed, up to its count. The
 * delay is Docker's: 100 ms, doubled at each restart, at most a minute, back to 100 ms once
 * a run lasted 10 s. A scheduler thread starts the containers whose time has come; a
 * container waiting is "restarting". At daemon start the containers that should be up
 * (always, unless-stopped not stopped by a user, and any policy's container that was
 * running when the host went down) are started again.
 *
 * Per container, <dir>/restart.json: {"count": restarts since the last start by a user,
 * "manual": stopped by a user, "delay_ms": the next delay}.
 */
#include <limits.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "../basic/clock.h"
#include "../basic/fileio.h"
#include "../basic/jsonfile.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "../event/events.h"
#include "../store/db.h"
#include "config.h"
#include "container-events.h"
#include "containers.h"
#include "restart.h"

#define DELAY_FIRST_MS 100
#define DELAY_MAX_MS   60000
#define RESET_AFTER_S  10
/* a restart scheduled but held (its time not set yet): pending, never due, until
 * release() gives it its delay */
#define HELD LONG_MAX

typedef struct Pending {
        char id[65];
        long due_ms; /* CLOCK_MONOTONIC */
        struct Pending *next;
} Pending;

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        pthread_t th;
        bool running, stopping;
        Pending *pending;
        /* the container the thread is starting now: still "restarting" until it runs */
        char starting[65];
        RossContainers *c;
} rs = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static json_t *state_of(RossContainers *c, const char *id)
{
        _cleanup_free_ char *p = ross_containers_path(c, id, "restart.json");
        json_t *j = ross_read_json(p, ROSS_STATE_JSON_MAX);
        if (!json_is_object(j)) {
                json_decref(j);
                j = json_pack("{s:i, s:b, s:i}", "count", 0, "manual", 0, "delay_ms", 0);
        }
        return j;
}

static void state_store(RossContainers *c, const char *id, json_t *j)
{
        _cleanup_free_ char *p = ross_containers_path(c, id, "restart.json");
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
        (void)ross_write_file_replace(p, text, strlen(text), 0600, NULL);
}

int ross_restart_count(RossContainers *c, const char *id)
{
        json_auto_t *j = state_of(c, id);
        return (int)json_integer_value(json_object_get(j, "count"));
}

bool ross_restart_pending(RossContainers *c, const char *id)
{
        pthread_mutex_lock(&rs.lock);
        bool found = STREQ(rs.starting, id);
        for (Pending *p = rs.pending; p && !found; p = p->next)
                found = STREQ(p->id, id);
        pthread_mutex_unlock(&rs.lock);
        return found;
}

static void cancel(const char *id)
{
        pthread_mutex_lock(&rs.lock);
        for (Pending **pp = &rs.pending; *pp; pp = &(*pp)->next) {
                if (STREQ((*pp)->id, id)) {
                        Pending *p = *pp;
                        *pp = p->next;
                        free(p);
                        break;
                }
        }
        pthread_mutex_unlock(&rs.lock);
}

void ross_restart_user_stop(RossContainers *c, const char *id)
{
        cancel(id);
        json_auto_t *j = state_of(c, id);
        json_object_set_new(j, "manual", json_true());
        state_store(c, id, j);
}

void ross_restart_user_start(RossContainers *c, const char *id)
{
        cancel(id);
        json_auto_t *j = json_pack("{s:i, s:b, s:i}", "count", 0, "manual", 0, "delay_ms", 0);
        state_store(c, id, j);
}

void ross_restart_forget(RossContainers *c, const char *id)
{
        cancel(id);
}

static void schedule(const char *id, long delay_ms)
{
        Pending *p = xcalloc(1, sizeof(*p));
        snprintf(p->id, sizeof(p->id), "%s", id);
        p->due_ms = delay_ms == HELD ? HELD : ross_now_ms() + delay_ms;
        pthread_mutex_lock(&rs.lock);
        p->next = rs.pending;
        rs.pending = p;
        pthread_cond_broadcast(&rs.cond);
        pthread_mutex_unlock(&rs.lock);
}

/* Give a held restart of id its delay from now; nothing when it was cancelled meanwhile. */
static void release(const char *id, long delay_ms)
{
        pthread_mutex_lock(&rs.lock);
        for (Pending *p = rs.pending; p; p = p->next)
                if (STREQ(p->id, id) && p->due_ms == HELD) {
                        p->due_ms = ross_now_ms() + delay_ms;
                        break;
                }
        pthread_cond_broadcast(&rs.cond);
        pthread_mutex_unlock(&rs.lock);
}

/* Does the policy bring it back after this exit? */
static bool wants_restart(const RossContainerConfig *cfg, json_t *st, int code)
{
        const char *p = cfg->restart ? cfg->restart : "no";
        if (json_is_true(json_object_get(st, "manual")))
                return false;
        if (STREQ(p, "always") || STREQ(p, "unless-stopped"))
                return true;
        if (STREQ(p, "on-failure"))
                return code != 0 &&
                       (cfg->restart_max == 0 ||
                        json_integer_value(json_object_get(st, "count")) < cfg->restart_max);
        return false;
}

/* How long its last run lasted, in seconds (from its start and exit files). */
static double ran_for(RossContainers *c, const char *id)
{
        _cleanup_free_ char *sp = ross_containers_path(c, id, "started");
        _cleanup_free_ char *ep = ross_containers_path(c, id, "exit.json");
        struct stat s, e;
        if (stat(sp, &s) < 0 || stat(ep, &e) < 0)
                return 0;
        return (double)(e.st_mtim.tv_sec - s.st_mtim.tv_sec) +
               (double)(e.st_mtim.tv_nsec - s.st_mtim.tv_nsec) / 1e9;
}

/* Its last exit code (-1: none recorded); *ret_oom (may be NULL): whether the shim saw the
 * kernel's OOM killer end it. */
static int exit_code(RossContainers *c, const char *id, bool *ret_oom)
{
        _cleanup_free_ char *ep = ross_containers_path(c, id, "exit.json");
        json_auto_t *j = ross_read_json(ep, ROSS_STATE_JSON_MAX);
        if (ret_oom)
                *ret_oom = json_is_true(json_object_get(j, "OOMKilled"));
        return j ? (int)json_integer_value(json_object_get(j, "ExitCode")) : -1;
}

void ross_container_exited(RossContainers *c, const char *id)
{
        bool oom;
        int code = exit_code(c, id, &oom);
        char codes[16];
        snprintf(codes, sizeof(codes), "%d", code);
        char took[32];
        double ran = ran_for(c, id);
        snprintf(took, sizeof(took), "%.0f", ran);
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        bool have_cfg = ross_containers_config_load(c, id, &row, &cfg, NULL) == 0;
        json_auto_t *st = state_of(c, id);
        /* Docker's order: the container is "restarting" before its die event is out, so a
         * client that inspects it on that event sees where it is going; its restart is held
         * until the events of this exit are out, so that its start comes after them */
        long delay = -1;
        if (have_cfg && wants_restart(&cfg, st, code)) {
                delay = (long)json_integer_value(json_object_get(st, "delay_ms"));
                if (delay <= 0 || ran >= RESET_AFTER_S)
                        delay = DELAY_FIRST_MS;
                json_object_set_new(
                        st, "delay_ms",
                        json_integer((delay * 2 < DELAY_MAX_MS ? delay * 2 : DELAY_MAX_MS)));
                state_store(c, id, st);
                log_debug("container %.12s exited %d: restart in %ld ms (policy %s)", id, code,
                          delay, cfg.restart);
                schedule(id, HELD);
        }
        /* Docker's oom comes before the die it caused */
        if (oom)
                ross_container_event(c, id, "oom", NULL);
        ross_container_event(c, id, "die",
                             json_pack("{s:s, s:s}", "exitCode", codes, "execDuration", took));
        if (!have_cfg)
                return;
        json_t *b;
        size_t i;
        json_array_foreach (cfg.binds, i, b) {
                const char *vol = json_string_value(json_object_get(b, "volume"));
                if (vol)
                        ross_event_emit(
                                "volume", "unmount", vol,
                                json_pack("{s:s, s:s}", "driver", "local", "container", id));
        }
        if (delay >= 0)
                release(id, delay);
}

static void restart_now(RossContainers *c, const char *id)
{
        json_auto_t *st = state_of(c, id);
        if (json_is_true(json_object_get(st, "manual")) || ross_containers_running(c, id))
                return;
        json_object_set_new(st, "count",
                            json_integer(json_integer_value(json_object_get(st, "count")) + 1));
        state_store(c, id, st);
        RossError err = {};
        int status = 0;
        if (ross_containers_start_policy(c, id, &status, &err) < 0) {
                log_warn("restart of container %.12s failed: %s", id, err.msg);
                /* counted as a run that failed at once: tried again as the policy says */
                _cleanup_(json_decrefp) json_t *row = NULL;
                _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
                if (ross_containers_config_load(c, id, &row, &cfg, NULL) == 0 &&
                    wants_restart(&cfg, st, 1)) {
                        long delay = (long)json_integer_value(json_object_get(st, "delay_ms"));
                        delay = delay > 0 ? delay : DELAY_FIRST_MS;
                        json_object_set_new(
                                st, "delay_ms",
                                json_integer(
                                        (delay * 2 < DELAY_MAX_MS ? delay * 2 : DELAY_MAX_MS)));
                        state_store(c, id, st);
                        schedule(id, delay);
                }
                return;
        }
        ross_container_event(c, id, "restart", NULL);
}

static void *restart_thread(void *ud)
{
        pthread_mutex_lock(&rs.lock);
        while (!rs.stopping) {
                long now = ross_now_ms(), next = -1;
                Pending *due = NULL;
                for (Pending **pp = &rs.pending; *pp; pp = &(*pp)->next) {
                        if ((*pp)->due_ms <= now) {
                                due = *pp;
                                *pp = due->next;
                                break;
                        }
                        if (next < 0 || (*pp)->due_ms < next)
                                next = (*pp)->due_ms;
                }
                if (due) {
                        char id[65];
                        snprintf(id, sizeof(id), "%s", due->id);
                        snprintf(rs.starting, sizeof(rs.starting), "%s", due->id);
                        free(due);
                        pthread_mutex_unlock(&rs.lock);
                        restart_now(rs.c, id);
                        pthread_mutex_lock(&rs.lock);
                        rs.starting[0] = '\0';
                        continue;
                }
                struct timespec until;
                /* at most an hour: a held restart has no time yet */
                ross_deadline_in_ms(next < 0 || next - now > 3600000 ? 3600000 : next - now,
                                    &until);
                pthread_cond_timedwait(&rs.cond, &rs.lock, &until);
        }
        pthread_mutex_unlock(&rs.lock);
        return NULL;
}

int ross_restart_start(RossContainers *c)
{
        rs.c = c;
        rs.stopping = false;
        if (pthread_create(&rs.th, NULL, restart_thread, NULL) != 0)
                return -EAGAIN;
        rs.running = true;
        return 0;
}

void ross_restart_stop(void)
{
        if (!rs.running)
                return;
        pthread_mutex_lock(&rs.lock);
        rs.stopping = true;
        pthread_cond_broadcast(&rs.cond);
        pthread_mutex_unlock(&rs.lock);
        pthread_join(rs.th, NULL);
        rs.running = false;
        while (rs.pending) {
                Pending *p = rs.pending;
                rs.pending = p->next;
                free(p);
        }
}

void ross_restart_at_daemon_start(RossContainers *c)
{
        _cleanup_(json_decrefp) json_t *rows = NULL;
        if (ross_db_container_list(c->db, &rows, NULL) < 0)
                return;
        json_t *row;
        size_t i;
        json_array_foreach (rows, i, row) {
                const char *id = json_string_value(json_object_get(row, "Id"));
                if (!id || ross_containers_running(c, id))
                        continue;
                _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
                _cleanup_(json_decrefp) json_t *r2 = NULL;
                if (ross_containers_config_load(c, id, &r2, &cfg, NULL) < 0 || !cfg.restart ||
                    STREQ(cfg.restart, "no"))
                        continue;
                _cleanup_free_ char *sp = ross_containers_path(c, id, "started");
                if (access(sp, F_OK) < 0)
                        continue; /* never started: created only */
                json_auto_t *st = state_of(c, id);
                /* always comes back at daemon start even after a stop by a user (Docker's
                 * rule); the others do not */
                if (json_is_true(json_object_get(st, "manual"))) {
                        if (!STREQ(cfg.restart, "always"))
                                continue;
                        json_object_set_new(st, "manual", json_false());
                        state_store(c, id, st);
                }
                _cleanup_free_ char *ep = ross_containers_path(c, id, "exit.json");
                bool exited_cleanly_on_its_own = access(ep, F_OK) == 0;
                /* always and unless-stopped come back; on-failure if it was running when
                 * the host went down (no exit recorded) or its last exit is a failure the
                 * count allows */
                if (STREQ(cfg.restart, "on-failure") && exited_cleanly_on_its_own &&
                    !wants_restart(&cfg, st, exit_code(c, id, NULL)))
                        continue;
                log_info("container %.12s: started again (restart policy %s)", id, cfg.restart);
                schedule(id, 0);
        }
}
