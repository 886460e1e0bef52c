/* SPDX-License-Identifier: Apache-2.0 */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "../basic/log.h"
#include "../helper/client.h"
#include "../ref/reference.h"
#include "client.h"
#include "http.h"
#include "registry-internal.h"

#define TOKEN_MAX         (1024 * 1024)
#define BLOB_ATTEMPTS     5
#define MANIFEST_ATTEMPTS 3

static const char *const manifest_accept[] = {
        "Accept: " ROSS_MT_OCI_INDEX ", " ROSS_MT_DOCKER_LIST ", " ROSS_MT_OCI_MANIFEST
        ", " ROSS_MT_DOCKER_MANIFEST,
        NULL,
};

void ross_fetched_free(RossFetched *f)
{
        free(f->body);
        free(f->content_type);
        memset(f, 0, sizeof(*f));
}

static bool is_insecure(const RossRegistryConfig *cfg, const char *domain)
{
        for (char **i = cfg ? cfg->insecure : NULL; i && *i; i++)
                if (STREQ(*i, domain))
                        return true;
        return false;
}

int ross_registry_new(const RossRegistryConfig *cfg, const char *domain, const RossCreds *creds,
                      RossRegistry **ret, RossError *err)
{
        RossRegistry *reg = xcalloc(1, sizeof(*reg));
        RossRef tmp = {.domain = (char *)domain};
        struct stat st;

        reg->cfg = cfg;
        reg->domain = xstrdup(domain);
        reg->base = xasprintf("%s://%s", is_insecure(cfg, domain) ? "http" : "https",
                              ross_ref_registry_host(&tmp));
        if (cfg && cfg->certs_dir) {
                char *ca = xasprintf("%s/%s/ca.crt", cfg->certs_dir, domain);
                if (stat(ca, &st) == 0)
                        reg->cainfo = ca;
                else
                        free(ca);
        }
        if (creds) {
                reg->creds.username = creds->username ? xstrdup(creds->username) : NULL;
                reg->creds.password = creds->password ? xstrdup(creds->password) : NULL;
                if (!reg->creds.password && creds->identity_token)
                        reg->creds.password = xstrdup(creds->identity_token);
        }
        pthread_mutex_init(&reg->lock, NULL);
        log_debug("registry %s: endpoint %s%s%s", domain, reg->base, reg->cainfo ? ", CA " : "",
                  reg->cainfo ? reg->cainfo : "");
        *ret = reg;
        return 0;
}

void ross_registry_free(RossRegistry *reg)
{
        if (!reg)
                return;
        free(reg->domain);
        free(reg->base);
        free(reg->cainfo);
        ross_creds_free(&reg->creds);
        free(reg->realm);
        free(reg->service);
        pthread_mutex_destroy(&reg->lock);
        free(reg);
}

char *ross_registry_error_text(const RossHttpResponse *resp)
{
        _cleanup_(json_decrefp) json_t *j =
                resp->body.len ? json_loadb(resp->body.data, resp->body.len, 0, NULL) : NULL;
        json_t *e = json_array_get(json_object_get(j, "errors"), 0);
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        char *s = NULL;

        if (msg) {
                s = xstrdup(msg);
                for (char *c = s; *c; c++)
                        if ((unsigned char)*c < ' ')
                                *c = ' ';
                if (strlen(s) > 200)
                        s[200] = '\0';
        } else if (code)
                s = xstrdup(code);
        return s;
}

static bool creds_present(const RossRegistry *reg)
{
        return reg->creds.username != NULL;
}

