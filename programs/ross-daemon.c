/* SPDX-License-Identifier: Apache-2.0 */
/* ross-daemon: serves the Docker-compatible API. Thin: flags here, work in libross. */
#include <getopt.h>
#include <linux/close_range.h>
#include <malloc.h>
#include <signal.h>

#include "api/server.h"
#include "backend/backend.h"
#include "basic/log.h"
#include "basic/parse.h"
#include "config.h"
#include "container/logconfig.h"
#include "daemon/daemon.h"
#include "registry/http.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: ross-daemon start [OPTIONS]\n"
                "\n"
                "Run the Ross daemon: a Docker-compatible API on a unix socket.\n"
                "\n"
                "Options:\n"
                "  --data-dir DIR                  images, blobs and metadata (default %s)\n"
                "  --run-dir DIR                   runtime state (default %s)\n"
                "  --socket PATH                   API socket, mode 0660 (default "
                "RUN-DIR/ross.sock)\n"
                "  --insecure-registry HOST[:PORT] allow plain HTTP to this registry (repeatable)\n"
                "  --max-concurrent-downloads N    parallel layer downloads per pull (default 3)\n"
                "  --max-concurrent-uploads N      parallel layer uploads per push (default 5)\n"
                "  --max-layer-size BYTES          refuse layers larger than this uncompressed\n"
                "                                  (default 64 GiB; stops decompression bombs)\n"
                "  --min-free-space SIZE|N%%        stop a pull or a flat rootfs merge before the\n"
                "                                  data dir's filesystem has less than this free\n"
                "                                  (SIZE in bytes, k/M/G/T binary suffixes; 0: no\n"
                "                                  reserve; default the larger of 1G and 5%%)\n"
                "  --default-runtime NAME          runtime for containers: crun (default), runc,\n"
                "                                  qemu (each container in a QEMU micro-VM) or\n"
                "                                  krun (each in a libkrun micro-VM)\n"
                "  --vm-kernel PATH                the micro-VMs' kernel (default the newest\n"
                "                                  /boot/vmlinuz-*, Debian's linux-image-amd64)\n"
                "  --vm-accel auto|kvm|tcg         KVM or QEMU's software emulation for micro-VMs\n"
                "                                  (default auto: KVM where it really works)\n"
                "  --krun-library PATH             the libkrun the krun runtime loads (default\n"
                "                                  libkrun.so.1; libkrun.1.dylib on macOS)\n"
                "  --netavark PATH                 the network backend for bridge networks\n"
                "                                  (default /usr/lib/podman/netavark, Debian's;\n"
                "                                  aardvark-dns beside it gives DNS by name)\n"
                "  --bridge none                   containers given no --network get none, not "
                "the\n"
                "                                  default bridge network (as dockerd's)\n"
                "  --network-spares N              endpoints on the default bridge network made\n"
                "                                  ahead, so that a container on it starts "
                "without\n"
                "                                  waiting for netavark (default 2; 0: none)\n"
                "  --bridge-subnet CIDR            the default bridge network's subnet when it is\n"
                "                                  first made (default 172.17.0.0/16, or the next\n"
                "                                  free pool if a route of the host has it)\n"
                "  --vm-fs auto|virtiofs|9p        how micro-VMs get their root and volumes\n"
                "                                  (default auto: virtio-fs when a virtiofsd is\n"
                "                                  found, else 9p)\n"
                "  --log-driver json-file|none     the log driver of containers created without\n"
                "                                  one (default json-file)\n"
                "  --log-opt KEY=VALUE             an option of that driver for containers that\n"
                "                                  do not set it (repeatable; json-file:\n"
                "                                  max-size, max-file, ...; as dockerd's)\n"
                "  --certs-dir DIR                 per-registry CAs as DIR/HOST[:PORT]/ca.crt\n"
                "                                  (default /etc/ross/certs.d)\n"
                "  --log-level LEVEL               debug, info, warn or error (default info;\n"
                "                                  the ROSS_LOG environment variable sets it too)\n"
                "  -h, --help                      show this help\n"
                "  --version                       show the version\n",
                ROSS_DEFAULT_DATA_DIR, ROSS_DEFAULT_RUN_DIR);
}

static volatile sig_atomic_t stop_requested;

static void set_str(char **slot, const char *v)
{
        free(*slot);
        *slot = xstrdup(v);
}

