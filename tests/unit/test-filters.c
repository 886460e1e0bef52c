/* SPDX-License-Identifier: Apache-2.0 */
/* Docker's list filters (src/api/filters.c): parsing, matching, and hostile input. */
#include <stdbool.h>

#include "api/filters.h"
#include "basic/buf.h"
#include "tap.h"

/* ---- parsing ---- */

static void parse_ok(const char *text, const char *key, const char *value)
{
        RossFilters f = {};
        RossError err = {};
        int r = ross_filters_parse(text, &f, &err);
        ok(r == 0, "parse %s (%s)", text ? text : "(null)", err.msg);
        if (key)
                ok(r == 0 && json_object_get(ross_filters_values(&f, key), value), "%s has %s=%s",
                   text, key, value);
        ross_filters_done(&f);
}

static void parse_bad(const char *text)
{
        RossFilters f = {};
        RossError err = {};
        int r = ross_filters_parse(text, &f, &err);
        ok(r == -EINVAL, "hostile filters %.60s refused (%d)", text, r);
        is_str(err.msg, "invalid filter", "... with Docker's words");
        ok(f.fields == NULL, "... and nothing is left to free");
}

static void test_parse(void)
{
        parse_ok(NULL, NULL, NULL);
        parse_ok("", NULL, NULL);
        parse_ok("{}", NULL, NULL);
        parse_ok("{\"label\":[\"a=b\"]}", "label", "a=b");
        parse_ok("{\"label\":{\"a=b\":true}}", "label", "a=b");
        parse_ok("{\"status\":[\"running\",\"exited\"]}", "status", "exited");
        /* the old form with false: the value is not in the set */
        RossFilters f = {};
        ok(ross_filters_parse("{\"name\":{\"x\":false}}", &f, NULL) == 0 &&
                   json_object_size(ross_filters_values(&f, "name")) == 0 &&
                   ross_filters_contains(&f, "name"),
           "{\"name\":{\"x\":false}}: the key is there, the value is not");
        ross_filters_done(&f);

        /* bad JSON and wrong shapes */
        parse_bad("{");
        parse_bad("not json");
        parse_bad("[\"label\"]");
        parse_bad("\"label\"");
        parse_bad("42");
        parse_bad("null");
        parse_bad("{\"label\":\"a=b\"}");
        parse_bad("{\"label\":[1]}");
        parse_bad("{\"label\":[[\"a\"]]}");
        parse_bad("{\"label\":[null]}");
        parse_bad("{\"label\":{\"a\":\"yes\"}}");
        parse_bad("{\"label\":{\"a\":{}}}");
        parse_bad("{\"label\":null}");
        parse_bad("{\"a\":[\"b\"]}trailing");
        parse_bad("\xff\xfe{}");
        /* deep nesting and a huge value do not crash, and are refused */
        RossBuf deep = {};
        ross_buf_printf(&deep, "{\"label\":");
        for (int i = 0; i < 10000; i++)
                ross_buf_printf(&deep, "[");
        parse_bad(deep.data);
        ross_buf_free(&deep);
        RossBuf huge = {};
        ross_buf_printf(&huge, "{\"label\":[\"");
        for (int i = 0; i < 100000; i++)
                ross_buf_printf(&huge, "a");
        ross_buf_printf(&huge, "\"]}");
        parse_bad(huge.data);
        ross_buf_free(&huge);
}

/* ---- matching ---- */

static RossFilters make(const char *text)
{
        RossFilters f = {};
        if (ross_filters_parse(text, &f, NULL) < 0)
                printf("# cannot parse %s\n", text);
        return f;
}

