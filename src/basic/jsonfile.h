/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#define ROSS_STATE_JSON_MAX (1024 * 1024)

/* The JSON document in a run-time state file (an exit status, a spec, an exec record) of at
 * most max bytes; NULL when it is missing, too large or not JSON. */
json_t *ross_read_json(const char *path, size_t max);
