/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <jansson.h>
#include <termios.h>

#include "commands.h"
#include "dockercfg.h"

static void usage(FILE *f, bool login)
{
        if (login)
                fprintf(f, "Usage: ross-cli login [OPTIONS] [SERVER]\n"
                           "\n"
                           "Log in to a registry (default: Docker Hub). The daemon checks the\n"
                           "credentials; they are stored in ~/.docker/config.json, where docker\n"
                           "finds them too ($DOCKER_CONFIG overrides the directory).\n"
                           "\n"
                           "Options:\n"
                           "  -u, --username NAME     user name\n"
                           "  -p, --password SECRET   password (prefer --password-stdin)\n"
                           "      --password-stdin    read the password from standard input\n"
                           "  -h, --help              show this help\n");
        else
                fprintf(f, "Usage: ross-cli logout [SERVER]\n"
                           "\n"
                           "Remove stored credentials for a registry (default: Docker Hub).\n");
}

/* "https://host/v2/" or "host" to a reference domain. */
static char *server_domain(const char *s)
{
        if (!s)
                return xstrdup("docker.io");
        if (strncmp(s, "https://", 8) == 0)
                s += 8;
        else if (strncmp(s, "http://", 7) == 0)
                s += 7;
        char *d = xstrndup(s, strcspn(s, "/"));
        if (STREQ(d, "index.docker.io") || STREQ(d, "registry-1.docker.io")) {
                free(d);
                d = xstrdup("docker.io");
        }
        return d;
}

static char *read_line(FILE *f, bool echo_off)
{
        struct termios old, noecho;
        bool restore = false;
        if (echo_off && isatty(fileno(f)) && tcgetattr(fileno(f), &old) == 0) {
                noecho = old;
                noecho.c_lflag &= ~(tcflag_t)ECHO;
                restore = tcsetattr(fileno(f), TCSANOW, &noecho) == 0;
        }
        char *line = NULL;
        size_t n = 0;
        ssize_t len = getline(&line, &n, f);
        if (restore) {
                tcsetattr(fileno(f), TCSANOW, &old);
                fputc('\n', stderr);
        }
        if (len < 0) {
                free(line);
                return NULL;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = '\0';
        return line;
}

int ross_cmd_login(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"username", required_argument, NULL, 'u'},
                {"password", required_argument, NULL, 'p'},
                {"password-stdin", no_argument, NULL, 'S'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_free_ char *user = NULL, *pass = NULL;
        bool from_stdin = false;
        RossError err = {};
        int ch;

        optind = 1;
        while ((ch = getopt_long(argc, argv, "u:p:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'u':
                        free(user);
                        user = xstrdup(optarg);
                        break;
                case 'p':
                        free(pass);
                        pass = xstrdup(optarg);
                        break;
                case 'S':
                        from_stdin = true;
                        break;
                case 'h':
                        usage(stdout, true);
                        return 0;
                default:
                        usage(stderr, true);
                        return 125;
                }
        }
        if (argc - optind > 1) {
                ross_cli_error("login: at most one server");
                return 125;
        }
        if (from_stdin && pass) {
                ross_cli_error("login: --password and --password-stdin are mutually exclusive");
                return 125;
        }
        _cleanup_free_ char *domain = server_domain(optind < argc ? argv[optind] : NULL);
        if (from_stdin) {
                if (!user) {
                        ross_cli_error("login: --password-stdin needs --username");
                        return 125;
                }
                pass = read_line(stdin, false);
        }
        if (!user) {
                fprintf(stderr, "Username: ");
                user = read_line(stdin, false);
        }
        if (!pass) {
                fprintf(stderr, "Password: ");
                pass = read_line(stdin, true);
        }
        if (STR_EMPTY(user) || STR_EMPTY(pass)) {
                ross_cli_error("login: a username and a password are required");
                return 125;
        }

        _cleanup_free_ char *key = ross_dockercfg_key(domain);
        json_auto_t *body = json_pack("{s:s, s:s, s:s}", "username", user, "password", pass,
                                      "serveraddress", key);
        _cleanup_free_ char *s = json_dumps(body, JSON_COMPACT);
        RossApiCall call = {.method = "POST", .path = "/auth", .body = s};
        if (ross_client_call(c, &call, NULL, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        if (ross_dockercfg_store(domain, user, pass, &err) < 0) {
                ross_cli_error("login: %s", err.msg);
                return 1;
        }
        printf("Login Succeeded\n");
        return 0;
}

int ross_cmd_logout(RossClient *c, int argc, char **argv)
{
        RossError err = {};
        if (argc > 1 && (STREQ(argv[1], "-h") || STREQ(argv[1], "--help"))) {
                usage(stdout, false);
                return 0;
        }
        if (argc > 2) {
                ross_cli_error("logout: at most one server");
                return 125;
        }
        _cleanup_free_ char *domain = server_domain(argc > 1 ? argv[1] : NULL);
        _cleanup_free_ char *key = ross_dockercfg_key(domain);
        int r = ross_dockercfg_remove(domain, &err);
        if (r == -ENOENT) {
                printf("Not logged in to %s\n", key);
                return 0;
        }
        if (r < 0) {
                ross_cli_error("logout: %s", err.msg);
                return 1;
        }
        printf("Removing login credentials for %s\n", key);
        return 0;
}
