/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>

#include "../ref/reference.h"
#include "commands.h"
#include "dockercfg.h"
#include "progress.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli image push [OPTIONS] NAME[:TAG]\n"
                   "\n"
                   "Push an image to a registry (also: push). The name says which one:\n"
                   "REGISTRY[:PORT]/REPOSITORY[:TAG]. Credentials are those 'ross-cli login'\n"
                   "stored for the registry.\n"
                   "\n"
                   "Options:\n"
                   "  -a, --all-tags   push every tag of NAME\n"
                   "  -q, --quiet      print only the pushed reference\n"
                   "  -h, --help       show this help\n");
}

/* The name without the tag the user wrote, if any ("reg:5000/app:1" -> "reg:5000/app"). */
static char *untagged(const char *name)
{
        const char *slash = strrchr(name, '/');
        const char *colon = strrchr(slash ? slash : name, ':');
        return colon ? xstrndup(name, (size_t)(colon - name)) : xstrdup(name);
}

int ross_cmd_image_push(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"all-tags", no_argument, NULL, 'a'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool all = false, quiet = false;
        RossError err = {};
        _cleanup_(ross_ref_freep) RossRef ref = {};
        int ch;

        optind = 1;
        while ((ch = getopt_long(argc, argv, "aqh", opts, NULL)) != -1) {
                switch (ch) {
                case 'a':
                        all = true;
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
                ross_cli_error("image push: expected exactly one image name");
                usage(stderr);
                return 125;
        }
        const char *name = argv[optind];
        if (ross_ref_parse(name, &ref, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 125;
        }
        if (ref.digest) {
                ross_cli_error("image push: cannot push a digest reference");
                return 125;
        }
        _cleanup_free_ char *repo = untagged(name);
        bool tagged = !STREQ(repo, name);
        if (all && tagged) {
                ross_cli_error("image push: a tag cannot be used with --all-tags");
                return 125;
        }
        if (!all && !tagged && !quiet)
                printf("Using default tag: latest\n");
        const char *tag = all ? NULL : ref.tag;

        _cleanup_free_ char *auth = ross_dockercfg_registry_auth(ref.domain);
        _cleanup_free_ char *base = ross_cli_image_path(repo, "/push");
        _cleanup_free_ char *etag = tag ? ross_client_escape(tag) : NULL;
        _cleanup_free_ char *path =
                xasprintf("%s%s%s", base, etag ? "?tag=" : "", etag ? etag : "");

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
                ross_cli_error("push %s: the daemon's stream ended without a result", name);
                return 1;
        }
        if (quiet) {
                _cleanup_free_ char *full = ross_ref_string(&ref);
                _cleanup_free_ char *fam = ross_ref_familiar(full);
                printf("%s\n", all ? repo : fam);
        }
        if (pr.note)
                fprintf(stderr, "\nInfo -> %s\n", pr.note);
        return 0;
}
