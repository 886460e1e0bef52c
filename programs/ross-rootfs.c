/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ross-rootfs: the layer and rootfs functions without a daemon, for tests, benchmarks and
 * debugging a layer by hand. Thin: flags here, work in libross.
 */
#include <getopt.h>
#include <time.h>

#include "basic/log.h"
#include "basic/parse.h"
#include "store/digest.h"
#include "config.h"
#include "unpack/clone.h"
#include "unpack/resolve.h"
#include "unpack/rootfs.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-rootfs [OPTIONS] COMMAND ARGS...\n"
                   "\n"
                   "Commands:\n"
                   "  extract LAYER DIR        unpack one layer into DIR\n"
                   "  prepare DIR LAYER...     merge layers (bottom first) into a flat rootfs\n"
                   "  minimal DIR              create a minimal rootfs (with --busybox: /bin/sh)\n"
                   "  essential DIR            create the essential directories where missing\n"
                   "  clone SRC DST            copy a tree, with reflinks where possible\n"
                   "\n"
                   "Options:\n"
                   "  --mode overlay|apply     extract: keep whiteouts for overlayfs (default) or\n"
                   "                           apply them to DIR\n"
                   "  --compression gzip|zstd|tar|auto   (default auto: from the first bytes)\n"
                   "  --diff-id DIGEST         extract: check the uncompressed digest\n"
                   "  --max-bytes N            cap on a layer's uncompressed size\n"
                   "  --min-free-space SIZE|N%%\n"
                   "                           extract, prepare: stop before the target's\n"
                   "                           filesystem has less than this free (SIZE in\n"
                   "                           bytes, k/M/G/T binary suffixes; default 0: no\n"
                   "                           reserve, unlike ross-daemon)\n"
                   "  --busybox PATH           minimal: the static busybox to install\n"
                   "  --copy                   clone: never reflink\n"
                   "  --no-openat2             resolve paths with the O_NOFOLLOW walk only\n"
                   "  --log-level LEVEL        debug, info, warn, error\n"
                   "  -h, --help               show this help\n");
}

