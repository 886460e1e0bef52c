/* SPDX-License-Identifier: Apache-2.0 */
/* POST /containers/prune: Docker's filters (until, label, label!) over the container
 * service's prune. */
#include "../container/prune.h"
#include "../daemon/daemon.h"
#include "filters.h"
#include "handlers.h"

typedef struct PruneFilter {
        RossFilters f;
        double until; /* < 0: none */
} PruneFilter;

static bool pick(void *ud, json_t *summary)
{
        PruneFilter *pf = ud;
        double created = (double)json_integer_value(json_object_get(summary, "Created"));
        if (pf->until >= 0 && created > pf->until)
                return false;
        return ross_filters_match_labels(&pf->f, json_object_get(summary, "Labels"));
}

enum MHD_Result ross_api_containers_prune(RossRequest *req)
{
        static const char *const accepted[] = {"label", "label!", "until", NULL};
        RossError err = {};
        PruneFilter pf = {};
        json_t *rep = NULL;
        int r = ross_filters_parse(ross_req_query(req, "filters"), &pf.f, &err);
        if (r == 0)
                r = ross_filters_validate(&pf.f, accepted, &err);
        if (r == 0)
                r = ross_filters_until(&pf.f, &pf.until, &err);
        if (r == 0)
                r = ross_containers_prune(&req->daemon->containers, pick, &pf, &rep, &err);
        ross_filters_done(&pf.f);
        if (r < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, rep);
}
