/* SPDX-License-Identifier: Apache-2.0 */
#include <curl/curl.h>

#include "client.h"

int ross_client_init(RossClient *c, const char *host, RossError *err)
{
        if (!host)
                host = getenv("ROSS_HOST");
        if (STR_EMPTY(host))
                host = ROSS_DEFAULT_HOST;
        if (strncmp(host, "unix://", 7) == 0)
                host += 7;
        else if (strstr(host, "://"))
                return ross_errx(err, EINVAL, "unsupported host '%s': use unix:///path", host);
        if (host[0] != '/')
                return ross_errx(err, EINVAL, "host '%s' is not an absolute socket path", host);
        c->socket_path = xstrdup(host);
        curl_global_init(CURL_GLOBAL_ALL);
        return 0;
}

void ross_client_done(RossClient *c)
{
        free(c->socket_path);
        c->socket_path = NULL;
}

void ross_api_response_free(RossApiResponse *r)
{
        ross_buf_free(&r->body);
}

char *ross_client_escape(const char *s)
{
        char *e = curl_easy_escape(NULL, s, 0);
        char *r = xstrdup(e ? e : "");
        curl_free(e);
        return r;
}

typedef struct Ctx {
        CURL *curl;
        const RossApiCall *call;
        RossApiResponse *resp;
        RossBuf line;
        bool stopped;
} Ctx;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
        Ctx *c = ud;
        size_t n = size * nmemb;
        long status = 0;

        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        if (c->call->on_raw && status >= 200 && status < 300) {
                if (c->call->on_raw(c->call->userdata, p, n) < 0) {
                        c->stopped = true;
                        return 0;
                }
                return n;
        }
        if (!c->call->on_line || status < 200 || status >= 300) {
                if (ross_buf_append(&c->resp->body, p, n) < 0)
                        return 0;
                return n;
        }
        for (size_t i = 0; i < n; i++) {
                if (p[i] != '\n') {
                        if (ross_buf_append(&c->line, p + i, 1) < 0)
                                return 0;
                        continue;
                }
                size_t len = c->line.len;
                while (len && c->line.data[len - 1] == '\r')
                        len--;
                if (len && c->call->on_line(c->call->userdata, c->line.data, len) < 0) {
                        c->stopped = true;
                        return 0;
                }
                c->line.len = 0;
        }
        return n;
}

int ross_client_call(RossClient *c, const RossApiCall *call, RossApiResponse *ret, RossError *err)
{
        CURL *curl = curl_easy_init();
        struct curl_slist *hdrs = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        RossApiResponse resp = {.body = {.cap = 256 * 1024 * 1024}};
        Ctx ctx = {.curl = curl, .call = call, .resp = &resp, .line = {.cap = 16 * 1024 * 1024}};
        int r = 0;

        _cleanup_free_ char *url = xasprintf("http://ross%s", call->path);
        curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call->method);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        if (STREQ(call->method, "HEAD"))
                curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
        if (call->body) {
                hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call->body);
        } else if (STREQ(call->method, "POST")) {
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
        }
        if (call->registry_auth) {
                _cleanup_free_ char *h = xasprintf("X-Registry-Auth: %s", call->registry_auth);
                hdrs = curl_slist_append(hdrs, h);
        }
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);

        CURLcode rc = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
        if (rc != CURLE_OK && !ctx.stopped) {
                if (rc == CURLE_COULDNT_CONNECT)
                        r = ross_errx(err, ECONNREFUSED,
                                      "cannot connect to the Ross daemon at unix://%s: is "
                                      "ross-daemon running?",
                                      c->socket_path);
                else
                        r = ross_errx(err, EIO, "talking to the Ross daemon at unix://%s: %s",
                                      c->socket_path, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        } else if (resp.status < 200 || resp.status >= 300) {
                json_t *j =
                        json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
                const char *m = json_string_value(json_object_get(j, "message"));
                int code = resp.status == 404                           ? ENOENT
                           : resp.status == 409                         ? EBUSY
                           : resp.status == 400                         ? EINVAL
                           : (resp.status == 401 || resp.status == 403) ? EACCES
                                                                        : EIO;
                r = ross_errx(err, code, "%s", m ? m : (resp.body.len ? resp.body.data : "error"));
                if (!m && !resp.body.len)
                        r = ross_errx(err, code, "the daemon answered HTTP %ld", resp.status);
                json_decref(j);
        }
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(curl);
        ross_buf_free(&ctx.line);
        if (r < 0 || !ret)
                ross_api_response_free(&resp);
        else
                *ret = resp;
        return r;
}

int ross_client_json(RossClient *c, const char *method, const char *path, const char *body,
                     json_t **ret, RossError *err)
{
        RossApiResponse resp;
        RossApiCall call = {.method = method, .path = path, .body = body};
        json_error_t jerr;
        int r = ross_client_call(c, &call, &resp, err);
        if (r < 0)
                return r;
        json_t *j = NULL;
        if (resp.body.len > 0) {
                j = json_loadb(resp.body.data, resp.body.len, 0, &jerr);
                if (!j)
                        r = ross_errx(err, EBADMSG, "the daemon sent invalid JSON: %s", jerr.text);
        }
        ross_api_response_free(&resp);
        if (r < 0)
                return r;
        if (ret)
                *ret = j;
        else
                json_decref(j);
        return 0;
}
