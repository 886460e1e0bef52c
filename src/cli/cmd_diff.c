/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli diff CONTAINER: what the container changed in its filesystem, as docker diff. */
#include "commands.h"

int ross_cmd_container_diff(RossClient *c, int argc, char **argv)
{
        if (argc != 2 || STREQ(argv[1], "-h") || STREQ(argv[1], "--help")) {
                bool help = argc == 2;
                fprintf(help ? stdout : stderr,
                        "Usage: ross-cli diff CONTAINER   (also: container diff)\n"
                        "\n"
                        "Show the files and directories a container added (A), changed (C)\n"
                        "and deleted (D), against its image.\n"
                        "\n"
                        "Options:\n"
                        "  -h, --help   show this help\n");
                return help ? 0 : 125;
        }
        _cleanup_free_ char *ref = ross_client_escape(argv[1]);
        _cleanup_free_ char *path = xasprintf("/containers/%s/changes", ref);
        json_auto_t *resp = NULL;
        if (ross_cli_call(c, "GET", path, NULL, &resp) < 0)
                return 1;
        static const char kinds[] = {'C', 'A', 'D'};
        json_t *e;
        size_t i;
        json_array_foreach (resp, i, e) {
                json_int_t k = json_integer_value(json_object_get(e, "Kind"));
                printf("%c %s\n", k >= 0 && k <= 2 ? kinds[k] : '?',
                       json_string_value(json_object_get(e, "Path")) ?: "");
        }
        return 0;
}
