/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>

#include "../basic/base64.h"
#include "../basic/fileio.h"
#include "dockercfg.h"

#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

static char *config_dir(void)
{
        const char *d = getenv("DOCKER_CONFIG");
        if (!STR_EMPTY(d))
                return xstrdup(d);
        const char *home = getenv("HOME");
        return xasprintf("%s/.docker", STR_EMPTY(home) ? "/root" : home);
}

static char *config_path(void)
{
        _cleanup_free_ char *d = config_dir();
        return xasprintf("%s/config.json", d);
}

char *ross_dockercfg_key(const char *domain)
{
        if (STREQ(domain, "docker.io") || STREQ(domain, "index.docker.io"))
                return xstrdup(DOCKER_HUB_KEY);
        return xstrdup(domain);
}

static json_t *load(void)
{
        _cleanup_free_ char *path = config_path();
        json_t *j = json_load_file(path, 0, NULL);
        if (!json_is_object(j)) {
                json_decref(j);
                j = json_object();
        }
        return j;
}

char *ross_registry_auth_header(const char *user, const char *password, const char *server)
{
        json_auto_t *j = json_pack("{s:s, s:s, s:s}", "username", user, "password", password,
                                   "serveraddress", server);
        _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
        /* base64url, as Docker sends it */
        char *e = ross_base64_encode(s, strlen(s), ROSS_BASE64_URL);
        explicit_bzero(s, strlen(s));
        return e;
}

char *ross_dockercfg_registry_auth(const char *domain)
{
        _cleanup_free_ char *key = ross_dockercfg_key(domain);
        json_auto_t *j = load();
        json_t *auths = json_object_get(j, "auths");
        json_t *entry = json_object_get(auths, key);
        if (!entry) {
                _cleanup_free_ char *alt = xasprintf("https://%s", key);
                entry = json_object_get(auths, alt);
        }
        const char *a = json_string_value(json_object_get(entry, "auth"));
        char *ret = NULL;
        if (!STR_EMPTY(a) && strlen(a) < 16384) {
                _cleanup_free_ unsigned char *raw = NULL;
                size_t len = 0;
                if (ross_base64_decode(a, strlen(a), &raw, &len) == 0 && len > 0) {
                        char *colon = strchr((char *)raw, ':');
                        if (colon) {
                                *colon = '\0';
                                ret = ross_registry_auth_header((char *)raw, colon + 1, key);
                        }
                        explicit_bzero(raw, len);
                }
        }
        return ret;
}

static int save(json_t *j, RossError *err)
{
        _cleanup_free_ char *dir = config_dir();
        _cleanup_free_ char *path = config_path();
        int r = ross_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *s = json_dumps(j, JSON_INDENT(8));
        return ross_write_file_atomic(path, s, strlen(s), 0600, err);
}

int ross_dockercfg_store(const char *domain, const char *user, const char *password, RossError *err)
{
        _cleanup_free_ char *key = ross_dockercfg_key(domain);
        _cleanup_free_ char *up = xasprintf("%s:%s", user, password);
        _cleanup_free_ char *enc = ross_base64_encode(up, strlen(up), 0);
        json_auto_t *j = load();
        json_t *auths = json_object_get(j, "auths");
        if (!json_is_object(auths)) {
                auths = json_object();
                json_object_set_new(j, "auths", auths);
        }
        json_object_set_new(auths, key, json_pack("{s:s}", "auth", enc));
        explicit_bzero(up, strlen(up));
        return save(j, err);
}

int ross_dockercfg_remove(const char *domain, RossError *err)
{
        _cleanup_free_ char *key = ross_dockercfg_key(domain);
        json_auto_t *j = load();
        json_t *auths = json_object_get(j, "auths");
        if (json_object_del(auths, key) < 0)
                return ross_errx(err, ENOENT, "not logged in to %s", key);
        return save(j, err);
}
