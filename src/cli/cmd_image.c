/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <jansson.h>
#include <time.h>

#include "config.h"

#include "../ref/reference.h"
#include "../basic/format.h"
#include "../basic/human.h"
#include "commands.h"

/* Docker's CREATED column: "2 weeks ago", "N/A" for no date. */
static void human_ago(int64_t when, char *buf, size_t n)
{
        char d[64];
        if (when <= 0) {
                snprintf(buf, n, "N/A");
                return;
        }
        ross_human_duration((double)((int64_t)time(NULL) - when), d, sizeof(d));
        snprintf(buf, n, "%s ago", d);
}

static int get_json(RossClient *c, const char *path, json_t **ret)
{
        RossError err = {};
        int r = ross_client_json(c, "GET", path, NULL, ret, &err);
        if (r < 0)
                ross_cli_error("%s", err.msg);
        return r;
}

static void list_usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli image list [OPTIONS] [REPOSITORY[:TAG]]\n"
                   "\n"
                   "List images (aliases: ross-cli image ls, ross-cli images).\n"
                   "\n"
                   "Options:\n"
                   "  -q, --quiet          print image ids only\n"
                   "      --no-trunc       do not shorten image ids\n"
                   "      --digests        show the registry digest of each image\n"
                   "      --format FORMAT  'table' (default) or 'json'\n"
                   "  -f, --filter K=V     Docker's filters: dangling=true|false, label=K[=V],\n"
                   "                       reference=PATTERN, before=IMAGE, since=IMAGE, until=T\n"
                   "  -h, --help           show this help\n");
}

/* IMAGE ID as Docker shows it: the hex without "sha256:", cut to 12 unless no_trunc. */
static char *shown_id(const char *id, bool no_trunc)
{
        if (!id)
                return xstrdup("");
        if (no_trunc)
                return xstrdup(id);
        const char *colon = strchr(id, ':');
        return xstrndup(colon ? colon + 1 : id, 12);
}

/* "127.0.0.1:5000/x:tag" -> repo "127.0.0.1:5000/x", tag "tag" */
static void split_tag(const char *rt, char **repo, char **tag)
{
        const char *slash = strrchr(rt, '/');
        const char *colon = strrchr(slash ? slash : rt, ':');
        *repo = colon ? xstrndup(rt, (size_t)(colon - rt)) : xstrdup(rt);
        *tag = xstrdup(colon ? colon + 1 : "<none>");
}

