/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pushing to a registry, one request at a time (OCI distribution spec, "Push"): HEAD for a
 * blob, POST ?mount=&from= for a cross-repository mount, POST then PUT ?digest= for a
 * monolithic upload, PUT for a manifest. Retries, progress and the order of things are the
 * pull helper's (src/helper/serve-push.c).
 */
#include <ctype.h>
#include <jansson.h>

#include "../basic/buf.h"
#include "../basic/log.h"
#include "../ref/reference.h"
#include "push.h"
#include "registry-internal.h"

#define URL_MAX 8192

char *ross_registry_push_scope(const char *repo)
{
        return xasprintf("repository:%s:pull,push", repo);
}

bool ross_registry_push_retryable(int r)
{
        return r == -EIO || r == -ECONNRESET || r == -ETIMEDOUT || r == -EAGAIN;
}

int ross_registry_refused(RossRegistry *reg, const char *what, const RossHttpResponse *resp,
                          RossError *err)
{
        _cleanup_(json_decrefp) json_t *j =
                resp->body.len ? json_loadb(resp->body.data, resp->body.len, 0, NULL) : NULL;
        json_t *e = json_array_get(json_object_get(j, "errors"), 0);
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        _cleanup_(ross_buf_free) RossBuf words = {.cap = 300};
        long s = resp->status;

        /* a registry's code and message are short; a longer one is cut */
        if (!STR_EMPTY(code)) {
                for (const char *c = code; *c && c - code < 64; c++) {
                        char ch = *c == '_' ? ' ' : (char)tolower((unsigned char)*c);
                        ross_buf_append(&words, &ch, 1);
                }
                if (!STR_EMPTY(msg))
                        ross_buf_printf(&words, ": %.200s", msg);
        } else if (!STR_EMPTY(msg))
                ross_buf_printf(&words, "%.200s", msg);
        else if (s == 401)
                ross_buf_printf(&words, "unauthorized: authentication required");
        else if (s == 403)
                ross_buf_printf(&words, "denied: requested access to the resource is denied");
        for (size_t i = 0; i < words.len; i++)
                if ((unsigned char)words.data[i] < ' ' || words.data[i] == 0x7f)
                        words.data[i] = ' ';

        int e_no = s == 401 || s == 403 ? EACCES
                   : s == 404           ? ENOENT
                   : s == 429           ? EAGAIN
                   : s >= 500           ? EIO
                                        : EINVAL;
        if (e_no == EACCES && words.len)
                return ross_errx(err, e_no, "%s", words.data);
        return ross_errx(err, e_no, "%s: registry %s answered HTTP %ld%s%s", what, reg->domain, s,
                         words.len ? ": " : "", words.len ? words.data : "");
}

char *ross_registry_upload_url(RossRegistry *reg, const char *loc, bool *ret_foreign)
{
        size_t bl = strlen(reg->base);

        if (STR_EMPTY(loc) || strlen(loc) > URL_MAX)
                return NULL;
        for (const char *c = loc; *c; c++)
                if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
                        return NULL;
        if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0) {
                *ret_foreign = !(strncmp(loc, reg->base, bl) == 0 &&
                                 (loc[bl] == '/' || loc[bl] == '?' || loc[bl] == '\0'));
                return xstrdup(loc);
        }
        if (loc[0] == '/' && loc[1] == '/') {
                const char *colon = strchr(reg->base, ':');
                char *url = xasprintf("%.*s:%s", (int)(colon - reg->base), reg->base, loc);
                *ret_foreign = !(strncmp(url, reg->base, bl) == 0 &&
                                 (url[bl] == '/' || url[bl] == '?' || url[bl] == '\0'));
                return url;
        }
        if (loc[0] == '/') {
                *ret_foreign = false;
                return xasprintf("%s%s", reg->base, loc);
        }
        return NULL;
}

int ross_registry_blob_exists(RossRegistry *reg, const char *repo, const char *digest,
                              RossError *err)
{
        _cleanup_free_ char *url = xasprintf("%s/v2/%s/blobs/%s", reg->base, repo, digest);
        _cleanup_free_ char *scope = ross_registry_push_scope(repo);
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
        RossHttpRequest req = {.url = url, .head = true, .timeout_s = 60};

        int r = ross_registry_request(reg, scope, &req, &resp, err);
        if (r < 0)
                return r;
        if (resp.status == 200)
                return 1;
        if (resp.status == 404 || resp.status == 401 || resp.status == 403)
                return 0;
        _cleanup_free_ char *what = xasprintf("blob %s", digest);
        return ross_registry_refused(reg, what, &resp, err);
}

/* POST to the uploads endpoint (query: "" or "?mount=...&from=..."); the response is the
 * caller's. */
static int post_upload(RossRegistry *reg, const char *repo, const char *query, const char *scope,
                       RossHttpResponse *resp, RossError *err)
{
        static const char *const headers[] = {"Content-Type:", NULL};
        _cleanup_free_ char *url = xasprintf("%s/v2/%s/blobs/uploads/%s", reg->base, repo, query);
        RossHttpRequest req = {
                .url = url,
                .method = "POST",
                .headers = headers,
                .timeout_s = 60,
        };
        return ross_registry_request(reg, scope, &req, resp, err);
}

