/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcurl, loaded when the first registry request is made rather than when the daemon
 * starts: an idle daemon does not carry libcurl, OpenSSL's TLS side and their dozen
 * dependencies in memory. These definitions stand in for the library's own (Ross does not
 * link it); each forwards to the real function, resolved with dlopen once.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>

#include "../basic/log.h"
#include "curl-dl.h"

#undef curl_easy_setopt
#undef curl_easy_getinfo

static struct {
        CURLcode (*global_init)(long);
        CURL *(*easy_init)(void);
        void (*easy_cleanup)(CURL *);
        CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
        CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
        CURLcode (*easy_perform)(CURL *);
        const char *(*easy_strerror)(CURLcode);
        char *(*easy_escape)(CURL *, const char *, int);
        void (*free)(void *);
        struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
        void (*slist_free_all)(struct curl_slist *);
} fn;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                snprintf(load_error, sizeof(load_error), "cannot load libcurl: %s", dlerror());
                return;
        }
#define SYM(field, name)                                                                           \
        do {                                                                                       \
                *(void **)&fn.field = dlsym(h, name);                                              \
                if (!fn.field) {                                                                   \
                        snprintf(load_error, sizeof(load_error), "libcurl lacks %s", name);        \
                        memset(&fn, 0, sizeof(fn));                                                \
                        return;                                                                    \
                }                                                                                  \
        } while (0)
        SYM(global_init, "curl_global_init");
        SYM(easy_init, "curl_easy_init");
        SYM(easy_cleanup, "curl_easy_cleanup");
        SYM(easy_setopt, "curl_easy_setopt");
        SYM(easy_getinfo, "curl_easy_getinfo");
        SYM(easy_perform, "curl_easy_perform");
        SYM(easy_strerror, "curl_easy_strerror");
        SYM(easy_escape, "curl_easy_escape");
        SYM(free, "curl_free");
        SYM(slist_append, "curl_slist_append");
        SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
        fn.global_init(CURL_GLOBAL_ALL);
        log_debug("libcurl loaded");
}

static bool loaded(void)
{
        pthread_once(&once, load);
        return fn.easy_init != NULL;
}

const char *ross_curl_load_error(void)
{
        return loaded() ? NULL : load_error;
}

CURLcode curl_global_init(long flags)
{
        /* done once by the loader */
        return loaded() ? CURLE_OK : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
        return loaded() ? fn.easy_init() : NULL;
}

void curl_easy_cleanup(CURL *h)
{
        if (h && loaded())
                fn.easy_cleanup(h);
}

/* The option's type decides how its one argument is passed (curl.h's CURLOPTTYPE_*). */
CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
        if (!loaded())
                return CURLE_FAILED_INIT;
        va_list ap;
        va_start(ap, opt);
        CURLcode r;
        if (opt < CURLOPTTYPE_OBJECTPOINT)
                r = fn.easy_setopt(h, opt, va_arg(ap, long));
        else if (opt < CURLOPTTYPE_OFF_T && opt >= CURLOPTTYPE_FUNCTIONPOINT)
                r = fn.easy_setopt(h, opt, va_arg(ap, void (*)(void)));
        else if (opt < CURLOPTTYPE_BLOB && opt >= CURLOPTTYPE_OFF_T)
                r = fn.easy_setopt(h, opt, va_arg(ap, curl_off_t));
        else
                r = fn.easy_setopt(h, opt, va_arg(ap, void *));
        va_end(ap);
        return r;
}

/* Every CURLINFO_* takes one pointer. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
        if (!loaded())
                return CURLE_FAILED_INIT;
        va_list ap;
        va_start(ap, info);
        CURLcode r = fn.easy_getinfo(h, info, va_arg(ap, void *));
        va_end(ap);
        return r;
}

CURLcode curl_easy_perform(CURL *h)
{
        return loaded() ? fn.easy_perform(h) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode c)
{
        return loaded() ? fn.easy_strerror(c) : load_error;
}

char *curl_easy_escape(CURL *h, const char *s, int n)
{
        return loaded() ? fn.easy_escape(h, s, n) : NULL;
}

void curl_free(void *p)
{
        if (p && loaded())
                fn.free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
        return loaded() ? fn.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
        if (l && loaded())
                fn.slist_free_all(l);
}
