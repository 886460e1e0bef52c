/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>
#include <sys/stat.h>

#include "../basic/macros.h"
#include "../basic/parse.h"
#include "config.h"
#include "containers.h"
#include "health.h"
#include "mounts.h"

void ross_container_config_free(RossContainerConfig *c)
{
        free(c->image_id);
        free(c->runtime);
        ross_process_spec_free(&c->process);
        free(c->hostname);
        free(c->restart);
        json_decref(c->health);
        json_decref(c->binds);
        json_decref(c->tmpfs);
        json_decref(c->group_add);
        ross_net_config_free(&c->net);
        *c = (RossContainerConfig){};
}

/* HostConfig.RestartPolicy and AutoRemove, in Docker's words when they are wrong. */
static int restart_policy_of(json_t *hc, RossContainerConfig *c, RossError *err)
{
        json_t *rp = json_object_get(hc, "RestartPolicy");
        c->auto_remove = json_is_true(json_object_get(hc, "AutoRemove"));
        if (rp && !json_is_null(rp) && !json_is_object(rp))
                return ross_errx(err, EINVAL, "invalid RestartPolicy: an object is needed");
        json_t *n = json_object_get(rp, "Name"), *m = json_object_get(rp, "MaximumRetryCount");
        if ((n && !json_is_string(n) && !json_is_null(n)) ||
            (m && !json_is_integer(m) && !json_is_null(m)))
                return ross_errx(err, EINVAL,
                                 "invalid RestartPolicy: Name is a string, MaximumRetryCount a "
                                 "number");
        const char *name = json_string_value(n);
        if (STR_EMPTY(name))
                name = "no";
        json_int_t max = json_integer_value(m);
        if (!STREQ(name, "no") && !STREQ(name, "always") && !STREQ(name, "unless-stopped") &&
            !STREQ(name, "on-failure"))
                return ross_errx(err, EINVAL, "invalid restart policy '%s'", name);
        if (max < 0)
                return ross_errx(err, EINVAL,
                                 "invalid restart policy: maximum retry count "
                                 "cannot be negative");
        if (max > 0 && !STREQ(name, "on-failure"))
                return ross_errx(err, EINVAL,
                                 "invalid restart policy: maximum retry count can only be used "
                                 "with 'on-failure'");
        if (max > INT32_MAX)
                return ross_errx(err, EINVAL,
                                 "invalid restart policy: maximum retry count is "
                                 "too large");
        if (c->auto_remove && !STREQ(name, "no"))
                return ross_errx(err, EINVAL,
                                 "can't create 'AutoRemove' container with restart policy");
        c->restart = xstrdup(name);
        c->restart_max = (int)max;
        return 0;
}

/* A resource limit: absent or null is 0; else an integer from 0 up. */
static int limit_of(json_t *hc, const char *key, int64_t *ret, RossError *err)
{
        json_t *v = json_object_get(hc, key);
        *ret = 0;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
                /* Docker's PidsLimit -1 is "unlimited" */
                if (STREQ(key, "PidsLimit") && json_is_integer(v) && json_integer_value(v) == -1)
                        return 0;
                return ross_errx(err, EINVAL, "invalid %s: a number from 0 up is needed", key);
        }
        *ret = json_integer_value(v);
        return 0;
}

