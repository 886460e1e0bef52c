/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli save and load: images as Docker's save archive (an OCI layout with
 * manifest.json), and such archives (or OCI layouts) as images. */
#include <getopt.h>

#include "../basic/buf.h"
#include "commands.h"
#include "output.h"

int ross_cmd_save(RossClient *c, int argc, char **argv)
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
                        printf("Usage: ross-cli save [-o FILE] IMAGE [IMAGE...]\n"
                               "\n"
                               "Write images (with their tags) as a tar archive to stdout or FILE:"
                               "\nan OCI image layout with Docker's manifest.json, which "
                               "docker load,\nross-cli load and OCI tools read. A name without a "
                               "tag saves all its tags.\n"
                               "\n"
                               "Options:\n"
                               "  -o, --output FILE  write to FILE instead of stdout\n"
                               "  -h, --help         show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (argc - optind < 1) {
                ross_cli_error("save requires at least 1 argument (see ross-cli save --help)");
                return 125;
        }
        _cleanup_(ross_buf_free) RossBuf path = {};
        ross_buf_printf(&path, "/images/get?");
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *esc = ross_client_escape(argv[i]);
                ross_buf_printf(&path, "%snames=%s", i > optind ? "&" : "", esc);
        }
        return ross_cli_get_to_output(c, path.data, output, "save image");
}

typedef struct LoadOut {
        bool failed;
        bool quiet;
} LoadOut;

/* Docker's JSON stream: each "stream" printed as it is, an error the failure. */
static int load_line(void *ud, const char *line, size_t len)
{
        LoadOut *o = ud;
        json_auto_t *j = json_loadb(line, len, 0, NULL);
        const char *e = json_string_value(json_object_get(j, "error"));
        const char *s = json_string_value(json_object_get(j, "stream"));
        if (!e)
                e = json_string_value(json_object_get(j, "message"));
        if (e) {
                ross_cli_error("%s", e);
                o->failed = true;
        } else if (s)
                fputs(s, stdout);
        return 0;
}

int ross_cmd_load(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"input", required_argument, NULL, 'i'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *input = NULL;
        LoadOut out = {};
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
                switch (ch) {
                case 'i':
                        input = optarg;
                        break;
                case 'q':
                        out.quiet = true;
                        break;
                case 'h':
                        printf("Usage: ross-cli load [-i FILE] [-q]\n"
                               "\n"
                               "Load images from a tar archive (plain, gzip or zstd) on stdin or "
                               "in FILE:\ndocker save's (manifest.json) or an OCI layout "
                               "(index.json). Prints each image\nloaded, by tag or by id.\n"
                               "\n"
                               "Options:\n"
                               "  -i, --input FILE  read from FILE instead of stdin\n"
                               "  -q, --quiet       print nothing but errors\n"
                               "  -h, --help        show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (argc != optind) {
                ross_cli_error("load takes no arguments (see ross-cli load --help)");
                return 125;
        }
        _cleanup_close_ int fd = -EBADF;
        if (input) {
                fd = open(input, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        ross_cli_error("open %s: %s", input, strerror(errno));
                        return 1;
                }
        } else if (isatty(STDIN_FILENO)) {
                ross_cli_error("requested load from stdin, but stdin is empty");
                return 1;
        }
        RossApiCall call = {.method = "POST",
                            .path = out.quiet ? "/images/load?quiet=1" : "/images/load?quiet=0",
                            .on_line = load_line,
                            .userdata = &out};
        RossError err = {};
        RossUpload *u = NULL;
        if (ross_client_upload_begin(c, &call, "application/x-tar", &u, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        int r = ross_client_upload_fd(u, fd >= 0 ? fd : STDIN_FILENO, "the archive", &err);
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
