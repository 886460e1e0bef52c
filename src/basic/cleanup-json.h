/* SPDX-License-Identifier: Apache-2.0 */
/* Scope cleanup for jansson values: _cleanup_(json_decrefp) json_t *v = NULL; */
#pragma once

#include <jansson.h>

static inline void json_decrefp(json_t **p)
{
        if (*p)
                json_decref(*p);
}