static void test_match(void)
{
        RossFilters f = make("{\"name\":[\"^web\"],\"id\":[\"abc\"]}");
        ok(ross_filters_match(&f, "name", "web-1"), "name: an expression matches");
        ok(!ross_filters_match(&f, "name", "myweb"), "name: anchored expressions hold");
        ok(ross_filters_match(&f, "status", "running"), "a key without values matches all");
        ok(ross_filters_exact(&f, "id", "abc") && !ross_filters_exact(&f, "id", "abcd"),
           "exact is exact");
        ross_filters_done(&f);

        f = make("{\"name\":[\"[\"]}");
        ok(!ross_filters_match(&f, "name", "x"), "a bad expression matches nothing but itself");
        ok(ross_filters_match(&f, "name", "["), "... itself exactly");
        ross_filters_done(&f);

        json_t *labels = json_pack("{s:s, s:s}", "com.docker.compose.project", "a", "tier", "");
        f = make("{\"label\":[\"com.docker.compose.project=a\"]}");
        ok(ross_filters_match_kv(&f, "label", labels), "label=KEY=VALUE matches");
        ross_filters_done(&f);
        f = make("{\"label\":[\"com.docker.compose.project=b\"]}");
        ok(!ross_filters_match_kv(&f, "label", labels), "label=KEY=OTHER does not");
        ross_filters_done(&f);
        f = make("{\"label\":[\"com.docker.compose.project\", \"tier\"]}");
        ok(ross_filters_match_kv(&f, "label", labels), "label=KEY matches any value, \"\" too");
        ross_filters_done(&f);
        f = make("{\"label\":[\"com.docker.compose.project=a\", \"missing\"]}");
        ok(!ross_filters_match_kv(&f, "label", labels), "every label must match");
        ross_filters_done(&f);
        f = make("{\"label\":[\"tier=\"]}");
        ok(ross_filters_match_kv(&f, "label", labels), "label=KEY= matches an empty value");
        ross_filters_done(&f);
        f = make("{\"label\":[\"a\"]}");
        ok(!ross_filters_match_kv(&f, "label", NULL), "no labels: a label filter fails");
        ross_filters_done(&f);
        json_decref(labels);

        RossError err = {};
        bool b = true;
        f = make("{\"dangling\":[\"true\"]}");
        ok(ross_filters_bool(&f, "dangling", false, &b, &err) == 0 && b, "dangling=true");
        ross_filters_done(&f);
        f = make("{\"dangling\":[\"0\"]}");
        ok(ross_filters_bool(&f, "dangling", true, &b, &err) == 0 && !b, "dangling=0");
        ross_filters_done(&f);
        f = make("{\"dangling\":[\"maybe\"]}");
        ok(ross_filters_bool(&f, "dangling", false, &b, &err) == -EINVAL, "dangling=maybe");
        is_str(err.msg, "invalid filter 'dangling=[maybe]'", "... Docker's words");
        ross_filters_done(&f);
        f = make("{\"dangling\":[\"true\",\"false\"]}");
        ok(ross_filters_bool(&f, "dangling", false, &b, &err) == -EINVAL, "both is refused");
        ross_filters_done(&f);

        f = make("{\"foo\":[\"x\"],\"label\":[\"a\"]}");
        static const char *const accepted[] = {"label", "name", NULL};
        ok(ross_filters_validate(&f, accepted, &err) == -EINVAL, "an unknown filter is refused");
        is_str(err.msg, "invalid filter 'foo'", "... in Docker's words");
        ross_filters_done(&f);
}

/* ---- containers: a walk over fake containers, newest first ---- */

typedef struct Fake {
        const char *id, *name, *image, *state, *labels, *network, *mounts;
        int code;
        bool started;
} Fake;

static const Fake fakes[] = {
        {"e5e5", "a_web_1", "sha256:img1", "running", "{\"com.docker.compose.project\":\"a\"}",
         "none", "[]", 0, true},
        {"d4d4", "b_web_1", "sha256:img1", "running", "{\"com.docker.compose.project\":\"b\"}",
         "host", "[{\"Source\":\"/srv\",\"Destination\":\"/data\"}]", 0, true},
        {"c3c3", "done", "sha256:img2", "exited", "{}", NULL, "[]", 3, true},
        {"b2b2", "fresh", "sha256:img2", "created", "{}", NULL, "[]", 0, false},
        {"a1a1", "frozen", "sha256:img1", "paused", "{\"x\":\"1\"}", NULL, "[]", 0, true},
};

