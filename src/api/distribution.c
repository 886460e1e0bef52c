/* SPDX-License-Identifier: Apache-2.0 */
/* GET /distribution/{name}/json: what the registry has for an image, without a pull. */
#include "../basic/log.h"
#include "../daemon/daemon.h"
#include "../registry/auth.h"
#include "handlers.h"

enum MHD_Result ross_api_distribution_inspect(RossRequest *req, const char *name)
{
        RossError err = {};
        RossCreds creds = {};
        json_t *o = NULL;
        /* as Docker: credentials that cannot be read are no credentials */
        if (ross_creds_from_header(ross_req_header(req, "X-Registry-Auth"), &creds, &err) < 0) {
                log_debug("distribution inspect: X-Registry-Auth ignored: %s", err.msg);
                ross_creds_free(&creds);
                creds = (RossCreds){};
                ross_err_clear(&err);
        }
        int r = ross_images_distribution(&req->daemon->images, name, &creds, &o, &err);
        ross_creds_free(&creds);
        if (r < 0)
                return ross_reply_error(req, &err);
        return ross_reply_json(req, MHD_HTTP_OK, o);
}
