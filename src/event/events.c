/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "../basic/clock.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "events.h"

/* A ring of the last events; seq counts every event ever emitted, slot = seq % KEPT. */
static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        uint64_t next; /* the seq of the next event */
        json_t *ring[ROSS_EVENTS_KEPT];
} bus = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

void ross_event_emit(const char *type, const char *action, const char *actor_id, json_t *attrs)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        json_t *a = json_is_object(attrs) ? attrs : json_object();
        if (attrs && a != attrs)
                json_decref(attrs);
        /* Docker's shape; status/id/from are the older fields some clients still read */
        json_t *e = json_pack("{s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "Type", type, "Action",
                              action, "Actor", "ID", actor_id ? actor_id : "", "Attributes", a,
                              "scope", "local", "time", (json_int_t)now.tv_sec, "timeNano",
                              (json_int_t)now.tv_sec * 1000000000 + now.tv_nsec);
        if (STREQ(type, "container") || STREQ(type, "image")) {
                json_object_set_new(e, "status", json_string(action));
                json_object_set_new(e, "id", json_string(actor_id ? actor_id : ""));
                const char *from = json_string_value(json_object_get(a, "image"));
                if (STREQ(type, "container") && from)
                        json_object_set_new(e, "from", json_string(from));
        }
        log_debug("event: %s %s %s", type, action, actor_id ? actor_id : "");
        pthread_mutex_lock(&bus.lock);
        json_t **slot = &bus.ring[bus.next % ROSS_EVENTS_KEPT];
        json_decref(*slot);
        *slot = e;
        bus.next++;
        pthread_cond_broadcast(&bus.cond);
        pthread_mutex_unlock(&bus.lock);
}

static uint64_t oldest(void)
{
        return bus.next > ROSS_EVENTS_KEPT ? bus.next - ROSS_EVENTS_KEPT : 0;
}

static double time_of(json_t *e)
{
        return (double)json_integer_value(json_object_get(e, "timeNano")) / 1e9;
}

uint64_t ross_events_cursor(double since)
{
        pthread_mutex_lock(&bus.lock);
        uint64_t c = bus.next;
        if (since > 0)
                for (uint64_t s = oldest(); s < bus.next; s++)
                        if (time_of(bus.ring[s % ROSS_EVENTS_KEPT]) >= since) {
                                c = s;
                                break;
                        }
        pthread_mutex_unlock(&bus.lock);
        return c;
}

int ross_events_next(uint64_t *cursor, json_t **ret, int timeout_ms)
{
        struct timespec until;
        ross_deadline_in_ms(timeout_ms, &until);
        pthread_mutex_lock(&bus.lock);
        int r = 0;
        for (;;) {
                if (*cursor < oldest())
                        *cursor = oldest();
                if (*cursor < bus.next) {
                        *ret = json_incref(bus.ring[*cursor % ROSS_EVENTS_KEPT]);
                        (*cursor)++;
                        r = 1;
                        break;
                }
                if (pthread_cond_timedwait(&bus.cond, &bus.lock, &until) != 0)
                        break;
        }
        pthread_mutex_unlock(&bus.lock);
        return r;
}
