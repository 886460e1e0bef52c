/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <curl/curl.h>
#include <strings.h>

#include "config.h"

#include "../basic/log.h"
#include "curl-dl.h"
#include "http.h"

#define MAX_REDIRECTS 5

void ross_http_global_init(void)
{
        /* nothing: libcurl is loaded and set up by the first request (curl-dl.c) */
}

void ross_http_response_free(RossHttpResponse *r)
{
        free(r->content_type);
        free(r->docker_content_digest);
        free(r->www_authenticate);
        free(r->location);
        ross_buf_free(&r->body);
        memset(r, 0, sizeof(*r));
}

typedef struct Ctx {
        CURL *curl;
        const RossHttpRequest *req;
        RossHttpResponse *resp;
        uint64_t pos; /* the next byte of the request body */
} Ctx;

static char *header_value(const char *line, size_t n, const char *name)
{
        size_t nl = strlen(name);
        if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
                return NULL;
        const char *v = line + nl + 1;
        const char *end = line + n;
        while (v < end && isspace((unsigned char)*v))
                v++;
        while (end > v && isspace((unsigned char)end[-1]))
                end--;
        return xstrndup(v, (size_t)(end - v));
}

static void set_header(char **slot, char *v)
{
        if (!v)
                return;
        free(*slot);
        *slot = v;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
        Ctx *c = ud;
        size_t n = size * nmemb;

        /* A new status line starts a new response (redirects, 100-continue): forget
         * the headers of the previous one. */
        if (n > 5 && strncmp(p, "HTTP/", 5) == 0) {
                free(c->resp->content_type);
                free(c->resp->docker_content_digest);
                free(c->resp->www_authenticate);
                free(c->resp->location);
                c->resp->content_type = c->resp->docker_content_digest = NULL;
                c->resp->www_authenticate = c->resp->location = NULL;
                return n;
        }
        set_header(&c->resp->content_type, header_value(p, n, "Content-Type"));
        set_header(&c->resp->docker_content_digest, header_value(p, n, "Docker-Content-Digest"));
        set_header(&c->resp->www_authenticate, header_value(p, n, "WWW-Authenticate"));
        set_header(&c->resp->location, header_value(p, n, "Location"));
        return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
        Ctx *c = ud;
        size_t n = size * nmemb;
        long status = 0;

        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        if (c->req->sink && status >= 200 && status < 300) {
                int r = c->req->sink(c->req->sink_userdata, p, n);
                if (r < 0) {
                        c->resp->sink_error = -r;
                        return 0; /* aborts the transfer */
                }
                return n;
        }
        /* Error bodies and small documents: keep up to the cap, then stop. */
        if (ross_buf_append(&c->resp->body, p, n) < 0)
                return 0;
        return n;
}

static uint64_t body_size(const RossHttpRequest *req)
{
        return req->source ? req->source_len : req->body_len;
}

/* The request body, from memory or from the caller's source. */
static size_t on_read(char *buf, size_t size, size_t nmemb, void *ud)
{
        Ctx *c = ud;
        const RossHttpRequest *req = c->req;
        uint64_t len = body_size(req);
        size_t n = size * nmemb;

        if (c->pos >= len)
                return 0;
        if (n > len - c->pos)
                n = (size_t)(len - c->pos);
        if (!req->source) {
                memcpy(buf, (const char *)req->body + c->pos, n);
                c->pos += n;
                return n;
        }
        ssize_t got = req->source(req->source_userdata, c->pos, buf, n);
        if (got <= 0) {
                /* a source that ends before its length is as broken as one that fails */
                c->resp->sink_error = got < 0 ? (int)-got : EIO;
                return CURL_READFUNC_ABORT;
        }
        c->pos += (uint64_t)got;
        return (size_t)got;
}

/* libcurl sends a body again from the start when a request is made again on its own. */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
        Ctx *c = ud;
        if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > body_size(c->req))
                return CURL_SEEKFUNC_FAIL;
        c->pos = (uint64_t)offset;
        return CURL_SEEKFUNC_OK;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        Ctx *c = ud;
        int r = c->req->upload_progress(c->req->source_userdata, ulnow > 0 ? (uint64_t)ulnow : 0,
                                        ultotal > 0 ? (uint64_t)ultotal : body_size(c->req));
        if (r < 0) {
                c->resp->sink_error = -r;
                return 1; /* aborts the transfer */
        }
        return 0;
}

