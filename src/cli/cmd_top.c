/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli top CONTAINER [ps OPTIONS]: the container's processes, as docker top shows them. */
#include "../basic/buf.h"
#include "commands.h"
#include "table.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli top CONTAINER [ps OPTIONS]   (also: container top)\n"
                   "\n"
                   "Show the processes of a running container: ps run with the options given\n"
                   "(default -ef), its rows kept for the container's processes. A micro-VM\n"
                   "container's are listed by ps inside the VM (the host's view of the VM when\n"
                   "the image has no ps).\n"
                   "\n"
                   "Options:\n"
                   "  -h, --help   show this help\n");
}

int ross_cmd_container_top(RossClient *c, int argc, char **argv)
{
        /* everything after the container is ps's, flags included */
        if (argc >= 2 && (STREQ(argv[1], "-h") || STREQ(argv[1], "--help"))) {
                usage(stdout);
                return 0;
        }
        if (argc < 2) {
                usage(stderr);
                return 125;
        }
        _cleanup_free_ char *ref = ross_client_escape(argv[1]);
        RossBuf path = {};
        ross_buf_printf(&path, "/containers/%s/top", ref);
        if (argc > 2) {
                RossBuf args = {};
                for (int i = 2; i < argc; i++)
                        ross_buf_printf(&args, "%s%s", i > 2 ? " " : "", argv[i]);
                _cleanup_free_ char *text = ross_buf_steal(&args);
                _cleanup_free_ char *esc = ross_client_escape(text);
                ross_buf_printf(&path, "?ps_args=%s", esc);
        }
        _cleanup_free_ char *p = ross_buf_steal(&path);
        json_auto_t *resp = NULL;
        if (ross_cli_call(c, "GET", p, NULL, &resp) < 0)
                return 1;
        _cleanup_(ross_table_done) RossTable t = {};
        ross_table_add_json(&t, json_object_get(resp, "Titles"));
        json_t *row;
        size_t i;
        json_array_foreach (json_object_get(resp, "Processes"), i, row)
                ross_table_add_json(&t, row);
        ross_table_print(&t, stdout, 20, 3);
        return 0;
}