static int compression_of(const char *path, const char *how, RossLayerCompression *ret)
{
        if (STREQ(how, "gzip"))
                *ret = ROSS_LAYER_GZIP;
        else if (STREQ(how, "zstd"))
                *ret = ROSS_LAYER_ZSTD;
        else if (STREQ(how, "tar"))
                *ret = ROSS_LAYER_TAR;
        else {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || ross_layer_detect_compression(fd, ret) < 0) {
                        fprintf(stderr, "ross-rootfs: open '%s': %m\n", path);
                        return -1;
                }
        }
        return 0;
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        enum {
                OPT_MODE = 256,
                OPT_COMP,
                OPT_DIFF,
                OPT_MAX,
                OPT_FREE,
                OPT_BB,
                OPT_COPY,
                OPT_NOAT2,
                OPT_LOG
        };
        static const struct option opts[] = {
                {"mode", required_argument, NULL, OPT_MODE},
                {"compression", required_argument, NULL, OPT_COMP},
                {"diff-id", required_argument, NULL, OPT_DIFF},
                {"max-bytes", required_argument, NULL, OPT_MAX},
                {"min-free-space", required_argument, NULL, OPT_FREE},
                {"busybox", required_argument, NULL, OPT_BB},
                {"copy", no_argument, NULL, OPT_COPY},
                {"no-openat2", no_argument, NULL, OPT_NOAT2},
                {"log-level", required_argument, NULL, OPT_LOG},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        RossWhiteoutMode mode = ROSS_WHITEOUT_OVERLAY;
        const char *comp = "auto", *diff_id = NULL, *busybox = NULL;
        uint64_t max_bytes = 0;
        RossSpaceReserve reserve = {0};
        bool copy = false;
        RossError err = {};
        int c, r;

        ross_log_set_prefix("ross-rootfs");
        /* layers are hashed here as in ross-pull: the fast backend */
        ross_digest_use_openssl();
        ross_log_from_env();
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case OPT_MODE:
                        if (STREQ(optarg, "overlay"))
                                mode = ROSS_WHITEOUT_OVERLAY;
                        else if (STREQ(optarg, "apply"))
                                mode = ROSS_WHITEOUT_APPLY;
                        else {
                                fprintf(stderr,
                                        "ross-rootfs: --mode: '%s' is not overlay or apply\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case OPT_COMP:
                        comp = optarg;
                        break;
                case OPT_DIFF:
                        diff_id = optarg;
                        break;
                case OPT_MAX:
                        if (ross_parse_u64(optarg, UINT64_MAX, &max_bytes) < 0) {
                                fprintf(stderr,
                                        "ross-rootfs: --max-bytes: '%s' is not a number of "
                                        "bytes\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case OPT_FREE:
                        if (ross_space_parse(optarg, &reserve) < 0) {
                                fprintf(stderr,
                                        "ross-rootfs: --min-free-space: '%s' is not a size "
                                        "(bytes, k/M/G/T suffixes) or a share (N%%)\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case OPT_BB:
                        busybox = optarg;
                        break;
                case OPT_COPY:
                        copy = true;
                        break;
                case OPT_NOAT2:
                        ross_resolve_disable_openat2(true);
                        break;
                case OPT_LOG:
                        if (ross_log_set_level_arg(optarg, &err) < 0) {
                                fprintf(stderr, "ross-rootfs: %s\n", err.msg);
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
        argc -= optind;
        argv += optind;
        if (argc < 1) {
                usage(stderr);
                return 2;
        }
        const char *cmd = argv[0];

        if (STREQ(cmd, "extract") && argc == 3) {
                RossUnpackOptions o = {
                        .whiteouts = mode,
                        .max_bytes = max_bytes,
                        .expected_diff_id = diff_id,
                        .reserve = reserve,
                };
                RossUnpackStats st = {};
                if (compression_of(argv[1], comp, &o.compression) < 0)
                        return 1;
                _cleanup_close_ int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
                _cleanup_close_ int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 || dir < 0) {
                        fprintf(stderr, "ross-rootfs: open %s: %m\n", fd < 0 ? argv[1] : argv[2]);
                        return 1;
                }
                r = ross_unpack_layer(fd, dir, &o, &st, &err);
                if (r == 0)
                        printf("%s %llu bytes %llu entries\n", st.diff_id,
                               (unsigned long long)st.bytes, (unsigned long long)st.entries);
        } else if (STREQ(cmd, "prepare") && argc >= 3) {
                size_t n = (size_t)argc - 2;
                _cleanup_free_ RossRootfsLayer *layers = xcalloc(n, sizeof(RossRootfsLayer));
                for (size_t i = 0; i < n; i++) {
                        layers[i].path = argv[2 + i];
                        if (compression_of(argv[2 + i], comp, &layers[i].compression) < 0)
                                return 1;
                }
                r = ross_rootfs_prepare(argv[1], layers, n, max_bytes, &reserve, &err);
        } else if (STREQ(cmd, "minimal") && argc == 2) {
                r = ross_rootfs_create_minimal(argv[1], busybox, &err);
        } else if (STREQ(cmd, "essential") && argc == 2) {
                _cleanup_close_ int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dir < 0) {
                        fprintf(stderr, "ross-rootfs: open %s: %m\n", argv[1]);
                        return 1;
                }
                r = ross_rootfs_ensure_essential_dirs(dir, &err);
        } else if (STREQ(cmd, "clone") && argc == 3) {
                RossCloneStats st = {};
                double t0 = now();
                r = ross_tree_clone(argv[1], argv[2], !copy, &st, &err);
                if (r == 0)
                        printf("files %llu reflinked %llu copied %llu bytes %llu seconds %.3f\n",
                               (unsigned long long)st.files, (unsigned long long)st.reflinked,
                               (unsigned long long)st.copied, (unsigned long long)st.bytes,
                               now() - t0);
        } else {
                fprintf(stderr, "ross-rootfs: unknown command or wrong arguments: %s\n", cmd);
                usage(stderr);
                return 2;
        }
        if (r < 0) {
                fprintf(stderr, "ross-rootfs: %s\n", err.msg);
                return 1;
        }
        return 0;
}
