/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli network: Docker's /networks endpoints (create, ls, inspect, rm, prune, connect,
 * disconnect). */
#include <getopt.h>
#include <jansson.h>

#include "commands.h"
#include "netparse.h"

static char *network_path(const char *name, const char *suffix)
{
        _cleanup_free_ char *esc = ross_client_escape(name);
        return xasprintf("/networks/%s%s", esc, suffix);
}

/* --filter K=V into Docker's JSON filters in the shape its CLI sends ({"K": {"V": true}}). */
static int filter_add(json_t *filters, const char *arg)
{
        json_auto_t *list = json_object();
        if (ross_cli_filter_add(list, arg) < 0)
                return -EINVAL;
        const char *key;
        json_t *values;
        json_object_foreach (list, key, values) {
                json_t *set = json_object_get(filters, key);
                if (!set)
                        json_object_set_new(filters, key, set = json_object());
                json_object_set_new(set, json_string_value(json_array_get(values, 0)), json_true());
        }
        return 0;
}

/* "?filters=..." or "" */
static char *filter_query(json_t *filters)
{
        _cleanup_free_ char *q = ross_cli_filter_query(filters);
        return q ? xasprintf("?%s", q + 1) : xstrdup("");
}

static void create_usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli network create [OPTIONS] NETWORK\n"
                   "\n"
                   "Create a network; print its id.\n"
                   "\n"
                   "Options:\n"
                   "  -d, --driver DRIVER      the network's driver (default bridge)\n"
                   "      --subnet CIDR        a subnet (10.10.0.0/16; repeatable: one IPv4 and\n"
                   "                           one IPv6)\n"
                   "      --gateway IP         the gateway of the subnet that holds it\n"
                   "                           (repeatable)\n"
                   "      --ip-range CIDR      allocate container addresses from this part of the\n"
                   "                           subnet that holds it (repeatable)\n"
                   "      --internal           no access to the outside world\n"
                   "      --ipv6               IPv6 networking too\n"
                   "      --attachable         containers may be connected to it by hand\n"
                   "      --label KEY=VALUE    a label of the network (repeatable)\n"
                   "  -o, --opt KEY=VALUE      an option of the driver (repeatable)\n"
                   "  -h, --help               show this help\n");
}