static int resolve_container(void *ud, const char *ref, char **ret_id, RossError *err)
{
        for (size_t i = 0; i < ELEMENTSOF(fakes); i++)
                if (STREQ(fakes[i].id, ref) || STREQ(fakes[i].name, ref)) {
                        *ret_id = xstrdup(fakes[i].id);
                        return 0;
                }
        return ross_errx(err, ENOENT, "No such container: %s", ref);
}

static int resolve_image(void *ud, const char *ref, char **ret_id, RossError *err)
{
        if (STREQ(ref, "busybox") || STREQ(ref, "sha256:img1")) {
                *ret_id = xstrdup("sha256:img1");
                return 0;
        }
        if (STREQ(ref, "other")) {
                *ret_id = xstrdup("sha256:img2");
                return 0;
        }
        if (STREQ(ref, "broken"))
                return ross_errx(err, EIO, "look up image %s: database: disk I/O error", ref);
        return ross_errx(err, ENOENT, "No such image: %s", ref);
}

static const RossFilterResolvers resolvers = {resolve_container, resolve_image, NULL};

/* The names the filter keeps, space-separated; "ERR: message" if init fails. */
static char *walk(const char *filters, bool all, int limit)
{
        RossContainerFilter cf = {};
        RossError err = {};
        if (ross_container_filter_init(&cf, filters, all, limit, &resolvers, &err) < 0)
                return xasprintf("ERR: %s", err.msg);
        RossBuf b = {};
        for (size_t i = 0; i < ELEMENTSOF(fakes); i++) {
                json_t *labels = json_loads(fakes[i].labels, 0, NULL);
                json_t *mounts = json_loads(fakes[i].mounts, 0, NULL);
                RossContainerInfo ci = {
                        .id = fakes[i].id,
                        .name = fakes[i].name,
                        .image_id = fakes[i].image,
                        .labels = labels,
                        .state = fakes[i].state,
                        .exit_code = fakes[i].code,
                        .started = fakes[i].started,
                        .mounts = mounts,
                        .network = fakes[i].network,
                };
                bool stop = false;
                if (ross_container_filter_pick(&cf, &ci, &stop))
                        ross_buf_printf(&b, "%s%s", b.len ? " " : "", fakes[i].name);
                json_decref(labels);
                json_decref(mounts);
                if (stop)
                        break;
        }
        ross_container_filter_done(&cf);
        return b.data ? ross_buf_steal(&b) : xstrdup("");
}

static void kept(const char *filters, bool all, const char *want)
{
        char *got = walk(filters, all, 0);
        is_str(got, want, "%s%s keeps [%s]", filters ? filters : "(none)", all ? " all" : "", want);
        free(got);
}

