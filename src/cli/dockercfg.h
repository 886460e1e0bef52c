/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/* ~/.docker/config.json (or $DOCKER_CONFIG/config.json): the credentials docker and Ross
 * clients share, under auths.<server>.auth as base64 "user:password". */

/* The key a registry domain is stored under ("docker.io" is https://index.docker.io/v1/). */
char *ross_dockercfg_key(const char *domain);
/* Credentials for domain as an X-Registry-Auth value (base64url JSON), or NULL if none. */
char *ross_dockercfg_registry_auth(const char *domain);
int ross_dockercfg_store(const char *domain, const char *user, const char *password,
                         RossError *err);
/* -ENOENT if there was nothing stored. */
int ross_dockercfg_remove(const char *domain, RossError *err);
/* X-Registry-Auth for explicit credentials. */
char *ross_registry_auth_header(const char *user, const char *password, const char *server);
