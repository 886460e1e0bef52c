/* SPDX-License-Identifier: Apache-2.0 */
/* The prunes as docker's CLI reports them: container prune here, and the calls system prune
 * makes (cmd_system.c). */
#include <getopt.h>

#include "../basic/format.h"
#include "commands.h"

/* POST path?filters=...; the daemon's message printed on failure. */
static int prune_call(RossClient *c, const char *path, json_t *filters, json_t **ret)
{
        _cleanup_free_ char *q = ross_cli_filter_query(filters);
        _cleanup_free_ char *full = q ? xasprintf("%s?%s", path, q + 1) : xstrdup(path);
        return ross_cli_call(c, "POST", full, NULL, ret);
}

static void add_reclaimed(json_t *resp, uint64_t *reclaimed)
{
        json_int_t n = json_integer_value(json_object_get(resp, "SpaceReclaimed"));
        if (reclaimed && n > 0)
                *reclaimed += (uint64_t)n;
}

/* "Deleted Containers:\nID\n...\n" and a blank line, as docker's sections are printed. */
static void print_list(const char *title, json_t *list)
{
        json_t *e;
        size_t i;
        if (json_array_size(list) == 0)
                return;
        printf("%s:\n", title);
        json_array_foreach (list, i, e)
                printf("%s\n", json_string_value(e) ?: "");
        printf("\n");
}

int ross_cli_prune_containers(RossClient *c, json_t *filters, uint64_t *reclaimed)
{
        json_auto_t *resp = NULL;
        if (prune_call(c, "/containers/prune", filters, &resp) < 0)
                return -EIO;
        print_list("Deleted Containers", json_object_get(resp, "ContainersDeleted"));
        add_reclaimed(resp, reclaimed);
        return 0;
}

int ross_cli_prune_networks(RossClient *c, json_t *filters)
{
        json_auto_t *resp = NULL;
        if (prune_call(c, "/networks/prune", filters, &resp) < 0)
                return -EIO;
        print_list("Deleted Networks", json_object_get(resp, "NetworksDeleted"));
        return 0;
}

int ross_cli_prune_volumes(RossClient *c, json_t *filters, uint64_t *reclaimed)
{
        json_auto_t *resp = NULL;
        if (prune_call(c, "/volumes/prune", filters, &resp) < 0)
                return -EIO;
        print_list("Deleted Volumes", json_object_get(resp, "VolumesDeleted"));
        add_reclaimed(resp, reclaimed);
        return 0;
}

int ross_cli_prune_images(RossClient *c, bool all, json_t *filters, uint64_t *reclaimed)
{
        json_auto_t *f = json_deep_copy(filters), *resp = NULL;
        if (all)
                ross_cli_filter_add(f, "dangling=false");
        if (prune_call(c, "/images/prune", f, &resp) < 0)
                return -EIO;
        json_t *del = json_object_get(resp, "ImagesDeleted"), *e;
        size_t i;
        if (json_array_size(del) > 0) {
                printf("Deleted Images:\n");
                json_array_foreach (del, i, e) {
                        const char *u = json_string_value(json_object_get(e, "Untagged"));
                        const char *d = json_string_value(json_object_get(e, "Deleted"));
                        if (u)
                                printf("untagged: %s\n", u);
                        else if (d)
                                printf("deleted: %s\n", d);
                }
                printf("\n");
        }
        add_reclaimed(resp, reclaimed);
        return 0;
}

void ross_cli_print_reclaimed(uint64_t bytes)
{
        char size[32];
        ross_format_size((double)bytes, size, sizeof(size));
        printf("Total reclaimed space: %s\n", size);
}

int ross_cmd_container_prune(RossClient *c, int argc, char **argv)
{
        enum { O_FILTER = 256 };
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"filter", required_argument, NULL, O_FILTER},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object();
        bool force = false;
        int ch;
        optind = 0; /* 0: getopt starts afresh, permuting */
        while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        force = true;
                        break;
                case O_FILTER:
                        if (ross_cli_filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'h':
                        printf("Usage: ross-cli container prune [OPTIONS]\n"
                               "\n"
                               "Remove every container that is not running (created or "
                               "exited).\n"
                               "\n"
                               "Options:\n"
                               "  -f, --force       do not ask for confirmation\n"
                               "      --filter K=V  until=TIME (a duration such as 24h, a date, "
                               "Unix seconds),\n"
                               "                    label=K[=V], label!=K[=V] (repeatable)\n"
                               "  -h, --help        show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind < argc) {
                ross_cli_error("container prune: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        if (!force && !ross_cli_confirm("WARNING! This will remove all stopped containers."))
                return 0;
        uint64_t reclaimed = 0;
        if (ross_cli_prune_containers(c, filters, &reclaimed) < 0)
                return 1;
        ross_cli_print_reclaimed(reclaimed);
        return 0;
}