static void test_containers(void)
{
        kept(NULL, false, "a_web_1 b_web_1 frozen");
        kept(NULL, true, "a_web_1 b_web_1 done fresh frozen");
        /* the bug docker-compose hit: one project's filter must not see the other's */
        kept("{\"label\":[\"com.docker.compose.project=a\"]}", true, "a_web_1");
        kept("{\"label\":{\"com.docker.compose.project=b\":true}}", true, "b_web_1");
        kept("{\"label\":[\"com.docker.compose.project\"]}", true, "a_web_1 b_web_1");
        kept("{\"name\":[\"web\"]}", true, "a_web_1 b_web_1");
        kept("{\"name\":[\"^/done$\"]}", true, "done");
        kept("{\"id\":[\"c3\"]}", true, "done");
        kept("{\"id\":[\"3c\"]}", true, "");
        kept("{\"status\":[\"exited\"]}", false, "done");
        kept("{\"status\":[\"created\",\"paused\"]}", false, "fresh frozen");
        kept("{\"exited\":[\"3\"]}", true, "done");
        kept("{\"exited\":[\"0\"]}", true, "");
        kept("{\"ancestor\":[\"other\"]}", true, "done fresh");
        kept("{\"ancestor\":[\"nosuchimage\"]}", true, "");
        /* a database that cannot tell is no "matches nothing" */
        kept("{\"ancestor\":[\"broken\"]}", true,
             "ERR: filter 'ancestor=broken': look up image broken: database: disk I/O error");
        kept("{\"before\":[\"done\"]}", true, "fresh frozen");
        kept("{\"since\":[\"done\"]}", true, "a_web_1 b_web_1");
        kept("{\"health\":[\"none\"]}", true, "a_web_1 b_web_1 done fresh frozen");
        kept("{\"health\":[\"healthy\"]}", true, "");
        kept("{\"volume\":[\"/data\"]}", true, "b_web_1");
        kept("{\"network\":[\"host\"]}", true, "b_web_1");
        kept("{\"is-task\":[\"false\"]}", true, "a_web_1 b_web_1 done fresh frozen");
        kept("{\"is-task\":[\"true\"]}", true, "");
        kept("{\"isolation\":[\"default\"]}", false, "a_web_1 b_web_1 frozen");
        kept("{\"publish\":[\"80\"]}", true, "");
        kept("{\"label\":[\"x=1\"],\"status\":[\"paused\"]}", false, "frozen");
        /* errors, in Docker's words */
        kept("{\"foo\":[\"x\"]}", true, "ERR: invalid filter 'foo'");
        kept("{\"status\":[\"sleeping\"]}", true,
             "ERR: invalid filter 'status=sleeping': invalid value for state (sleeping): must "
             "be one of created, running, paused, restarting, removing, exited, dead");
        kept("{\"health\":[\"ok\"]}", true,
             "ERR: invalid filter 'health=ok': invalid value for health (ok): must be one of "
             "none, starting, healthy, unhealthy");
        kept("{\"exited\":[\"x\"]}", true, "ERR: invalid filter 'exited=x': not an integer");
        kept("{\"before\":[\"nosuch\"]}", true, "ERR: No such container: nosuch");
        kept("{\"publish\":[\"1:2\"]}", true,
             "ERR: filter for 'publish' should not contain ':': 1:2");
        kept("{\"label\":", true, "ERR: invalid filter");

        char *got = walk(NULL, false, 2);
        is_str(got, "a_web_1 b_web_1", "limit=2 keeps the newest two");
        free(got);
        got = walk(NULL, false, 4);
        is_str(got, "a_web_1 b_web_1 done fresh", "a limit lists stopped ones too, as Docker");
        free(got);
}

/* ---- images ---- */

static json_t *images(void)
{
        return json_loads(
                "[{\"Id\":\"sha256:new\",\"Created\":300,\"RepoTags\":[\"busybox:latest\","
                "\"127.0.0.1:5000/busybox:2\"],\"RepoDigests\":[],\"Labels\":{\"v\":\"3\"}},"
                "{\"Id\":\"sha256:mid\",\"Created\":200,\"RepoTags\":[],\"RepoDigests\":["
                "\"127.0.0.1:5000/alpine@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "aaaaaaaaaaaaaa\"],\"Labels\":{}},"
                "{\"Id\":\"sha256:old\",\"Created\":100,\"RepoTags\":[],\"RepoDigests\":[],"
                "\"Labels\":{\"v\":\"1\"}}]",
                0, NULL);
}

static int resolve_img(void *ud, const char *ref, char **ret_id, RossError *err)
{
        static const char *const ids[] = {"sha256:new", "sha256:mid", "sha256:old"};
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (STREQ(ref, ids[i]) || STREQ(ref, ids[i] + 7)) {
                        *ret_id = xstrdup(ids[i]);
                        return 0;
                }
        return ross_errx(err, ENOENT, "No such image: %s", ref);
}

static const RossFilterResolvers img_res = {NULL, resolve_img, NULL};