int ross_cmd_image_list(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"quiet", no_argument, NULL, 'q'},
                {"no-trunc", no_argument, NULL, 'N'},
                {"digests", no_argument, NULL, 'D'},
                {"format", required_argument, NULL, 'F'},
                {"filter", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object();
        bool quiet = false, no_trunc = false, digests = false;
        const char *format = "table";
        json_auto_t *list = NULL;
        json_t *img;
        size_t i;
        int ch;

        optind = 1;
        while ((ch = getopt_long(argc, argv, "qf:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        if (ross_cli_filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'N':
                        no_trunc = true;
                        break;
                case 'D':
                        digests = true;
                        break;
                case 'F':
                        format = optarg;
                        break;
                case 'h':
                        list_usage(stdout);
                        return 0;
                default:
                        list_usage(stderr);
                        return 125;
                }
        }
        if (!STREQ(format, "table") && !STREQ(format, "json")) {
                ross_cli_error("image list: --format: '%s' is not 'table' or 'json'", format);
                return 125;
        }
        if (optind + 1 < argc) {
                ross_cli_error("image list: unexpected argument '%s'", argv[optind + 1]);
                return 125;
        }
        if (optind < argc) {
                _cleanup_free_ char *ref = xasprintf("reference=%s", argv[optind]);
                (void)ross_cli_filter_add(filters, ref);
        }
        /* a positional REPOSITORY[:TAG] is Docker's reference filter */
        _cleanup_free_ char *q = ross_cli_filter_query(filters);
        _cleanup_free_ char *path = xasprintf("/images/json?all=0%s", q ? q : "");
        if (get_json(c, path, &list) < 0)
                return 1;

        if (STREQ(format, "json")) {
                _cleanup_free_ char *s = json_dumps(list, JSON_INDENT(2));
                printf("%s\n", s);
                return 0;
        }
        if (!quiet) {
                if (digests)
                        printf("%-40s %-12s %-72s %-14s %-16s %s\n", "REPOSITORY", "TAG", "DIGEST",
                               "IMAGE ID", "CREATED", "SIZE");
                else
                        printf("%-40s %-12s %-14s %-22s %s\n", "REPOSITORY", "TAG", "IMAGE ID",
                               "CREATED", "SIZE");
        }
        json_array_foreach (list, i, img) {
                const char *id = json_string_value(json_object_get(img, "Id"));
                json_t *tags = json_object_get(img, "RepoTags");
                json_t *rds = json_object_get(img, "RepoDigests");
                char size[32], ago[64];
                _cleanup_free_ char *shown = shown_id(id, no_trunc);
                if (quiet) {
                        printf("%s\n", shown);
                        continue;
                }
                ross_format_size((double)json_integer_value(json_object_get(img, "Size")), size,
                                 sizeof(size));
                human_ago(json_integer_value(json_object_get(img, "Created")), ago, sizeof(ago));
                size_t nt = json_array_size(tags);
                for (size_t k = 0; k < (nt ? nt : 1); k++) {
                        _cleanup_free_ char *repo = NULL, *tag = NULL;
                        if (nt)
                                split_tag(json_string_value(json_array_get(tags, k)), &repo, &tag);
                        else {
                                const char *rd = json_string_value(json_array_get(rds, 0));
                                repo = rd ? xstrndup(rd, strcspn(rd, "@")) : xstrdup("<none>");
                                tag = xstrdup("<none>");
                        }
                        if (digests) {
                                const char *rd = json_string_value(json_array_get(rds, 0));
                                const char *at = rd ? strchr(rd, '@') : NULL;
                                printf("%-40s %-12s %-72s %-14s %-16s %s\n", repo, tag,
                                       at ? at + 1 : "<none>", shown, ago, size);
                        } else
                                printf("%-40s %-12s %-14s %-22s %s\n", repo, tag, shown, ago, size);
                }
        }
        return 0;
}

/* /images/{name}/...: names keep their slashes; everything else is escaped. */
char *ross_cli_image_path(const char *name, const char *suffix)
{
        RossBuf b = {};
        ross_buf_append(&b, "/images/", 8);
        for (const char *p = name; *p; p++) {
                if (*p == '/' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    (*p >= 'A' && *p <= 'Z') || *p == '.' || *p == '-' || *p == '_' || *p == ':')
                        ross_buf_append(&b, p, 1);
                else
                        ross_buf_printf(&b, "%%%02X", (unsigned char)*p);
        }
        ross_buf_append(&b, suffix, strlen(suffix));
        return ross_buf_steal(&b);
}

int ross_cmd_image_inspect(RossClient *c, int argc, char **argv)
{
        if (argc < 2 || STREQ(argv[1], "-h") || STREQ(argv[1], "--help")) {
                fprintf(argc < 2 ? stderr : stdout,
                        "Usage: ross-cli image inspect IMAGE [IMAGE...]\n"
                        "\n"
                        "Show an image's details as JSON (name, id or id prefix).\n");
                return argc < 2 ? 125 : 0;
        }
        return ross_cli_inspect(c, argc, argv, ROSS_INSPECT_IMAGE);
}

int ross_cmd_image_rm(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool force = false;
        int ch, rc = 0;

        optind = 1;
        while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        printf("Usage: ross-cli image rm [-f] IMAGE [IMAGE...]\n"
                               "\n"
                               "Untag images and remove them once no tag is left (alias: "
                               "ross-cli rmi).\n"
                               "\n"
                               "Options:\n"
                               "  -f, --force  remove an image that has several tags\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind >= argc) {
                ross_cli_error("image rm: at least one image is required");
                return 125;
        }
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *base = ross_cli_image_path(argv[i], "");
                _cleanup_free_ char *path = xasprintf("%s?force=%d", base, force);
                RossError err = {};
                json_auto_t *rep = NULL;
                if (ross_client_json(c, "DELETE", path, NULL, &rep, &err) < 0) {
                        ross_cli_error("%s", err.msg);
                        rc = 1;
                        continue;
                }
                json_t *e;
                size_t k;
                json_array_foreach (rep, k, e) {
                        const char *key;
                        json_t *v;
                        json_object_foreach (e, key, v)
                                printf("%s: %s\n", key, json_string_value(v));
                }
        }
        return rc;
}

int ross_cmd_image_tag(RossClient *c, int argc, char **argv)
{
        RossError err = {};
        _cleanup_(ross_ref_freep) RossRef ref = {};
        if (argc == 2 && (STREQ(argv[1], "-h") || STREQ(argv[1], "--help"))) {
                printf("Usage: ross-cli image tag SOURCE TARGET[:TAG]\n"
                       "\n"
                       "Give an image another name.\n");
                return 0;
        }
        if (argc != 3) {
                ross_cli_error("image tag: expected SOURCE and TARGET");
                return 125;
        }
        if (ross_ref_parse(argv[2], &ref, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 125;
        }
        if (ref.digest) {
                ross_cli_error("image tag: refusing to create a tag with a digest reference");
                return 125;
        }
        _cleanup_free_ char *name = ross_ref_name(&ref);
        _cleanup_free_ char *repo = ross_client_escape(name);
        _cleanup_free_ char *tag = ross_client_escape(ref.tag);
        _cleanup_free_ char *base = ross_cli_image_path(argv[1], "/tag");
        _cleanup_free_ char *path = xasprintf("%s?repo=%s&tag=%s", base, repo, tag);
        RossApiCall call = {.method = "POST", .path = path};
        if (ross_client_call(c, &call, NULL, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        return 0;
}

int ross_cmd_version(RossClient *c, int argc, char **argv)
{
        json_auto_t *v = NULL;
        printf("Client: ross-cli %s\n", ROSS_VERSION);
        if (get_json(c, "/version", &v) < 0)
                return 1;
        printf("Server: ross-daemon %s (API %s)\n",
               json_string_value(json_object_get(v, "Version")) ?: "?",
               json_string_value(json_object_get(v, "ApiVersion")) ?: "?");
        return 0;
}
