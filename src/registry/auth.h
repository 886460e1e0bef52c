/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "../basic/err.h"

/* Credentials for one registry, as the client sent them (X-Registry-Auth). */
typedef struct RossCreds {
        char *username;
        char *password;
        char *identity_token; /* OAuth refresh token, used as the password grant */
} RossCreds;

void ross_creds_free(RossCreds *c);
/* Decode X-Registry-Auth (base64url JSON {username, password, identitytoken}). Empty or "{}"
 * gives empty credentials. */
int ross_creds_from_header(const char *value, RossCreds *ret, RossError *err);

/* A parsed WWW-Authenticate challenge. */
typedef struct RossChallenge {
        char scheme[16]; /* "bearer" or "basic", lower case */
        char *realm;
        char *service;
        char *scope;
} RossChallenge;

int ross_challenge_parse(const char *header, RossChallenge *ret);
void ross_challenge_free(RossChallenge *c);

/* Cached bearer token for (realm, service, scope, who), or NULL. who identifies the
 * credentials (a digest of them, "" for anonymous). Caller frees. */
char *ross_token_cache_get(const char *realm, const char *service, const char *scope,
                           const char *user);
void ross_token_cache_put(const char *realm, const char *service, const char *scope,
                          const char *user, const char *token, long expires_in);
/* The live cached tokens for the registry domain (entries whose user is "DOMAIN|..."), as
 * JSON, to hand to a pull helper; and what a helper got back into the cache. Tokens live in
 * the daemon across pulls, each helper's cache lives as long as the helper. */
json_t *ross_token_cache_export(const char *domain);
void ross_token_cache_import(json_t *tokens);