static int network_create(RossClient *c, int argc, char **argv)
{
        enum { O_SUBNET = 256, O_GATEWAY, O_IPRANGE, O_INTERNAL, O_IPV6, O_ATTACHABLE, O_LABEL };
        static const struct option opts[] = {
                {"driver", required_argument, NULL, 'd'},
                {"subnet", required_argument, NULL, O_SUBNET},
                {"gateway", required_argument, NULL, O_GATEWAY},
                {"ip-range", required_argument, NULL, O_IPRANGE},
                {"internal", no_argument, NULL, O_INTERNAL},
                {"ipv6", no_argument, NULL, O_IPV6},
                {"attachable", no_argument, NULL, O_ATTACHABLE},
                {"label", required_argument, NULL, O_LABEL},
                {"opt", required_argument, NULL, 'o'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *subnets = json_array(), *gateways = json_array(), *ranges = json_array();
        json_auto_t *labels = json_object(), *options = json_object(), *config = NULL;
        const char *driver = "bridge";
        bool internal = false, ipv6 = false, attachable = false;
        RossError err = {};
        int ch;

        optind = 0; /* 0: getopt starts afresh, permuting (Docker takes flags after the name) */
        while ((ch = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'd':
                        driver = optarg;
                        break;
                case O_SUBNET:
                        json_array_append_new(subnets, json_string(optarg));
                        break;
                case O_GATEWAY:
                        json_array_append_new(gateways, json_string(optarg));
                        break;
                case O_IPRANGE:
                        json_array_append_new(ranges, json_string(optarg));
                        break;
                case O_INTERNAL:
                        internal = true;
                        break;
                case O_IPV6:
                        ipv6 = true;
                        break;
                case O_ATTACHABLE:
                        attachable = true;
                        break;
                case O_LABEL:
                        if (ross_cli_key_value(labels, "--label", optarg) < 0)
                                return 125;
                        break;
                case 'o':
                        if (ross_cli_key_value(options, "--opt", optarg) < 0)
                                return 125;
                        break;
                case 'h':
                        create_usage(stdout);
                        return 0;
                default:
                        create_usage(stderr);
                        return 125;
                }
        }
        if (optind + 1 != argc) {
                ross_cli_error("network create: exactly one network name is required");
                return 125;
        }
        if (ross_cli_ipam_config(subnets, ranges, gateways, &config, &err) < 0) {
                ross_cli_error("network create: %s", err.msg);
                return 125;
        }
        json_auto_t *body =
                json_pack("{s:s, s:b, s:s, s:b, s:b, s:b, s:{s:s, s:O}, s:O, s:O}", "Name",
                          argv[optind], "CheckDuplicate", true, "Driver", driver, "Internal",
                          internal, "Attachable", attachable, "EnableIPv6", ipv6, "IPAM", "Driver",
                          "default", "Config", config, "Options", options, "Labels", labels);
        json_auto_t *resp = NULL;
        if (ross_cli_call(c, "POST", "/networks/create", body, &resp) < 0)
                return 1;
        const char *warning = json_string_value(json_object_get(resp, "Warning"));
        if (!STR_EMPTY(warning))
                fprintf(stderr, "WARNING: %s\n", warning);
        printf("%s\n", json_string_value(json_object_get(resp, "Id")) ?: "");
        return 0;
}

static int by_name(const void *a, const void *b)
{
        const char *na = json_string_value(json_object_get(*(json_t *const *)a, "Name"));
        const char *nb = json_string_value(json_object_get(*(json_t *const *)b, "Name"));
        return ross_cli_natural_cmp(na ?: "", nb ?: "");
}

static void list_usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli network ls [OPTIONS]   (also: network list)\n"
                   "\n"
                   "List networks, by name.\n"
                   "\n"
                   "Options:\n"
                   "  -q, --quiet          print network ids only\n"
                   "      --no-trunc       do not shorten network ids\n"
                   "  -f, --filter K=V     Docker's filters: driver, id, label=K[=V], name,\n"
                   "                       scope, type=custom|builtin, dangling=true|false\n"
                   "                       (repeatable)\n"
                   "  -h, --help           show this help\n");
}

