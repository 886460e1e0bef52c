/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli system df [-v] and system prune: docker system's disk commands. */
#include <getopt.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/human.h"
#include "commands.h"
#include "table.h"

/* go-units' HumanSizeWithPrecision: docker's summary and shared sizes have 4 digits, an
 * image's and a container's own size 3 (ross_format_size's). */
static char *size_text(int64_t n, int digits)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        double v = (double)(n > 0 ? n : 0);
        size_t i = 0;
        while (v >= 1000.0 && i + 1 < ELEMENTSOF(units)) {
                v /= 1000.0;
                i++;
        }
        return xasprintf("%.*g%s", digits, v, units[i]);
}

static char *human_size(int64_t n)
{
        return size_text(n, 4);
}

/* "1.2MB (40%)", as docker's RECLAIMABLE column */
static char *reclaimable(int64_t part, int64_t total)
{
        _cleanup_free_ char *s = human_size(part);
        if (total <= 0)
                return TAKE_PTR(s);
        return xasprintf("%s (%lld%%)", s, (long long)(part * 100 / total));
}

static char *ago(json_int_t unix_time)
{
        char d[64];
        ross_human_duration((double)(time(NULL) - unix_time), d, sizeof(d));
        return xasprintf("%s ago", d);
}

static char *count(int64_t n)
{
        return xasprintf("%lld", (long long)n);
}

static bool active(json_t *c)
{
        const char *s = json_string_value(json_object_get(c, "State")) ?: "";
        return STREQ(s, "running") || STREQ(s, "paused") || STREQ(s, "restarting");
}

static void summary(json_t *du)
{
        _cleanup_(ross_table_done) RossTable t = {};
        static const char *const head[] = {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"};
        ross_table_add(&t, 5, head);
        json_t *e;
        size_t i;

        /* images: what containers use is not reclaimable, shared layers counted once */
        json_t *images = json_object_get(du, "Images");
        int64_t layers = json_integer_value(json_object_get(du, "LayersSize")), used = 0;
        int n_active = 0;
        json_array_foreach (images, i, e) {
                json_int_t size = json_integer_value(json_object_get(e, "Size"));
                json_int_t shared = json_integer_value(json_object_get(e, "SharedSize"));
                if (json_integer_value(json_object_get(e, "Containers")) == 0)
                        continue;
                n_active++;
                if (size != -1 && shared != -1)
                        used += size - shared;
        }
        {
                _cleanup_free_ char *a = count((int64_t)json_array_size(images)),
                                    *b = count(n_active), *c = human_size(layers),
                                    *d = reclaimable(layers - used, layers);
                const char *row[] = {"Images", a, b, c, d};
                ross_table_add(&t, 5, row);
        }

        json_t *containers = json_object_get(du, "Containers");
        int64_t rw = 0, idle = 0;
        n_active = 0;
        json_array_foreach (containers, i, e) {
                json_int_t n = json_integer_value(json_object_get(e, "SizeRw"));
                rw += n;
                if (active(e))
                        n_active++;
                else
                        idle += n;
        }
        {
                _cleanup_free_ char *a = count((int64_t)json_array_size(containers)),
                                    *b = count(n_active), *c = human_size(rw),
                                    *d = reclaimable(idle, rw);
                const char *row[] = {"Containers", a, b, c, d};
                ross_table_add(&t, 5, row);
        }

        json_t *volumes = json_object_get(du, "Volumes");
        int64_t vsize = 0, unused = 0;
        n_active = 0;
        json_array_foreach (volumes, i, e) {
                json_t *u = json_object_get(e, "UsageData");
                json_int_t size = json_integer_value(json_object_get(u, "Size"));
                json_int_t refs = json_integer_value(json_object_get(u, "RefCount"));
                if (refs > 0)
                        n_active++;
                if (size == -1)
                        continue;
                vsize += size;
                if (refs == 0)
                        unused += size;
        }
        {
                _cleanup_free_ char *a = count((int64_t)json_array_size(volumes)),
                                    *b = count(n_active), *c = human_size(vsize),
                                    *d = reclaimable(unused, vsize);
                const char *row[] = {"Local Volumes", a, b, c, d};
                ross_table_add(&t, 5, row);
        }
        /* Ross has no builder: its build cache is always empty */
        const char *row[] = {"Build Cache", "0", "0", "0B", "0B"};
        ross_table_add(&t, 5, row);
        ross_table_print(&t, stdout, 10, 3);
}

/* "repo" and "tag" of an image's first tag, as docker system df -v shows them. */
static void repo_tag(json_t *img, char **ret_repo, char **ret_tag)
{
        const char *t = json_string_value(json_array_get(json_object_get(img, "RepoTags"), 0));
        const char *slash = t ? strrchr(t, '/') : NULL;
        const char *colon = t ? strrchr(slash ? slash : t, ':') : NULL;
        if (!t || !colon) {
                *ret_repo = xstrdup("<none>");
                *ret_tag = xstrdup("<none>");
                return;
        }
        *ret_repo = xstrndup(t, (size_t)(colon - t));
        *ret_tag = xstrdup(colon + 1);
}

static char *short_id(const char *id)
{
        if (id && strncmp(id, "sha256:", 7) == 0)
                id += 7;
        return xstrndup(id ? id : "", 12);
}

/* Docker's Ellipsis: at most n characters, the first n - 1 and "…" when it is longer. */
static char *ellipsis(const char *s, size_t n)
{
        size_t chars = 0, cut = 0;
        for (size_t i = 0; s[i]; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80) {
                        if (chars == n - 1)
                                cut = i;
                        chars++;
                }
        if (chars <= n)
                return xstrdup(s);
        return xasprintf("%.*s…", (int)cut, s);
}

/* Go's strconv.Quote for what a command line holds: quotes and backslashes escaped. */
static char *quoted(const char *s)
{
        RossBuf b = {};
        ross_buf_append(&b, "\"", 1);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        ross_buf_append(&b, "\\", 1);
                if (*s == '\n')
                        ross_buf_append(&b, "\\n", 2);
                else if (*s == '\t')
                        ross_buf_append(&b, "\\t", 2);
                else
                        ross_buf_append(&b, s, 1);
        }
        ross_buf_append(&b, "\"", 1);
        return ross_buf_steal(&b);
}

