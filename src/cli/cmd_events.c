/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli events: the daemon's events as they come (GET /events), in the docker CLI's
 * line format or as JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "../basic/parse.h"
#include "commands.h"

typedef struct Out {
        bool json;
} Out;

/* "2026-12-01T20:46:43.123456789Z container start ID (image=busybox, name=web)" */
static int print_event(void *ud, const char *line, size_t len)
{
        const Out *o = ud;
        json_auto_t *e = json_loadb(line, len, 0, NULL);
        if (!json_is_object(e))
                return 0;
        if (o->json) {
                _cleanup_free_ char *s = json_dumps(e, JSON_COMPACT);
                printf("%s\n", s);
                fflush(stdout);
                return 0;
        }
        json_int_t ns = json_integer_value(json_object_get(e, "timeNano"));
        time_t sec = (time_t)(ns / 1000000000);
        struct tm tm;
        char when[40];
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", gmtime_r(&sec, &tm));
        json_t *actor = json_object_get(e, "Actor");
        printf("%s.%09lldZ %s %s %s", when, (long long)(ns % 1000000000),
               json_string_value(json_object_get(e, "Type")) ?: "",
               json_string_value(json_object_get(e, "Action")) ?: "",
               json_string_value(json_object_get(actor, "ID")) ?: "");
        /* the attributes sorted by key, as the docker CLI prints them */
        json_t *attrs = json_object_get(actor, "Attributes");
        size_t n = json_object_size(attrs);
        if (n) {
                const char **keys = xcalloc(n, sizeof(char *));
                const char *k;
                json_t *v;
                size_t i = 0;
                json_object_foreach (attrs, k, v)
                        keys[i++] = k;
                for (size_t a = 0; a < n; a++)
                        for (size_t b = a + 1; b < n; b++)
                                if (strcmp(keys[b], keys[a]) < 0) {
                                        const char *t = keys[a];
                                        keys[a] = keys[b];
                                        keys[b] = t;
                                }
                printf(" (");
                for (i = 0; i < n; i++)
                        printf("%s%s=%s", i ? ", " : "", keys[i],
                               json_string_value(json_object_get(attrs, keys[i])) ?: "");
                printf(")");
                free(keys);
        }
        printf("\n");
        fflush(stdout);
        return 0;
}

int ross_cmd_events(RossClient *c, int argc, char **argv)
{
        enum { O_SINCE = 256, O_UNTIL, O_FORMAT };
        static const struct option opts[] = {
                {"since", required_argument, NULL, O_SINCE},
                {"until", required_argument, NULL, O_UNTIL},
                {"filter", required_argument, NULL, 'f'},
                {"format", required_argument, NULL, O_FORMAT},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *filters = json_object();
        _cleanup_free_ char *since = NULL, *until = NULL;
        Out o = {};
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
                switch (ch) {
                case O_SINCE:
                        free(since);
                        if (ross_cli_time_arg("--since", optarg, &since) < 0)
                                return 125;
                        break;
                case O_UNTIL:
                        free(until);
                        if (ross_cli_time_arg("--until", optarg, &until) < 0)
                                return 125;
                        break;
                case 'f':
                        if (ross_cli_filter_add(filters, optarg) < 0)
                                return 125;
                        break;
                case O_FORMAT:
                        if (!STREQ(optarg, "json") && !STREQ(optarg, "{{json .}}")) {
                                ross_cli_error("--format: json is the one format taken");
                                return 125;
                        }
                        o.json = true;
                        break;
                case 'h':
                        printf("Usage: ross-cli events [OPTIONS]\n"
                               "\n"
                               "Print the daemon's events as they come (until --until, or "
                               "Ctrl-C).\n"
                               "\n"
                               "Options:\n"
                               "      --since TIME  from then on (the daemon keeps the last "
                               "1024): Unix\n"
                               "                    seconds, RFC 3339 or a duration (10m)\n"
                               "      --until TIME  stop then\n"
                               "  -f, --filter K=V  type=, event=, container=, image=, label=,\n"
                               "                    network=, volume= (repeatable)\n"
                               "      --format json one JSON object a line\n"
                               "  -h, --help        show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind < argc) {
                ross_cli_error("events: unexpected argument '%s'", argv[optind]);
                return 125;
        }
        _cleanup_free_ char *fq = ross_cli_filter_query(filters);
        _cleanup_free_ char *path =
                xasprintf("/events?x=1%s%s%s%s%s", since ? "&since=" : "", since ? since : "",
                          until ? "&until=" : "", until ? until : "", fq ? fq : "");
        RossApiCall call = {.method = "GET", .path = path, .on_line = print_event, .userdata = &o};
        RossApiResponse resp = {};
        RossError err = {};
        int r = ross_client_call(c, &call, &resp, &err);
        ross_api_response_free(&resp);
        if (r < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        return 0;
}