static int network_list(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"quiet", no_argument, NULL, 'q'},
                {"no-trunc", no_argument, NULL, 'N'},
                {"filter", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object(), *list = NULL;
        bool quiet = false, no_trunc = false;
        int ch;

        optind = 0; /* 0: getopt starts afresh, permuting (Docker takes flags after the name) */
        while ((ch = getopt_long(argc, argv, "qf:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'q':
                        quiet = true;
                        break;
                case 'N':
                        no_trunc = true;
                        break;
                case 'f':
                        if (filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'h':
                        list_usage(stdout);
                        return 0;
                default:
                        list_usage(stderr);
                        return 125;
                }
        }
        if (optind < argc) {
                ross_cli_error("network ls: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        _cleanup_free_ char *q = filter_query(filters);
        _cleanup_free_ char *path = xasprintf("/networks%s", q);
        if (ross_cli_call(c, "GET", path, NULL, &list) < 0)
                return 1;

        size_t n = json_array_size(list);
        _cleanup_free_ json_t **nets = xcalloc(n ? n : 1, sizeof(json_t *));
        for (size_t i = 0; i < n; i++)
                nets[i] = json_array_get(list, i);
        qsort(nets, n, sizeof(json_t *), by_name);

        /* Docker's table: columns as wide as their widest cell and 3 more, 10 at least */
        const char *head[] = {"NETWORK ID", "NAME", "DRIVER", "SCOPE"};
        _cleanup_free_ char **cells = xcalloc(4 * (n + 1), sizeof(char *));
        int width[3] = {10, 10, 10};
        for (size_t i = 0; i <= n; i++) {
                char **row = cells + 4 * i;
                if (i == 0) {
                        for (int k = 0; k < 4; k++)
                                row[k] = xstrdup(head[k]);
                } else {
                        json_t *e = nets[i - 1];
                        const char *id = json_string_value(json_object_get(e, "Id")) ?: "";
                        row[0] = no_trunc ? xstrdup(id) : xstrndup(id, 12);
                        row[1] = xstrdup(json_string_value(json_object_get(e, "Name")) ?: "");
                        row[2] = xstrdup(json_string_value(json_object_get(e, "Driver")) ?: "");
                        row[3] = xstrdup(json_string_value(json_object_get(e, "Scope")) ?: "");
                }
                for (int k = 0; k < 3; k++)
                        if ((int)strlen(row[k]) + 3 > width[k])
                                width[k] = (int)strlen(row[k]) + 3;
        }
        for (size_t i = quiet ? 1 : 0; i <= n; i++) {
                char **row = cells + 4 * i;
                if (quiet)
                        printf("%s\n", row[0]);
                else
                        printf("%-*s%-*s%-*s%s\n", width[0], row[0], width[1], row[1], width[2],
                               row[2], row[3]);
        }
        for (size_t i = 0; i < 4 * (n + 1); i++)
                free(cells[i]);
        return 0;
}

static int network_inspect(RossClient *c, int argc, char **argv)
{
        if (argc < 2 || STREQ(argv[1], "-h") || STREQ(argv[1], "--help")) {
                fprintf(argc < 2 ? stderr : stdout,
                        "Usage: ross-cli network inspect NETWORK [NETWORK...]\n"
                        "\n"
                        "Show networks' details as a JSON array (name, id or id prefix).\n");
                return argc < 2 ? 125 : 0;
        }
        return ross_cli_inspect(c, argc, argv, ROSS_INSPECT_NETWORK);
}

static int network_rm(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool force = false;
        int ch, rc = 0;

        optind = 0; /* 0: getopt starts afresh, permuting (Docker takes flags after the name) */
        while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        printf("Usage: ross-cli network rm [-f] NETWORK [NETWORK...]   (also: "
                               "network remove)\n"
                               "\n"
                               "Remove networks; print each name.\n"
                               "\n"
                               "Options:\n"
                               "  -f, --force  no error for a network that does not exist\n"
                               "  -h, --help   show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind >= argc) {
                ross_cli_error("network rm: at least one network is required");
                return 125;
        }
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *path = network_path(argv[i], "");
                RossError err = {};
                int r = ross_client_json(c, "DELETE", path, NULL, NULL, &err);
                if (r == -ENOENT && force)
                        continue;
                if (r < 0) {
                        ross_cli_error("%s", err.msg);
                        rc = 1;
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        return rc;
}

static int network_prune(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"filter", required_argument, NULL, 'F'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object(), *resp = NULL;
        bool force = false;
        int ch;

        optind = 0; /* 0: getopt starts afresh, permuting (Docker takes flags after the name) */
        while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        force = true;
                        break;
                case 'F':
                        if (filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'h':
                        printf("Usage: ross-cli network prune [-f] [--filter K=V]\n"
                               "\n"
                               "Remove the networks no container uses (not bridge, host or "
                               "none).\n"
                               "\n"
                               "Options:\n"
                               "  -f, --force       do not ask for confirmation\n"
                               "      --filter K=V  Docker's filters: until=TIME,\n"
                               "                    label=K[=V], label!=K[=V] (repeatable)\n"
                               "  -h, --help        show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind < argc) {
                ross_cli_error("network prune: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        if (!force && !ross_cli_confirm("WARNING! This will remove all custom networks not used "
                                        "by at least one container."))
                return 0;
        _cleanup_free_ char *q = filter_query(filters);
        _cleanup_free_ char *path = xasprintf("/networks/prune%s", q);
        if (ross_cli_call(c, "POST", path, NULL, &resp) < 0)
                return 1;
        json_t *deleted = json_object_get(resp, "NetworksDeleted"), *e;
        size_t i;
        if (json_array_size(deleted) > 0) {
                printf("Deleted Networks:\n");
                json_array_foreach (deleted, i, e)
                        printf("%s\n", json_string_value(e) ?: "");
                printf("\n");
        }
        return 0;
}

static int network_connect(RossClient *c, int argc, char **argv)
{
        enum { O_ALIAS = 256, O_IP, O_IP6 };
        static const struct option opts[] = {
                {"alias", required_argument, NULL, O_ALIAS},
                {"ip", required_argument, NULL, O_IP},
                {"ip6", required_argument, NULL, O_IP6},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *aliases = json_array(), *ipam = json_object();
        int ch;

        optind = 0; /* 0: getopt starts afresh, permuting (Docker takes flags after the name) */
        while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (ch) {
                case O_ALIAS:
                        json_array_append_new(aliases, json_string(optarg));
                        break;
                case O_IP:
                case O_IP6: {
                        bool v4 = ch == O_IP;
                        if (!ross_cli_ip_valid(optarg, v4 ? AF_INET : AF_INET6)) {
                                ross_cli_error("invalid argument \"%s\" for %s: not an %s address",
                                               optarg, v4 ? "--ip" : "--ip6", v4 ? "IPv4" : "IPv6");
                                return 125;
                        }
                        json_object_set_new(ipam, v4 ? "IPv4Address" : "IPv6Address",
                                            json_string(optarg));
                        break;
                }
                case 'h':
                        printf("Usage: ross-cli network connect [OPTIONS] NETWORK CONTAINER\n"
                               "\n"
                               "Connect a container to a network.\n"
                               "\n"
                               "Options:\n"
                               "      --alias ALIAS   another name of the container in the\n"
                               "                      network (repeatable)\n"
                               "      --ip ADDRESS    its IPv4 address in the network\n"
                               "      --ip6 ADDRESS   its IPv6 address in the network\n"
                               "  -h, --help          show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind + 2 != argc) {
                ross_cli_error("network connect: expected NETWORK CONTAINER");
                return 125;
        }
        json_auto_t *ep = json_object();
        if (json_array_size(aliases))
                json_object_set(ep, "Aliases", aliases);
        if (json_object_size(ipam))
                json_object_set(ep, "IPAMConfig", ipam);
        json_auto_t *body =
                json_pack("{s:s, s:O}", "Container", argv[optind + 1], "EndpointConfig", ep);
        _cleanup_free_ char *path = network_path(argv[optind], "/connect");
        return ross_cli_call(c, "POST", path, body, NULL) < 0 ? 1 : 0;
}

static int network_disconnect(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool force = false;
        int ch;

        optind = 0; /* 0: getopt starts afresh, permuting (Docker takes flags after the name) */
        while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        printf("Usage: ross-cli network disconnect [-f] NETWORK CONTAINER\n"
                               "\n"
                               "Disconnect a container from a network.\n"
                               "\n"
                               "Options:\n"
                               "  -f, --force  force the container off the network\n"
                               "  -h, --help   show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind + 2 != argc) {
                ross_cli_error("network disconnect: expected NETWORK CONTAINER");
                return 125;
        }
        json_auto_t *body = json_pack("{s:s, s:b}", "Container", argv[optind + 1], "Force", force);
        _cleanup_free_ char *path = network_path(argv[optind], "/disconnect");
        return ross_cli_call(c, "POST", path, body, NULL) < 0 ? 1 : 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli network COMMAND\n"
                   "\n"
                   "Manage networks.\n"
                   "\n"
                   "Commands:\n"
                   "  create [OPTIONS] NETWORK              create a network, print its id\n"
                   "  ls|list [-q] [-f K=V] [--no-trunc]    list networks\n"
                   "  inspect NETWORK...                    show networks' details as JSON\n"
                   "  rm|remove [-f] NETWORK...             remove networks\n"
                   "  prune [-f] [--filter K=V]             remove the networks no container uses\n"
                   "  connect [OPTIONS] NETWORK CONTAINER   connect a container to a network\n"
                   "  disconnect [-f] NETWORK CONTAINER     disconnect it\n"
                   "\n"
                   "Run 'ross-cli network COMMAND --help' for a command's options.\n");
}

int ross_cmd_network(RossClient *c, int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(RossClient *c, int argc, char **argv);
        } verbs[] = {
                {"create", network_create},
                {"ls", network_list},
                {"list", network_list},
                {"inspect", network_inspect},
                {"rm", network_rm},
                {"remove", network_rm},
                {"prune", network_prune},
                {"connect", network_connect},
                {"disconnect", network_disconnect},
        };
        if (argc < 2 || STREQ(argv[1], "-h") || STREQ(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 125 : 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (STREQ(argv[1], verbs[i].name))
                        return verbs[i].fn(c, argc - 1, argv + 1);
        ross_cli_error("unknown command 'network %s' (see ross-cli network --help)", argv[1]);
        return 125;
}