static void set_method(CURL *curl, const RossHttpRequest *req, Ctx *c)
{
        const char *m = req->method;
        if (!m || STREQ(m, "GET"))
                return;
        /* a request with a body goes where it was sent: no redirects */
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        if (STREQ(m, "PUT")) {
                curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
                curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_size(req));
        } else if (STREQ(m, "POST")) {
                curl_easy_setopt(curl, CURLOPT_POST, 1L);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_size(req));
        } else
                curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, c);
        curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(curl, CURLOPT_SEEKDATA, c);
        if (req->upload_progress) {
                curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
                curl_easy_setopt(curl, CURLOPT_XFERINFODATA, c);
                curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        }
}

int ross_http_do(const RossHttpRequest *req, RossHttpResponse *resp, RossError *err)
{
        struct curl_slist *hdrs = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        CURL *curl = curl_easy_init();
        Ctx c = {.curl = curl, .req = req, .resp = resp};
        CURLcode rc;
        int r = 0;

        if (!curl)
                return ross_errx(err, ENOMEM, "cannot create an HTTP handle%s%s",
                                 ross_curl_load_error() ? ": " : "",
                                 ross_curl_load_error() ? ross_curl_load_error() : "");

        memset(resp, 0, sizeof(*resp));
        resp->content_length = -1;
        resp->body.cap = req->body_cap ? req->body_cap : 64 * 1024;

        for (const char *const *h = req->headers; h && *h; h++)
                hdrs = curl_slist_append(hdrs, *h);

        curl_easy_setopt(curl, CURLOPT_URL, req->url);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "ross/" ROSS_VERSION);
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
        /* A stalled transfer (under 1 byte/s for 60 s) is a broken connection. */
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
        if (req->timeout_s > 0)
                curl_easy_setopt(curl, CURLOPT_TIMEOUT, req->timeout_s);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c);
        curl_easy_setopt(curl, CURLOPT_CAPATH, "/etc/ssl/certs");
        if (req->cainfo)
                curl_easy_setopt(curl, CURLOPT_CAINFO, req->cainfo);
        if (req->head)
                curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
        set_method(curl, req, &c);
        if (req->resume_from > 0)
                curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)req->resume_from);
        if (req->bearer) {
                curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
                curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, req->bearer);
        } else if (req->basic_user) {
                curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
                curl_easy_setopt(curl, CURLOPT_USERNAME, req->basic_user);
                curl_easy_setopt(curl, CURLOPT_PASSWORD, req->basic_pass ? req->basic_pass : "");
        }

        log_debug("http: %s %s%s",
                  req->method ? req->method
                  : req->head ? "HEAD"
                              : "GET",
                  req->url, req->resume_from ? " (resuming)" : "");
        rc = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
        curl_off_t cl = -1;
        curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        resp->content_length = cl;

        if (rc != CURLE_OK) {
                if (resp->sink_error)
                        r = -resp->sink_error; /* the callback set its own message */
                else if (rc == CURLE_WRITE_ERROR && resp->body.overflowed)
                        r = ross_errx(err, EFBIG, "%s: response larger than %zu bytes", req->url,
                                      resp->body.cap);
                else {
                        int e = EIO;
                        switch (rc) {
                        case CURLE_COULDNT_CONNECT:
                                e = ECONNREFUSED;
                                break;
                        case CURLE_COULDNT_RESOLVE_HOST:
                                e = EHOSTUNREACH;
                                break;
                        case CURLE_OPERATION_TIMEDOUT:
                                e = ETIMEDOUT;
                                break;
                        case CURLE_PEER_FAILED_VERIFICATION:
                        case CURLE_SSL_CONNECT_ERROR:
                        case CURLE_SSL_CACERT_BADFILE:
                                e = EPROTO;
                                break;
                        case CURLE_RANGE_ERROR:
                                e = ERANGE;
                                break;
                        case CURLE_PARTIAL_FILE:
                        case CURLE_RECV_ERROR:
                        case CURLE_SEND_ERROR:
                        case CURLE_GOT_NOTHING:
                                e = ECONNRESET;
                                break;
                        default:
                                break;
                        }
                        long os_errno = 0;
                        curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
                        if (rc == CURLE_COULDNT_CONNECT && os_errno > 0)
                                r = ross_errx(err, e, "%s: connect: %s", req->url,
                                              strerror((int)os_errno));
                        else
                                r = ross_errx(err, e, "%s: %s", req->url,
                                              errbuf[0] ? errbuf : curl_easy_strerror(rc));
                }
                log_debug("http: %s failed: curl %d (%s)", req->url, (int)rc,
                          errbuf[0] ? errbuf : curl_easy_strerror(rc));
        } else
                log_debug("http: %s -> %ld", req->url, resp->status);

        curl_slist_free_all(hdrs);
        curl_easy_cleanup(curl);
        /* On failure the caller owns nothing: a half-received response is dropped here. */
        if (r < 0)
                ross_http_response_free(resp);
        return r;
}
