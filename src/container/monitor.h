/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

struct RossContainers;

/* What to do once per exit of a watched container (in the monitor's thread, or in the
 * thread that settles it). */
typedef void (*RossMonitorExitFn)(struct RossContainers *c, const char *id);

/* And once per exec's exit. */
typedef void (*RossMonitorExecExitFn)(struct RossContainers *c, const char *id, const char *eid,
                                      int code);

/* The monitor thread; 0 or -errno. ross_monitor_stop ends it and forgets every watch. */
int ross_monitor_start(struct RossContainers *c, RossMonitorExitFn on_exit,
                       RossMonitorExecExitFn on_exec_exit);
void ross_monitor_stop(void);
/* Watch a container that was just started (or found running at daemon start); an exit
 * that came before the watch is handled at once. */
void ross_monitor_watch(struct RossContainers *c, const char *id);
/* Watch an exec of container id that was just started, until its exit. */
void ross_monitor_watch_exec(struct RossContainers *c, const char *id, const char *eid);
/* The exec's exit, if it has one not handled yet, handled now (its files are to go). */
void ross_monitor_settle_exec(struct RossContainers *c, const char *id, const char *eid);
/* Its exit, if there is one not handled yet, handled now (a stop, a removal that waited
 * for it). */
void ross_monitor_settle(struct RossContainers *c, const char *id);
/* No more watching: the container is removed. */
void ross_monitor_forget(struct RossContainers *c, const char *id);
