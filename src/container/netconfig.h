/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/err.h"

/*
 * A container's network settings from Docker's ContainerCreate body, checked once at
 * create (part of the typed config, config.h):
 *  - mode: "none", "host", "bridge", "container:<name or id>", or a user network's name
 *    (NetworkMode; "default" and none given are "bridge");
 *  - endpoints: the networks it joins, mode's first, each {"aliases": [..], "ip": "a.b.c.d"
 *    or "", "mac": "" }, from NetworkingConfig.EndpointsConfig (and network connect);
 *  - ports: PortBindings, each {"host_ip", "host_port" (0: a free one), "host_port_end"
 *    (a host range for one container port, else host_port), "port", "proto"};
 *  - exposed: the image's and the container's ExposedPorts, "80/tcp"; publish_all (-P);
 *  - dns, dns_search, dns_options, extra_hosts ("name:ip"), mac, domainname.
 */
typedef struct RossNetConfig {
        char *mode;
        json_t *endpoints;
        json_t *ports;
        json_t *exposed;
        bool publish_all;
        json_t *dns, *dns_search, *dns_options, *extra_hosts;
        char *mac, *domainname;
} RossNetConfig;

void ross_net_config_free(RossNetConfig *c);
/* body: ContainerCreate; image_config: the image's config blob. */
int ross_net_config_parse(json_t *body, json_t *image_config, RossNetConfig *ret, RossError *err);
/* The stored form ("net" in the container's config), and back. */
json_t *ross_net_config_to_json(const RossNetConfig *c);
int ross_net_config_from_json(json_t *j, RossNetConfig *ret, RossError *err);

/* One port as Docker's ExposedPorts and Ports key it, "80/tcp" ("80" is tcp): the port
 * (1-65535) and its protocol (tcp, udp or sctp) into proto; -EINVAL when it is not one (a
 * range, junk, another protocol). The outputs are written only on success. */
int ross_net_port_parse(const char *key, int *ret_port, char proto[static 8]);
/* A DNS name: labels of [A-Za-z0-9_-], 63 at most, 253 in all (hostnames, aliases). */
bool ross_net_dns_name(const char *s);
/* Modes that are a network of netavark's: bridge or a user network. */
bool ross_net_mode_is_network(const char *mode);
/* "container:X": X; else NULL. */
const char *ross_net_mode_container(const char *mode);