/* HostConfig.Tmpfs ({path: options}) and tmpfs Mounts as "path[:options]". */
static int tmpfs_of(json_t *hc, json_t **ret, RossError *err)
{
        _cleanup_(json_decrefp) json_t *out = json_array();
        const char *k;
        json_t *v;
        json_object_foreach (json_object_get(hc, "Tmpfs"), k, v) {
                if (k[0] != '/')
                        return ross_errx(err, EINVAL,
                                         "invalid tmpfs '%s': the path must be "
                                         "absolute",
                                         k);
                if (v && !json_is_string(v) && !json_is_null(v))
                        return ross_errx(err, EINVAL,
                                         "invalid tmpfs '%s': options must be a "
                                         "string",
                                         k);
                if (STR_EMPTY(json_string_value(v)))
                        json_array_append_new(out, json_string(k));
                else {
                        _cleanup_free_ char *t = xasprintf("%s:%s", k, json_string_value(v));
                        json_array_append_new(out, json_string(t));
                }
        }
        size_t i;
        json_array_foreach (json_object_get(hc, "Mounts"), i, v) {
                const char *type = json_string_value(json_object_get(v, "Type"));
                const char *dst = json_string_value(json_object_get(v, "Target"));
                if (!type || !STREQ(type, "tmpfs"))
                        continue;
                if (!dst || dst[0] != '/')
                        return ross_errx(err, EINVAL,
                                         "invalid mount: a tmpfs needs an absolute Target");
                json_array_append_new(out, json_string(dst));
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int ross_container_config_parse(json_t *body, json_t *image_config, const char *runtime,
                                bool (*known_runtime)(const char *name), RossContainerConfig *ret,
                                RossError *err)
{
        _cleanup_(ross_container_config_free) RossContainerConfig c = {.stop_timeout = -1};
        json_t *hc = json_object_get(body, "HostConfig");
        int r;

        if (hc && !json_is_object(hc) && !json_is_null(hc))
                return ross_errx(err, EINVAL, "HostConfig must be an object");
        const char *rt = json_string_value(json_object_get(hc, "Runtime"));
        if (!STR_EMPTY(rt) && !known_runtime(rt))
                return ross_errx(err, EINVAL, "unknown or invalid runtime name: %s", rt);
        c.runtime = xstrdup(STR_EMPTY(rt) ? runtime : rt);

        if ((r = ross_net_config_parse(body, image_config, &c.net, err)) < 0)
                return r;

        if ((r = ross_log_config_parse(hc, &c.log, err)) < 0)
                return r;
        json_t *ga = json_object_get(hc, "GroupAdd");
        if (ga && !json_is_null(ga) && !ross_json_strings(ga))
                return ross_errx(err, EINVAL, "GroupAdd must be an array of strings");
        c.group_add = json_is_array(ga) ? json_deep_copy(ga) : json_array();

        /* the stop signal: the container's, else the image's */
        json_t *icfg = json_object_get(image_config, "config");
        const char *stop_sig = json_string_value(json_object_get(body, "StopSignal"));
        c.stop_signal = SIGTERM;
        if (!STR_EMPTY(stop_sig) && ross_containers_parse_signal(stop_sig, &c.stop_signal) < 0)
                return ross_errx(err, EINVAL, "Invalid signal: %s", stop_sig);
        const char *img_sig = json_string_value(json_object_get(icfg, "StopSignal"));
        if (STR_EMPTY(stop_sig) && !STR_EMPTY(img_sig) &&
            ross_containers_parse_signal(img_sig, &c.stop_signal) < 0)
                c.stop_signal = SIGTERM; /* the image's own mistake: Docker's default */
        json_t *st = json_object_get(body, "StopTimeout");
        if (st && !json_is_null(st)) {
                if (!json_is_integer(st) || json_integer_value(st) < -1 ||
                    json_integer_value(st) > 1000000)
                        return ross_errx(err, EINVAL,
                                         "invalid StopTimeout: a number of seconds "
                                         "is needed");
                c.stop_timeout = (int)json_integer_value(st);
        }

        if ((r = restart_policy_of(hc, &c, err)) < 0 ||
            (r = ross_health_config(body, image_config, &c.health, err)) < 0)
                return r;
        if ((r = tmpfs_of(hc, &c.tmpfs, err)) < 0 ||
            (r = ross_container_parse_mounts(body, image_config, c.tmpfs, &c.binds, err)) < 0)
                return r;
        if ((r = limit_of(hc, "Memory", &c.memory, err)) < 0 ||
            (r = limit_of(hc, "NanoCpus", &c.nano_cpus, err)) < 0 ||
            (r = limit_of(hc, "PidsLimit", &c.pids_limit, err)) < 0)
                return r;
        c.init = json_is_true(json_object_get(hc, "Init"));
        c.readonly_rootfs = json_is_true(json_object_get(hc, "ReadonlyRootfs"));

        /* what it runs: a command must come from somewhere */
        r = ross_process_merge(image_config, json_object_get(body, "Entrypoint"),
                               json_object_get(body, "Cmd"), json_object_get(body, "Env"),
                               json_string_value(json_object_get(body, "WorkingDir")),
                               json_string_value(json_object_get(body, "User")), &c.process, err);
        if (r < 0)
                return r;
        c.process.terminal = json_is_true(json_object_get(body, "Tty"));
        c.open_stdin = json_is_true(json_object_get(body, "OpenStdin"));
        c.stdin_once = json_is_true(json_object_get(body, "StdinOnce"));
        const char *hostname = json_string_value(json_object_get(body, "Hostname"));
        if (hostname && strlen(hostname) > 63)
                return ross_errx(err, EINVAL, "invalid hostname '%s': longer than 63 characters",
                                 hostname);
        /* it goes into /etc/hosts and /etc/hostname */
        if (!STR_EMPTY(hostname) && !ross_net_dns_name(hostname))
                return ross_errx(err, EINVAL, "invalid hostname format: %s", hostname);
        c.hostname = STR_EMPTY(hostname) ? NULL : xstrdup(hostname);
        *ret = c;
        c = (RossContainerConfig){};
        return 0;
}

json_t *ross_container_config_to_json(const RossContainerConfig *c)
{
        json_t *o = json_pack(
                "{s:s, s:s, s:O, s:O, s:s, s:s, s:b, s:b, s:b, s:O, s:O, s:O, s:b, s:b, s:I, s:I, "
                "s:I, s:o, s:i, s:i}",
                "image_id", c->image_id ?: "", "runtime", c->runtime, "args", c->process.args,
                "env", c->process.env, "cwd", c->process.cwd ?: "/", "user", c->process.user ?: "",
                "terminal", c->process.terminal, "open_stdin", c->open_stdin, "stdin_once",
                c->stdin_once, "binds", c->binds, "tmpfs", c->tmpfs, "group_add", c->group_add,
                "init", c->init, "readonly_rootfs", c->readonly_rootfs, "memory",
                (json_int_t)c->memory, "nano_cpus", (json_int_t)c->nano_cpus, "pids_limit",
                (json_int_t)c->pids_limit, "net", ross_net_config_to_json(&c->net), "stop_signal",
                c->stop_signal, "stop_timeout", c->stop_timeout);
        if (c->hostname)
                json_object_set_new(o, "hostname", json_string(c->hostname));
        json_object_set_new(
                o, "restart",
                json_pack("{s:s, s:i}", "name", c->restart ?: "no", "max", c->restart_max));
        json_object_set_new(o, "auto_remove", json_boolean(c->auto_remove));
        if (c->health)
                json_object_set(o, "health", c->health);
        json_object_set_new(o, "log", ross_log_config_to_json(&c->log));
        return o;
}

static int bad_field(const char *k, RossError *err)
{
        return ross_errx(err, EINVAL, "the stored container config has no valid '%s'", k);
}

static int str_field(json_t *j, const char *k, bool optional, char **ret, RossError *err)
{
        json_t *v = json_object_get(j, k);
        if (!v && optional)
                return 0;
        if (!json_is_string(v))
                return bad_field(k, err);
        *ret = xstrdup(json_string_value(v));
        return 0;
}

int ross_container_config_from_json(json_t *j, RossContainerConfig *ret, RossError *err)
{
        _cleanup_(ross_container_config_free) RossContainerConfig c = {};
        int r;
        if (!json_is_object(j))
                return ross_errx(err, EINVAL,
                                 "the container has no stored config (made by an "
                                 "older Ross: create it again)");
        if ((r = str_field(j, "image_id", false, &c.image_id, err)) < 0 ||
            (r = str_field(j, "runtime", false, &c.runtime, err)) < 0 ||
            (r = str_field(j, "cwd", false, &c.process.cwd, err)) < 0 ||
            (r = str_field(j, "user", false, &c.process.user, err)) < 0 ||
            (r = str_field(j, "hostname", true, &c.hostname, err)) < 0)
                return r;
        static const char *const lists[] = {"args", "env", "tmpfs", "group_add"};
        json_t **dst[] = {&c.process.args, &c.process.env, &c.tmpfs, &c.group_add};
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                json_t *v = json_object_get(j, lists[i]);
                if (!ross_json_strings(v))
                        return bad_field(lists[i], err);
                *dst[i] = json_incref(v);
        }
        if (json_array_size(c.process.args) == 0)
                return bad_field("args", err);
        json_t *binds = json_object_get(j, "binds"), *b;
        size_t i;
        if (!json_is_array(binds))
                return bad_field("binds", err);
        json_array_foreach (binds, i, b)
                if (!json_is_string(json_object_get(b, "source")) ||
                    !json_is_string(json_object_get(b, "destination")))
                        return bad_field("binds", err);
        c.binds = json_incref(binds);
        json_t *net = json_object_get(j, "net");
        if (net && (r = ross_net_config_from_json(net, &c.net, err)) < 0)
                return r;
        if (!net) {
                /* an older Ross's: none or host, ports given but not published */
                const char *mode = json_string_value(json_object_get(j, "network"));
                json_t *ports = json_object_get(j, "ports");
                c.net = (RossNetConfig){
                        .mode = xstrdup(mode && STREQ(mode, "host") ? "host" : "none"),
                        .endpoints = json_object(),
                        .ports = json_is_array(ports) ? json_incref(ports) : json_array(),
                        .exposed = json_array(),
                        .dns = json_array(),
                        .dns_search = json_array(),
                        .dns_options = json_array(),
                        .extra_hosts = json_array(),
                        .mac = xstrdup(""),
                        .domainname = xstrdup(""),
                };
        }
        c.process.terminal = json_is_true(json_object_get(j, "terminal"));
        c.open_stdin = json_is_true(json_object_get(j, "open_stdin"));
        c.stdin_once = json_is_true(json_object_get(j, "stdin_once"));
        c.init = json_is_true(json_object_get(j, "init"));
        c.readonly_rootfs = json_is_true(json_object_get(j, "readonly_rootfs"));
        c.memory = json_integer_value(json_object_get(j, "memory"));
        c.nano_cpus = json_integer_value(json_object_get(j, "nano_cpus"));
        c.pids_limit = json_integer_value(json_object_get(j, "pids_limit"));
        json_t *sig = json_object_get(j, "stop_signal"), *to = json_object_get(j, "stop_timeout");
        if (!json_is_integer(sig) || json_integer_value(sig) < 1 || json_integer_value(sig) > 64)
                return bad_field("stop_signal", err);
        if (!json_is_integer(to))
                return bad_field("stop_timeout", err);
        c.stop_signal = (int)json_integer_value(sig);
        c.stop_timeout = (int)json_integer_value(to);
        /* an older Ross's config has no restart policy: "no" */
        json_t *rs = json_object_get(j, "restart");
        const char *rname = json_string_value(json_object_get(rs, "name"));
        c.restart = xstrdup(rname ? rname : "no");
        c.restart_max = (int)json_integer_value(json_object_get(rs, "max"));
        c.auto_remove = json_is_true(json_object_get(j, "auto_remove"));
        json_t *health = json_object_get(j, "health");
        c.health = json_is_object(health) ? json_incref(health) : NULL;
        if (c.memory < 0 || c.nano_cpus < 0 || c.pids_limit < 0)
                return bad_field("memory", err);
        /* an older Ross's config has no log settings: its defaults */
        if ((r = ross_log_config_from_json(json_object_get(j, "log"), &c.log, err)) < 0)
                return r;
        *ret = c;
        c = (RossContainerConfig){};
        return 0;
}