static char *image_ids(const char *filters)
{
        json_t *out = NULL, *img;
        RossError err = {};
        if (ross_filter_images(filters, images(), &img_res, &out, &err) < 0)
                return xasprintf("ERR: %s", err.msg);
        RossBuf b = {};
        size_t i;
        json_array_foreach (out, i, img) {
                ross_buf_printf(&b, "%s%s", b.len ? " " : "",
                                json_string_value(json_object_get(img, "Id")) + 7);
                json_t *tags = json_object_get(img, "RepoTags"), *t;
                size_t k;
                json_array_foreach (tags, k, t)
                        ross_buf_printf(&b, "%s%s", k ? "," : "(", json_string_value(t));
                if (json_array_size(tags))
                        ross_buf_printf(&b, ")");
        }
        json_decref(out);
        return b.data ? ross_buf_steal(&b) : xstrdup("");
}

static void images_kept(const char *filters, const char *want)
{
        char *got = image_ids(filters);
        is_str(got, want, "images %s: [%s]", filters ? filters : "(none)", want);
        free(got);
}

static void test_images(void)
{
        images_kept(NULL, "new(busybox:latest,127.0.0.1:5000/busybox:2) mid old");
        images_kept("{\"dangling\":[\"true\"]}", "mid old");
        images_kept("{\"dangling\":[\"false\"]}",
                    "new(busybox:latest,127.0.0.1:5000/busybox:2) mid");
        images_kept("{\"label\":[\"v\"]}", "new(busybox:latest,127.0.0.1:5000/busybox:2) old");
        images_kept("{\"label\":[\"v=1\"]}", "old");
        /* only the references that match are shown, as Docker does */
        images_kept("{\"reference\":[\"busybox\"]}", "new(busybox:latest)");
        images_kept("{\"reference\":[\"*/busybox:*\"]}", "new(127.0.0.1:5000/busybox:2)");
        images_kept("{\"reference\":[\"docker.io/library/busybox\"]}", "new(busybox:latest)");
        images_kept("{\"reference\":[\"127.0.0.1:5000/alpine\"]}", "mid");
        images_kept("{\"reference\":[\"nothing*\"]}", "");
        images_kept("{\"before\":[\"new\"]}", "mid old");
        images_kept("{\"since\":[\"old\"]}", "new(busybox:latest,127.0.0.1:5000/busybox:2) mid");
        images_kept("{\"since\":[\"old\"],\"before\":[\"sha256:new\"]}", "mid");
        images_kept("{\"until\":[\"150\"]}", "old");
        images_kept("{\"until\":[\"1970-01-01T00:03:20Z\"]}", "old");
        images_kept("{\"until\":[\"1h\"]}", "new(busybox:latest,127.0.0.1:5000/busybox:2) mid old");
        images_kept("{\"until\":[\"1.5h\"]}",
                    "new(busybox:latest,127.0.0.1:5000/busybox:2) mid old");
        /* strtod took these as 16 h, 1000 h and 150 + 500 s */
        images_kept("{\"until\":[\"0x10h\"]}",
                    "ERR: invalid value for 'until' filter: cannot parse '0x10h' as a timestamp "
                    "or a duration");
        images_kept("{\"until\":[\"1e3h\"]}",
                    "ERR: invalid value for 'until' filter: cannot parse '1e3h' as a timestamp "
                    "or a duration");
        images_kept("{\"until\":[\"1970-01-01T00:02:30.5e3Z\"]}",
                    "ERR: invalid value for 'until' filter: cannot parse "
                    "'1970-01-01T00:02:30.5e3Z' as a timestamp or a duration");
        images_kept("{\"until\":[\"soon\"]}",
                    "ERR: invalid value for 'until' filter: cannot parse 'soon' as a timestamp "
                    "or a duration");
        images_kept("{\"before\":[\"nosuch\"]}", "ERR: No such image: nosuch");
        images_kept("{\"status\":[\"x\"]}", "ERR: invalid filter 'status'");
        images_kept("{\"dangling\":[\"yes please\"]}",
                    "ERR: invalid filter 'dangling=[yes please]'");
        images_kept("[]", "ERR: invalid filter");
}

int main(void)
{
        test_parse();
        test_match();
        test_containers();
        test_images();
        return tap_done();
}