static void verbose(json_t *du)
{
        json_t *e;
        size_t i;
        printf("Images space usage:\n\n");
        {
                _cleanup_(ross_table_done) RossTable t = {};
                static const char *const head[] = {"REPOSITORY",  "TAG",       "IMAGE ID",
                                                   "CREATED",     "SIZE",      "SHARED SIZE",
                                                   "UNIQUE SIZE", "CONTAINERS"};
                ross_table_add(&t, 8, head);
                json_array_foreach (json_object_get(du, "Images"), i, e) {
                        _cleanup_free_ char *repo = NULL, *tag = NULL;
                        repo_tag(e, &repo, &tag);
                        json_int_t size = json_integer_value(json_object_get(e, "Size"));
                        json_int_t shared = json_integer_value(json_object_get(e, "SharedSize"));
                        _cleanup_free_ char *id =
                                short_id(json_string_value(json_object_get(e, "Id")));
                        _cleanup_free_ char *created =
                                ago(json_integer_value(json_object_get(e, "Created")));
                        _cleanup_free_ char *s = size_text(size, 3);
                        _cleanup_free_ char *sh =
                                shared == -1 ? xstrdup("N/A") : human_size(shared);
                        _cleanup_free_ char *u =
                                shared == -1 ? xstrdup("N/A") : human_size(size - shared);
                        _cleanup_free_ char *n =
                                count(json_integer_value(json_object_get(e, "Containers")));
                        const char *row[] = {repo, tag, id, created, s, sh, u, n};
                        ross_table_add(&t, 8, row);
                }
                ross_table_print(&t, stdout, 10, 3);
        }
        printf("\nContainers space usage:\n\n");
        {
                _cleanup_(ross_table_done) RossTable t = {};
                static const char *const head[] = {"CONTAINER ID",  "IMAGE", "COMMAND",
                                                   "LOCAL VOLUMES", "SIZE",  "CREATED",
                                                   "STATUS",        "NAMES"};
                ross_table_add(&t, 8, head);
                json_array_foreach (json_object_get(du, "Containers"), i, e) {
                        _cleanup_free_ char *id =
                                short_id(json_string_value(json_object_get(e, "Id")));
                        _cleanup_free_ char *cut = ellipsis(
                                json_string_value(json_object_get(e, "Command")) ?: "", 20);
                        _cleanup_free_ char *cmd = quoted(cut);
                        int vols = 0;
                        json_t *m;
                        size_t k;
                        json_array_foreach (json_object_get(e, "Mounts"), k, m)
                                if (STREQ(json_string_value(json_object_get(m, "Type")) ?: "",
                                          "volume"))
                                        vols++;
                        _cleanup_free_ char *nv = count(vols);
                        _cleanup_free_ char *s =
                                size_text(json_integer_value(json_object_get(e, "SizeRw")), 3);
                        _cleanup_free_ char *created =
                                ago(json_integer_value(json_object_get(e, "Created")));
                        RossBuf names = {};
                        json_t *nm;
                        json_array_foreach (json_object_get(e, "Names"), k, nm) {
                                const char *v = json_string_value(nm) ?: "";
                                ross_buf_printf(&names, "%s%s", k ? "," : "",
                                                *v == '/' ? v + 1 : v);
                        }
                        _cleanup_free_ char *ns = ross_buf_steal(&names);
                        const char *row[] = {id,
                                             json_string_value(json_object_get(e, "Image")) ?: "",
                                             cmd,
                                             nv,
                                             s,
                                             created,
                                             json_string_value(json_object_get(e, "Status")) ?: "",
                                             ns};
                        ross_table_add(&t, 8, row);
                }
                ross_table_print(&t, stdout, 10, 3);
        }
        printf("\nLocal Volumes space usage:\n\n");
        {
                _cleanup_(ross_table_done) RossTable t = {};
                static const char *const head[] = {"VOLUME NAME", "LINKS", "SIZE"};
                ross_table_add(&t, 3, head);
                json_array_foreach (json_object_get(du, "Volumes"), i, e) {
                        json_t *u = json_object_get(e, "UsageData");
                        json_int_t size = json_integer_value(json_object_get(u, "Size"));
                        json_int_t refs = json_integer_value(json_object_get(u, "RefCount"));
                        _cleanup_free_ char *l = refs == -1 ? xstrdup("N/A") : count(refs);
                        _cleanup_free_ char *s = size == -1 ? xstrdup("N/A") : human_size(size);
                        const char *row[] = {json_string_value(json_object_get(e, "Name")) ?: "", l,
                                             s};
                        ross_table_add(&t, 3, row);
                }
                ross_table_print(&t, stdout, 10, 3);
        }
        printf("\nBuild cache usage: 0B\n\n");
        {
                _cleanup_(ross_table_done) RossTable t = {};
                static const char *const head[] = {"CACHE ID",  "CACHE TYPE", "SIZE",  "CREATED",
                                                   "LAST USED", "USAGE",      "SHARED"};
                ross_table_add(&t, 7, head);
                ross_table_print(&t, stdout, 10, 3);
        }
}

