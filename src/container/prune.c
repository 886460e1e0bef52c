/* SPDX-License-Identifier: Apache-2.0 */
/* container prune (prune.h): the stopped containers go, as Docker's ContainerPrune has it. */
#include "../basic/log.h"
#include "../event/events.h"
#include "changes.h"
#include "containers.h"
#include "prune.h"

static bool runs(const char *state)
{
        return STREQ(state, "running") || STREQ(state, "paused") || STREQ(state, "restarting");
}

int ross_containers_prune(RossContainers *c, RossContainerPrunePick pick, void *ud,
                          json_t **ret_report, RossError *err)
{
        json_auto_t *all = NULL, *deleted = json_array();
        int r = ross_containers_list(c, NULL, NULL, &all, err);
        if (r < 0)
                return r;
        int64_t reclaimed = 0;
        json_t *s;
        size_t i;
        json_array_foreach (all, i, s) {
                const char *id = json_string_value(json_object_get(s, "Id"));
                const char *state = json_string_value(json_object_get(s, "State"));
                if (!id || !state || runs(state) || (pick && !pick(ud, s)))
                        continue;
                int64_t rw = 0, rootfs = 0;
                RossError e2 = {};
                if (ross_containers_size(c, id, &rw, &rootfs, &e2) < 0)
                        log_debug("prune: size of %.12s: %s", id, e2.msg); /* only a report */
                /* not forced: one that started since the list stays */
                if (ross_containers_remove(c, id, false, false, &e2) < 0) {
                        log_debug("prune: %s", e2.msg);
                        continue;
                }
                json_array_append_new(deleted, json_string(id));
                reclaimed += rw;
        }
        /* Docker's prune event: what it freed */
        _cleanup_free_ char *freed = xasprintf("%lld", (long long)reclaimed);
        ross_event_emit("container", "prune", "", json_pack("{s:s}", "reclaimed", freed));
        *ret_report = json_pack("{s:o, s:I}", "ContainersDeleted", TAKE_PTR(deleted),
                                "SpaceReclaimed", (json_int_t)reclaimed);
        return 0;
}