/* Ask the token server for a bearer token for scope (NULL: no scope, as login does). */
static int fetch_token(RossRegistry *reg, const char *realm, const char *service, const char *scope,
                       bool use_cache, char **ret, RossError *err)
{
        /* Tokens are cached per credential, not per user name: a wrong password must never
         * be answered from a token a right one earned. */
        char digest[ROSS_DIGEST_LEN + 1] = "";
        if (creds_present(reg)) {
                _cleanup_free_ char *up = xasprintf("%s:%s", reg->creds.username,
                                                    reg->creds.password ? reg->creds.password : "");
                ross_digest_buf(up, strlen(up), digest);
                explicit_bzero(up, strlen(up));
        }
        /* "DOMAIN|digest": the daemon hands a pull helper only its registry's tokens */
        _cleanup_free_ char *who = xasprintf("%s|%s", reg->domain, digest);
        _cleanup_free_ char *cached =
                use_cache ? ross_token_cache_get(realm, service, scope, who) : NULL;
        if (cached) {
                *ret = TAKE_PTR(cached);
                return 0;
        }

        CURL *esc = curl_easy_init();
        char *es = service ? curl_easy_escape(esc, service, 0) : NULL;
        _cleanup_(ross_buf_free) RossBuf url = {};
        ross_buf_printf(&url, "%s%sservice=%s", realm, strchr(realm, '?') ? "&" : "?",
                        es ? es : "");
        curl_free(es);
        /* one scope parameter per space-separated scope, as the token spec has it (a push
         * that mounts asks for two repositories) */
        for (const char *p = scope; p && *p;) {
                size_t n = strcspn(p, " ");
                char *ec = n ? curl_easy_escape(esc, p, (int)n) : NULL;
                if (ec)
                        ross_buf_printf(&url, "&scope=%s", ec);
                curl_free(ec);
                p += n;
                while (*p == ' ')
                        p++;
        }
        curl_easy_cleanup(esc);

        RossHttpRequest req = {
                .url = url.data,
                .basic_user = reg->creds.username,
                .basic_pass = reg->creds.password,
                .cainfo = reg->cainfo,
                .body_cap = TOKEN_MAX,
                .timeout_s = 60,
        };
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
        int r = ross_http_do(&req, &resp, err);
        if (r < 0) {
                ross_err_prefix(err, "get auth token");
                return r;
        }
        if (resp.status == 401 || resp.status == 403)
                return ross_errx(err, EACCES,
                                 creds_present(reg) ? "unauthorized: incorrect username or password"
                                                    : "unauthorized: authentication required");
        if (resp.status != 200)
                return ross_errx(err, EIO, "get auth token from %s: HTTP status %ld", realm,
                                 resp.status);
        _cleanup_(json_decrefp) json_t *j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
        const char *tok = json_string_value(json_object_get(j, "token"));
        if (STR_EMPTY(tok))
                tok = json_string_value(json_object_get(j, "access_token"));
        json_int_t exp = json_integer_value(json_object_get(j, "expires_in"));
        if (STR_EMPTY(tok) || strlen(tok) > 64 * 1024)
                return ross_errx(err, EBADMSG, "auth server %s sent no usable token", realm);
        log_debug("registry %s: got token for scope %s, expires in %lld s", reg->domain,
                  scope ? scope : "(none)", (long long)exp);
        ross_token_cache_put(realm, service, scope, who, tok, (long)exp);
        *ret = xstrdup(tok);
        return 0;
}

/* Remember what the registry asked for in its 401. */
static int learn_challenge(RossRegistry *reg, const char *header, RossError *err)
{
        _cleanup_(ross_challenge_free) RossChallenge ch = {};
        if (!header || ross_challenge_parse(header, &ch) < 0)
                return ross_errx(err, EACCES,
                                 "registry %s refused access and offers no "
                                 "supported authentication",
                                 reg->domain);
        if (STREQ(ch.scheme, "bearer") && STR_EMPTY(ch.realm))
                return ross_errx(err, EPROTO, "registry %s sent a Bearer challenge without realm",
                                 reg->domain);
        pthread_mutex_lock(&reg->lock);
        snprintf(reg->scheme, sizeof(reg->scheme), "%s", ch.scheme);
        free(reg->realm);
        free(reg->service);
        reg->realm = ch.realm ? xstrdup(ch.realm) : NULL;
        reg->service = ch.service ? xstrdup(ch.service) : NULL;
        pthread_mutex_unlock(&reg->lock);
        return 0;
}

/* The first 401 teaches us the scheme, and the request is made once more with credentials
 * or a token. */
int ross_registry_request(RossRegistry *reg, const char *scope, RossHttpRequest *req,
                          RossHttpResponse *resp, RossError *err)
{
        for (int attempt = 0;; attempt++) {
                _cleanup_free_ char *token = NULL, *realm = NULL, *service = NULL;
                char scheme[16];
                int r;

                pthread_mutex_lock(&reg->lock);
                memcpy(scheme, reg->scheme, sizeof(scheme));
                realm = reg->realm ? xstrdup(reg->realm) : NULL;
                service = reg->service ? xstrdup(reg->service) : NULL;
                pthread_mutex_unlock(&reg->lock);

                req->bearer = NULL;
                req->basic_user = req->basic_pass = NULL;
                req->cainfo = reg->cainfo;
                if (STREQ(scheme, "bearer")) {
                        r = fetch_token(reg, realm, service, scope, true, &token, err);
                        if (r < 0)
                                return r;
                        req->bearer = token;
                } else if (STREQ(scheme, "basic") && creds_present(reg)) {
                        req->basic_user = reg->creds.username;
                        req->basic_pass = reg->creds.password;
                }

                r = ross_http_do(req, resp, err);
                if (r < 0)
                        return r;
                if (resp->status != 401 || attempt > 0)
                        return 0;
                if (STREQ(scheme, "basic") && !creds_present(reg))
                        return 0; /* nothing else to try */
                r = learn_challenge(reg, resp->www_authenticate, err);
                if (r < 0)
                        return r;
                if (STREQ(reg->scheme, "basic") && !creds_present(reg))
                        return 0;
                ross_http_response_free(resp);
        }
}