static int system_df(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"verbose", no_argument, NULL, 'v'},
                {"format", required_argument, NULL, 'F'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool verb = false;
        const char *format = "table";
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
                switch (ch) {
                case 'v':
                        verb = true;
                        break;
                case 'F':
                        format = optarg;
                        break;
                case 'h':
                        printf("Usage: ross-cli system df [OPTIONS]\n"
                               "\n"
                               "Show the disk space images, containers, volumes and the build "
                               "cache (always\n"
                               "empty: Ross has no builder) take.\n"
                               "\n"
                               "Options:\n"
                               "  -v, --verbose        a table of each image, container and "
                               "volume\n"
                               "      --format FORMAT  table (the default) or json (the "
                               "daemon's answer)\n"
                               "  -h, --help           show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind < argc) {
                ross_cli_error("system df: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        if (!STREQ(format, "table") && !STREQ(format, "json")) {
                ross_cli_error("system df: --format: '%s' is not 'table' or 'json'", format);
                return 125;
        }
        json_auto_t *du = NULL;
        if (ross_cli_call(c, "GET", "/system/df", NULL, &du) < 0)
                return 1;
        if (STREQ(format, "json")) {
                _cleanup_free_ char *s = json_dumps(du, JSON_INDENT(2));
                printf("%s\n", s);
        } else if (verb)
                verbose(du);
        else
                summary(du);
        return 0;
}

static int system_prune(RossClient *c, int argc, char **argv)
{
        enum { O_FILTER = 256, O_VOLUMES };
        static const struct option opts[] = {
                {"all", no_argument, NULL, 'a'},
                {"force", no_argument, NULL, 'f'},
                {"volumes", no_argument, NULL, O_VOLUMES},
                {"filter", required_argument, NULL, O_FILTER},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object();
        bool all = false, force = false, volumes = false;
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "afh", opts, NULL)) != -1) {
                switch (ch) {
                case 'a':
                        all = true;
                        break;
                case 'f':
                        force = true;
                        break;
                case O_VOLUMES:
                        volumes = true;
                        break;
                case O_FILTER:
                        if (ross_cli_filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case 'h':
                        printf("Usage: ross-cli system prune [OPTIONS]\n"
                               "\n"
                               "Remove the stopped containers, the networks no container uses, "
                               "the dangling\n"
                               "images (every unused one with -a) and, with --volumes, the "
                               "anonymous volumes\n"
                               "no container names.\n"
                               "\n"
                               "Options:\n"
                               "  -a, --all         every image no container uses, not only "
                               "dangling ones\n"
                               "      --volumes     anonymous volumes too\n"
                               "  -f, --force       do not ask for confirmation\n"
                               "      --filter K=V  until=TIME, label=K[=V], label!=K[=V] "
                               "(repeatable)\n"
                               "  -h, --help        show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind < argc) {
                ross_cli_error("system prune: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        if (volumes && json_object_get(filters, "until")) {
                ross_cli_error("ERROR: The \"until\" filter is not supported with \"--volumes\"");
                return 125;
        }
        if (!force) {
                RossBuf w = {};
                ross_buf_printf(&w, "WARNING! This will remove:\n"
                                    "  - all stopped containers\n"
                                    "  - all networks not used by at least one container\n");
                if (volumes)
                        ross_buf_printf(&w, "  - all anonymous volumes not used by at least one "
                                            "container\n");
                ross_buf_printf(&w, "  - %s\n",
                                all ? "all images without at least one container associated to "
                                      "them"
                                    : "all dangling images");
                if (json_object_size(filters) > 0) {
                        ross_buf_printf(&w, "\n  Items to be pruned will be filtered with:\n");
                        const char *k;
                        json_t *vs, *v;
                        json_object_foreach (filters, k, vs) {
                                size_t i;
                                json_array_foreach (vs, i, v)
                                        ross_buf_printf(&w, "  - %s=%s\n", k, json_string_value(v));
                        }
                }
                _cleanup_free_ char *text = ross_buf_steal(&w);
                if (!ross_cli_confirm(text))
                        return 0;
        }
        uint64_t reclaimed = 0;
        if (ross_cli_prune_containers(c, filters, &reclaimed) < 0 ||
            ross_cli_prune_networks(c, filters) < 0 ||
            (volumes && ross_cli_prune_volumes(c, filters, &reclaimed) < 0) ||
            ross_cli_prune_images(c, all, filters, &reclaimed) < 0)
                return 1;
        ross_cli_print_reclaimed(reclaimed);
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli system COMMAND\n"
                   "\n"
                   "Disk space.\n"
                   "\n"
                   "Commands:\n"
                   "  df [-v]                                    what images, containers "
                   "and volumes take\n"
                   "  prune [-a] [--volumes] [-f] [--filter K=V] remove what nothing uses\n"
                   "\n"
                   "Run 'ross-cli system COMMAND --help' for a command's options.\n");
}

int ross_cmd_system(RossClient *c, int argc, char **argv)
{
        if (argc < 2 || STREQ(argv[1], "-h") || STREQ(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 125 : 0;
        }
        if (STREQ(argv[1], "df"))
                return system_df(c, argc - 1, argv + 1);
        if (STREQ(argv[1], "prune"))
                return system_prune(c, argc - 1, argv + 1);
        ross_cli_error("unknown command 'system %s' (see ross-cli system --help)", argv[1]);
        return 125;
}
