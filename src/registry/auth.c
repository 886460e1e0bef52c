/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <time.h>

#include "../basic/base64.h"
#include "../basic/buf.h"
#include "auth.h"

void ross_creds_free(RossCreds *c)
{
        if (!c)
                return;
        free(c->username);
        if (c->password) {
                explicit_bzero(c->password, strlen(c->password));
                free(c->password);
        }
        free(c->identity_token);
        memset(c, 0, sizeof(*c));
}

int ross_creds_from_header(const char *value, RossCreds *ret, RossError *err)
{
        _cleanup_free_ unsigned char *raw = NULL;
        size_t len;
        json_error_t jerr;
        const char *u = NULL, *p = NULL, *t = NULL;

        memset(ret, 0, sizeof(*ret));
        if (STR_EMPTY(value))
                return 0;
        size_t n = strlen(value);
        if (n > 64 * 1024)
                return ross_errx(err, EINVAL, "X-Registry-Auth header is longer than 64 KiB");
        if (ross_base64_decode(value, n, &raw, &len) < 0)
                return ross_errx(err, EINVAL, "X-Registry-Auth header is not valid base64");
        _cleanup_(json_decrefp) json_t *j = json_loadb((const char *)raw, len, 0, &jerr);
        explicit_bzero(raw, len); /* it holds the password */
        if (!j || !json_is_object(j))
                return ross_errx(err, EINVAL, "X-Registry-Auth header is not a JSON object");
        json_unpack(j, "{s?s, s?s, s?s}", "username", &u, "password", &p, "identitytoken", &t);
        if (!STR_EMPTY(u))
                ret->username = xstrdup(u);
        if (!STR_EMPTY(p))
                ret->password = xstrdup(p);
        if (!STR_EMPTY(t))
                ret->identity_token = xstrdup(t);
        return 0;
}

void ross_challenge_free(RossChallenge *c)
{
        free(c->realm);
        free(c->service);
        free(c->scope);
        memset(c, 0, sizeof(*c));
}

/* Longer values are cut: no realm, service or scope a registry needs comes near it. */
#define CHALLENGE_VALUE_MAX 4095

/* Parse: Scheme key="value", key=value, ... */
int ross_challenge_parse(const char *header, RossChallenge *ret)
{
        const char *p = header;

        memset(ret, 0, sizeof(*ret));
        while (isspace((unsigned char)*p))
                p++;
        /* The scheme is matched where it stands; ret->scheme only ever gets one we know. */
        const char *scheme = p;
        while (*p && !isspace((unsigned char)*p))
                p++;
        size_t sl = (size_t)(p - scheme);
        if (sl == 6 && strncasecmp(scheme, "bearer", 6) == 0)
                strcpy(ret->scheme, "bearer");
        else if (sl == 5 && strncasecmp(scheme, "basic", 5) == 0)
                strcpy(ret->scheme, "basic");
        else
                return -EINVAL;

        while (*p) {
                while (*p == ',' || isspace((unsigned char)*p))
                        p++;
                const char *k = p;
                while (*p && *p != '=' && *p != ',')
                        p++;
                if (*p != '=')
                        break;
                size_t kl = (size_t)(p - k);
                p++;
                /* an append past the cap is refused: a longer value is cut there */
                _cleanup_(ross_buf_free) RossBuf val = {.cap = CHALLENGE_VALUE_MAX};
                if (*p == '"') {
                        p++;
                        while (*p && *p != '"') {
                                if (*p == '\\' && p[1])
                                        p++;
                                ross_buf_append(&val, p, 1);
                                p++;
                        }
                        if (*p == '"')
                                p++;
                } else {
                        while (*p && *p != ',' && !isspace((unsigned char)*p)) {
                                ross_buf_append(&val, p, 1);
                                p++;
                        }
                }
                char **slot = NULL;
                if (kl == 5 && strncasecmp(k, "realm", 5) == 0)
                        slot = &ret->realm;
                else if (kl == 7 && strncasecmp(k, "service", 7) == 0)
                        slot = &ret->service;
                else if (kl == 5 && strncasecmp(k, "scope", 5) == 0)
                        slot = &ret->scope;
                if (slot) {
                        free(*slot);
                        *slot = ross_buf_steal(&val);
                }
        }
        return 0;
}