/* The login in a pull helper: the daemon sends the credentials over its socket. */
static int login_in_helper(RossRegistry *reg, RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv argv = {};
        _cleanup_(ross_helper_freep) RossHelper *h = NULL;
        _cleanup_(json_decrefp) json_t *msg = NULL;

        ross_helper_argv(&argv, reg->cfg->helper, "login", reg->cfg);
        int r = ross_helper_start(&argv, reg->cfg, &h, err);
        if (r == 0)
                r = ross_helper_send(h,
                                     json_pack("{s:s, s:s, s:s?, s:s?}", "type", "login", "domain",
                                               reg->domain, "username", reg->creds.username,
                                               "password", reg->creds.password),
                                     err);
        if (r == 0)
                r = ross_helper_recv(h, &msg, err);
        if (r == 0 && !STREQ(ross_channel_type(msg), "done"))
                r = ross_errx(err, EPROTO, "the pull helper answered '%s' to a login",
                              ross_channel_type(msg));
        if (r == 0)
                r = ross_helper_finish(h, err);
        if (r < 0 && h && !h->remote_error)
                ross_err_prefix(err, "login to %s", reg->domain);
        return r;
}

int ross_registry_login(RossRegistry *reg, RossError *err)
{
        if (reg->cfg && reg->cfg->helper)
                return login_in_helper(reg, err);

        _cleanup_free_ char *url = xasprintf("%s/v2/", reg->base);
        RossHttpRequest req = {.url = url, .cainfo = reg->cainfo, .timeout_s = 60};
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
        int r;

        r = ross_http_do(&req, &resp, err);
        if (r < 0)
                return ross_err_prefix(err, "login to %s", reg->domain);
        if (resp.status == 401) {
                r = learn_challenge(reg, resp.www_authenticate, err);
                ross_http_response_free(&resp); /* the request is made again into it */
                if (r < 0)
                        return r;
                if (!creds_present(reg))
                        return ross_errx(err, EACCES, "login to %s: no username given",
                                         reg->domain);
                if (STREQ(reg->scheme, "bearer")) {
                        _cleanup_free_ char *tok = NULL;
                        r = fetch_token(reg, reg->realm, reg->service, NULL, false, &tok, err);
                        return r < 0 ? ross_err_prefix(err, "login to %s", reg->domain) : 0;
                }
                req.basic_user = reg->creds.username;
                req.basic_pass = reg->creds.password;
                r = ross_http_do(&req, &resp, err);
                if (r < 0)
                        return ross_err_prefix(err, "login to %s", reg->domain);
        }
        if (resp.status == 401)
                return ross_errx(err, EACCES,
                                 "login to %s: unauthorized: incorrect username or password",
                                 reg->domain);
        if (resp.status != 200)
                return ross_errx(err, EIO, "login to %s: registry answered HTTP %ld", reg->domain,
                                 resp.status);
        return 0;
}

int ross_registry_ping(RossRegistry *reg, RossError *err)
{
        _cleanup_free_ char *url = xasprintf("%s/v2/", reg->base);
        RossHttpRequest req = {.url = url, .cainfo = reg->cainfo, .timeout_s = 60};
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};

        int r = ross_http_do(&req, &resp, err);
        if (r < 0)
                return r;
        if (resp.status == 401)
                return learn_challenge(reg, resp.www_authenticate, err);
        if (resp.status != 200)
                return ross_errx(err, EIO, "registry %s answered HTTP %ld to %s", reg->domain,
                                 resp.status, url);
        return 0;
}

