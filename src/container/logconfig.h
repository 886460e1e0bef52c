/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"

/* Without max-size Ross still rotates, unlike Docker (whose json-file grows without a
 * bound): a container that writes without end must not fill the host's disk. */
#define ROSS_LOG_MAX_SIZE_DEFAULT (10 * 1024 * 1024)
#define ROSS_LOG_MAX_FILE_DEFAULT 2

/*
 * HostConfig.LogConfig, checked at create (part of the typed config, config.h):
 *  - none: the "none" driver, nothing is written and there is nothing to read back;
 *  - max_size: bytes a file may hold before it is rotated (json-file's max-size, in
 *    Docker's units: "10m" is 10,000,000 bytes);
 *  - max_file: how many files are kept in all, container.log and container.log.1 up to
 *    container.log.(max_file-1); 1 means no backups (the file starts again empty).
 * Without max-size: ROSS_LOG_MAX_SIZE_DEFAULT and max-file or ROSS_LOG_MAX_FILE_DEFAULT;
 * with max-size: max-file or 1, as Docker.
 */
typedef struct RossLogConfig {
        bool none;
        int64_t max_size;
        int max_file;
} RossLogConfig;

/* Ross's defaults: json-file, rotated past 10 MiB, two files. */
RossLogConfig ross_log_config_default(void);

/* hc: HostConfig (or NULL). Docker's checks and words: a driver other than json-file and
 * none, an option json-file does not have, a bad mode or max-buffer-size, a max-size or
 * max-file that go-units / strconv refuse, max-file below 1, compress where it cannot
 * apply. -EINVAL with the message; *ret written only on success. */
int ross_log_config_parse(json_t *hc, RossLogConfig *ret, RossError *err);

/* The daemon's default (--log-driver, --log-opt KEY=VALUE ...), as a LogConfig object
 * {"Type", "Config"} checked as a container's would be; -EINVAL with what is wrong. */
int ross_log_default_parse(const char *driver, const char *const *opts, size_t n_opts, json_t **ret,
                           RossError *err);

/* dockerd's merge into a create's body (def: ross_log_default_parse's, or NULL): no Type
 * takes the default's; with the default's Type, each default option the container does not
 * set is added. body's HostConfig.LogConfig is changed in place (made when missing). */
void ross_log_config_apply_default(json_t *body, json_t *def);

/* The stored form ("log" in the container's config), and back; a config stored without it
 * (an older Ross) has the defaults. */
json_t *ross_log_config_to_json(const RossLogConfig *c);
int ross_log_config_from_json(json_t *j, RossLogConfig *ret, RossError *err);
