/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "../basic/err.h"

/*
 * Dockerfile instructions applied to an image's config, as docker import -c and docker
 * commit --change give them (moby's BuildFromConfig): CMD, ENTRYPOINT, ENV, EXPOSE,
 * HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME and WORKDIR. Each string of changes
 * may hold several lines (a trailing backslash continues one; '#' starts a comment). $NAME
 * and ${NAME} are replaced from the config's Env in ENV, EXPOSE, LABEL, STOPSIGNAL, USER,
 * VOLUME and WORKDIR, as a build does.
 */

/* Change config (the "config" object of an image config, Docker's ContainerConfig) in place.
 * -EINVAL with Docker's words for what is wrong ("run is not a valid change command");
 * config is then left as it was. */
int ross_image_config_changes_apply(json_t *config, json_t *changes, RossError *err);

/* The most changes and bytes of them taken from a request. */
#define ROSS_CONFIG_CHANGES_MAX       256
#define ROSS_CONFIG_CHANGES_MAX_BYTES (64 * 1024)
