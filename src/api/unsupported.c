/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What Ross does not have: an image builder (/build, and /session, BuildKit's channel back to
 * the client) and Docker engine plugins (/plugins). Each is answered as Docker answers for a
 * feature its engine lacks: 501 Not Implemented (errdefs.NotImplemented) with a message that
 * says so and what to do instead. What such an engine truly has is answered as Docker does:
 * no build cache to prune (docker system prune asks), no plugin to list or inspect.
 */
#include "handlers.h"

#define NO_BUILDER "Ross has no image builder: build with buildah or docker and push, then pull"
#define NO_PLUGINS                                                                                 \
        "Ross does not support Docker engine plugins: none can be installed, enabled or used "     \
        "(volumes use the local driver, networks netavark)"

/* segs[1..n-1-drop] joined with '/': a plugin's name may have slashes. */
static char *name_of(RossRequest *req, size_t drop)
{
        RossBuf b = {};
        for (size_t i = 1; i + drop < req->n_segs; i++)
                ross_buf_printf(&b, "%s%s", i > 1 ? "/" : "", req->segs[i]);
        return ross_buf_steal(&b);
}

enum MHD_Result ross_api_build(RossRequest *req)
{
        /* no build cache: nothing to prune, as Docker's report says it */
        if (req->n_segs == 2 && STREQ(req->segs[1], "prune") && STREQ(req->method, "POST"))
                return ross_reply_json(
                        req, MHD_HTTP_OK,
                        json_pack("{s:[], s:i}", "CachesDeleted", "SpaceReclaimed", 0));
        return ross_reply_errorf(req, MHD_HTTP_NOT_IMPLEMENTED, "%s", NO_BUILDER);
}

enum MHD_Result ross_api_session(RossRequest *req)
{
        return ross_reply_errorf(req, MHD_HTTP_NOT_IMPLEMENTED,
                                 "%s (/session is BuildKit's, and Ross has no BuildKit)",
                                 NO_BUILDER);
}

enum MHD_Result ross_api_plugins(RossRequest *req)
{
        size_t n = req->n_segs;
        bool get = STREQ(req->method, "GET");
        if (n == 1 && get)
                return ross_reply_json(req, MHD_HTTP_OK, json_array());
        if (n >= 3 && get && STREQ(req->segs[n - 1], "json") &&
            !STREQ(req->segs[1], "privileges")) {
                _cleanup_free_ char *name = name_of(req, 1);
                /* Docker's words for a plugin it does not have */
                return ross_reply_errorf(req, MHD_HTTP_NOT_FOUND, "plugin \"%s\" not found", name);
        }
        return ross_reply_errorf(req, MHD_HTTP_NOT_IMPLEMENTED, "%s", NO_PLUGINS);
}
