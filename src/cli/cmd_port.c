/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli port: a container's published ports, as docker port prints them. */
#include <getopt.h>
#include <jansson.h>

#include "commands.h"
#include "netparse.h"

static int by_natural(const void *a, const void *b)
{
        return ross_cli_natural_cmp(*(char *const *)a, *(char *const *)b);
}

/* "HOSTIP:HOSTPORT" of a PortBinding */
static char *frontend(json_t *binding)
{
        const char *ip = json_string_value(json_object_get(binding, "HostIp"));
        const char *port = json_string_value(json_object_get(binding, "HostPort"));
        return ross_cli_join_host_port(ip ?: "", port ?: "");
}

int ross_cmd_container_port(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int ch;
        optind = 1;
        while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (ch) {
                case 'h':
                        printf("Usage: ross-cli container port CONTAINER [PRIVATE_PORT[/PROTO]]   "
                               "(also: port)\n"
                               "\n"
                               "List the container's published ports (\"80/tcp -> "
                               "0.0.0.0:8080\"), or the host\n"
                               "addresses of one of them.\n"
                               "\n"
                               "Options:\n"
                               "  -h, --help   show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind >= argc || argc - optind > 2) {
                ross_cli_error("container port: expected CONTAINER [PRIVATE_PORT[/PROTO]]");
                return 125;
        }
        const char *name = argv[optind], *want = optind + 1 < argc ? argv[optind + 1] : NULL;
        _cleanup_free_ char *key = NULL;
        RossError err = {};
        if (want && ross_cli_port_key(want, &key, &err) < 0) {
                ross_cli_error("invalid argument \"%s\" for PRIVATE_PORT: %s", want, err.msg);
                return 125;
        }

        _cleanup_free_ char *ref = ross_client_escape(name);
        _cleanup_free_ char *path = xasprintf("/containers/%s/json", ref);
        json_auto_t *info = NULL;
        if (ross_client_json(c, "GET", path, NULL, &info, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        json_t *ports = json_object_get(json_object_get(info, "NetworkSettings"), "Ports");

        /* the lines, sorted in Docker's natural order */
        json_auto_t *lines = json_array();
        json_t *list, *b;
        size_t i;
        if (key) {
                /* exposed but not published is null, as for a port never heard of */
                list = json_object_get(ports, key);
                if (!json_is_array(list)) {
                        ross_cli_error("Error: No public port '%s' published for %s", key, name);
                        return 1;
                }
                json_array_foreach (list, i, b) {
                        _cleanup_free_ char *fe = frontend(b);
                        json_array_append_new(lines, json_string(fe));
                }
        } else {
                const char *k;
                json_object_foreach (ports, k, list) {
                        json_array_foreach (list, i, b) {
                                _cleanup_free_ char *fe = frontend(b);
                                _cleanup_free_ char *line = xasprintf("%s -> %s", k, fe);
                                json_array_append_new(lines, json_string(line));
                        }
                }
        }
        size_t n = json_array_size(lines);
        _cleanup_free_ const char **sorted = xcalloc(n ? n : 1, sizeof(char *));
        for (i = 0; i < n; i++)
                sorted[i] = json_string_value(json_array_get(lines, i));
        qsort(sorted, n, sizeof(char *), by_natural);
        for (i = 0; i < n; i++)
                printf("%s\n", sorted[i]);
        return 0;
}
