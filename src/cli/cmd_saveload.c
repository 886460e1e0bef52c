/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli save: images as Docker's save archive (an OCI layout with manifest.json). */
#include <getopt.h>
#include <signal.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "commands.h"

static int write_out(void *ud, const char *p, size_t n)
{
        return ross_write_all(*(int *)ud, p, n) < 0 ? -1 : 0;
}

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
        if (!output && isatty(STDOUT_FILENO)) {
                ross_cli_error("cowardly refusing to save to a terminal. Use the -o flag or "
                               "redirect");
                return 1;
        }
        _cleanup_(ross_buf_free) RossBuf path = {};
        ross_buf_printf(&path, "/images/get?");
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *esc = ross_client_escape(argv[i]);
                ross_buf_printf(&path, "%snames=%s", i > optind ? "&" : "", esc);
        }
        signal(SIGPIPE, SIG_IGN);
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        if (output) {
                char rnd[9];
                ross_random_hex(rnd, 4);
                tmp = xasprintf("%s.tmp-%s", output, rnd);
                fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0) {
                        ross_cli_error("failed to save image: open %s: %s", output,
                                       strerror(errno));
                        return 1;
                }
        } else
                fd = dup(STDOUT_FILENO);
        RossApiCall call = {
                .method = "GET", .path = path.data, .on_raw = write_out, .userdata = &fd};
        RossError err = {};
        int r = ross_client_call(c, &call, NULL, &err);
        if (r == 0 && tmp && (fsync(fd) < 0 || rename(tmp, output) < 0))
                r = ross_err(&err, errno, "write %s", output);
        if (r < 0) {
                if (tmp)
                        unlink(tmp);
                ross_cli_error("%s", err.msg);
                return 1;
        }
        return 0;
}
