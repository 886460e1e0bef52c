/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli export and import: a container's root as a tar, and a tar as a new image. */
#include <getopt.h>

#include "../basic/buf.h"
#include "commands.h"
#include "output.h"

int ross_cmd_export(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *output = NULL;
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        printf("Usage: ross-cli export [-o FILE] CONTAINER\n"
                               "\n"
                               "Write the container's filesystem (its root, without volumes) as a "
                               "tar archive\nto stdout or FILE.\n"
                               "\n"
                               "Options:\n"
                               "  -o, --output FILE  write to FILE instead of stdout\n"
                               "  -h, --help         show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (argc - optind != 1) {
                ross_cli_error("export requires exactly 1 argument (see ross-cli export --help)");
                return 125;
        }
        _cleanup_free_ char *esc = ross_client_escape(argv[optind]);
        _cleanup_free_ char *path = xasprintf("/containers/%s/export", esc);
        return ross_cli_get_to_output(c, path, output, "export container");
}

typedef struct ImportOut {
        bool failed;
} ImportOut;

/* Docker's JSON stream: the statuses printed, an error is the failure. */
static int import_line(void *ud, const char *line, size_t len)
{
        ImportOut *o = ud;
        json_auto_t *j = json_loadb(line, len, 0, NULL);
        const char *e = json_string_value(json_object_get(j, "error"));
        const char *s = json_string_value(json_object_get(j, "status"));
        if (e) {
                ross_cli_error("%s", e);
                o->failed = true;
        } else if (s)
                printf("%s\n", s);
        return 0;
}

int ross_cmd_import(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"change", required_argument, NULL, 'c'},
                {"message", required_argument, NULL, 'm'},
                {"platform", required_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(ross_buf_free) RossBuf q = {};
        const char *message = NULL, *platform = NULL;
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "c:m:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'c': {
                        _cleanup_free_ char *e = ross_client_escape(optarg);
                        ross_buf_printf(&q, "&changes=%s", e);
                        break;
                }
                case 'm':
                        message = optarg;
                        break;
                case 'p':
                        platform = optarg;
                        break;
                case 'h':
                        printf("Usage: ross-cli import [OPTIONS] FILE|URL|- [REPOSITORY[:TAG]]\n"
                               "\n"
                               "Make an image of one layer from a tar archive (plain, gzip or zstd)"
                               "\nin FILE or on stdin (-); print its id.\n"
                               "\n"
                               "Options:\n"
                               "  -c, --change INSTRUCTION  apply a Dockerfile instruction to the "
                               "image's config\n"
                               "                            (CMD, ENTRYPOINT, ENV, EXPOSE, "
                               "HEALTHCHECK, LABEL,\n"
                               "                            ONBUILD, STOPSIGNAL, USER, VOLUME, "
                               "WORKDIR; repeatable)\n"
                               "  -m, --message TEXT        the image's comment\n"
                               "      --platform OS/ARCH    the image's platform (default: this "
                               "host's)\n"
                               "  -h, --help                show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (argc - optind < 1 || argc - optind > 2) {
                ross_cli_error("import requires 1 or 2 arguments (see ross-cli import --help)");
                return 125;
        }
        const char *source = argv[optind];
        const char *ref = argc - optind == 2 ? argv[optind + 1] : NULL;
        bool url = strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0;
        _cleanup_close_ int fd = -EBADF;
        if (!url && !STREQ(source, "-")) {
                fd = open(source, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        ross_cli_error("open %s: %s", source, strerror(errno));
                        return 1;
                }
        }
        if (ref)
                ross_client_query_repo_tag(&q, ref);
        if (message) {
                _cleanup_free_ char *m = ross_client_escape(message);
                ross_buf_printf(&q, "&message=%s", m);
        }
        if (platform) {
                _cleanup_free_ char *p = ross_client_escape(platform);
                ross_buf_printf(&q, "&platform=%s", p);
        }
        _cleanup_free_ char *src = ross_client_escape(url ? source : "-");
        _cleanup_free_ char *path =
                xasprintf("/images/create?fromSrc=%s%s", src, q.data ? q.data : "");
        ImportOut out = {};
        RossApiCall call = {
                .method = "POST", .path = path, .on_line = import_line, .userdata = &out};
        RossError err = {};
        RossUpload *u = NULL;
        if (ross_client_upload_begin(c, &call, "application/x-tar", &u, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        int r = url ? 0
                    : ross_client_upload_fd(u, fd >= 0 ? fd : STDIN_FILENO, "the archive", &err);
        if (r < 0) {
                ross_client_upload_free(u);
                ross_cli_error("%s", err.msg);
                return 1;
        }
        if (ross_client_upload_end(u, NULL, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        return out.failed ? 1 : 0;
}
