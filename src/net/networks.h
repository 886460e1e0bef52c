/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"
#include "subnet.h"

/*
 * The networks: Docker's model, kept the way netavark reads it. Each network is one file,
 * <data>/networks/<id>.json, holding netavark's network definition (name, id, driver,
 * network_interface, subnets, internal, dns_enabled, options) and, under "ross", what only
 * Ross and Docker's API need (created, labels, the user's options, the IP range).
 * The predefined networks are "bridge" (Docker's default bridge: no DNS by name),
 * "host" and "none"; the last two are only names here (drivers "host" and "null").
 *
 * Containers' addresses are leases, one file each: <run>/networks/ipam/<network id>/<ip>,
 * holding the container's id, made with O_EXCL (so two starts never get one address) and
 * removed when the container's network is torn down. A network with a lease has active
 * endpoints.
 */
typedef struct RossNetworks {
        char *dir;           /* <data>/networks */
        char *run_dir;       /* <run>/networks: netavark's --config; ipam/; netns/ */
        char *netavark;      /* the program, or NULL: not found */
        char *aardvark;      /* aardvark-dns, or NULL */
        char *unusable;      /* why bridge networks cannot work here, or NULL */
        char *bridge_subnet; /* the default bridge's subnet (--bridge-subnet) */
        pthread_mutex_t lock;
        uint64_t gen; /* ross_networks_generation */
} RossNetworks;

/* Find netavark and aardvark-dns (netavark: a path, or NULL for the usual places), make the
 * directories and the predefined networks. Without netavark bridge networks are unusable
 * (containers with --network none or host still run). */
int ross_networks_init(RossNetworks *n, const char *data_dir, const char *run_dir,
                       const char *netavark, const char *bridge_subnet, RossError *err);
void ross_networks_done(RossNetworks *n);

/* A network by full id, name, or a unique id prefix (as Docker resolves them); -ENOENT
 * "network X not found". *ret: its stored definition. */
int ross_network_find(RossNetworks *n, const char *ref, json_t **ret, RossError *err);
/* Docker's NetworkCreateRequest; *ret_id the new network's id. */
int ross_network_create(RossNetworks *n, json_t *body, char **ret_id, RossError *err);
/* Remove (-EBUSY with Docker's words while a container is on it; -EPERM for the predefined
 * ones). */
int ross_network_remove(RossNetworks *n, const char *ref, RossError *err);
/* Every network's definition, oldest first. */
json_t *ross_networks_all(RossNetworks *n);
/* A number that grows each time a definition is written or removed (this daemon is their
 * only writer): what ross_network_find answers has not changed while it stays. */
uint64_t ross_networks_generation(RossNetworks *n);
/* Docker's Network object (without Containers, which the caller fills). */
json_t *ross_network_docker(const json_t *def);

/* The definition's parts. */
const char *ross_network_name(const json_t *def);
const char *ross_network_id(const json_t *def);
const char *ross_network_driver(const json_t *def);
bool ross_network_predefined(const json_t *def);
/* A bridge network (what netavark sets up): not host or none. */
bool ross_network_is_bridge(const json_t *def);
/* Its first subnet and gateway; -ENOENT when it has none. */
int ross_network_subnet(const json_t *def, RossSubnet *ret_subnet, uint32_t *ret_gateway);
/* netavark's network_info entry for it (the definition without "ross"). */
json_t *ross_network_netavark(const json_t *def);

/* ---- keepers (keeper.c) ---- */

/* The lease holder a keeper's address is leased to. */
#define ROSS_NETWORK_KEEPER "keeper"
/* Set up the network's keeper endpoint unless it has one (before its first container's
 * setup), so that its bridge stays up while the network exists; and tear it down (network
 * removal). */
int ross_network_keeper_ensure(RossNetworks *n, const json_t *def, RossError *err);
void ross_network_keeper_remove(RossNetworks *n, const json_t *def);
/* For network removal: no keeper is made while the lock is held (a start at that moment
 * would leave one for a network that is gone); remove_held: the removal, lock held. */
void ross_network_keeper_lock(void);
void ross_network_keeper_unlock(void);
void ross_network_keeper_remove_held(RossNetworks *n, const json_t *def);

/* ---- leases ---- */

/* An address on the network for container cid: want (a static --ip, 0 for any) or the next
 * free one. -EEXIST "Address already in use" when want is taken; -ENOSPC when none is free;
 * -EINVAL when want is not in the network's subnet. *ret_path: the lease file. */
int ross_network_lease(RossNetworks *n, const json_t *def, const char *cid, uint32_t want,
                       uint32_t *ret_addr, char **ret_path, RossError *err);
/* The leases of a network: [{"ip", "container"}]. */
json_t *ross_network_leases(RossNetworks *n, const char *network_id);
/* The container ids holding leases on any network. */
json_t *ross_network_lease_holders(RossNetworks *n);
/* Drop every lease of container cid (on every network). */
void ross_network_release_all(RossNetworks *n, const char *cid);
