/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

struct RossContainers;

/* Emit a container event (src/event/events.h): Actor.ID the container's id, Attributes its
 * name, image and labels, and extra's keys (stolen, may be NULL: "exitCode", "signal"...). */
void ross_container_event(struct RossContainers *c, const char *id, const char *action,
                          json_t *extra);
