/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdbool.h>

#include "reference.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN  "index.docker.io"
#define DEFAULT_REPO   "library/"

bool ross_digest_valid(const char *s)
{
        if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
                return false;
        for (const char *p = s + 7; *p; p++)
                if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
                        return false;
        return true;
}

static bool is_word(char c)
{
        return isalnum((unsigned char)c) || c == '_';
}

bool ross_tag_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 128 || !is_word(s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := alpha-numeric [separator alpha-numeric]*, separator := [_.]|__|[-]* */
static bool path_component_valid(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
                return false;
        while (i < n) {
                if (is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
                size_t j = i;
                while (j < n && !is_lower_alnum(s[j]))
                        j++;
                size_t sl = j - i;
                const char *sep = s + i;
                bool ok = (sl == 1 && (*sep == '.' || *sep == '_')) ||
                          (sl == 2 && sep[0] == '_' && sep[1] == '_');
                if (!ok) {
                        ok = true;
                        for (size_t k = 0; k < sl; k++)
                                if (sep[k] != '-')
                                        ok = false;
                }
                if (!ok)
                        return false;
                i = j;
        }
        return true;
}

static bool domain_component_valid(const char *s, size_t n)
{
        if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool domain_valid(const char *s, size_t n)
{
        size_t i = 0, hostlen;
        const char *colon;

        if (n > 0 && s[0] == '[') {
                const char *end = memchr(s, ']', n);
                if (!end || end == s + 1)
                        return false;
                for (const char *p = s + 1; p < end; p++)
                        if (!isxdigit((unsigned char)*p) && *p != ':')
                                return false;
                hostlen = (size_t)(end - s) + 1;
                colon = hostlen < n ? s + hostlen : NULL;
                if (colon && *colon != ':')
                        return false;
        } else {
                colon = memchr(s, ':', n);
                hostlen = colon ? (size_t)(colon - s) : n;
                while (i < hostlen) {
                        const char *dot = memchr(s + i, '.', hostlen - i);
                        size_t cl = dot ? (size_t)(dot - (s + i)) : hostlen - i;
                        if (!domain_component_valid(s + i, cl))
                                return false;
                        i += cl + (dot ? 1 : 0);
                        if (dot && i == hostlen)
                                return false;
                }
        }
        if (colon) {
                size_t pl = n - (size_t)(colon - s) - 1;
                if (pl == 0 || pl > 5)
                        return false;
                for (size_t k = 0; k < pl; k++)
                        if (!isdigit((unsigned char)colon[1 + k]))
                                return false;
        }
        return hostlen > 0;
}

void ross_ref_free(RossRef *ref)
{
        if (!ref)
                return;
        free(ref->domain);
        free(ref->path);
        free(ref->tag);
        free(ref->digest);
        memset(ref, 0, sizeof(*ref));
}

int ross_ref_parse(const char *s, RossRef *ret, RossError *err)
{
        _cleanup_(ross_ref_freep) RossRef ref = {};
        _cleanup_free_ char *copy = NULL;
        char *name, *at, *slash, *colon;

        if (STR_EMPTY(s))
                return ross_errx(err, EINVAL, "invalid reference format: empty reference");
        if (strlen(s) > 4096)
                return ross_errx(err, EINVAL, "invalid reference format: reference too long");
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
                        return ross_errx(err, EINVAL,
                                         "invalid reference format: '%s' contains a space or "
                                         "non-ASCII character",
                                         s);

        copy = xstrdup(s);
        name = copy;

        at = strchr(name, '@');
        if (at) {
                *at = '\0';
                if (!ross_digest_valid(at + 1)) {
                        if (strncmp(at + 1, "sha256:", 7) != 0 && strchr(at + 1, ':'))
                                return ross_errx(err, EINVAL,
                                                 "invalid reference format: unsupported digest "
                                                 "algorithm in '%s' (only sha256)",
                                                 s);
                        return ross_errx(err, EINVAL,
                                         "invalid reference format: '%s' is not a valid "
                                         "digest (want sha256: and 64 lowercase hex digits)",
                                         at + 1);
                }
                ref.digest = xstrdup(at + 1);
        }

        /* A tag follows the last colon that comes after the last slash. */
        slash = strrchr(name, '/');
        colon = strrchr(slash ? slash : name, ':');
        if (colon) {
                *colon = '\0';
                if (!ross_tag_valid(colon + 1))
                        return ross_errx(err, EINVAL,
                                         "invalid reference format: invalid tag '%s' in '%s'",
                                         colon + 1, s);
                ref.tag = xstrdup(colon + 1);
        }

        if (!*name)
                return ross_errx(err, EINVAL,
                                 "invalid reference format: no repository name in '%s'", s);

        /* Is the first component a registry? Docker's rule: it has '.' or ':', is
         * "localhost", or has upper-case letters. */
        const char *remote = name;
        slash = strchr(name, '/');
        if (slash) {
                size_t dl = (size_t)(slash - name);
                bool is_domain = memchr(name, '.', dl) || memchr(name, ':', dl) ||
                                 (dl == 9 && strncmp(name, "localhost", 9) == 0) || name[0] == '[';
                for (size_t i = 0; i < dl && !is_domain; i++)
                        if (isupper((unsigned char)name[i]))
                                is_domain = true;
                if (is_domain) {
                        if (!domain_valid(name, dl))
                                return ross_errx(err, EINVAL,
                                                 "invalid reference format: invalid registry "
                                                 "'%.*s' in '%s'",
                                                 (int)dl, name, s);
                        ref.domain = xstrndup(name, dl);
                        remote = slash + 1;
                }
        }
        if (!ref.domain)
                ref.domain = xstrdup(DEFAULT_DOMAIN);
        else if (STREQ(ref.domain, LEGACY_DOMAIN)) {
                free(ref.domain);
                ref.domain = xstrdup(DEFAULT_DOMAIN);
        }

        for (const char *p = remote; *p; p++)
                if (isupper((unsigned char)*p))
                        return ross_errx(err, EINVAL,
                                         "invalid reference format: repository name '%s' must "
                                         "be lowercase",
                                         remote);

        const char *c = remote;
        while (true) {
                const char *e = strchr(c, '/');
                size_t cl = e ? (size_t)(e - c) : strlen(c);
                if (!path_component_valid(c, cl))
                        return ross_errx(err, EINVAL,
                                         "invalid reference format: invalid repository name "
                                         "component '%.*s' in '%s'",
                                         (int)cl, c, s);
                if (!e)
                        break;
                c = e + 1;
        }

        if (STREQ(ref.domain, DEFAULT_DOMAIN) && !strchr(remote, '/'))
                ref.path = xasprintf("%s%s", DEFAULT_REPO, remote);
        else
                ref.path = xstrdup(remote);

        if (strlen(ref.domain) + 1 + strlen(ref.path) > ROSS_REF_NAME_MAX)
                return ross_errx(err, EINVAL,
                                 "invalid reference format: repository name must not be longer "
                                 "than %d characters",
                                 ROSS_REF_NAME_MAX);

        if (!ref.tag && !ref.digest)
                ref.tag = xstrdup("latest");

        *ret = ref;
        memset(&ref, 0, sizeof(ref));
        return 0;
}

char *ross_ref_name(const RossRef *ref)
{
        return xasprintf("%s/%s", ref->domain, ref->path);
}

char *ross_ref_string(const RossRef *ref)
{
        if (ref->tag)
                return xasprintf("%s/%s:%s", ref->domain, ref->path, ref->tag);
        return xasprintf("%s/%s@%s", ref->domain, ref->path, ref->digest);
}

char *ross_ref_familiar(const char *full)
{
        static const char pfx[] = DEFAULT_DOMAIN "/";
        static const char lib[] = DEFAULT_DOMAIN "/" DEFAULT_REPO;

        if (strncmp(full, lib, sizeof(lib) - 1) == 0 && !strchr(full + sizeof(lib) - 1, '/'))
                return xstrdup(full + sizeof(lib) - 1);
        if (strncmp(full, pfx, sizeof(pfx) - 1) == 0)
                return xstrdup(full + sizeof(pfx) - 1);
        return xstrdup(full);
}

const char *ross_ref_registry_host(const RossRef *ref)
{
        if (STREQ(ref->domain, DEFAULT_DOMAIN))
                return "registry-1.docker.io";
        return ref->domain;
}
