/* SPDX-License-Identifier: Apache-2.0 */
/* Swarm mode: Ross is an engine that is in no swarm, and answers as Docker's does then. */
#include "handlers.h"

/* Docker's daemon/cluster errNoManager, for a node that is in no swarm. */
#define NOT_A_MANAGER                                                                              \
        "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to " \
        "connect this node to swarm and try again."

enum MHD_Result ross_api_swarm(RossRequest *req)
{
        const char *first = req->segs[0];
        const char *verb = req->n_segs >= 2 ? req->segs[1] : "";

        if (STREQ(first, "swarm") && req->n_segs == 2 && STREQ(req->method, "POST")) {
                /* Docker's errNoSwarm: leaving a swarm this node never joined */
                if (STREQ(verb, "leave"))
                        return ross_reply_errorf(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                                                 "This node is not part of a swarm");
                /* Docker would make or join a swarm here; Ross has no swarm mode */
                if (STREQ(verb, "init") || STREQ(verb, "join"))
                        return ross_reply_errorf(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                                                 "Ross does not support swarm mode: this node "
                                                 "cannot %s a swarm",
                                                 STREQ(verb, "init") ? "start" : "join");
        }
        return ross_reply_errorf(req, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", NOT_A_MANAGER);
}
