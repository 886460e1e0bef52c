/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "../basic/err.h"

struct RossContainerConfig;

/*
 * The binds and volumes of a ContainerCreate body (HostConfig.Binds, HostConfig.Mounts of
 * type bind and volume, the anonymous volumes of Config.Volumes and of the image's config,
 * image_config being its whole config blob) as one list: [{"source","destination",
 * "readonly"}], a volume's entry with "volume" (its name, "" for an anonymous one: named at
 * create), "nocopy" and "labels", and its source "" until the volume is made. A host path
 * must exist; one mount a path (a tmpfs at a path keeps an image's volume off it).
 */
int ross_container_parse_mounts(json_t *body, json_t *image_config, json_t *tmpfs, json_t **ret,
                                RossError *err);
/* The binds as checked at create, again at start: a source gone since is the start's error. */
int ross_container_config_check_binds(const struct RossContainerConfig *cfg, RossError *err);
