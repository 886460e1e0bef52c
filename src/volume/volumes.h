/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"

/*
 * Volumes, Docker's "local" driver: a directory each, <data>/volumes/NAME, with the data in
 * _data (a volume's Mountpoint, bound into the containers that use it) and what Docker's
 * inspect shows in volume.json. A volume appears whole or not at all (made under a temporary
 * name, then renamed) and goes the same way. Which containers use a volume is the
 * container service's to say (containers.h); this module knows only volumes.
 */
typedef struct RossVolumes {
        char *dir; /* <data>/volumes */
        pthread_mutex_t lock;
} RossVolumes;

/* The label Docker puts on a volume a container made for itself (-v /path, the image's
 * Volumes): `rm -v` and `--rm` remove such volumes, and `volume prune` by default only them. */
#define ROSS_VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

int ross_volumes_init(RossVolumes *v, const char *data_dir, RossError *err);
void ross_volumes_done(RossVolumes *v);

/* Docker's rule for a local volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool ross_volume_name_valid(const char *name);

/*
 * Create NAME (NULL: an anonymous volume, a random 64-hex name and the anonymous label), or
 * find it when it exists, as Docker's create does (labels and options of an existing volume
 * are kept). driver NULL or "local"; opts: none are taken (the local driver's type, device
 * and o are not supported). *ret (may be NULL): its inspect form; *ret_created (may be NULL):
 * whether this call made it.
 */
int ross_volumes_create(RossVolumes *v, const char *name, const char *driver, json_t *labels,
                        json_t *opts, json_t **ret, bool *ret_created, RossError *err);
/* Its inspect form; -ENOENT with Docker's "get NAME: no such volume". */
int ross_volumes_get(RossVolumes *v, const char *name, json_t **ret, RossError *err);
/* Every volume's inspect form, by name. */
json_t *ross_volumes_list(RossVolumes *v);
/* Remove it and its data; -ENOENT when there is none. Whether it is in use is the caller's
 * check. */
int ross_volumes_remove(RossVolumes *v, const char *name, RossError *err);
/* Its data directory (caller frees). */
char *ross_volumes_data_path(RossVolumes *v, const char *name);
/* Bytes its data takes on disk (blocks), or -1. */
int64_t ross_volumes_size(RossVolumes *v, const char *name);

/*
 * Docker's copy on first use: when the volume's data is empty, the content of srcfd (an open
 * directory: the image's tree at the mount's path, resolved inside the container's root by
 * the caller) is copied in with owners, modes, times and xattrs, and the data directory takes
 * srcfd's owner and mode. A volume with anything in it is left as it is.
 */
int ross_volumes_populate(RossVolumes *v, const char *name, int srcfd, RossError *err);
