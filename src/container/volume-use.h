/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "../basic/err.h"

struct RossContainers;
struct RossContainerConfig;

/* At create: make the volumes the config names that are not there (anonymous ones get their
 * names here), and fill in their sources. *ret_made: the ones this call made, for
 * ross_container_volumes_undo when the create fails after. */
int ross_container_volumes_make(struct RossContainers *c, struct RossContainerConfig *cfg,
                                json_t **ret_made, RossError *err);
void ross_container_volumes_undo(struct RossContainers *c, json_t *made);
/* At start, once the backend has made the root at <dir>/rootfs: copy the image's content
 * into each of its volumes that is empty (not for nocopy). */
int ross_container_volumes_populate(struct RossContainers *c, const char *dir,
                                    const struct RossContainerConfig *cfg, RossError *err);
/* At rm -v, --rm: its anonymous volumes that no other container names. */
void ross_container_volumes_remove_anonymous(struct RossContainers *c, const char *id,
                                             const struct RossContainerConfig *cfg);
/* The ids of the containers (running or not) that name volume `name`. */
json_t *ross_containers_volume_users(struct RossContainers *c, const char *name);
/* Docker's Mounts of inspect and the list: the typed config's binds and volumes, then the
 * tmpfs mounts of HostConfig.Mounts (hc). */
json_t *ross_container_mounts_inspect(const struct RossContainerConfig *cfg, json_t *hc);
