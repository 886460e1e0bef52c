/* SPDX-License-Identifier: Apache-2.0 */
/* A container's events, with the attributes Docker gives them: its name, the image as it
 * was named at create, and its labels (the image's merged with its own). */
#include "../basic/macros.h"
#include "../event/events.h"
#include "../store/db.h"
#include "containers.h"
#include "container-events.h"

void ross_container_event(RossContainers *c, const char *id, const char *action, json_t *extra)
{
        _cleanup_(json_decrefp) json_t *row = NULL;
        json_t *attrs = json_object();
        if (ross_db_container_get(c->db, id, &row) == 0) {
                json_t *body = json_object_get(row, "Config");
                json_t *labels =
                        json_object_get(json_object_get(body, "RossImageConfig"), "Labels");
                const char *k;
                json_t *v;
                json_object_foreach (labels, k, v)
                        if (json_is_string(v))
                                json_object_set(attrs, k, v);
                json_object_foreach (json_object_get(body, "Labels"), k, v)
                        if (json_is_string(v))
                                json_object_set(attrs, k, v);
                const char *image = json_string_value(json_object_get(row, "Image"));
                const char *name = json_string_value(json_object_get(row, "Name"));
                json_object_set_new(attrs, "image", json_string(image ? image : ""));
                json_object_set_new(attrs, "name", json_string(name ? name : ""));
        }
        if (json_is_object(extra))
                json_object_update(attrs, extra);
        json_decref(extra);
        ross_event_emit("container", action, id, attrs);
}
