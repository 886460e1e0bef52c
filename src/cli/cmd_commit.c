/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli commit: a new image from a container's changes. */
#include <getopt.h>

#include "../basic/buf.h"
#include "commands.h"

/* -p / --pause with an optional value, as the docker CLI's bool flag takes it ("-p=false"). */
static int pause_value(const char *v, bool *ret)
{
        if (!v) {
                *ret = true;
                return 0;
        }
        if (*v == '=')
                v++;
        if (STREQ(v, "true") || STREQ(v, "1") || STREQ(v, "t")) {
                *ret = true;
                return 0;
        }
        if (STREQ(v, "false") || STREQ(v, "0") || STREQ(v, "f")) {
                *ret = false;
                return 0;
        }
        return -EINVAL;
}

static void help(void)
{
        printf("Usage: ross-cli commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n"
               "\n"
               "Make a new image from a container's changes: its image with one more layer,\n"
               "what the container wrote, added and deleted; print the new image's id.\n"
               "\n"
               "Options:\n"
               "  -a, --author TEXT         the image's author (\"Name <mail>\")\n"
               "  -c, --change INSTRUCTION  apply a Dockerfile instruction to the image's config\n"
               "                            (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL,\n"
               "                            ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR; "
               "repeatable)\n"
               "  -m, --message TEXT        the commit message (the history entry's comment)\n"
               "  -p, --pause[=BOOL]        pause a running container while its files are read\n"
               "                            (default true; -p=false to keep it running)\n"
               "  -h, --help                show this help\n");
}

int ross_cmd_commit(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"author", required_argument, NULL, 'a'},  {"change", required_argument, NULL, 'c'},
                {"message", required_argument, NULL, 'm'}, {"pause", optional_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},          {},
        };
        _cleanup_(ross_buf_free) RossBuf q = {};
        const char *author = NULL, *message = NULL;
        bool pause = true;
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "a:c:m:p::h", opts, NULL)) != -1) {
                switch (ch) {
                case 'a':
                        author = optarg;
                        break;
                case 'c': {
                        _cleanup_free_ char *e = ross_client_escape(optarg);
                        ross_buf_printf(&q, "&changes=%s", e);
                        break;
                }
                case 'm':
                        message = optarg;
                        break;
                case 'p':
                        if (pause_value(optarg, &pause) < 0) {
                                ross_cli_error("invalid argument \"%s\" for \"-p, --pause\" flag",
                                               optarg);
                                return 125;
                        }
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 125;
                }
        }
        if (argc - optind < 1 || argc - optind > 2) {
                ross_cli_error("commit requires 1 or 2 arguments (see ross-cli commit --help)");
                return 125;
        }
        _cleanup_free_ char *container = ross_client_escape(argv[optind]);
        const char *ref = argc - optind == 2 ? argv[optind + 1] : NULL;
        if (ref)
                ross_client_query_repo_tag(&q, ref);
        if (author) {
                _cleanup_free_ char *a = ross_client_escape(author);
                ross_buf_printf(&q, "&author=%s", a);
        }
        if (message) {
                _cleanup_free_ char *m = ross_client_escape(message);
                ross_buf_printf(&q, "&comment=%s", m);
        }
        _cleanup_free_ char *path = xasprintf("/commit?container=%s&pause=%s%s", container,
                                              pause ? "true" : "false", q.data ? q.data : "");
        RossApiCall call = {.method = "POST", .path = path, .body = "{}"};
        _cleanup_(ross_api_response_free) RossApiResponse resp = {};
        RossError err = {};
        if (ross_client_call(c, &call, &resp, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        json_auto_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
        const char *id = json_string_value(json_object_get(j, "Id"));
        if (!id) {
                ross_cli_error("the daemon's answer has no image id");
                return 1;
        }
        printf("%s\n", id);
        return 0;
}
