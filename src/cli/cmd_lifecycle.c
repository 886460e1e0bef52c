/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <jansson.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/format.h"
#include "../basic/human.h"
#include "../basic/parse.h"
#include "commands.h"

static int call(RossClient *c, const char *method, const char *path, json_t **ret)
{
        RossError err = {};
        int r = ross_client_json(c, method, path, NULL, ret, &err);
        if (r < 0)
                ross_cli_error("%s", err.msg);
        return r;
}

/* The verbs that act on each container named: stop, kill, rm, wait, start. */
int ross_cmd_container_each(RossClient *c, int argc, char **argv)
{
        const char *verb = argv[0];
        bool force = false, volumes = false, stop = STREQ(verb, "stop"), kill = STREQ(verb, "kill");
        bool rm = STREQ(verb, "rm") || STREQ(verb, "delete"), wait = STREQ(verb, "wait");
        bool pause = STREQ(verb, "pause"), unpause = STREQ(verb, "unpause");
        bool restart = STREQ(verb, "restart");
        const char *signal = NULL;
        long timeout = -1;
        int ch, rc = 0;
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},        {"time", required_argument, NULL, 't'},
                {"signal", required_argument, NULL, 's'}, {"volumes", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},         {},
        };
        optind = 1;
        while ((ch = getopt_long(argc, argv, rm ? "ft:s:vh" : "ft:s:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        force = true;
                        break;
                case 'v':
                        volumes = true;
                        break;
                case 't': {
                        int v;
                        if (ross_parse_int(optarg, 0, 24 * 3600, &v) < 0) {
                                ross_cli_error("invalid argument \"%s\" for \"-t, --time\" flag: "
                                               "not a number of seconds",
                                               optarg);
                                return 125;
                        }
                        timeout = v;
                        break;
                }
                case 's':
                        signal = optarg;
                        break;
                case 'h':
                        printf("Usage: ross-cli container %s [OPTIONS] CONTAINER [CONTAINER...]\n"
                               "\n"
                               "Options:\n"
                               "  -f, --force        rm: kill a running container first\n"
                               "  -v, --volumes      rm: remove its anonymous volumes too\n"
                               "  -t, --time N       stop: seconds before SIGKILL\n"
                               "  -s, --signal SIG   kill: the signal (default KILL)\n",
                               verb);
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind >= argc) {
                ross_cli_error("container %s: at least one container is required", verb);
                return 125;
        }
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *ref = ross_client_escape(argv[i]);
                _cleanup_free_ char *path = NULL;
                const char *method = "POST";
                if (stop)
                        path = timeout >= 0 ? xasprintf("/containers/%s/stop?t=%ld", ref, timeout)
                                            : xasprintf("/containers/%s/stop", ref);
                else if (kill) {
                        _cleanup_free_ char *s = signal ? ross_client_escape(signal) : NULL;
                        path = xasprintf("/containers/%s/kill%s%s", ref, s ? "?signal=" : "",
                                         s ? s : "");
                } else if (rm) {
                        method = "DELETE";
                        path = xasprintf("/containers/%s?force=%d&v=%d", ref, force, volumes);
                } else if (wait)
                        path = xasprintf("/containers/%s/wait", ref);
                else if (pause || unpause)
                        path = xasprintf("/containers/%s/%s", ref, verb);
                else if (restart)
                        path = timeout >= 0
                                       ? xasprintf("/containers/%s/restart?t=%ld", ref, timeout)
                                       : xasprintf("/containers/%s/restart", ref);
                else
                        path = xasprintf("/containers/%s/start", ref);
                json_auto_t *resp = NULL;
                if (call(c, method, path, &resp) < 0) {
                        rc = 1;
                        continue;
                }
                if (wait)
                        printf("%lld\n",
                               (long long)json_integer_value(json_object_get(resp, "StatusCode")));
                else
                        printf("%s\n", argv[i]);
        }
        return rc;
}

/* "5 seconds ago", "About a minute ago": Docker's CREATED column. */
/* The list's Ports as docker ps shows them: "127.0.0.1:8080->80/tcp, 81/tcp". */
static char *ports_text(json_t *ports)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        json_t *p;
        size_t i;
        json_array_foreach (ports, i, p) {
                const char *ip = json_string_value(json_object_get(p, "IP"));
                json_int_t priv = json_integer_value(json_object_get(p, "PrivatePort"));
                json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
                const char *type = json_string_value(json_object_get(p, "Type")) ?: "tcp";
                if (b.len)
                        ross_buf_printf(&b, ", ");
                if (pub)
                        ross_buf_printf(&b, "%s:%lld->", ip ? ip : "0.0.0.0", (long long)pub);
                ross_buf_printf(&b, "%lld/%s", (long long)priv, type);
        }
        return b.data ? ross_buf_steal(&b) : xstrdup("");
}