/* Tokens are cached per (realm, service, scope, user) until shortly before expiry. */
typedef struct Token {
        char *key;
        char *token;
        time_t expires;
        struct Token *next;
} Token;

static Token *tokens;
static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;

static char *token_key(const char *realm, const char *service, const char *scope, const char *user)
{
        return xasprintf("%s\n%s\n%s\n%s", realm, service ? service : "", scope ? scope : "",
                         user ? user : "");
}

char *ross_token_cache_get(const char *realm, const char *service, const char *scope,
                           const char *user)
{
        _cleanup_free_ char *key = token_key(realm, service, scope, user);
        time_t now = time(NULL);
        char *v = NULL;

        pthread_mutex_lock(&tokens_lock);
        for (Token *t = tokens; t; t = t->next)
                if (STREQ(t->key, key) && t->expires > now) {
                        v = xstrdup(t->token);
                        break;
                }
        pthread_mutex_unlock(&tokens_lock);
        return v;
}

/* Take key; replace what the cache has for it, drop expired entries. */
static void cache_set(char *key, const char *token, time_t expires)
{
        time_t now = time(NULL);
        pthread_mutex_lock(&tokens_lock);
        Token **pp = &tokens;
        while (*pp) {
                Token *t = *pp;
                if (STREQ(t->key, key) || t->expires <= now) {
                        *pp = t->next;
                        free(t->key);
                        free(t->token);
                        free(t);
                } else
                        pp = &t->next;
        }
        Token *t = xcalloc(1, sizeof(*t));
        t->key = key;
        t->token = xstrdup(token);
        t->expires = expires;
        t->next = tokens;
        tokens = t;
        pthread_mutex_unlock(&tokens_lock);
}

void ross_token_cache_put(const char *realm, const char *service, const char *scope,
                          const char *user, const char *token, long expires_in)
{
        /* The spec's minimum lifetime is 60 s; keep a margin for clock and transfer time. */
        if (expires_in < 60)
                expires_in = 60;
        cache_set(token_key(realm, service, scope, user), token, time(NULL) + expires_in - 10);
}

/* The user part of a key: after its last newline. */
static const char *key_user(const char *key)
{
        const char *nl = strrchr(key, '\n');
        return nl ? nl + 1 : key;
}

json_t *ross_token_cache_export(const char *domain)
{
        json_t *list = json_array();
        size_t dl = domain ? strlen(domain) : 0;
        time_t now = time(NULL);

        if (!domain)
                return list;
        pthread_mutex_lock(&tokens_lock);
        for (Token *t = tokens; t; t = t->next) {
                const char *user = key_user(t->key);
                if (t->expires <= now || strncmp(user, domain, dl) != 0 || user[dl] != '|')
                        continue;
                json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "key", t->key, "token",
                                                      t->token, "expires", (json_int_t)t->expires));
        }
        pthread_mutex_unlock(&tokens_lock);
        return list;
}

void ross_token_cache_import(json_t *list)
{
        time_t now = time(NULL);
        json_t *e;
        size_t i;

        json_array_foreach (list, i, e) {
                const char *key = json_string_value(json_object_get(e, "key"));
                const char *token = json_string_value(json_object_get(e, "token"));
                json_int_t expires = json_integer_value(json_object_get(e, "expires"));
                size_t newlines = 0;
                for (const char *c = key; c && *c; c++)
                        newlines += *c == '\n';
                /* what the other side sent is checked like any input */
                if (!key || !token || newlines != 3 || strlen(key) > 16 * 1024 ||
                    STR_EMPTY(token) || strlen(token) > 64 * 1024 || expires <= now ||
                    expires > now + 24 * 3600 || i >= 256)
                        continue;
                cache_set(xstrdup(key), token, (time_t)expires);
        }
}
