/* SPDX-License-Identifier: Apache-2.0 */
/* A push's pieces that need no registry: the registry's refusals in Docker's words, where
 * an upload goes on (the Location a registry sends, hostile ones too), and the blob
 * sources the database keeps for cross-repository mounts. */
#include <stdlib.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "registry/push.h"
#include "registry/registry-internal.h"
#include "store/db.h"
#include "tap.h"

static RossHttpResponse response(long status, const char *body)
{
        RossHttpResponse r = {.status = status};
        if (body)
                ross_buf_append(&r.body, body, strlen(body));
        return r;
}

static void refusal_tests(RossRegistry *reg)
{
        static const struct {
                long status;
                const char *body;
                int code;
                const char *want;
        } cases[] = {
                {401,
                 "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication "
                 "required\",\"detail\":null}]}",
                 EACCES, "unauthorized: authentication required"},
                {403,
                 "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"requested access to the "
                 "resource is denied\"}]}",
                 EACCES, "denied: requested access to the resource is denied"},
                /* no body: Docker's words for the status */
                {401, NULL, EACCES, "unauthorized: authentication required"},
                {403, "", EACCES, "denied: requested access to the resource is denied"},
                {400,
                 "{\"errors\":[{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"message\":\"blob unknown "
                 "to registry\"}]}",
                 EINVAL,
                 "manifest: registry 127.0.0.1:5000 answered HTTP 400: manifest blob unknown: "
                 "blob unknown to registry"},
                {500, "not json", EIO, "manifest: registry 127.0.0.1:5000 answered HTTP 500"},
                {429, "{\"errors\":[]}", EAGAIN,
                 "manifest: registry 127.0.0.1:5000 answered HTTP 429"},
                /* what a hostile registry says is cleaned of control characters */
                {401, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"a\\u001b[2Jb\\nc\"}]}",
                 EACCES, "denied: a [2Jb c"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                RossHttpResponse resp = response(cases[i].status, cases[i].body);
                RossError err = {};
                int r = ross_registry_refused(reg, "manifest", &resp, &err);
                ok(r == -cases[i].code, "HTTP %ld: errno %d", cases[i].status, -r);
                is_str(err.msg, cases[i].want, "HTTP %ld: the words", cases[i].status);
                ross_http_response_free(&resp);
        }
        /* a long message is cut, not carried whole */
        RossBuf big = {};
        ross_buf_printf(&big, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"");
        for (int i = 0; i < 5000; i++)
                ross_buf_append(&big, "x", 1);
        ross_buf_printf(&big, "\"}]}");
        RossHttpResponse resp = response(403, big.data);
        RossError err = {};
        ross_registry_refused(reg, "manifest", &resp, &err);
        ok(strncmp(err.msg, "denied: xxx", 11) == 0 && strlen(err.msg) <= 300,
           "a 5000-byte message is cut (%zu bytes)", strlen(err.msg));
        ross_http_response_free(&resp);
        ross_buf_free(&big);
}

static void location_tests(RossRegistry *reg)
{
        static const struct {
                const char *loc;
                const char *want; /* NULL: refused */
                bool foreign;
        } cases[] = {
                {"/v2/app/blobs/uploads/abc?_state=x",
                 "http://127.0.0.1:5000/v2/app/blobs/uploads/abc?_state=x", false},
                {"http://127.0.0.1:5000/v2/app/blobs/uploads/abc",
                 "http://127.0.0.1:5000/v2/app/blobs/uploads/abc", false},
                {"//127.0.0.1:5000/v2/app/blobs/uploads/abc",
                 "http://127.0.0.1:5000/v2/app/blobs/uploads/abc", false},
                /* elsewhere: allowed by the spec, but no credentials go there */
                {"https://storage.example/upload/abc", "https://storage.example/upload/abc", true},
                {"https://127.0.0.1:5000/v2/x", "https://127.0.0.1:5000/v2/x", true},
                {"http://127.0.0.1:50000/v2/x", "http://127.0.0.1:50000/v2/x", true},
                {"http://127.0.0.1:5000.evil/v2/x", "http://127.0.0.1:5000.evil/v2/x", true},
                {"http://127.0.0.1:5000@evil/v2/x", "http://127.0.0.1:5000@evil/v2/x", true},
                {"//evil/v2/x", "http://evil/v2/x", true},
                /* not a URL a client should follow */
                {"", NULL, false},
                {"uploads/abc", NULL, false},
                {"file:///etc/passwd", NULL, false},
                {"/v2/app/blobs/uploads/a b", NULL, false},
                {"/v2/app\r\nX-Evil: 1", NULL, false},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                bool foreign = false;
                _cleanup_free_ char *url = ross_registry_upload_url(reg, cases[i].loc, &foreign);
                /* the name as TAP can carry it: on one line */
                _cleanup_free_ char *name = xstrdup(cases[i].loc);
                for (char *c = name; *c; c++)
                        if (*c == '\r' || *c == '\n')
                                *c = '~';
                is_str(url, cases[i].want, "Location '%s'", name);
                if (cases[i].want)
                        ok(foreign == cases[i].foreign, "Location '%s' is %s", name,
                           cases[i].foreign ? "foreign" : "the registry's own");
        }
        ok(ross_registry_upload_url(reg, NULL, &(bool){false}) == NULL, "no Location");
}

static void source_tests(void)
{
        char dir[] = "/tmp/ross-test-push-XXXXXX";
        if (!mkdtemp(dir)) {
                ok(false, "mkdtemp");
                return;
        }
        _cleanup_free_ char *path = xasprintf("%s/ross.db", dir);
        RossDb *db = NULL;
        RossError err = {};
        ok(ross_db_open(path, &db, &err) == 0, "open database: %s", err.msg);
        if (!db)
                return;

        const char *id = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        const char *layer =
                "sha256:2222222222222222222222222222222222222222222222222222222222222222";
        const char *man = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
        RossImageBlob blobs[] = {
                {man, 400, "application/vnd.oci.image.manifest.v1+json", "manifest"},
                {id, 300, "application/vnd.oci.image.config.v1+json", "config"},
                {layer, 1000, "application/vnd.oci.image.layer.v1.tar+gzip", "layer"},
        };
        RossImageRecord rec = {
                .id = id,
                .name = "reg:5000/base",
                .tag = "1",
                .repo_digest = man,
                .blobs = blobs,
                .n_blobs = ELEMENTSOF(blobs),
                .source = "reg:5000/base",
        };
        ok(ross_db_image_put(db, &rec, &err) == 0, "record an image pulled from reg:5000/base");
        json_auto_t *s1 = ross_db_blob_sources(db, layer);
        ok(json_array_size(s1) == 1 &&
                   STREQ(json_string_value(json_array_get(s1, 0)), "reg:5000/base"),
           "its layer's source is where it was pulled from");
        json_auto_t *s_man = ross_db_blob_sources(db, man);
        ok(json_array_size(s_man) == 0, "a manifest is no mount source");

        ok(ross_db_tag_set(db, "reg:5000/team/app:a", id, &err) == 0, "tag a");
        ok(ross_db_tag_set(db, "reg:5000/team/app:b", id, &err) == 0, "tag b");
        ok(ross_db_tag_set(db, "reg:5000/team/application:c", id, &err) == 0, "tag c");
        json_auto_t *tags = NULL;
        ok(ross_db_repo_tags(db, "reg:5000/team/app", &tags, &err) == 0 &&
                   json_array_size(tags) == 2 &&
                   STREQ(json_string_value(json_array_get(tags, 0)), "a") &&
                   STREQ(json_string_value(json_array_get(tags, 1)), "b"),
           "the tags of one repository, not of a longer name");

        json_auto_t *digests = json_pack("[s, s]", id, layer);
        ok(ross_db_push_record(db, id, "reg:5000/team/app", man, digests, &err) == 0,
           "record a push: %s", err.msg);
        json_auto_t *s2 = ross_db_blob_sources(db, layer);
        ok(json_array_size(s2) == 2, "the layer is in two repositories now");
        json_auto_t *info = NULL;
        ok(ross_db_image_get(db, id, &info, &err) == 0, "image get");
        json_t *rd = json_object_get(info, "RepoDigests");
        bool found = false;
        json_t *v;
        size_t i;
        json_array_foreach (rd, i, v)
                found |= STREQ(json_string_value(v), "reg:5000/team/app@sha256:"
                                                     "33333333333333333333333333333333333333333333"
                                                     "33333333333333333333");
        ok(found, "the push's repo digest is the image's");

        const char *gone =
                "sha256:4444444444444444444444444444444444444444444444444444444444444444";
        ok(ross_db_push_record(db, gone, "reg:5000/x", man, digests, &err) == 0,
           "a push of an image removed meanwhile records nothing, and is no error");

        json_auto_t *orphans = NULL;
        ok(ross_db_image_delete(db, id, &orphans, &err) == 0, "delete the image");
        json_auto_t *s3 = ross_db_blob_sources(db, layer);
        ok(json_array_size(s3) == 0, "its blobs' sources go with it");

        ross_db_close(db);
        ross_rm_rf(dir);
}

int main(void)
{
        RossRegistry *reg = NULL;
        RossRegistryConfig cfg = {.insecure = (char *[]){"127.0.0.1:5000", NULL}};
        ross_registry_new(&cfg, "127.0.0.1:5000", NULL, &reg, NULL);
        refusal_tests(reg);
        location_tests(reg);
        ross_registry_free(reg);
        source_tests();
        _cleanup_free_ char *scope = ross_registry_push_scope("team/app");
        is_str(scope, "repository:team/app:pull,push", "the push scope");
        ok(ross_registry_push_retryable(-ECONNRESET) && ross_registry_push_retryable(-EIO) &&
                   !ross_registry_push_retryable(-ECONNREFUSED) &&
                   !ross_registry_push_retryable(-EACCES),
           "a broken connection is tried again, a refusal is not");
        return tap_done();
}
