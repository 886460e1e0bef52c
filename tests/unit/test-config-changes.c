/* SPDX-License-Identifier: Apache-2.0 */
/* Dockerfile instructions as image config changes (src/image/config-changes.c). */
#include <jansson.h>

#include "image/config-changes.h"
#include "tap.h"

/* Apply the changes (a NULL-terminated list) to the config given as JSON; the result, or
 * the error's message. */
static char *apply(const char *config, const char *const *changes, int *ret)
{
        json_auto_t *cfg = json_loads(config, 0, NULL);
        json_auto_t *list = json_array();
        RossError err = {};
        for (const char *const *c = changes; *c; c++)
                json_array_append_new(list, json_string(*c));
        *ret = ross_image_config_changes_apply(cfg, list, &err);
        if (*ret < 0)
                return xstrdup(err.msg);
        return json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
}

static void check(const char *config, const char *const *changes, const char *want,
                  const char *what)
{
        int r;
        char *got = apply(config, changes, &r);
        is_str(got, want, "%s", what);
        free(got);
}

static void check_fails(const char *config, const char *const *changes, const char *want,
                        const char *what)
{
        int r;
        char *got = apply(config, changes, &r);
        ok(r == -EINVAL, "%s: refused", what);
        is_str(got, want, "%s: the message", what);
        free(got);
}

int main(void)
{
        check("{}", (const char *[]){"CMD [\"cat\", \"/f\"]", NULL}, "{\"Cmd\":[\"cat\",\"/f\"]}",
              "CMD, exec form");
        check("{}", (const char *[]){"cmd echo hi", NULL},
              "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"]}", "cmd, shell form, any case");
        check("{}", (const char *[]){"CMD [\"unterminated\"", NULL},
              "{\"Cmd\":[\"/bin/sh\",\"-c\",\"[\\\"unterminated\\\"\"]}",
              "CMD: not JSON is the shell form");
        check("{\"Cmd\":[\"old\"]}", (const char *[]){"ENTRYPOINT [\"/bin/x\"]", NULL},
              "{\"Cmd\":null,\"Entrypoint\":[\"/bin/x\"]}",
              "ENTRYPOINT drops the command it inherited");
        check("{}", (const char *[]){"CMD [\"a\"]", "ENTRYPOINT [\"/e\"]", NULL},
              "{\"Cmd\":[\"a\"],\"Entrypoint\":[\"/e\"]}", "but not one given with it");
        check("{\"Env\":[\"A=1\"]}",
              (const char *[]){"ENV A=2 B=\"two words\" C='$A'", "ENV D $A and more", NULL},
              "{\"Env\":[\"A=2\",\"B=two words\",\"C=$A\",\"D=2 and more\"]}",
              "ENV: pairs, quotes, the old form, $NAME");
        check("{}", (const char *[]){"LABEL a=b \"c d\"=e", NULL},
              "{\"Labels\":{\"a\":\"b\",\"c d\":\"e\"}}", "LABEL");
        check("{}", (const char *[]){"EXPOSE 80 53/UDP 8000-8001", NULL},
              "{\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{},\"8000/tcp\":{},\"8001/tcp\":{}}}",
              "EXPOSE: a port, a protocol, a range");
        check("{\"WorkingDir\":\"/srv\"}", (const char *[]){"WORKDIR app/../data", NULL},
              "{\"WorkingDir\":\"/srv/data\"}", "WORKDIR relative to the last one, cleaned");
        check("{}", (const char *[]){"USER 1000:1000", "STOPSIGNAL SIGINT", NULL},
              "{\"StopSignal\":\"SIGINT\",\"User\":\"1000:1000\"}", "USER and STOPSIGNAL");
        check("{}", (const char *[]){"VOLUME [\"/a\", \"/b\"]", "VOLUME /c /d", NULL},
              "{\"Volumes\":{\"/a\":{},\"/b\":{},\"/c\":{},\"/d\":{}}}", "VOLUME, both forms");
        check("{}", (const char *[]){"ONBUILD run echo hi", NULL},
              "{\"OnBuild\":[\"RUN echo hi\"]}", "ONBUILD");
        check("{}",
              (const char *[]){"HEALTHCHECK --interval=1m30s --retries=3 CMD curl -f x", NULL},
              "{\"Healthcheck\":{\"Interval\":90000000000,\"Retries\":3,\"Test\":[\"CMD-SHELL\","
              "\"curl -f x\"]}}",
              "HEALTHCHECK with options");
        check("{}", (const char *[]){"HEALTHCHECK NONE", NULL},
              "{\"Healthcheck\":{\"Test\":[\"NONE\"]}}", "HEALTHCHECK NONE");
        check("{}", (const char *[]){"# a comment\nENV A=1 \\\n  B=2", NULL},
              "{\"Env\":[\"A=1\",\"B=2\"]}", "comments and continued lines");
        check("{\"Cmd\":[\"x\"]}", (const char *[]){NULL}, "{\"Cmd\":[\"x\"]}", "no changes");

        check_fails("{\"Cmd\":[\"x\"]}", (const char *[]){"CMD [\"y\"]", "RUN echo", NULL},
                    "run is not a valid change command", "RUN");
        check_fails("{}", (const char *[]){"FROM scratch", NULL},
                    "from is not a valid change command", "FROM");
        check_fails("{}", (const char *[]){"ENV a=1 b", NULL},
                    "Syntax error - can't find = in \"b\". Must be of the form: name=value",
                    "ENV without =");
        check_fails("{}", (const char *[]){"ENV A=\"open", NULL},
                    "unexpected end of statement while looking for matching double-quote",
                    "an open quote");
        check_fails("{}", (const char *[]){"USER a b", NULL}, "USER requires exactly one argument",
                    "USER with two");
        check_fails("{}", (const char *[]){"EXPOSE 70000", NULL}, "invalid containerPort: 70000",
                    "EXPOSE out of range");
        check_fails("{}", (const char *[]){"ONBUILD ONBUILD CMD x", NULL},
                    "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", "ONBUILD ONBUILD");
        check_fails("{}", (const char *[]){"HEALTHCHECK --interval=soon CMD x", NULL},
                    "HEALTHCHECK: invalid --interval 'soon'", "a bad duration");

        /* a failure leaves the config as it was */
        json_auto_t *cfg = json_pack("{s:[s]}", "Cmd", "keep");
        json_auto_t *list = json_pack("[s, s]", "CMD [\"changed\"]", "RUN x");
        RossError err = {};
        ok(ross_image_config_changes_apply(cfg, list, &err) == -EINVAL, "a bad change in a list");
        is_str(json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 0)), "keep",
               "the config is untouched");

        /* caps */
        json_auto_t *many = json_array();
        for (int i = 0; i <= ROSS_CONFIG_CHANGES_MAX; i++)
                json_array_append_new(many, json_string("ENV A=1"));
        ok(ross_image_config_changes_apply(cfg, many, &err) == -EINVAL,
           "more than %d changes refused", ROSS_CONFIG_CHANGES_MAX);
        return tap_done();
}
