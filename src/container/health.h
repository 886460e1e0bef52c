/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "../basic/err.h"

struct RossContainers;

/*
 * Healthchecks, as Docker runs them: the image's Healthcheck with the container's fields
 * over it; a probe (an exec in the container, so inside the VM for a VM container) every
 * Interval, failing after Timeout; Retries failures in a row make it unhealthy, failures
 * within StartPeriod do not count. State.Health keeps the status, the failing streak and
 * the last 5 probes; each change of status is a "health_status: ..." event.
 */

/* At create: the healthcheck of the body and image (NULL when there is none, or "NONE"),
 * {"test": [...], "interval", "timeout", "start_period", "start_interval": ns,
 * "retries": n}, the defaults applied; -EINVAL naming what is wrong. */
int ross_health_config(json_t *body, json_t *image_config, json_t **ret, RossError *err);

/* The prober threads: one per running container with a healthcheck. */
void ross_health_start(struct RossContainers *c, const char *id);
/* After each pause and unpause of the container: its prober probes none while it is paused
 * and drops a probe that one came upon. */
void ross_health_paused(const char *id);
/* At each start: back to "starting", no streak, no log. */
void ross_health_reset(struct RossContainers *c, const char *id);
void ross_health_stop_all(void);
/* State.Health for inspect (a new reference), or NULL when the container has none. health is
 * its healthcheck as stored with it ("health" of its stored config; borrowed), or NULL. */
json_t *ross_health_state(struct RossContainers *c, const char *id, json_t *health);
/* "healthy", "unhealthy", "starting", or NULL (no healthcheck): for ps and its filter. */
char *ross_health_status(struct RossContainers *c, const char *id, json_t *health);
