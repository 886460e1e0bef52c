/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ross-pull: the pull helper. ross-daemon starts one per pull, flat rootfs merge, login, push,
 * copy into or out of a container (docker cp, export) and import, and speaks JSON lines with
 * it on fd 3 (docs/pull-helper.md); the registry client, decompression and the tar walk run
 * here, in a sandbox, never in the daemon. Thin: flags here, work in libross.
 */
#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "basic/argv.h"
#include "basic/log.h"
#include "config.h"
#include "helper/serve.h"
#include "store/digest.h"

#define CHANNEL_FD 3

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: ross-pull COMMAND [OPTIONS]\n"
                "\n"
                "The pull helper ross-daemon starts; not meant to be run by hand, except:\n"
                "  ross-pull probe --data-dir DIR --stage .stage-<16 hex>\n"
                "enters the pull sandbox and reports what it can and cannot do.\n"
                "\n"
                "Commands: pull, flat, login, inspect, push, archive, import, save, load (on\n"
                "fd 3), probe\n"
                "\n"
                "Options:\n"
                "  --data-dir DIR                  the daemon's data dir (push, save: read only)\n"
                "  --stage NAME                    pull, inspect, import, load: DIR/ingest/NAME\n"
                "  --target NAME                   flat: its temp tree under DIR (flat/.tmp-*)\n"
                "  --view JSON                     archive: the container's root and volumes\n"
                "  --insecure-registry HOST[:PORT] plain HTTP to this registry (repeatable)\n"
                "  --certs-dir DIR                 per-registry CAs as DIR/HOST[:PORT]/ca.crt\n"
                "  --log-level LEVEL               debug, info, warn or error\n");
}

int main(int argc, char **argv)
{
        enum { OPT_DATA = 256, OPT_STAGE, OPT_TARGET, OPT_INSECURE, OPT_CERTS, OPT_LOG, OPT_VIEW };
        static const struct option opts[] = {
                {"data-dir", required_argument, NULL, OPT_DATA},
                {"stage", required_argument, NULL, OPT_STAGE},
                {"target", required_argument, NULL, OPT_TARGET},
                {"view", required_argument, NULL, OPT_VIEW},
                {"insecure-registry", required_argument, NULL, OPT_INSECURE},
                {"certs-dir", required_argument, NULL, OPT_CERTS},
                {"log-level", required_argument, NULL, OPT_LOG},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        RossHelperOptions o = {};
        _cleanup_(ross_argv_free) RossArgv insecure = {};
        RossError err = {};
        int c;

        ross_log_set_prefix("ross-pull");
        /* whole layers are hashed here: OpenSSL's SHA instructions, not the daemon's code */
        ross_digest_use_openssl();
        if (argc < 2 || STREQ(argv[1], "--help") || STREQ(argv[1], "-h")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (STREQ(argv[1], "--version")) {
                printf("ross-pull %s\n", ROSS_VERSION);
                return 0;
        }
        const char *cmd = argv[1];
        argv++;
        argc--;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case OPT_DATA:
                        o.data_dir = optarg;
                        break;
                case OPT_STAGE:
                        o.stage = optarg;
                        break;
                case OPT_TARGET:
                        o.target = optarg;
                        break;
                case OPT_VIEW:
                        o.view = optarg;
                        break;
                case OPT_INSECURE:
                        ross_argv_add(&insecure, optarg);
                        break;
                case OPT_CERTS:
                        o.registry.certs_dir = optarg;
                        break;
                case OPT_LOG:
                        if (ross_log_set_level_arg(optarg, &err) < 0) {
                                fprintf(stderr, "ross-pull: %s\n", err.msg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc || ross_argv_ok(&insecure) < 0) {
                fprintf(stderr, "ross-pull: unexpected argument '%s'\n",
                        optind < argc ? argv[optind] : "--insecure-registry");
                return 2;
        }
        o.registry.insecure = (char **)ross_argv_get(&insecure);

        /* It never outlives the daemon that asked, and a gone daemon is an EPIPE, not a
         * signal. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_IGN);

        bool probe = STREQ(cmd, "probe");
        struct stat st;
        if (!probe && (fstat(CHANNEL_FD, &st) < 0 || !S_ISSOCK(st.st_mode))) {
                fprintf(stderr,
                        "ross-pull: fd %d is not the daemon's socket; ross-daemon starts "
                        "this program\n",
                        CHANNEL_FD);
                return 2;
        }
        RossChannel ch;
        ross_channel_init(&ch, CHANNEL_FD);

        /* The sandbox comes before any request is read. */
        int r = ross_helper_sandbox(cmd, &o, &err);
        if (r == 0 && probe)
                return ross_helper_probe(&o) < 0 ? 1 : 0;
        if (r == 0) {
                if (STREQ(cmd, "pull"))
                        r = ross_helper_serve_pull(&o, &ch, &err);
                else if (STREQ(cmd, "flat"))
                        r = ross_helper_serve_flat(&o, &ch, &err);
                else if (STREQ(cmd, "inspect"))
                        r = ross_helper_serve_inspect(&o, &ch, &err);
                else if (STREQ(cmd, "push"))
                        r = ross_helper_serve_push(&o, &ch, &err);
                else if (STREQ(cmd, "archive"))
                        r = ross_helper_serve_archive(&o, &ch, &err);
                else if (STREQ(cmd, "import"))
                        r = ross_helper_serve_import(&o, &ch, &err);
                else if (STREQ(cmd, "save"))
                        r = ross_helper_serve_save(&o, &ch, &err);
                else if (STREQ(cmd, "load"))
                        r = ross_helper_serve_load(&o, &ch, &err);
                else
                        r = ross_helper_serve_login(&o, &ch, &err);
        } else if (probe) {
                fprintf(stderr, "ross-pull: %s\n", err.msg);
                return 1;
        }
        if (r < 0) {
                log_debug("%s", err.msg);
                if (ross_channel_send_new(&ch, ross_channel_error_msg(&err), NULL) < 0) {
                        /* the daemon is gone: say it where someone may read it */
                        fprintf(stderr, "ross-pull: %s\n", err.msg);
                        ross_channel_done(&ch);
                        return 1;
                }
        }
        ross_channel_done(&ch);
        return 0;
}
