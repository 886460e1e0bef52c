/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <jansson.h>

#include "commands.h"

/* POST /images/{name}/{verb}; print one field of the answer. */
static int post_image(RossClient *c, const char *verb, const char *name, const char *field)
{
        _cleanup_free_ char *suffix = xasprintf("/%s", verb);
        _cleanup_free_ char *path = ross_cli_image_path(name, suffix);
        RossApiCall call = {.method = "POST", .path = path};
        RossApiResponse resp;
        RossError err = {};
        if (ross_client_call(c, &call, &resp, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
        const char *v = json_string_value(json_object_get(j, field));
        if (v)
                printf("%s\n", v);
        json_decref(j);
        ross_api_response_free(&resp);
        return v ? 0 : 1;
}

int ross_cmd_image_mount(RossClient *c, int argc, char **argv)
{
        if (argc == 2 && (STREQ(argv[1], "-h") || STREQ(argv[1], "--help"))) {
                printf("Usage: ross-cli image mount IMAGE\n"
                       "\n"
                       "Mount the image's filesystem read-only and print where.\n");
                return 0;
        }
        if (argc != 2) {
                ross_cli_error("image mount: expected one image");
                return 125;
        }
        return post_image(c, "mount", argv[1], "Mountpoint");
}

int ross_cmd_image_unmount(RossClient *c, int argc, char **argv)
{
        if (argc == 2 && (STREQ(argv[1], "-h") || STREQ(argv[1], "--help"))) {
                printf("Usage: ross-cli image unmount IMAGE\n"
                       "\n"
                       "Undo 'image mount'; prints the image id.\n");
                return 0;
        }
        if (argc != 2) {
                ross_cli_error("image unmount: expected one image");
                return 125;
        }
        return post_image(c, "unmount", argv[1], "Id");
}

int ross_cmd_image_rootfs(RossClient *c, int argc, char **argv)
{
        if (argc == 2 && (STREQ(argv[1], "-h") || STREQ(argv[1], "--help"))) {
                printf("Usage: ross-cli image rootfs IMAGE\n"
                       "\n"
                       "Print the path of the image's flat root filesystem: its layers merged\n"
                       "once, whiteouts applied, as a micro-VM boots from (made on first use).\n");
                return 0;
        }
        if (argc != 2) {
                ross_cli_error("image rootfs: expected one image");
                return 125;
        }
        return post_image(c, "rootfs", argv[1], "Path");
}

static void human_size(double v, char *buf, size_t n)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
        size_t i = 0;
        while (v >= 1000.0 && i + 1 < ELEMENTSOF(units)) {
                v /= 1000.0;
                i++;
        }
        snprintf(buf, n, "%.3g%s", v, units[i]);
}

int ross_cmd_image_prune(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"all", no_argument, NULL, 'a'},
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
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
                case 'h':
                        printf("Usage: ross-cli image prune [-a] [-f]\n"
                               "\n"
                               "Remove dangling images (no tag), then blobs and snapshots no\n"
                               "image uses.\n"
                               "\n"
                               "Options:\n"
                               "  -a, --all    remove every image not in use, tagged or not\n"
                               "  -f, --force  do not ask for confirmation\n");
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
                char line[16] = "";
                if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y')) {
                        fprintf(stderr, "\n");
                        return 0;
                }
        }
        const char *path = all ? "/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D"
                               : "/images/prune";
        RossApiCall call = {.method = "POST", .path = path};
        RossApiResponse resp;
        RossError err = {};
        if (ross_client_call(c, &call, &resp, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
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
        human_size((double)json_integer_value(json_object_get(j, "SpaceReclaimed")), size,
                   sizeof(size));
        printf("Total reclaimed space: %s\n", size);
        json_decref(j);
        ross_api_response_free(&resp);
        return 0;
}
