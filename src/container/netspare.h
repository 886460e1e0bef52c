/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "../basic/err.h"

struct RossContainers;

/*
 * Spare endpoints on the default bridge network: network namespaces netavark has already
 * set up (an address, the veth on ross0), made ahead in the background, so that a container
 * that asks for nothing more than the default bridge (no -p, no --ip, no --mac-address)
 * starts without waiting for netavark, as a container without a network does. The default
 * bridge has no DNS by name, so an endpoint does not need to know whose it will be. Taken
 * ones are torn down at the container's exit like any other; a spare is never used twice.
 */

/* Start keeping n spares (a thread); n 0: none. */
void ross_netspares_start(struct RossContainers *c, unsigned n);
/* Stop the thread (daemon shutdown: before the services go); the spares stay. */
void ross_netspares_stop(void);
/* Tear down every spare a former daemon left (at start, before ross_netspares_start). */
void ross_netspares_clean(struct RossContainers *c);

/* A spare's endpoint for container id, its files moved into net_dir (0-start.json,
 * 0-start.status, leases, netns): true when one was there; its lease is the container's. */
typedef struct RossNetSpare {
        char *netns;
        char *ip, *gateway, *mac;
        unsigned prefix;
} RossNetSpare;
bool ross_netspare_take(struct RossContainers *c, const char *id, const char *net_dir,
                        RossNetSpare *ret);
void ross_netspare_free(RossNetSpare *s);
