/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>

#include "registry/auth.h"
#include "tap.h"

int main(void)
{
        RossChallenge c;
        RossCreds cr;
        RossError err = {};

        ok(ross_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry."
                                "docker.io\",scope=\"repository:library/alpine:pull\"",
                                &c) == 0,
           "Docker Hub challenge parsed");
        is_str(c.scheme, "bearer", "scheme");
        is_str(c.realm, "https://auth.docker.io/token", "realm");
        is_str(c.service, "registry.docker.io", "service");
        is_str(c.scope, "repository:library/alpine:pull", "scope");
        ross_challenge_free(&c);

        ok(ross_challenge_parse("Basic realm=\"a \\\"quoted\\\" realm\"", &c) == 0, "basic parsed");
        is_str(c.scheme, "basic", "basic scheme");
        is_str(c.realm, "a \"quoted\" realm", "escaped quotes");
        ross_challenge_free(&c);

        ok(ross_challenge_parse("Negotiate abc", &c) < 0, "unsupported scheme refused");
        ok(ross_challenge_parse("Bearer realm=unquoted,service=s", &c) == 0 &&
                   STREQ(c.realm, "unquoted") && STREQ(c.service, "s"),
           "unquoted values");
        ross_challenge_free(&c);

        /* {"username":"u","password":"p:w"} in base64url without padding */
        ok(ross_creds_from_header("eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InA6dyJ9", &cr, &err) == 0,
           "X-Registry-Auth decoded");
        is_str(cr.username, "u", "username");
        is_str(cr.password, "p:w", "password");
        ross_creds_free(&cr);
        ok(ross_creds_from_header("e30=", &cr, &err) == 0 && !cr.username, "{} is anonymous");
        ok(ross_creds_from_header("", &cr, &err) == 0 && !cr.username, "empty is anonymous");
        ok(ross_creds_from_header("!!!", &cr, &err) == -EINVAL, "bad base64 refused");
        ok(ross_creds_from_header("WzFd", &cr, &err) == -EINVAL, "non-object refused");

        ross_token_cache_put("r", "s", "scope", "who", "tok", 300);
        char *t = ross_token_cache_get("r", "s", "scope", "who");
        is_str(t, "tok", "token cached");
        free(t);
        t = ross_token_cache_get("r", "s", "scope", "other");
        ok(t == NULL, "other credentials do not share the token");
        t = ross_token_cache_get("r", "s", "other-scope", "who");
        ok(t == NULL, "other scopes do not share the token");
        return tap_done();
}
