/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Docker's events: what the daemon did to containers, images, networks and volumes. The
 * last ROSS_EVENTS_KEPT are kept in memory for `since`; subscribers read on from a cursor
 * and are woken as events come. Process-wide, as the daemon has one history.
 */
#define ROSS_EVENTS_KEPT 1024

/* type: "container", "image", "network", "volume", "daemon"; action: Docker's ("create",
 * "start", "die", "pull", "connect", ...); actor_id: the object's id (an image's reference
 * for pull and tag, a volume's name); attrs (stolen, may be NULL): Actor.Attributes, an
 * object of strings. */
void ross_event_emit(const char *type, const char *action, const char *actor_id, json_t *attrs);

/* The cursor of the first kept event at or after `since` (Unix seconds); since <= 0: the
 * cursor of the next event to come. */
uint64_t ross_events_cursor(double since);
/*
 * The event at *cursor (a new reference in *ret, the cursor moved past it): 1; 0 when none
 * came within timeout_ms. Events that fell out of the history are skipped.
 */
int ross_events_next(uint64_t *cursor, json_t **ret, int timeout_ms);