static int status_error(RossRegistry *reg, const char *what, const char *repo,
                        RossHttpResponse *resp, RossError *err)
{
        _cleanup_free_ char *text = ross_registry_error_text(resp);
        long s = resp->status;
        const char *t = text ? text : "";

        if (s == 404)
                return ross_errx(err, ENOENT, "%s not found: %s", what, text ? t : "not found");
        if (s == 401 && creds_present(reg))
                return ross_errx(err, EACCES, "%s: unauthorized: incorrect username or password",
                                 reg->domain);
        if (s == 401 || s == 403)
                return ross_errx(err, EACCES,
                                 "pull access denied for %s/%s, repository does not exist or may "
                                 "require 'docker login': %s",
                                 reg->domain, repo, text ? t : "denied");
        if (s == 429)
                return ross_errx(err, EAGAIN, "%s: too many requests to %s", what, reg->domain);
        return ross_errx(err, EIO, "%s: registry %s answered HTTP %ld%s%s", what, reg->domain, s,
                         text ? ": " : "", t);
}

bool ross_registry_retryable(int r, long status)
{
        if (r < 0)
                return r == -ECONNRESET || r == -ETIMEDOUT || r == -EIO || r == -EAGAIN;
        return status >= 500 || status == 429;
}

void ross_registry_backoff(int attempt)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 250000000L};
        for (int i = 0; i < attempt && ts.tv_sec < 8; i++) {
                ts.tv_nsec *= 2;
                ts.tv_sec += ts.tv_nsec / 1000000000L;
                ts.tv_nsec %= 1000000000L;
        }
        nanosleep(&ts, NULL);
}

static char *pull_scope(const char *repo)
{
        return xasprintf("repository:%s:pull", repo);
}

/* GET a small document (manifest, config) into memory, with retries; on success resp holds
 * a 200 response of at most cap bytes. */
static int get_small(RossRegistry *reg, const char *repo, const char *url, const char *what,
                     const char *const *headers, size_t cap, RossHttpResponse *resp, RossError *err)
{
        _cleanup_free_ char *scope = pull_scope(repo);
        int r;

        for (int attempt = 0;; attempt++) {
                RossHttpRequest req = {
                        .url = url,
                        .headers = headers,
                        .body_cap = cap,
                        .timeout_s = 120,
                };
                r = ross_registry_request(reg, scope, &req, resp, err);
                if (r == -EFBIG)
                        return ross_errx(err, EFBIG, "%s is larger than %zu bytes", what, cap);
                if (!ross_registry_retryable(r, r < 0 ? 0 : resp->status) ||
                    attempt + 1 >= MANIFEST_ATTEMPTS)
                        break;
                if (r == 0)
                        ross_http_response_free(resp);
                log_debug("registry %s: retrying %s", reg->domain, what);
                ross_registry_backoff(attempt);
        }
        if (r < 0)
                return r;
        if (resp->status != 200) {
                r = status_error(reg, what, repo, resp, err);
                ross_http_response_free(resp);
                return r;
        }
        return 0;
}

int ross_registry_get_manifest(RossRegistry *reg, const char *repo, const char *reference,
                               RossFetched *ret, RossError *err)
{
        _cleanup_free_ char *url = xasprintf("%s/v2/%s/manifests/%s", reg->base, repo, reference);
        _cleanup_free_ char *what = xasprintf("manifest for %s/%s%s%s", reg->domain, repo,
                                              ross_digest_valid(reference) ? "@" : ":", reference);
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
        RossFetched f = {};
        int r;

        r = get_small(reg, repo, url, what, manifest_accept, ROSS_MANIFEST_MAX, &resp, err);
        if (r < 0)
                return r;
        ross_digest_buf(resp.body.data, resp.body.len, f.digest);
        if (ross_digest_valid(reference) && !STREQ(reference, f.digest))
                return ross_errx(err, EILSEQ, "%s: content has digest %s", what, f.digest);
        if (resp.docker_content_digest && ross_digest_valid(resp.docker_content_digest) &&
            !STREQ(resp.docker_content_digest, f.digest))
                return ross_errx(err, EILSEQ, "%s: content has digest %s, registry says %s", what,
                                 f.digest, resp.docker_content_digest);
        f.len = resp.body.len;
        f.body = ross_buf_steal(&resp.body);
        f.content_type = resp.content_type ? xstrdup(resp.content_type) : NULL;
        *ret = f;
        return 0;
}