static void daemon_config_cleanup(RossDaemon *d)
{
        ross_daemon_config_free(&d->cfg);
}

static void on_signal(int sig)
{
        stop_requested = sig;
}

int main(int argc, char **argv)
{
        enum {
                OPT_DATA = 256,
                OPT_RUN,
                OPT_SOCKET,
                OPT_INSECURE,
                OPT_MAXDL,
                OPT_MAXUL,
                OPT_CERTS,
                OPT_LOG,
                OPT_MAXLAYER,
                OPT_MINFREE,
                OPT_RUNTIME,
                OPT_VM_KERNEL,
                OPT_VM_ACCEL,
                OPT_VM_FS,
                OPT_KRUN_LIBRARY,
                OPT_NETAVARK,
                OPT_BRIDGE_SUBNET,
                OPT_BRIDGE,
                OPT_SPARES,
                OPT_LOG_DRIVER,
                OPT_LOG_OPT,
                OPT_VERSION
        };
        static const struct option opts[] = {
                {"data-dir", required_argument, NULL, OPT_DATA},
                {"run-dir", required_argument, NULL, OPT_RUN},
                {"socket", required_argument, NULL, OPT_SOCKET},
                {"insecure-registry", required_argument, NULL, OPT_INSECURE},
                {"max-concurrent-downloads", required_argument, NULL, OPT_MAXDL},
                {"max-concurrent-uploads", required_argument, NULL, OPT_MAXUL},
                {"certs-dir", required_argument, NULL, OPT_CERTS},
                {"max-layer-size", required_argument, NULL, OPT_MAXLAYER},
                {"min-free-space", required_argument, NULL, OPT_MINFREE},
                {"default-runtime", required_argument, NULL, OPT_RUNTIME},
                {"vm-kernel", required_argument, NULL, OPT_VM_KERNEL},
                {"vm-accel", required_argument, NULL, OPT_VM_ACCEL},
                {"vm-fs", required_argument, NULL, OPT_VM_FS},
                {"krun-library", required_argument, NULL, OPT_KRUN_LIBRARY},
                {"netavark", required_argument, NULL, OPT_NETAVARK},
                {"bridge-subnet", required_argument, NULL, OPT_BRIDGE_SUBNET},
                {"bridge", required_argument, NULL, OPT_BRIDGE},
                {"network-spares", required_argument, NULL, OPT_SPARES},
                {"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
                {"log-opt", required_argument, NULL, OPT_LOG_OPT},
                {"log-level", required_argument, NULL, OPT_LOG},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION},
                {},
        };
        _cleanup_(daemon_config_cleanup) RossDaemon d = {.cfg.network_spares = -1};
        RossError err = {};
        /* --log-driver and --log-opt, parsed once all are read (argv's strings) */
        const char *log_driver = NULL;
        _cleanup_free_ const char **log_opts = NULL;
        size_t n_log_opts = 0;
        RossServer *server = NULL;
        int c;

        ross_log_set_prefix("ross-daemon");
        ross_log_from_env();
        /* Pulls and merges run in ross-pull: the daemon's threads allocate little, and one
         * malloc arena keeps an idle daemon from holding a heap per thread that ever ran. */
        mallopt(M_ARENA_MAX, 1);
        /* What our parent left open (a test harness's pipes, a terminal's extra fds) is not
         * for the programs we start: netavark's aardvark-dns lives on and would hold it
         * for ever. */
        (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

        if (argc >= 2 && (STREQ(argv[1], "--help") || STREQ(argv[1], "-h"))) {
                usage(stdout);
                return 0;
        }
        if (argc >= 2 && STREQ(argv[1], "--version")) {
                printf("ross-daemon %s\n", ROSS_VERSION);
                return 0;
        }
        if (argc < 2 || !STREQ(argv[1], "start")) {
                fprintf(stderr, "ross-daemon: expected the command 'start'\n\n");
                usage(stderr);
                return 2;
        }
        argv++;
        argc--;

        d.cfg.data_dir = xstrdup(ROSS_DEFAULT_DATA_DIR);
        d.cfg.run_dir = xstrdup(ROSS_DEFAULT_RUN_DIR);
        d.cfg.certs_dir = xstrdup("/etc/ross/certs.d");
        d.cfg.max_concurrent_downloads = 3;
        d.cfg.max_concurrent_uploads = 5;
        d.cfg.min_free_space = ROSS_SPACE_RESERVE_DEFAULT;
        d.cfg.insecure_registries = xcalloc(1, sizeof(char *));

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case OPT_DATA:
                        set_str(&d.cfg.data_dir, optarg);
                        break;
                case OPT_RUN:
                        set_str(&d.cfg.run_dir, optarg);
                        break;
                case OPT_SOCKET:
                        set_str(&d.cfg.socket_path, optarg);
                        break;
                case OPT_CERTS:
                        set_str(&d.cfg.certs_dir, optarg);
                        break;
                case OPT_LOG_DRIVER:
                        log_driver = optarg;
                        break;
                case OPT_LOG_OPT:
                        log_opts = xrealloc(log_opts, (n_log_opts + 1) * sizeof(*log_opts));
                        log_opts[n_log_opts++] = optarg;
                        break;
                case OPT_INSECURE:
                        d.cfg.insecure_registries = xrealloc(
                                d.cfg.insecure_registries, (d.cfg.n_insecure + 2) * sizeof(char *));
                        d.cfg.insecure_registries[d.cfg.n_insecure++] = xstrdup(optarg);
                        d.cfg.insecure_registries[d.cfg.n_insecure] = NULL;
                        break;
                case OPT_MAXDL: {
                        int v;
                        if (ross_parse_int(optarg, 1, 64, &v) < 0) {
                                fprintf(stderr,
                                        "ross-daemon: --max-concurrent-downloads: '%s' is not a "
                                        "number from 1 to 64\n",
                                        optarg);
                                return 2;
                        }
                        d.cfg.max_concurrent_downloads = v;
                        break;
                }
                case OPT_MAXUL: {
                        int v;
                        if (ross_parse_int(optarg, 1, 64, &v) < 0) {
                                fprintf(stderr,
                                        "ross-daemon: --max-concurrent-uploads: '%s' is not a "
                                        "number from 1 to 64\n",
                                        optarg);
                                return 2;
                        }
                        d.cfg.max_concurrent_uploads = v;
                        break;
                }
                case OPT_RUNTIME:
                        if (!ross_backend_find(optarg)) {
                                _cleanup_free_ char *names = ross_backend_names();
                                fprintf(stderr,
                                        "ross-daemon: --default-runtime: '%s' is not a runtime "
                                        "(%s)\n",
                                        optarg, names);
                                return 2;
                        }
                        set_str(&d.cfg.default_runtime, optarg);
                        break;
                case OPT_VM_KERNEL:
                        if (access(optarg, R_OK) < 0) {
                                fprintf(stderr, "ross-daemon: --vm-kernel: '%s': %s\n", optarg,
                                        strerror(errno));
                                return 2;
                        }
                        set_str(&d.cfg.vm_kernel, optarg);
                        break;
                case OPT_VM_ACCEL:
                        if (!STREQ(optarg, "auto") && !STREQ(optarg, "kvm") &&
                            !STREQ(optarg, "tcg")) {
                                fprintf(stderr,
                                        "ross-daemon: --vm-accel: '%s' is not auto, kvm or tcg\n",
                                        optarg);
                                return 2;
                        }
                        set_str(&d.cfg.vm_accel, optarg);
                        break;
                case OPT_VM_FS:
                        if (!STREQ(optarg, "auto") && !STREQ(optarg, "virtiofs") &&
                            !STREQ(optarg, "9p")) {
                                fprintf(stderr,
                                        "ross-daemon: --vm-fs: '%s' is not auto, virtiofs or 9p\n",
                                        optarg);
                                return 2;
                        }
                        set_str(&d.cfg.vm_fs, optarg);
                        break;
                case OPT_KRUN_LIBRARY:
                        set_str(&d.cfg.krun_library, optarg);
                        break;
                case OPT_NETAVARK:
                        set_str(&d.cfg.netavark, optarg);
                        break;
                case OPT_BRIDGE_SUBNET:
                        set_str(&d.cfg.bridge_subnet, optarg);
                        break;
                case OPT_SPARES:
                        if (ross_parse_int(optarg, 0, 64, &d.cfg.network_spares) < 0) {
                                fprintf(stderr,
                                        "ross-daemon: --network-spares: '%s' is not a number "
                                        "from 0 to 64\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case OPT_BRIDGE:
                        if (!STREQ(optarg, "none")) {
                                fprintf(stderr,
                                        "ross-daemon: --bridge: only 'none' is taken (the default "
                                        "bridge network is 'bridge'; see --bridge-subnet)\n");
                                return 2;
                        }
                        d.cfg.no_bridge = true;
                        break;
                case OPT_MAXLAYER: {
                        uint64_t v;
                        if (ross_parse_u64(optarg, UINT64_MAX, &v) < 0 || v == 0) {
                                fprintf(stderr,
                                        "ross-daemon: --max-layer-size: '%s' is not a positive "
                                        "number of bytes\n",
                                        optarg);
                                return 2;
                        }
                        d.cfg.max_layer_size = v;
                        break;
                }
                case OPT_MINFREE:
                        if (ross_space_parse(optarg, &d.cfg.min_free_space) < 0) {
                                fprintf(stderr,
                                        "ross-daemon: --min-free-space: '%s' is not a size in "
                                        "bytes (with an optional k, M, G or T suffix) or a "
                                        "share of the filesystem (N%%, 0-100)\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case OPT_LOG:
                        if (ross_log_set_level_arg(optarg, &err) < 0) {
                                fprintf(stderr, "ross-daemon: %s\n", err.msg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_VERSION:
                        printf("ross-daemon %s\n", ROSS_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "ross-daemon: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        if (!d.cfg.socket_path)
                d.cfg.socket_path = xasprintf("%s/ross.sock", d.cfg.run_dir);
        /* checked before anything is made; the daemon takes the parsed form */
        if ((log_driver || n_log_opts) && ross_log_default_parse(log_driver, log_opts, n_log_opts,
                                                                 &d.cfg.log_default, &err) < 0) {
                fprintf(stderr, "ross-daemon: %s\n", err.msg);
                return 2;
        }
        /* Not a flag: only tests of a hung pull helper want a shorter wait than the default. */
        const char *stall = getenv("ROSS_HELPER_STALL_SECONDS");
        if (stall) {
                if (ross_parse_int(stall, 1, 86400, &d.cfg.helper_stall_seconds) < 0) {
                        fprintf(stderr,
                                "ross-daemon: ROSS_HELPER_STALL_SECONDS: '%s' is not a number of "
                                "seconds from 1 to 86400\n",
                                stall);
                        return 2;
                }
                log_info("a pull helper silent for %d s is stopped (ROSS_HELPER_STALL_SECONDS)",
                         d.cfg.helper_stall_seconds);
        }

        signal(SIGPIPE, SIG_IGN);
        ross_http_global_init();

        if (ross_daemon_open(&d, &err) < 0) {
                fprintf(stderr, "ross-daemon: %s\n", err.msg);
                ross_daemon_close(&d); /* what it opened before the failure */
                return 1;
        }
        if (ross_server_start(&d, d.cfg.socket_path, &server, &err) < 0) {
                fprintf(stderr, "ross-daemon: %s\n", err.msg);
                ross_daemon_close(&d);
                return 1;
        }
        log_info("serving the API on %s (data %s, run %s)", d.cfg.socket_path, d.cfg.data_dir,
                 d.cfg.run_dir);
        {
                char shown[64], bytes[32];
                uint64_t reserve = 0;
                _cleanup_close_ int dfd = open(d.cfg.data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ross_space_format_reserve(&d.cfg.min_free_space, shown, sizeof(shown));
                if (dfd >= 0 &&
                    ross_space_reserve_bytes(&d.cfg.min_free_space, dfd, &reserve, NULL) == 0) {
                        ross_space_format_bytes(reserve, bytes, sizeof(bytes));
                        log_info("free-space reserve (--min-free-space): %s, here %s", shown,
                                 bytes);
                }
        }

        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        while (!stop_requested)
                pause();

        log_info("signal %d: stopping", (int)stop_requested);
        /* Containers live in their shims: nothing waits on the daemon. A client still
         * waiting on a request (a wait, a followed log) must not hold the exit up. */
        if (ross_server_busy(server)) {
                ross_server_unlink(server);
                _exit(0);
        }
        ross_server_stop(server);
        ross_daemon_close(&d);
        return 0;
}
