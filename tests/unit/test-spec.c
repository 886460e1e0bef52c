/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <sys/stat.h>

#include "basic/buf.h"
#include "basic/fileio.h"
#include "container/spec.h"
#include "tap.h"

static char *joined(json_t *a)
{
        RossBuf b = {};
        json_t *v;
        size_t i;
        json_array_foreach (a, i, v)
                ross_buf_printf(&b, "%s%s", i ? " " : "", json_string_value(v));
        return ross_buf_steal(&b);
}

static void merge(const char *img, const char *ep, const char *cmd, const char *env,
                  const char *want_args, const char *want_env)
{
        json_t *ic = json_loads(img, 0, NULL);
        json_t *e = ep ? json_loads(ep, JSON_DECODE_ANY, NULL) : NULL;
        json_t *c = cmd ? json_loads(cmd, JSON_DECODE_ANY, NULL) : NULL;
        json_t *v = env ? json_loads(env, 0, NULL) : NULL;
        RossProcessSpec p = {};
        RossError err = {};
        int r = ross_process_merge(ic, e, c, v, NULL, NULL, &p, &err);
        ok(r == 0, "merge %s + ep %s cmd %s (%s)", img, ep ? ep : "-", cmd ? cmd : "-",
           r ? err.msg : "ok");
        if (r == 0) {
                _cleanup_free_ char *a = joined(p.args), *en = joined(p.env);
                is_str(a, want_args, "  args");
                if (want_env)
                        is_str(en, want_env, "  env");
        }
        ross_process_spec_free(&p);
        json_decref(ic);
        json_decref(e);
        json_decref(c);
        json_decref(v);
}

int main(void)
{
        const char *img = "{\"config\":{\"Entrypoint\":[\"/ep\"],\"Cmd\":[\"a\",\"b\"],"
                          "\"Env\":[\"PATH=/x\",\"K=img\"]}}";
        merge(img, NULL, NULL, NULL, "/ep a b", "PATH=/x K=img");
        merge(img, NULL, "[\"c\"]", NULL, "/ep c", NULL);
        merge(img, "[\"/other\"]", NULL, NULL, "/other", NULL);
        merge(img, "[\"/other\"]", "[\"x\"]", NULL, "/other x", NULL);
        merge(img, NULL, NULL, "[\"K=user\",\"N=1\"]", "/ep a b", "PATH=/x K=user N=1");
        merge("{\"config\":{\"Cmd\":[\"/bin/sh\"]}}", NULL, NULL, NULL, "/bin/sh",
              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

        RossProcessSpec p = {};
        RossError err = {};
        json_t *none = json_loads("{\"config\":{}}", 0, NULL);
        ok(ross_process_merge(none, NULL, NULL, NULL, NULL, NULL, &p, &err) == -EINVAL &&
                   strstr(err.msg, "no command specified"),
           "no command: %s", err.msg);
        json_t *cmd_x = json_loads("[\"x\"]", 0, NULL);
        ok(ross_process_merge(none, NULL, cmd_x, NULL, "rel", NULL, &p, &err) == -EINVAL,
           "relative workdir refused");
        json_decref(cmd_x);
        json_decref(none);

        char tmpl[] = "/tmp/ross-test-spec-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *etc = xasprintf("%s/etc", dir);
        _cleanup_free_ char *pw = xasprintf("%s/etc/passwd", dir);
        _cleanup_free_ char *gr = xasprintf("%s/etc/group", dir);
        mkdir(etc, 0755);
        const char *passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
        const char *group = "root:x:0:\napp:x:1000:\nextra:x:2000:app,other\nwheel:x:10:other\n";
        ross_write_file_atomic(pw, passwd, strlen(passwd), 0644, NULL);
        ross_write_file_atomic(gr, group, strlen(group), 0644, NULL);
        int rootfd = open(dir, O_RDONLY | O_DIRECTORY);
        RossIds ids = {};
        ok(ross_resolve_user(rootfd, "app", &ids, &err) == 0 && ids.uid == 1000 &&
                   ids.gid == 1000 && ids.n_groups == 1 && ids.groups[0] == 2000,
           "user by name, with supplementary group");
        free(ids.groups);
        ok(ross_resolve_user(rootfd, "1000:2000", &ids, &err) == 0 && ids.uid == 1000 &&
                   ids.gid == 2000,
           "uid:gid");
        free(ids.groups);
        ok(ross_resolve_user(rootfd, "app:wheel", &ids, &err) == 0 && ids.gid == 10, "name:group");
        free(ids.groups);
        ok(ross_resolve_user(rootfd, "4242", &ids, &err) == 0 && ids.uid == 4242 && ids.gid == 0,
           "unknown uid is allowed, gid 0");
        free(ids.groups);
        ok(ross_resolve_user(rootfd, "nobody", &ids, &err) == -ENOENT &&
                   strstr(err.msg, "unable to find user nobody"),
           "unknown user refused: %s", err.msg);
        ok(ross_resolve_user(rootfd, "app:nogroup", &ids, &err) == -ENOENT,
           "unknown group refused");
        close(rootfd);
        ross_rm_rf(dir);
        return tap_done();
}
