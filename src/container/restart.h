/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

struct RossContainers;

/* The scheduler thread of restarts; ross_restart_stop cancels what is pending. */
int ross_restart_start(struct RossContainers *c);
void ross_restart_stop(void);
/* The monitor's handler of an exit (monitor.h): the die event, the restart policy. */
void ross_container_exited(struct RossContainers *c, const char *id);
/* At daemon start: schedule the containers that should be up and are not. */
void ross_restart_at_daemon_start(struct RossContainers *c);
/* A user's stop (or a kill that ends it): no restart until a user starts it again. */
void ross_restart_user_stop(struct RossContainers *c, const char *id);
/* A user's start: the count starts again from 0. */
void ross_restart_user_start(struct RossContainers *c, const char *id);
/* The container is removed: nothing pending for it. */
void ross_restart_forget(struct RossContainers *c, const char *id);
/* Restarts since a user last started it (inspect's RestartCount); whether one is waiting
 * (State.Restarting). */
int ross_restart_count(struct RossContainers *c, const char *id);
bool ross_restart_pending(struct RossContainers *c, const char *id);