static void ago(int64_t when, char *buf, size_t n)
{
        char d[64];
        ross_human_duration((double)((int64_t)time(NULL) - when), d, sizeof(d));
        snprintf(buf, n, "%s ago", d);
}

int ross_cmd_container_list(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"all", no_argument, NULL, 'a'},
                {"quiet", no_argument, NULL, 'q'},
                {"format", required_argument, NULL, 'F'},
                {"no-trunc", no_argument, NULL, 'N'},
                {"filter", required_argument, NULL, 'f'},
                {"last", required_argument, NULL, 'n'},
                {"latest", no_argument, NULL, 'l'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool all = false, quiet = false, no_trunc = false;
        const char *format = "table";
        int ch, last = -1;
        json_auto_t *filters = json_object();
        optind = 1;
        while ((ch = getopt_long(argc, argv, "aqf:n:lh", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        if (ross_cli_filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'n':
                        if (ross_parse_int(optarg, -1, INT32_MAX, &last) < 0) {
                                ross_cli_error("invalid argument \"%s\" for \"-n, --last\" flag",
                                               optarg);
                                return 125;
                        }
                        break;
                case 'l':
                        last = 1;
                        break;
                case 'a':
                        all = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'F':
                        format = optarg;
                        break;
                case 'N':
                        no_trunc = true;
                        break;
                case 'h':
                        printf("Usage: ross-cli container list [-a] [-q] [--no-trunc] [-f|--filter "
                               "KEY=VALUE]... [-n N] [-l] [--format table|json]   (also: ps)\n"
                               "\n"
                               "Filters (Docker's): id, name, label=KEY[=VALUE], status, "
                               "ancestor, before, since, exited, health, volume, network\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (!STREQ(format, "table") && !STREQ(format, "json")) {
                ross_cli_error("--format: '%s' is not 'table' or 'json'", format);
                return 125;
        }
        json_auto_t *list = NULL;
        json_t *e;
        size_t i;
        _cleanup_free_ char *q = ross_cli_filter_query(filters);
        _cleanup_free_ char *path =
                xasprintf("/containers/json?all=%d&limit=%d%s", all, last, q ? q : "");
        if (call(c, "GET", path, &list) < 0)
                return 1;
        if (STREQ(format, "json")) {
                _cleanup_free_ char *s = json_dumps(list, JSON_INDENT(2));
                printf("%s\n", s);
                return 0;
        }
        if (!quiet)
                printf("%-14s %-30s %-24s %-18s %-16s %-20s %s\n", "CONTAINER ID", "IMAGE",
                       "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
        json_array_foreach (list, i, e) {
                const char *id = json_string_value(json_object_get(e, "Id"));
                char shown[80], when[64], cmd[64];
                snprintf(shown, sizeof(shown), "%.*s", no_trunc ? 64 : 12, id);
                if (quiet) {
                        printf("%s\n", shown);
                        continue;
                }
                ago(json_integer_value(json_object_get(e, "Created")), when, sizeof(when));
                snprintf(cmd, sizeof(cmd), "\"%.20s\"",
                         json_string_value(json_object_get(e, "Command")) ?: "");
                const char *name =
                        json_string_value(json_array_get(json_object_get(e, "Names"), 0));
                _cleanup_free_ char *ports = ports_text(json_object_get(e, "Ports"));
                printf("%-14s %-30s %-24s %-18s %-16s %-20s %s\n", shown,
                       json_string_value(json_object_get(e, "Image")) ?: "", cmd, when,
                       json_string_value(json_object_get(e, "Status")) ?: "", ports,
                       name && name[0] == '/' ? name + 1 : (name ?: ""));
        }
        return 0;
}

int ross_cli_inspect(RossClient *c, int argc, char **argv, unsigned kinds)
{
        int rc = 0;
        json_auto_t *all = json_array();
        for (int i = 1; i < argc; i++) {
                _cleanup_free_ char *ref = ross_client_escape(argv[i]);
                _cleanup_free_ char *cpath = xasprintf("/containers/%s/json", ref);
                _cleanup_free_ char *ipath = ross_cli_image_path(argv[i], "/json");
                _cleanup_free_ char *npath = xasprintf("/networks/%s", ref);
                _cleanup_free_ char *vpath = xasprintf("/volumes/%s", ref);
                RossError err = {};
                json_t *o = NULL;
                int r = -ENOENT;
                if (kinds & ROSS_INSPECT_CONTAINER)
                        r = ross_client_json(c, "GET", cpath, NULL, &o, &err);
                if (r == -ENOENT && (kinds & ROSS_INSPECT_IMAGE))
                        r = ross_client_json(c, "GET", ipath, NULL, &o, &err);
                if (r == -ENOENT && (kinds & ROSS_INSPECT_NETWORK))
                        r = ross_client_json(c, "GET", npath, NULL, &o, &err);
                if (r == -ENOENT && (kinds & ROSS_INSPECT_VOLUME))
                        r = ross_client_json(c, "GET", vpath, NULL, &o, &err);
                /* more than one kind: Docker's words for none of them */
                if (r == -ENOENT && (kinds & (kinds - 1)))
                        ross_errx(&err, ENOENT, "No such object: %s", argv[i]);
                if (r < 0) {
                        ross_cli_error("%s", err.msg);
                        rc = 1;
                        continue;
                }
                if (o)
                        json_array_append_new(all, o);
        }
        _cleanup_free_ char *s = json_dumps(all, JSON_INDENT(4));
        printf("%s\n", s);
        return rc;
}

/* ross-cli inspect NAME...: a container if there is one by that name, else an image, else a
 * network, else a volume (Docker's order). */
int ross_cmd_inspect(RossClient *c, int argc, char **argv)
{
        if (argc < 2) {
                ross_cli_error("inspect: at least one container, image, network or volume is "
                               "required");
                return 125;
        }
        return ross_cli_inspect(c, argc, argv,
                                ROSS_INSPECT_CONTAINER | ROSS_INSPECT_IMAGE | ROSS_INSPECT_NETWORK |
                                        ROSS_INSPECT_VOLUME);
}

int ross_cmd_container_inspect(RossClient *c, int argc, char **argv)
{
        if (argc < 2) {
                ross_cli_error("container inspect: at least one container is required");
                return 125;
        }
        return ross_cli_inspect(c, argc, argv, ROSS_INSPECT_CONTAINER);
}

int ross_cmd_container_rename(RossClient *c, int argc, char **argv)
{
        if (argc != 3) {
                ross_cli_error("container rename: expected CONTAINER NEW-NAME");
                return 125;
        }
        _cleanup_free_ char *ref = ross_client_escape(argv[1]);
        _cleanup_free_ char *name = ross_client_escape(argv[2]);
        _cleanup_free_ char *path = xasprintf("/containers/%s/rename?name=%s", ref, name);
        return call(c, "POST", path, NULL) < 0 ? 1 : 0;
}

int ross_cli_filter_add(json_t *filters, const char *arg)
{
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg) {
                ross_cli_error("bad format of filter '%s' (expected name=value)", arg);
                return -EINVAL;
        }
        _cleanup_free_ char *key = xstrndup(arg, (size_t)(eq - arg));
        json_t *values = json_object_get(filters, key);
        if (!values) {
                values = json_array();
                json_object_set_new(filters, key, values);
        }
        json_array_append_new(values, json_string(eq + 1));
        return 0;
}

char *ross_cli_filter_query(json_t *filters)
{
        if (json_object_size(filters) == 0)
                return NULL;
        _cleanup_free_ char *text = json_dumps(filters, JSON_COMPACT);
        _cleanup_free_ char *esc = ross_client_escape(text);
        return xasprintf("&filters=%s", esc);
}

int ross_cli_call(RossClient *c, const char *method, const char *path, json_t *body, json_t **ret)
{
        _cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        RossError err = {};
        int r = ross_client_json(c, method, path, text, ret, &err);
        if (r < 0)
                ross_cli_error("%s", err.msg);
        return r;
}

int ross_cli_key_value(json_t *obj, const char *flag, const char *arg)
{
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *k = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
        if (!*k) {
                ross_cli_error("invalid argument \"%s\" for %s: no key (KEY=VALUE)", arg, flag);
                return -EINVAL;
        }
        json_object_set_new(obj, k, json_string(eq ? eq + 1 : ""));
        return 0;
}

bool ross_cli_confirm(const char *warning)
{
        fprintf(stderr, "%s\nAre you sure you want to continue? [y/N] ", warning);
        _cleanup_free_ char *line = NULL;
        size_t len = 0;
        if (getline(&line, &len, stdin) < 0 || (line[0] != 'y' && line[0] != 'Y')) {
                fprintf(stderr, "\n");
                return false;
        }
        return true;
}

json_t *ross_cli_restart_policy(const char *arg)
{
        _cleanup_free_ char *name = xstrdup(arg);
        char *colon = strchr(name, ':');
        int max = 0;
        if (colon) {
                *colon++ = '\0';
                if (!STREQ(name, "on-failure") || ross_parse_int(colon, 0, INT32_MAX, &max) < 0) {
                        ross_cli_error("invalid restart policy format: '%s' (on-failure[:N] "
                                       "alone takes a count)",
                                       arg);
                        return NULL;
                }
        }
        if (!STREQ(name, "no") && !STREQ(name, "always") && !STREQ(name, "unless-stopped") &&
            !STREQ(name, "on-failure")) {
                ross_cli_error("invalid restart policy '%s': no, always, unless-stopped or "
                               "on-failure[:N]",
                               arg);
                return NULL;
        }
        return json_pack("{s:s, s:i}", "Name", name, "MaximumRetryCount", max);
}
