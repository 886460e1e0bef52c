/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdarg.h>

#include "../ref/reference.h"
#include "commands.h"
#include "dockercfg.h"
#include "progress.h"

void ross_cli_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("ross-cli: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli image pull [OPTIONS] NAME[:TAG|@DIGEST]\n"
                   "\n"
                   "Pull an image from a registry.\n"
                   "\n"
                   "Options:\n"
                   "      --platform OS/ARCH[/VARIANT]  pull this platform (default: the host's)\n"
                   "  -q, --quiet                       print only the image name\n"
                   "  -h, --help                        show this help\n");
}

int ross_cmd_image_pull(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"platform", required_argument, NULL, 'P'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *platform = NULL;
        bool quiet = false;
        RossError err = {};
        _cleanup_(ross_ref_freep) RossRef ref = {};
        int ch;

        optind = 1;
        while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
                switch (ch) {
                case 'P':
                        platform = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 125;
                }
        }
        if (optind + 1 != argc) {
                ross_cli_error("image pull: expected exactly one image name");
                usage(stderr);
                return 125;
        }
        const char *name = argv[optind];
        if (ross_ref_parse(name, &ref, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 125;
        }
        _cleanup_free_ char *full = ross_ref_string(&ref);
        _cleanup_free_ char *familiar = ross_ref_familiar(full);
        _cleanup_free_ char *auth = ross_dockercfg_registry_auth(ref.domain);
        _cleanup_free_ char *from = ross_client_escape(name);
        _cleanup_free_ char *plat = platform ? ross_client_escape(platform) : NULL;
        _cleanup_free_ char *path = xasprintf("/images/create?fromImage=%s%s%s", from,
                                              plat ? "&platform=" : "", plat ? plat : "");

        _cleanup_(ross_progress_done) RossProgress pr = {};
        ross_progress_init(&pr, stdout, quiet);
        RossApiCall call = {
                .method = "POST",
                .path = path,
                .registry_auth = auth,
                .on_line = ross_progress_line,
                .userdata = &pr,
        };
        int r = ross_client_call(c, &call, NULL, &err);
        if (r < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        if (pr.error.code) {
                ross_cli_error("%s", pr.error.msg);
                return 1;
        }
        if (!pr.digest) {
                ross_cli_error("pull %s: the daemon's stream ended without a result", familiar);
                return 1;
        }
        printf("%s\n", familiar);
        return 0;
}
