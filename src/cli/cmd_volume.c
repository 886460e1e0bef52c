/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli volume: Docker's /volumes endpoints (create, ls, inspect, rm, prune). */
#include <getopt.h>
#include <jansson.h>

#include "../basic/format.h"
#include "commands.h"

static char *volume_path(const char *name)
{
        _cleanup_free_ char *esc = ross_client_escape(name);
        return xasprintf("/volumes/%s", esc);
}

/* "?filters=..." or "" */
static char *filter_query(json_t *filters)
{
        _cleanup_free_ char *q = ross_cli_filter_query(filters);
        return q ? xasprintf("?%s", q + 1) : xstrdup("");
}

static int volume_create(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"driver", required_argument, NULL, 'd'}, {"label", required_argument, NULL, 'l'},
                {"opt", required_argument, NULL, 'o'},    {"name", required_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},         {},
        };
        json_auto_t *labels = json_object(), *options = json_object(), *resp = NULL;
        const char *driver = "local", *name = NULL;
        int ch;
        optind = 0; /* 0: getopt starts afresh, permuting (Docker takes flags after the name) */
        while ((ch = getopt_long(argc, argv, "d:l:o:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'd':
                        driver = optarg;
                        break;
                case 'l':
                        if (ross_cli_key_value(labels, "--label", optarg) < 0)
                                return 125;
                        break;
                case 'o':
                        if (ross_cli_key_value(options, "--opt", optarg) < 0)
                                return 125;
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'h':
                        printf("Usage: ross-cli volume create [OPTIONS] [VOLUME]\n"
                               "\n"
                               "Create a volume (a random name when none is given); print its "
                               "name.\n"
                               "\n"
                               "Options:\n"
                               "  -d, --driver DRIVER    the volume's driver (local, the only "
                               "one)\n"
                               "      --label KEY=VALUE  a label of the volume (repeatable)\n"
                               "  -o, --opt KEY=VALUE    an option of the driver (none are taken)\n"
                               "      --name NAME        the volume's name, as the argument\n"
                               "  -h, --help             show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind < argc && name) {
                ross_cli_error("volume create: conflicting options: either specify --name or "
                               "provide positional arg, not both");
                return 125;
        }
        if (optind < argc)
                name = argv[optind++];
        if (optind < argc) {
                ross_cli_error("volume create: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        json_auto_t *body = json_pack("{s:s, s:s, s:O, s:O}", "Name", name ? name : "", "Driver",
                                      driver, "Labels", labels, "DriverOpts", options);
        if (ross_cli_call(c, "POST", "/volumes/create", body, &resp) < 0)
                return 1;
        printf("%s\n", json_string_value(json_object_get(resp, "Name")) ?: "");
        return 0;
}

static int by_name(const void *a, const void *b)
{
        const char *x = json_string_value(json_object_get(*(json_t *const *)a, "Name")) ?: "";
        const char *y = json_string_value(json_object_get(*(json_t *const *)b, "Name")) ?: "";
        return strcmp(x, y);
}

static int volume_list(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"quiet", no_argument, NULL, 'q'},
                {"filter", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object(), *resp = NULL;
        bool quiet = false;
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "qf:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'q':
                        quiet = true;
                        break;
                case 'f':
                        if (ross_cli_filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'h':
                        printf("Usage: ross-cli volume ls [OPTIONS]   (also: volume list)\n"
                               "\n"
                               "List volumes.\n"
                               "\n"
                               "Options:\n"
                               "  -q, --quiet       names only\n"
                               "  -f, --filter K=V  Docker's filters: name=, driver=, "
                               "label=K[=V],\n"
                               "                    dangling=true|false (repeatable)\n"
                               "  -h, --help        show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind < argc) {
                ross_cli_error("volume ls: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        _cleanup_free_ char *q = filter_query(filters);
        _cleanup_free_ char *path = xasprintf("/volumes%s", q);
        if (ross_cli_call(c, "GET", path, NULL, &resp) < 0)
                return 1;
        json_t *list = json_object_get(resp, "Volumes");
        size_t n = json_array_size(list);
        _cleanup_free_ json_t **vs = xcalloc(n ? n : 1, sizeof(json_t *));
        for (size_t i = 0; i < n; i++)
                vs[i] = json_array_get(list, i);
        qsort(vs, n, sizeof(json_t *), by_name);
        /* Docker's table: the driver column 16 wide */
        if (!quiet)
                printf("%-16s%s\n", "DRIVER", "VOLUME NAME");
        for (size_t i = 0; i < n; i++) {
                const char *name = json_string_value(json_object_get(vs[i], "Name")) ?: "";
                if (quiet)
                        printf("%s\n", name);
                else
                        printf("%-16s%s\n",
                               json_string_value(json_object_get(vs[i], "Driver")) ?: "", name);
        }
        return 0;
}

static int volume_inspect(RossClient *c, int argc, char **argv)
{
        if (argc < 2 || STREQ(argv[1], "-h") || STREQ(argv[1], "--help")) {
                fprintf(argc < 2 ? stderr : stdout,
                        "Usage: ross-cli volume inspect VOLUME [VOLUME...]\n"
                        "\n"
                        "Show volumes' details as a JSON array.\n");
                return argc < 2 ? 125 : 0;
        }
        return ross_cli_inspect(c, argc, argv, ROSS_INSPECT_VOLUME);
}

static int volume_rm(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool force = false;
        int ch, rc = 0;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        printf("Usage: ross-cli volume rm [-f] VOLUME [VOLUME...]   (also: volume "
                               "remove)\n"
                               "\n"
                               "Remove volumes and their data; print each name. A volume a "
                               "container names (running or not) is not removed.\n"
                               "\n"
                               "Options:\n"
                               "  -f, --force  no error for a volume that does not exist\n"
                               "  -h, --help   show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind >= argc) {
                ross_cli_error("volume rm: at least one volume is required");
                return 125;
        }
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *path = volume_path(argv[i]);
                _cleanup_free_ char *full = xasprintf("%s?force=%d", path, force);
                if (ross_cli_call(c, "DELETE", full, NULL, NULL) < 0) {
                        rc = 1;
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        return rc;
}

static int volume_prune(RossClient *c, int argc, char **argv)
{
        enum { O_FILTER = 256 };
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"all", no_argument, NULL, 'a'},
                {"filter", required_argument, NULL, O_FILTER},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object(), *resp = NULL;
        bool force = false, all = false;
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "fah", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        force = true;
                        break;
                case 'a':
                        all = true;
                        break;
                case O_FILTER:
                        if (ross_cli_filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'h':
                        printf("Usage: ross-cli volume prune [OPTIONS]\n"
                               "\n"
                               "Remove the anonymous volumes no container names (with -a every "
                               "unused volume).\n"
                               "\n"
                               "Options:\n"
                               "  -a, --all         named volumes too\n"
                               "  -f, --force       do not ask for confirmation\n"
                               "      --filter K=V  label=K[=V], label!=K[=V] (repeatable)\n"
                               "  -h, --help        show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind < argc) {
                ross_cli_error("volume prune: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        if (all)
                ross_cli_filter_add(filters, "all=true");
        if (!force && !ross_cli_confirm(all ? "WARNING! This will remove all local volumes not "
                                              "used by at least one container."
                                            : "WARNING! This will remove anonymous local volumes "
                                              "not used by at least one container."))
                return 0;
        _cleanup_free_ char *q = filter_query(filters);
        _cleanup_free_ char *path = xasprintf("/volumes/prune%s", q);
        if (ross_cli_call(c, "POST", path, NULL, &resp) < 0)
                return 1;
        json_t *deleted = json_object_get(resp, "VolumesDeleted"), *e;
        size_t i;
        if (json_array_size(deleted) > 0) {
                printf("Deleted Volumes:\n");
                json_array_foreach (deleted, i, e)
                        printf("%s\n", json_string_value(e));
                printf("\n");
        }
        char size[32];
        ross_format_size((double)json_integer_value(json_object_get(resp, "SpaceReclaimed")), size,
                         sizeof(size));
        printf("Total reclaimed space: %s\n", size);
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli volume COMMAND\n"
                   "\n"
                   "Manage volumes.\n"
                   "\n"
                   "Commands:\n"
                   "  create [OPTIONS] [VOLUME]   create a volume, print its name\n"
                   "  ls|list [-q] [-f K=V]       list volumes\n"
                   "  inspect VOLUME...           show volumes' details as JSON\n"
                   "  rm|remove [-f] VOLUME...    remove volumes\n"
                   "  prune [-a] [-f] [--filter K=V]\n"
                   "                              remove the volumes no container names\n"
                   "\n"
                   "Run 'ross-cli volume COMMAND --help' for a command's options.\n");
}

int ross_cmd_volume(RossClient *c, int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(RossClient *c, int argc, char **argv);
        } verbs[] = {
                {"create", volume_create},   {"ls", volume_list}, {"list", volume_list},
                {"inspect", volume_inspect}, {"rm", volume_rm},   {"remove", volume_rm},
                {"prune", volume_prune},
        };
        if (argc < 2 || STREQ(argv[1], "-h") || STREQ(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 125 : 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (STREQ(argv[1], verbs[i].name))
                        return verbs[i].fn(c, argc - 1, argv + 1);
        ross_cli_error("unknown command 'volume %s' (see ross-cli volume --help)", argv[1]);
        return 125;
}
