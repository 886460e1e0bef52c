/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>

#include "ref/reference.h"
#include "tap.h"

static void good(const char *in, const char *domain, const char *path, const char *tag,
                 const char *digest)
{
        RossRef r = {};
        RossError err = {};
        int q = ross_ref_parse(in, &r, &err);
        ok(q == 0, "parse '%s' (%s)", in, q == 0 ? "ok" : err.msg);
        if (q < 0)
                return;
        is_str(r.domain, domain, "  domain of '%s'", in);
        is_str(r.path, path, "  path of '%s'", in);
        is_str(r.tag, tag, "  tag of '%s'", in);
        is_str(r.digest, digest, "  digest of '%s'", in);
        ross_ref_free(&r);
}

static void bad(const char *in, const char *needle)
{
        RossRef r = {};
        RossError err = {};
        int q = ross_ref_parse(in, &r, &err);
        ok(q == -EINVAL, "refuse '%s'", in);
        ok(strstr(err.msg, needle) != NULL, "  message for '%s' says '%s' (got '%s')", in, needle,
           err.msg);
        ross_ref_free(&r);
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int main(void)
{
        good("alpine", "docker.io", "library/alpine", "latest", NULL);
        good("alpine:3.20", "docker.io", "library/alpine", "3.20", NULL);
        good("docker.io/alpine", "docker.io", "library/alpine", "latest", NULL);
        good("index.docker.io/library/alpine", "docker.io", "library/alpine", "latest", NULL);
        good("user/app", "docker.io", "user/app", "latest", NULL);
        good("localhost/x", "localhost", "x", "latest", NULL);
        good("localhost:5000/x", "localhost:5000", "x", "latest", NULL);
        good("127.0.0.1:5000/a/b-c/d__e:v1.0", "127.0.0.1:5000", "a/b-c/d__e", "v1.0", NULL);
        good("quay.io/podman/stable@" D, "quay.io", "podman/stable", NULL, D);
        good("alpine:3@" D, "docker.io", "library/alpine", "3", D);
        good("[::1]:5000/x:y", "[::1]:5000", "x", "y", NULL);
        good("a---b.c_d", "docker.io", "library/a---b.c_d", "latest", NULL);

        bad("", "empty");
        bad("Alpine", "lowercase");
        bad("docker.io/Library/alpine", "lowercase");
        bad("alpine:", "invalid tag");
        bad("alpine:-x", "invalid tag");
        bad("alpine@sha256:abc", "not a valid digest");
        bad("alpine@md5:0123", "unsupported digest");
        bad("a b", "space");
        bad("-alpine", "invalid repository name component");
        bad("alpine/", "invalid repository name component");
        bad("a..b", "invalid repository name component");
        bad("local_host:5000/x", "invalid registry");
        bad("host:99999999/x", "invalid registry");
        bad(":tag", "no repository name");

        char longname[300];
        memset(longname, 'a', 299);
        longname[299] = '\0';
        bad(longname, "longer than 255");

        _cleanup_free_ char *f1 = ross_ref_familiar("docker.io/library/alpine:latest");
        is_str(f1, "alpine:latest", "familiar library name");
        _cleanup_free_ char *f2 = ross_ref_familiar("docker.io/user/app:1");
        is_str(f2, "user/app:1", "familiar user name");
        _cleanup_free_ char *f3 = ross_ref_familiar("localhost:5000/x:1");
        is_str(f3, "localhost:5000/x:1", "familiar local registry");

        RossRef r = {};
        ross_ref_parse("alpine", &r, NULL);
        is_str(ross_ref_registry_host(&r), "registry-1.docker.io", "docker.io endpoint");
        ross_ref_free(&r);

        ok(ross_digest_valid(D), "valid digest");
        ok(!ross_digest_valid(
                   "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"),
           "upper-case digest refused");
        ok(!ross_digest_valid("sha256:../../etc/passwd"), "path in digest refused");
        return tap_done();
}