int ross_registry_get_blob(RossRegistry *reg, const char *repo, const RossDescriptor *d, size_t max,
                           RossFetched *ret, RossError *err)
{
        _cleanup_free_ char *url = xasprintf("%s/v2/%s/blobs/%s", reg->base, repo, d->digest);
        _cleanup_free_ char *what = xasprintf("blob %s", d->digest);
        _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
        RossFetched f = {};
        int r;

        if (d->size < 0 || (uint64_t)d->size > max)
                return ross_errx(err, EFBIG, "%s is larger than %zu bytes", what, max);
        r = get_small(reg, repo, url, what, NULL, (size_t)d->size, &resp, err);
        if (r < 0)
                return r;
        ross_digest_buf(resp.body.data, resp.body.len, f.digest);
        if (resp.body.len != (size_t)d->size)
                return ross_errx(err, EPROTO, "%s is truncated: got %zu of %lld bytes", what,
                                 resp.body.len, (long long)d->size);
        if (!STREQ(f.digest, d->digest))
                return ross_errx(err, EILSEQ, "%s does not match its digest (got %s)", what,
                                 f.digest);
        f.len = resp.body.len;
        f.body = ross_buf_steal(&resp.body);
        *ret = f;
        return 0;
}

typedef struct BlobSink {
        RossIngest *in;
        int64_t size;
        RossBlobProgress progress;
        void *userdata;
        RossError err;
} BlobSink;

static int blob_sink(void *ud, const char *p, size_t n)
{
        BlobSink *s = ud;
        int r = ross_ingest_write(s->in, p, n, &s->err);
        if (r < 0)
                return r;
        if (s->progress) {
                r = s->progress(s->userdata, ross_ingest_offset(s->in), s->size);
                if (r < 0)
                        return ross_errx(&s->err, -r, "download cancelled");
        }
        return 0;
}

int ross_registry_fetch_blob(RossRegistry *reg, const char *repo, const RossDescriptor *d,
                             RossContent *store, RossBlobProgress progress, void *userdata,
                             RossError *err)
{
        _cleanup_free_ char *url = xasprintf("%s/v2/%s/blobs/%s", reg->base, repo, d->digest);
        _cleanup_free_ char *scope = pull_scope(repo);
        BlobSink sink = {.size = d->size, .progress = progress, .userdata = userdata};
        int r;

        r = ross_ingest_begin(store, d->digest, d->size, &sink.in, err);
        if (r < 0)
                return r;

        for (int attempt = 0;; attempt++) {
                _cleanup_(ross_http_response_free) RossHttpResponse resp = {};
                RossHttpRequest req = {
                        .url = url,
                        .resume_from = ross_ingest_offset(sink.in),
                        .sink = blob_sink,
                        .sink_userdata = &sink,
                };
                ross_err_clear(&sink.err);
                r = ross_registry_request(reg, scope, &req, &resp, err);
                if (r < 0 && sink.err.code) {
                        /* Our side failed (disk full, too many bytes): retrying won't help. */
                        if (err)
                                *err = sink.err;
                        r = -sink.err.code;
                        break;
                }
                if (r == -ERANGE) {
                        /* The server ignored our Range: start over from byte 0. */
                        log_debug("registry %s: %s: no range support, restarting", reg->domain,
                                  d->digest);
                        ross_ingest_abort(sink.in);
                        r = ross_ingest_begin(store, d->digest, d->size, &sink.in, err);
                        if (r < 0)
                                return r;
                        if (attempt + 1 >= BLOB_ATTEMPTS)
                                break;
                        continue;
                }
                /* The transfer ended cleanly, so the server sent all it has: a short blob is
                 * the registry's, and commit reports it as truncated. */
                if (r == 0 && (resp.status == 200 || resp.status == 206))
                        return ross_ingest_commit(sink.in, err);
                long status = r == 0 ? resp.status : 0;
                if (r == 0 && !ross_registry_retryable(0, status)) {
                        _cleanup_free_ char *what = xasprintf("blob %s", d->digest);
                        r = status_error(reg, what, repo, &resp, err);
                        break;
                }
                if (!ross_registry_retryable(r, status) || attempt + 1 >= BLOB_ATTEMPTS) {
                        if (r == 0)
                                r = ross_errx(err, EIO, "blob %s: registry %s answered HTTP %ld",
                                              d->digest, reg->domain, status);
                        break;
                }
                log_debug("registry %s: blob %s: attempt %d failed (%s), retrying from byte %llu",
                          reg->domain, d->digest, attempt + 1,
                          r < 0 && err ? err->msg : "server error",
                          (unsigned long long)ross_ingest_offset(sink.in));
                ross_registry_backoff(attempt);
        }
        ross_ingest_abort(sink.in);
        return r;
}
