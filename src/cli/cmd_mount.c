/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <jansson.h>

#include "../basic/format.h"
#include "commands.h"

/* POST /images/{name}/{verb}; print one field of the answer. */
static int post_image(RossClient *c, const char *verb, const char *name, const char *field)
{
        _cleanup_free_ char *suffix = xasprintf("/%s", verb);
        _cleanup_free_ char *path = ross_cli_image_path(name, suffix);
        RossError err = {};
        json_auto_t *j = NULL;
        if (ross_client_json(c, "POST", path, NULL, &j, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        const char *v = json_string_value(json_object_get(j, field));
        if (v)
                printf("%s\n", v);
        return v ? 0 : 1;
}

/* The verbs that take one image, POST to it and print one field of the answer. */
typedef struct ImageVerb {
        const char *verb;  /* "mount": POST /images/{name}/mount */
        const char *field; /* what to print */
        const char *help;
} ImageVerb;

static int image_verb(RossClient *c, const ImageVerb *v, int argc, char **argv)
{
        if (argc == 2 && (STREQ(argv[1], "-h") || STREQ(argv[1], "--help"))) {
                printf("Usage: ross-cli image %s IMAGE\n\n%s\n", v->verb, v->help);
                return 0;
        }
        if (argc != 2) {
                ross_cli_error("image %s: expected one image", v->verb);
                return 125;
        }
        return post_image(c, v->verb, argv[1], v->field);
}

int ross_cmd_image_mount(RossClient *c, int argc, char **argv)
{
        static const ImageVerb v = {"mount", "Mountpoint",
                                    "Mount the image's filesystem read-only and print where."};
        return image_verb(c, &v, argc, argv);
}

int ross_cmd_image_unmount(RossClient *c, int argc, char **argv)
{
        static const ImageVerb v = {"unmount", "Id", "Undo 'image mount'; prints the image id."};
        return image_verb(c, &v, argc, argv);
}

int ross_cmd_image_rootfs(RossClient *c, int argc, char **argv)
{
        static const ImageVerb v = {
                "rootfs", "Path",
                "Print the path of the image's flat root filesystem: its layers merged\n"
                "once, whiteouts applied, as a micro-VM boots from (made on first use)."};
        return image_verb(c, &v, argc, argv);
}

int ross_cmd_image_prune(RossClient *c, int argc, char **argv)
{
        enum { O_FILTER = 256 };
        static const struct option opts[] = {
                {"all", no_argument, NULL, 'a'},
                {"force", no_argument, NULL, 'f'},
                {"filter", required_argument, NULL, O_FILTER},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object();
        bool all = false, force = false;
        int ch;

        optind = 1;
        while ((ch = getopt_long(argc, argv, "afh", opts, NULL)) != -1) {
                switch (ch) {
                case 'a':
                        all = true;
                        break;
                case 'f':
                        force = true;
                        break;
                case O_FILTER:
                        if (ross_cli_filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'h':
                        printf("Usage: ross-cli image prune [-a] [-f] [--filter K=V]\n"
                               "\n"
                               "Remove dangling images (no tag), then blobs and snapshots no\n"
                               "image uses.\n"
                               "\n"
                               "Options:\n"
                               "  -a, --all         remove every image not in use, tagged or not\n"
                               "  -f, --force       do not ask for confirmation\n"
                               "      --filter K=V  until=TIME (a duration such as 24h, a date, "
                               "Unix\n"
                               "                    seconds), label=K[=V], label!=K[=V] "
                               "(repeatable)\n"
                               "  -h, --help        show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (!force) {
                fprintf(stderr,
                        "WARNING! This will remove all %s.\n"
                        "Are you sure you want to continue? [y/N] ",
                        all ? "images without at least one container associated to them"
                            : "dangling images");
                _cleanup_free_ char *line = NULL;
                size_t n = 0;
                if (getline(&line, &n, stdin) < 0 || (line[0] != 'y' && line[0] != 'Y')) {
                        fprintf(stderr, "\n");
                        return 0;
                }
        }
        if (all)
                (void)ross_cli_filter_add(filters, "dangling=false");
        _cleanup_free_ char *q = ross_cli_filter_query(filters);
        _cleanup_free_ char *path =
                q ? xasprintf("/images/prune?%s", q + 1) : xstrdup("/images/prune");
        RossError err = {};
        json_auto_t *j = NULL;
        if (ross_client_json(c, "POST", path, NULL, &j, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        json_t *del = json_object_get(j, "ImagesDeleted"), *e;
        size_t i;
        if (json_array_size(del) > 0) {
                printf("Deleted Images:\n");
                json_array_foreach (del, i, e) {
                        const char *k;
                        json_t *v;
                        json_object_foreach (e, k, v)
                                printf("%s: %s\n", k, json_string_value(v));
                }
                printf("\n");
        }
        char size[32];
        ross_format_size((double)json_integer_value(json_object_get(j, "SpaceReclaimed")), size,
                         sizeof(size));
        printf("Total reclaimed space: %s\n", size);
        return 0;
}
