/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/err.h"

struct RossContainers;
struct RossContainerConfig;

/*
 * A container's networks at run time (the daemon's side; the networks themselves are
 * src/net). At start: the network namespace, addresses, published ports and the
 * container's /etc/hosts and /etc/resolv.conf; netavark then runs in the shim, beside the
 * runtime's create, and the shim tears it all down when the container exits. Files in the
 * container's directory, under net/:
 *   0-start.json   netavark's input for the networks it started with (the shim's setup)
 *   c-NAME.json    one more network joined while it ran (network connect)
 *   *.status       netavark's answer for each: interfaces, MACs, addresses
 *   leases         the address lease files it holds, one path a line
 *   ports.json     Docker's NetworkSettings.Ports as they were published
 * The namespace: <run>/networks/netns/<id>.
 */
typedef struct RossNetPlan {
        char *netns;          /* the namespace to join; NULL: a new one (none) or the host's */
        bool host;            /* the host's network */
        bool setup;           /* netavark's setup is for the shim: net/0-start.json */
        bool ready;           /* ... done already (a spare endpoint, netspare.h) */
        char *hosts, *resolv; /* the container's /etc/hosts and /etc/resolv.conf */
        json_t *hold;         /* ["tcp:0.0.0.0:8080", ...]: host ports the shim holds */
        /* the first network's endpoint (a VM's one NIC): address, gateway, MAC */
        char *ip, *gateway, *mac;
        unsigned prefix;
} RossNetPlan;

void ross_net_plan_free(RossNetPlan *p);

/* Before the backend prepares: what the container's network is, with its addresses
 * leased and its files written. On failure nothing is left. */
int ross_container_net_prepare(struct RossContainers *c, const char *id, const char *name,
                               const struct RossContainerConfig *cfg, const char *hostname,
                               RossNetPlan *ret, RossError *err);
/* A start is over (its shim holds its ports, or it failed): drop the host ports the
 * daemon chose for it from the ones other starts must not choose. */
void ross_container_net_unreserve(const char *id);
/* Undo what a start left when no shim runs for the container (a start that failed, a
 * shim killed, a daemon that was down when it exited): teardown, leases, namespace. */
void ross_container_net_cleanup(struct RossContainers *c, const char *id);
/* At daemon start: clean up after every container whose shim is gone. */
void ross_containers_net_recover(struct RossContainers *c);

/* Inspect's NetworkSettings and the list's NetworkSettings.Networks. */
json_t *ross_container_net_settings(struct RossContainers *c, const char *id, const char *name,
                                    const struct RossContainerConfig *cfg, bool running);
/* The list's Ports: [{IP, PrivatePort, PublicPort, Type}]. */
json_t *ross_container_net_ports_summary(struct RossContainers *c, const char *id,
                                         const struct RossContainerConfig *cfg, bool running);
/* The path of the network namespace the container's networks are in (it need not exist:
 * none, or not running); caller frees. */
char *ross_container_net_namespace(struct RossContainers *c, const char *id);
/* Does the container use this network (by id)? */
bool ross_container_net_uses(const struct RossContainerConfig *cfg, const char *network_name);

/* Docker's Containers of a network: {id: {Name, EndpointID, MacAddress, IPv4Address}}. */
json_t *ross_network_containers(struct RossContainers *c, const json_t *network_def);

/* Network connect and disconnect (endpoint: Docker's EndpointSettings, may be NULL). */
int ross_container_net_connect(struct RossContainers *c, const char *network_ref,
                               const char *container_ref, json_t *endpoint, RossError *err);
int ross_container_net_disconnect(struct RossContainers *c, const char *network_ref,
                                  const char *container_ref, bool force, RossError *err);