int ross_registry_blob_mount(RossRegistry *reg, const char *repo, const char *digest,
                             const char *from, char **ret_session, RossError *err)
{
        /* the token must allow pulling from the other repository too */
        _cleanup_free_ char *scope =
                xasprintf("repository:%s:pull,push repository:%s:pull", repo, from);
        _cleanup_free_ char *query = xasprintf("?mount=%s&from=%s", digest, from);
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};

        int r = post_upload(reg, repo, query, scope, &resp, err);
        if (r < 0)
                return r;
        if (resp.status == 201)
                return 1;
        if (resp.status == 202) {
                *ret_session = resp.location ? xstrdup(resp.location) : NULL;
                return 0;
        }
        _cleanup_free_ char *what = xasprintf("mount of blob %s from %s", digest, from);
        return ross_registry_refused(reg, what, &resp, err);
}

int ross_registry_blob_upload(RossRegistry *reg, const char *repo, const RossDescriptor *d,
                              const char *session, RossHttpSource source,
                              RossHttpUploadProgress progress, void *userdata, RossError *err)
{
        static const char *const headers[] = {"Content-Type: application/octet-stream", NULL};
        _cleanup_free_ char *scope = ross_registry_push_scope(repo);
        _cleanup_free_ char *what = xasprintf("blob %s", d->digest);
        _cleanup_free_ char *loc = session ? xstrdup(session) : NULL;
        int r;

        if (!loc) {
                _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
                r = post_upload(reg, repo, "", scope, &resp, err);
                if (r < 0)
                        return r;
                if (resp.status != 202)
                        return ross_registry_refused(reg, what, &resp, err);
                loc = resp.location ? xstrdup(resp.location) : NULL;
        }
        bool foreign = false;
        _cleanup_free_ char *base = ross_registry_upload_url(reg, loc, &foreign);
        if (!base)
                return ross_errx(err, EPROTO, "%s: registry %s sent no usable upload location",
                                 what, reg->domain);
        _cleanup_free_ char *url =
                xasprintf("%s%sdigest=%s", base, strchr(base, '?') ? "&" : "?", d->digest);
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
        RossHttpRequest req = {
                .url = url,
                .method = "PUT",
                .headers = headers,
                .source = source,
                .source_userdata = userdata,
                .source_len = (uint64_t)d->size,
                .upload_progress = progress,
        };
        if (foreign) {
                log_debug("registry %s: upload of %s goes to another host, without credentials",
                          reg->domain, d->digest);
                req.cainfo = reg->cainfo;
                r = ross_http_do(&req, &resp, err);
        } else
                r = ross_registry_request(reg, scope, &req, &resp, err);
        if (r < 0)
                return r;
        if (resp.status != 201 && resp.status != 204)
                return ross_registry_refused(reg, what, &resp, err);
        if (ross_digest_valid(resp.docker_content_digest) &&
            !STREQ(resp.docker_content_digest, d->digest))
                return ross_errx(err, EILSEQ, "%s: registry %s stored it as %s", what, reg->domain,
                                 resp.docker_content_digest);
        return 0;
}

void ross_registry_upload_cancel(RossRegistry *reg, const char *repo, const char *session)
{
        bool foreign = false;
        _cleanup_free_ char *url = ross_registry_upload_url(reg, session, &foreign);
        _cleanup_free_ char *scope = ross_registry_push_scope(repo);
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
        if (!url || foreign)
                return;
        RossHttpRequest req = {.url = url, .method = "DELETE", .timeout_s = 30};
        if (ross_registry_request(reg, scope, &req, &resp, NULL) == 0)
                log_debug("registry %s: upload session cancelled (HTTP %ld)", reg->domain,
                          resp.status);
}

int ross_registry_put_manifest(RossRegistry *reg, const char *repo, const char *tag,
                               const char *media_type, const char *body, size_t len,
                               const char *digest, RossError *err)
{
        _cleanup_free_ char *url = xasprintf("%s/v2/%s/manifests/%s", reg->base, repo, tag);
        _cleanup_free_ char *scope = ross_registry_push_scope(repo);
        _cleanup_free_ char *ctype = xasprintf("Content-Type: %s", media_type);
        _cleanup_free_ char *what = xasprintf("manifest for %s/%s:%s", reg->domain, repo, tag);
        const char *const headers[] = {ctype, NULL};
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
        RossHttpRequest req = {
                .url = url,
                .method = "PUT",
                .headers = headers,
                .body = body,
                .body_len = len,
                .timeout_s = 120,
        };

        int r = ross_registry_request(reg, scope, &req, &resp, err);
        if (r < 0)
                return r;
        if (resp.status != 201 && resp.status != 200)
                return ross_registry_refused(reg, what, &resp, err);
        if (ross_digest_valid(resp.docker_content_digest) &&
            !STREQ(resp.docker_content_digest, digest))
                return ross_errx(err, EILSEQ, "%s: registry %s stored it as %s, not %s", what,
                                 reg->domain, resp.docker_content_digest, digest);
        return 0;
}
