/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/err.h"

struct RossContainers;

/* Should a prune remove this container? summary: its ContainerSummary (State, Created,
 * Labels). */
typedef bool (*RossContainerPrunePick)(void *ud, json_t *summary);

/*
 * Docker's container prune: remove every container that is not running (created or exited;
 * a paused one runs) and that pick (NULL: any) chooses. A container that starts meanwhile
 * is left alone. The report is Docker's {"ContainersDeleted": [ID...], "SpaceReclaimed": N}
 * (N: what the removed containers had written, their SizeRw).
 */
int ross_containers_prune(struct RossContainers *c, RossContainerPrunePick pick, void *ud,
                          json_t **ret_report, RossError *err);
