/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <jansson.h>
#include <time.h>

#include "attach.h"
#include "commands.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli container exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
                   "\n"
                   "Run a command in a running container; exit with its code.\n"
                   "\n"
                   "  -d, --detach               run it in the background\n"
                   "  -i, --interactive          stream stdin to it\n"
                   "  -t, --tty                  give it a pseudo-terminal\n"
                   "  -e, --env KEY=VALUE        set an environment variable (repeatable)\n"
                   "  -u, --user USER[:GROUP]    user (name or id), resolved in the container\n"
                   "  -w, --workdir DIR          working directory\n"
                   "      --detach-keys KEYS     keys that detach from a tty (default "
                   "ctrl-p,ctrl-q)\n"
                   "  -h, --help                 show this help\n");
}

/* The exit code once it has ended (it has, when its stream is over). */
static int exec_exit_code(RossClient *c, const char *eid)
{
        _cleanup_free_ char *path = xasprintf("/exec/%s/json", eid);
        for (int i = 0; i < 200; i++) {
                RossError err = {};
                json_auto_t *info = NULL;
                if (ross_client_json(c, "GET", path, NULL, &info, &err) < 0) {
                        ross_cli_error("%s", err.msg);
                        return 125;
                }
                bool running = json_is_true(json_object_get(info, "Running"));
                json_t *code = json_object_get(info, "ExitCode");
                int r = json_is_integer(code) ? (int)json_integer_value(code) : -1;
                if (!running && r >= 0)
                        return r;
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        return 125;
}

int ross_cmd_container_exec(RossClient *c, int argc, char **argv)
{
        enum { O_KEYS = 256 };
        static const struct option opts[] = {
                {"detach", no_argument, NULL, 'd'},
                {"interactive", no_argument, NULL, 'i'},
                {"tty", no_argument, NULL, 't'},
                {"env", required_argument, NULL, 'e'},
                {"user", required_argument, NULL, 'u'},
                {"workdir", required_argument, NULL, 'w'},
                {"detach-keys", required_argument, NULL, O_KEYS},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool detach = false, interactive = false, tty = false;
        const char *user = NULL, *workdir = NULL, *keys = NULL;
        json_auto_t *env = json_array();
        RossError err = {};
        int ch;
        optind = 1;
        while ((ch = getopt_long(argc, argv, "+dite:u:w:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'd':
                        detach = true;
                        break;
                case 'i':
                        interactive = true;
                        break;
                case 't':
                        tty = true;
                        break;
                case 'e':
                        json_array_append_new(env, json_string(optarg));
                        break;
                case 'u':
                        user = optarg;
                        break;
                case 'w':
                        workdir = optarg;
                        break;
                case O_KEYS: {
                        RossDetachKeys k;
                        if (ross_detach_keys_parse(optarg, &k, &err) < 0) {
                                ross_cli_error("%s", err.msg);
                                return 125;
                        }
                        keys = optarg;
                        break;
                }
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind + 2 > argc) {
                ross_cli_error("container exec: a container and a command are required");
                return 125;
        }
        if (interactive && tty && !detach && !isatty(STDIN_FILENO)) {
                ross_cli_error("the input device is not a TTY");
                return 125;
        }
        json_t *cmd = json_array();
        for (int i = optind + 1; i < argc; i++)
                json_array_append_new(cmd, json_string(argv[i]));
        /* the detach keys go with the create, as Docker's: the daemon watches for them */
        json_auto_t *body =
                json_pack("{s:o, s:O, s:b, s:b, s:b, s:b, s:s, s:s, s:s}", "Cmd", cmd, "Env", env,
                          "Tty", tty, "AttachStdin", interactive && !detach, "AttachStdout",
                          !detach, "AttachStderr", !detach, "User", user ? user : "", "WorkingDir",
                          workdir ? workdir : "", "DetachKeys", keys ? keys : "");
        _cleanup_free_ char *text = json_dumps(body, JSON_COMPACT);
        _cleanup_free_ char *ref = ross_client_escape(argv[optind]);
        _cleanup_free_ char *path = xasprintf("/containers/%s/exec", ref);
        json_auto_t *resp = NULL;
        if (ross_client_json(c, "POST", path, text, &resp, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return err.code == ENOENT || err.code == EBUSY ? 1 : 125;
        }
        _cleanup_free_ char *eid = xstrdup(json_string_value(json_object_get(resp, "Id")) ?: "");
        if (detach) {
                _cleanup_free_ char *start = xasprintf("/exec/%s/start", eid);
                if (ross_client_json(c, "POST", start, "{\"Detach\":true}", NULL, &err) < 0) {
                        ross_cli_error("%s", err.msg);
                        return strstr(err.msg, "not found") ? 127 : 126;
                }
                return 0;
        }
        RossAttach a = {.id = ref,
                        .exec_id = eid,
                        .in = interactive,
                        .out = true,
                        .err = true,
                        .tty = tty,
                        .detach_keys = keys,
                        .fd = -EBADF};
        if (ross_attach_open(c, &a, &err) < 0) {
                ross_cli_error("%s", err.msg);
                /* Docker's codes for a command that is not there or cannot run */
                return strstr(err.msg, "not found") || strstr(err.msg, "No such file") ? 127
                       : strstr(err.msg, "ermission denied")                           ? 126
                                                                                       : 125;
        }
        return ross_attach_run(c, &a) ? 0 : exec_exit_code(c, eid);
}
