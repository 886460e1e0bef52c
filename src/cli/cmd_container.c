/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/parse.h"
#include "../ref/reference.h"
#include "attach.h"
#include "commands.h"
#include "dockercfg.h"
#include "netparse.h"
#include "progress.h"

/* Far more memory than any machine has, and well inside int64_t after the cast. */
#define BYTES_MAX 0x1p62

/* "512m", "1g", "1048576" into bytes; -1 if invalid. */
static int64_t parse_bytes(const char *s)
{
        const char *end;
        double v;
        if (ross_parse_decimal(s, BYTES_MAX, &v, &end) < 0)
                return -1;
        double mult = 1;
        if (*end) {
                switch (tolower((unsigned char)*end)) {
                case 'b':
                        break;
                case 'k':
                        mult = 1024;
                        break;
                case 'm':
                        mult = 1024.0 * 1024;
                        break;
                case 'g':
                        mult = 1024.0 * 1024 * 1024;
                        break;
                default:
                        return -1;
                }
                end++;
                if (*end == 'b' || *end == 'B')
                        end++;
                if (*end)
                        return -1;
        }
        if (v * mult > BYTES_MAX)
                return -1;
        return (int64_t)(v * mult);
}

static json_t *env_file(const char *path, RossError *err)
{
        _cleanup_free_ char *text = NULL;
        if (ross_read_file(path, 1024 * 1024, &text, NULL, err) < 0)
                return NULL;
        json_t *a = json_array();
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                while (isspace((unsigned char)*l))
                        l++;
                if (!*l || *l == '#')
                        continue;
                json_array_append_new(a, json_string(l));
        }
        return a;
}

static void usage_run(FILE *f, const char *verb)
{
        fprintf(f,
                "Usage: ross-cli container %s [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
                "\n"
                "Options:\n"
                "  -d, --detach                 run in the background, print the id\n"
                "      --name NAME              name the container\n"
                "  -e, --env KEY=VALUE          set an environment variable (repeatable)\n"
                "      --env-file FILE          read KEY=VALUE lines\n"
                "  -w, --workdir DIR            working directory\n"
                "  -u, --user USER[:GROUP]      user (name or id), resolved in the image\n"
                "      --entrypoint CMD         replace the image's entrypoint (clears its CMD)\n"
                "  -h, --hostname NAME          the container's host name\n"
                "      --domainname NAME        the container's NIS domain name\n"
                "      --rm                     remove the container when it exits\n"
                "      --restart POLICY         no, always, unless-stopped, on-failure[:N] (the\n"
                "                               daemon starts it again after an exit)\n"
                "      --health-cmd CMD         a healthcheck: CMD run by /bin/sh in the "
                "container\n"
                "      --health-interval D      between probes (30s)\n"
                "      --health-timeout D       a probe's limit (30s)\n"
                "      --health-retries N       failures in a row that make it unhealthy (3)\n"
                "      --health-start-period D  failures then do not count (0s)\n"
                "      --health-start-interval D  between probes in the start period (5s)\n"
                "      --no-healthcheck         none, not even the image's\n"
                "  -v, --volume SRC:CTR[:OPTS]  bind mount a host path (SRC absolute) or mount\n"
                "                               the named volume SRC (made when not there);\n"
                "                               OPTS: ro, rw, nocopy (volumes: no copy of the\n"
                "                               image's content), z, Z. -v CTR alone: an\n"
                "                               anonymous volume\n"
                "      --mount type=bind|volume|tmpfs,source=S,target=T[,readonly]\n"
                "                               [,volume-nocopy][,volume-label=K=V]\n"
                "      --tmpfs PATH[:OPTS]      mount a tmpfs\n"
                "      --read-only              read-only root filesystem\n"
                "      --runtime NAME           crun or runc (namespaces), qemu or krun (a\n"
                "                               micro-VM)\n"
                "  -m, --memory BYTES           memory limit (512m, 1g)\n"
                "      --cpus N                 CPU quota (1.5)\n"
                "      --pids-limit N           process limit\n"
                "      --network NETWORK        bridge (the default), host, none,\n"
                "                               container:NAME, or a network's name or id\n"
                "                               (also: --net)\n"
                "      --network-alias ALIAS    another name of the container in its network\n"
                "                               (repeatable; also: --net-alias)\n"
                "      --ip ADDRESS             the container's IPv4 address in its network\n"
                "      --ip6 ADDRESS            the container's IPv6 address in its network\n"
                "      --mac-address MAC        the container's MAC address (02:42:ac:11:00:02)\n"
                "      --dns ADDRESS            a DNS server (repeatable)\n"
                "      --dns-search DOMAIN      a DNS search domain (repeatable; \".\" for none)\n"
                "      --dns-option OPTION      a resolv.conf option (repeatable; also:\n"
                "                               --dns-opt)\n"
                "      --add-host NAME:IP       a line in /etc/hosts (repeatable; IP may be\n"
                "                               host-gateway, an IPv6 one in brackets)\n"
                "  -l, --label KEY=VALUE        add a label (repeatable)\n"
                "  -p, --publish [IP:][HOST:]CTR[/tcp|udp|sctp]\n"
                "                               publish a container port on the host\n"
                "                               (repeatable): HOST and CTR may be ranges\n"
                "                               (8000-8010:80-90); a host range with one\n"
                "                               container port takes a free port in it; no\n"
                "                               HOST takes any free port; IPv6 IPs in brackets\n"
                "                               ([::1]:8080:80); the krun runtime maps TCP ports\n"
                "  -P, --publish-all            publish every exposed port on a free host port\n"
                "      --expose PORT[/PROTO]    expose a port or a range (80-90) (repeatable)\n"
                "      --stop-signal SIG        signal for stop (default SIGTERM)\n"
                "      --stop-timeout SECONDS   wait before SIGKILL on stop (default 10)\n"
                "  -i, --interactive            keep stdin open (attached: stream ours to it)\n"
                "  -t, --tty                    allocate a pseudo-terminal\n"
                "      --detach-keys KEYS       keys that detach from a tty (default\n"
                "                               ctrl-p,ctrl-q; \"\" turns them off)\n"
                "      --sig-proxy true|false   pass the signals ross-cli gets to the container\n"
                "                               (attached, without -t; default true)\n"
                "      --init                   run an init (ross-init) as PID 1 that reaps\n"
                "                               zombies and forwards signals\n"
                "      --group-add GROUP        another supplementary group (name in the\n"
                "                               container's /etc/group, or number; repeatable)\n"
                "      --log-driver NAME        json-file (default) or none (no log kept:\n"
                "                               attach only, logs refused)\n"
                "      --log-opt KEY=VALUE      an option of json-file (repeatable):\n"
                "                               max-size=SIZE rotates the log past SIZE\n"
                "                               (10k, 10m, 1g: Docker's units, k=1000),\n"
                "                               max-file=N keeps N files in all (1: no\n"
                "                               backups); without max-size: 10 MiB files,\n"
                "                               2 unless max-file says (docs/logging.md)\n"
                "      --help                   show this help\n",
                verb);
}

/* A flag's value refused: one message naming the flag and the value. */
static int bad_value(const char *flag, const char *arg, const char *why)
{
        ross_cli_error("invalid argument \"%s\" for %s: %s", arg, flag, why);
        return -EINVAL;
}

/* --sig-proxy true|false */
/* The body's Healthcheck, made when it is not there (borrowed). */
static json_t *health_of(json_t *body)
{
        json_t *h = json_object_get(body, "Healthcheck");
        if (!h)
                json_object_set_new(body, "Healthcheck", h = json_object());
        return h;
}

/* Go's durations: "30s", "1m30s", "500ms", "1h", "2.5s" (positive), in nanoseconds. */
static int parse_duration_ns(const char *s, int64_t *ret)
{
        double total = 0;
        const char *p = s;
        while (*p) {
                double n;
                const char *rest;
                if (ross_parse_decimal(p, 1e9, &n, &rest) < 0)
                        return -EINVAL;
                double unit;
                if (strncmp(rest, "ms", 2) == 0)
                        unit = 1e6, rest += 2;
                else if (strncmp(rest, "us", 2) == 0)
                        unit = 1e3, rest += 2;
                else if (strncmp(rest, "ns", 2) == 0)
                        unit = 1, rest += 2;
                else if (*rest == 'h')
                        unit = 3600e9, rest++;
                else if (*rest == 'm')
                        unit = 60e9, rest++;
                else if (*rest == 's')
                        unit = 1e9, rest++;
                else
                        return -EINVAL;
                total += n * unit;
                p = rest;
        }
        if (p == s || total > 9e18)
                return -EINVAL;
        *ret = (int64_t)total;
        return 0;
}

/* A --mount's VolumeOptions object, made when it is not there (borrowed). */
static json_t *volume_options(json_t *m)
{
        json_t *vo = json_object_get(m, "VolumeOptions");
        if (!vo)
                json_object_set_new(m, "VolumeOptions", vo = json_object());
        return vo;
}

static int parse_sig_proxy(const char *arg, bool *ret)
{
        if (!STREQ(arg, "true") && !STREQ(arg, "false")) {
                ross_cli_error("invalid argument \"%s\" for --sig-proxy", arg);
                return -EINVAL;
        }
        *ret = STREQ(arg, "true");
        return 0;
}

/*
 * HostConfig.NetworkMode and the endpoint flags, as Docker's CLI sends them: "default" when
 * no --network is given; the endpoint's settings (NetworkingConfig.EndpointsConfig keyed
 * by the network, or "default") only when one of its flags is.
 */
static void set_network(json_t *body, const char *network, json_t *aliases, const char *ip,
                        const char *ip6, const char *mac)
{
        json_t *hc = json_object_get(body, "HostConfig");
        json_object_set_new(hc, "NetworkMode", json_string(network ? network : "default"));
        if (mac)
                json_object_set_new(body, "MacAddress", json_string(mac));
        if (!json_array_size(aliases) && !ip && !ip6 && !mac)
                return;
        json_t *ep = json_object();
        if (json_array_size(aliases))
                json_object_set(ep, "Aliases", aliases);
        if (ip || ip6) {
                json_t *ipam = json_object();
                if (ip)
                        json_object_set_new(ipam, "IPv4Address", json_string(ip));
                if (ip6)
                        json_object_set_new(ipam, "IPv6Address", json_string(ip6));
                json_object_set_new(ep, "IPAMConfig", ipam);
        }
        /* Config.MacAddress is the API's 1.43 place for it, the endpoint's since 1.44 */
        if (mac)
                json_object_set_new(ep, "MacAddress", json_string(mac));
        json_object_set_new(
                body, "NetworkingConfig",
                json_pack("{s:{s:o}}", "EndpointsConfig", network ? network : "default", ep));
}

/* What run does on the client's side. */
typedef struct RunFlags {
        bool detach;
        const char *detach_keys;
        bool sig_proxy;
} RunFlags;

/* Parse create/run flags into a ContainerCreate body; *ret_optind is where IMAGE is. */
static int parse_create(int argc, char **argv, const char *verb, json_t **ret_body, char **ret_name,
                        RunFlags *ret_flags, int *ret_optind)
{
        enum {
                O_NAME = 256,
                O_ENVFILE,
                O_ENTRY,
                O_RM,
                O_MOUNT,
                O_TMPFS,
                O_RO,
                O_RT,
                O_CPUS,
                O_PIDS,
                O_NET,
                O_SSIG,
                O_STIME,
                O_DKEYS,
                O_INIT,
                O_SIGPROXY,
                O_RESTART,
                O_HCMD,
                O_HINTERVAL,
                O_HTIMEOUT,
                O_HRETRIES,
                O_HSTART,
                O_HSTARTINT,
                O_NOHEALTH,
                O_GROUPADD,
                O_LOGDRIVER,
                O_LOGOPT,
                O_EXPOSE,
                O_NETALIAS,
                O_IP,
                O_IP6,
                O_MAC,
                O_DNS,
                O_DNSSEARCH,
                O_DNSOPT,
                O_ADDHOST,
                O_DOMAIN,
                O_HELP
        };
        static const struct option opts[] = {
                {"detach", no_argument, NULL, 'd'},
                {"name", required_argument, NULL, O_NAME},
                {"env", required_argument, NULL, 'e'},
                {"env-file", required_argument, NULL, O_ENVFILE},
                {"workdir", required_argument, NULL, 'w'},
                {"user", required_argument, NULL, 'u'},
                {"entrypoint", required_argument, NULL, O_ENTRY},
                {"hostname", required_argument, NULL, 'h'},
                {"domainname", required_argument, NULL, O_DOMAIN},
                {"rm", no_argument, NULL, O_RM},
                {"volume", required_argument, NULL, 'v'},
                {"mount", required_argument, NULL, O_MOUNT},
                {"tmpfs", required_argument, NULL, O_TMPFS},
                {"read-only", no_argument, NULL, O_RO},
                {"runtime", required_argument, NULL, O_RT},
                {"memory", required_argument, NULL, 'm'},
                {"cpus", required_argument, NULL, O_CPUS},
                {"pids-limit", required_argument, NULL, O_PIDS},
                {"network", required_argument, NULL, O_NET},
                {"net", required_argument, NULL, O_NET},
                {"network-alias", required_argument, NULL, O_NETALIAS},
                {"net-alias", required_argument, NULL, O_NETALIAS},
                {"ip", required_argument, NULL, O_IP},
                {"ip6", required_argument, NULL, O_IP6},
                {"mac-address", required_argument, NULL, O_MAC},
                {"dns", required_argument, NULL, O_DNS},
                {"dns-search", required_argument, NULL, O_DNSSEARCH},
                {"dns-option", required_argument, NULL, O_DNSOPT},
                {"dns-opt", required_argument, NULL, O_DNSOPT},
                {"add-host", required_argument, NULL, O_ADDHOST},
                {"label", required_argument, NULL, 'l'},
                {"publish", required_argument, NULL, 'p'},
                {"publish-all", no_argument, NULL, 'P'},
                {"expose", required_argument, NULL, O_EXPOSE},
                {"stop-signal", required_argument, NULL, O_SSIG},
                {"stop-timeout", required_argument, NULL, O_STIME},
                {"detach-keys", required_argument, NULL, O_DKEYS},
                {"init", no_argument, NULL, O_INIT},
                {"restart", required_argument, NULL, O_RESTART},
                {"health-cmd", required_argument, NULL, O_HCMD},
                {"health-interval", required_argument, NULL, O_HINTERVAL},
                {"health-timeout", required_argument, NULL, O_HTIMEOUT},
                {"health-retries", required_argument, NULL, O_HRETRIES},
                {"health-start-period", required_argument, NULL, O_HSTART},
                {"health-start-interval", required_argument, NULL, O_HSTARTINT},
                {"no-healthcheck", no_argument, NULL, O_NOHEALTH},
                {"sig-proxy", required_argument, NULL, O_SIGPROXY},
                {"group-add", required_argument, NULL, O_GROUPADD},
                {"log-driver", required_argument, NULL, O_LOGDRIVER},
                {"log-opt", required_argument, NULL, O_LOGOPT},
                {"interactive", no_argument, NULL, 'i'},
                {"tty", no_argument, NULL, 't'},
                {"help", no_argument, NULL, O_HELP},
                {},
        };
        json_auto_t *body = json_object(), *env = json_array();
        json_auto_t *binds = json_array(), *mounts = json_array(), *tmpfs = json_object();
        json_auto_t *volumes = json_object();
        json_auto_t *labels = json_object();
        json_auto_t *groups = json_array();
        json_auto_t *ports = json_object(), *exposed = json_object();
        json_auto_t *dns = json_array(), *dns_search = json_array(), *dns_opts = json_array();
        json_auto_t *extra_hosts = json_array(), *aliases = json_array();
        const char *network = NULL, *ip = NULL, *ip6 = NULL, *mac = NULL;
        json_auto_t *log_config = json_pack("{s:s, s:{}}", "Type", "", "Config");
        json_t *hc = json_object(); /* body's */
        RunFlags flags = {.sig_proxy = true};
        bool interactive = false, tty = false;
        RossError err = {};
        int ch;

        json_object_set_new(body, "HostConfig", hc);
        optind = 1;
        while ((ch = getopt_long(argc, argv, "+de:w:u:v:m:l:p:Pith:", opts, NULL)) != -1) {
                switch (ch) {
                case 'd':
                        flags.detach = true;
                        break;
                case O_NAME:
                        free(*ret_name);
                        *ret_name = xstrdup(optarg);
                        break;
                case 'e':
                        json_array_append_new(env, json_string(optarg));
                        break;
                case O_ENVFILE: {
                        json_auto_t *a = env_file(optarg, &err);
                        if (!a) {
                                ross_cli_error("--env-file: %s", err.msg);
                                return -1;
                        }
                        json_array_extend(env, a);
                        break;
                }
                case 'w':
                        json_object_set_new(body, "WorkingDir", json_string(optarg));
                        break;
                case 'u':
                        json_object_set_new(body, "User", json_string(optarg));
                        break;
                case O_ENTRY:
                        json_object_set_new(body, "Entrypoint",
                                            *optarg ? json_pack("[s]", optarg) : json_array());
                        break;
                case 'h':
                        json_object_set_new(body, "Hostname", json_string(optarg));
                        break;
                case O_DOMAIN:
                        json_object_set_new(body, "Domainname", json_string(optarg));
                        break;
                case O_RM:
                        json_object_set_new(hc, "AutoRemove", json_true());
                        break;
                case 'v':
                        /* -v /path alone: an anonymous volume, as the docker CLI sends it */
                        if (optarg[0] == '/' && !strchr(optarg, ':'))
                                json_object_set_new(volumes, optarg, json_object());
                        else
                                json_array_append_new(binds, json_string(optarg));
                        break;
                case O_MOUNT: {
                        json_auto_t *m = json_object();
                        _cleanup_free_ char *copy = xstrdup(optarg);
                        char *save = NULL;
                        for (char *kv = strtok_r(copy, ",", &save); kv;
                             kv = strtok_r(NULL, ",", &save)) {
                                char *eq = strchr(kv, '=');
                                if (eq)
                                        *eq++ = '\0';
                                if (STREQ(kv, "type"))
                                        json_object_set_new(m, "Type", json_string(eq ? eq : ""));
                                else if (STREQ(kv, "source") || STREQ(kv, "src"))
                                        json_object_set_new(m, "Source", json_string(eq ? eq : ""));
                                else if (STREQ(kv, "target") || STREQ(kv, "dst") ||
                                         STREQ(kv, "destination"))
                                        json_object_set_new(m, "Target", json_string(eq ? eq : ""));
                                else if (STREQ(kv, "readonly") || STREQ(kv, "ro"))
                                        json_object_set_new(m, "ReadOnly",
                                                            json_boolean(!eq || STREQ(eq, "true") ||
                                                                         STREQ(eq, "1")));
                                else if (STREQ(kv, "volume-nocopy"))
                                        json_object_set_new(volume_options(m), "NoCopy",
                                                            json_boolean(!eq || STREQ(eq, "true") ||
                                                                         STREQ(eq, "1")));
                                else if (STREQ(kv, "volume-label") && eq) {
                                        char *e2 = strchr(eq, '=');
                                        if (e2)
                                                *e2++ = '\0';
                                        json_t *vo = volume_options(m);
                                        json_t *l = json_object_get(vo, "Labels");
                                        if (!l)
                                                json_object_set_new(vo, "Labels",
                                                                    l = json_object());
                                        json_object_set_new(l, eq, json_string(e2 ? e2 : ""));
                                } else if (STREQ(kv, "volume-driver") && eq)
                                        json_object_set_new(volume_options(m), "DriverConfig",
                                                            json_pack("{s:s}", "Name", eq));
                                else {
                                        ross_cli_error("--mount: unknown field '%s'", kv);
                                        return -1;
                                }
                        }
                        const char *type = json_string_value(json_object_get(m, "Type"));
                        if (!type) /* the docker CLI's default */
                                json_object_set_new(m, "Type", json_string(type = "volume"));
                        if (!STREQ(type, "bind") && !STREQ(type, "tmpfs") &&
                            !STREQ(type, "volume")) {
                                ross_cli_error("--mount: type must be bind, volume or tmpfs");
                                return -1;
                        }
                        json_array_append_new(mounts, TAKE_PTR(m));
                        break;
                }
                case O_TMPFS: {
                        const char *colon = strchr(optarg, ':');
                        _cleanup_free_ char *path =
                                colon ? xstrndup(optarg, (size_t)(colon - optarg))
                                      : xstrdup(optarg);
                        json_object_set_new(tmpfs, path, json_string(colon ? colon + 1 : ""));
                        break;
                }
                case O_RO:
                        json_object_set_new(hc, "ReadonlyRootfs", json_true());
                        break;
                case O_RT:
                        json_object_set_new(hc, "Runtime", json_string(optarg));
                        break;
                case 'm': {
                        int64_t v = parse_bytes(optarg);
                        if (v <= 0) {
                                ross_cli_error("invalid argument \"%s\" for --memory: invalid size",
                                               optarg);
                                return -1;
                        }
                        json_object_set_new(hc, "Memory", json_integer(v));
                        break;
                }
                case O_CPUS: {
                        double v;
                        if (ross_parse_decimal(optarg, 1024, &v, NULL) < 0 || v == 0) {
                                ross_cli_error("invalid argument \"%s\" for --cpus", optarg);
                                return -1;
                        }
                        json_object_set_new(hc, "NanoCpus",
                                            json_integer((json_int_t)(v * 1e9 + 0.5)));
                        break;
                }
                case O_PIDS: {
                        int64_t v;
                        if (ross_parse_i64(optarg, -1, INT64_MAX, &v) < 0 || v == 0) {
                                ross_cli_error("invalid argument \"%s\" for --pids-limit", optarg);
                                return -1;
                        }
                        json_object_set_new(hc, "PidsLimit", json_integer(v));
                        break;
                }
                case O_GROUPADD:
                        json_array_append_new(groups, json_string(optarg));
                        break;
                case O_LOGDRIVER:
                        json_object_set_new(log_config, "Type", json_string(optarg));
                        break;
                case O_LOGOPT: {
                        const char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg) {
                                ross_cli_error("invalid argument \"%s\" for --log-opt: "
                                               "expected KEY=VALUE",
                                               optarg);
                                return -1;
                        }
                        _cleanup_free_ char *k = xstrndup(optarg, (size_t)(eq - optarg));
                        json_object_set_new(json_object_get(log_config, "Config"), k,
                                            json_string(eq + 1));
                        break;
                }
                case O_NET:
                        /* one network at create (the API's 1.43); more with network connect */
                        if (network && !STREQ(network, optarg))
                                return bad_value("--network", optarg,
                                                 "a container is created in one network (add "
                                                 "more with 'ross-cli network connect')");
                        network = optarg;
                        break;
                case O_NETALIAS:
                        json_array_append_new(aliases, json_string(optarg));
                        break;
                case O_IP:
                        if (!ross_cli_ip_valid(optarg, AF_INET))
                                return bad_value("--ip", optarg, "not an IPv4 address");
                        ip = optarg;
                        break;
                case O_IP6:
                        if (!ross_cli_ip_valid(optarg, AF_INET6))
                                return bad_value("--ip6", optarg, "not an IPv6 address");
                        ip6 = optarg;
                        break;
                case O_MAC:
                        if (!ross_cli_mac_valid(optarg))
                                return bad_value("--mac-address", optarg,
                                                 "not a MAC address (such as 02:42:ac:11:00:02)");
                        mac = optarg;
                        break;
                case O_DNS:
                        if (!ross_cli_ip_valid(optarg, AF_UNSPEC))
                                return bad_value("--dns", optarg, "not an IP address");
                        json_array_append_new(dns, json_string(optarg));
                        break;
                case O_DNSSEARCH:
                        if (!ross_cli_domain_valid(optarg))
                                return bad_value("--dns-search", optarg, "not a domain name");
                        json_array_append_new(dns_search, json_string(optarg));
                        break;
                case O_DNSOPT:
                        json_array_append_new(dns_opts, json_string(optarg));
                        break;
                case O_ADDHOST: {
                        _cleanup_free_ char *entry = NULL;
                        if (ross_cli_parse_extra_host(optarg, &entry, &err) < 0)
                                return bad_value("--add-host", optarg, err.msg);
                        json_array_append_new(extra_hosts, json_string(entry));
                        break;
                }
                case 'p':
                        if (ross_cli_parse_publish(optarg, ports, exposed, &err) < 0)
                                return bad_value("-p", optarg, err.msg);
                        break;
                case 'P':
                        json_object_set_new(hc, "PublishAllPorts", json_true());
                        break;
                case O_EXPOSE:
                        if (ross_cli_parse_expose(optarg, exposed, &err) < 0)
                                return bad_value("--expose", optarg, err.msg);
                        break;
                case 'l': {
                        const char *eq = strchr(optarg, '=');
                        _cleanup_free_ char *k =
                                eq ? xstrndup(optarg, (size_t)(eq - optarg)) : xstrdup(optarg);
                        json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
                        break;
                }
                case O_SSIG:
                        json_object_set_new(body, "StopSignal", json_string(optarg));
                        break;
                case O_STIME: {
                        int v;
                        if (ross_parse_int(optarg, 0, 24 * 3600, &v) < 0) {
                                ross_cli_error("invalid argument \"%s\" for --stop-timeout",
                                               optarg);
                                return -1;
                        }
                        json_object_set_new(body, "StopTimeout", json_integer(v));
                        break;
                }
                case 'i':
                        interactive = true;
                        break;
                case 't':
                        tty = true;
                        break;
                case O_DKEYS: {
                        RossDetachKeys k;
                        if (ross_detach_keys_parse(optarg, &k, &err) < 0) {
                                ross_cli_error("%s", err.msg);
                                return -1;
                        }
                        flags.detach_keys = optarg;
                        break;
                }
                case O_INIT:
                        json_object_set_new(hc, "Init", json_true());
                        break;
                case O_HCMD:
                        json_object_set_new(health_of(body), "Test",
                                            json_pack("[s, s]", "CMD-SHELL", optarg));
                        break;
                case O_HINTERVAL:
                case O_HTIMEOUT:
                case O_HSTART:
                case O_HSTARTINT: {
                        int64_t ns;
                        const char *key = ch == O_HINTERVAL  ? "Interval"
                                          : ch == O_HTIMEOUT ? "Timeout"
                                          : ch == O_HSTART   ? "StartPeriod"
                                                             : "StartInterval";
                        if (parse_duration_ns(optarg, &ns) < 0) {
                                ross_cli_error("invalid argument \"%s\" for --health-*: a "
                                               "duration such as 30s, 1m30s or 500ms",
                                               optarg);
                                return -1;
                        }
                        json_object_set_new(health_of(body), key, json_integer(ns));
                        break;
                }
                case O_HRETRIES: {
                        int v;
                        if (ross_parse_int(optarg, 0, 1000000, &v) < 0) {
                                ross_cli_error("invalid argument \"%s\" for --health-retries",
                                               optarg);
                                return -1;
                        }
                        json_object_set_new(health_of(body), "Retries", json_integer(v));
                        break;
                }
                case O_NOHEALTH:
                        json_object_set_new(body, "Healthcheck",
                                            json_pack("{s:[s]}", "Test", "NONE"));
                        break;
                case O_RESTART: {
                        json_t *rp = ross_cli_restart_policy(optarg);
                        if (!rp)
                                return -1;
                        json_object_set_new(hc, "RestartPolicy", rp);
                        break;
                }
                case O_SIGPROXY:
                        if (parse_sig_proxy(optarg, &flags.sig_proxy) < 0)
                                return -1;
                        break;
                case O_HELP:
                        usage_run(stdout, verb);
                        *ret_body = NULL;
                        return 1;
                default:
                        return -1;
                }
        }
        if (optind >= argc) {
                ross_cli_error("container %s: an image is required", verb);
                return -1;
        }
        json_object_set_new(body, "Image", json_string(argv[optind]));
        if (optind + 1 < argc) {
                json_t *cmd = json_array();
                for (int i = optind + 1; i < argc; i++)
                        json_array_append_new(cmd, json_string(argv[i]));
                json_object_set_new(body, "Cmd", cmd);
        }
        bool attached = STREQ(verb, "run") && !flags.detach;
        if (interactive && tty && attached && !isatty(STDIN_FILENO)) {
                ross_cli_error("the input device is not a TTY");
                return -1;
        }
        json_object_set_new(body, "Tty", json_boolean(tty));
        json_object_set_new(body, "OpenStdin", json_boolean(interactive));
        /* run -i, create -i: the container's stdin ends with the first attached client's
         * (run -d -i keeps it open for every attach) */
        json_object_set_new(body, "StdinOnce",
                            json_boolean(interactive && (attached || STREQ(verb, "create"))));
        json_object_set_new(body, "AttachStdin", json_boolean(interactive && attached));
        json_object_set_new(body, "AttachStdout", json_boolean(attached));
        json_object_set_new(body, "AttachStderr", json_boolean(attached));
        json_object_set_new(body, "Env", TAKE_PTR(env));
        json_object_set_new(body, "Labels", TAKE_PTR(labels));
        json_object_set_new(hc, "Binds", TAKE_PTR(binds));
        if (json_object_size(volumes))
                json_object_set_new(body, "Volumes", TAKE_PTR(volumes));
        json_object_set_new(hc, "Mounts", TAKE_PTR(mounts));
        json_object_set_new(hc, "Tmpfs", TAKE_PTR(tmpfs));
        if (json_object_size(ports))
                json_object_set_new(hc, "PortBindings", TAKE_PTR(ports));
        if (json_object_size(exposed))
                json_object_set_new(body, "ExposedPorts", TAKE_PTR(exposed));
        set_network(body, network, aliases, ip, ip6, mac);
        if (json_array_size(dns))
                json_object_set_new(hc, "Dns", TAKE_PTR(dns));
        if (json_array_size(dns_search))
                json_object_set_new(hc, "DnsSearch", TAKE_PTR(dns_search));
        if (json_array_size(dns_opts))
                json_object_set_new(hc, "DnsOptions", TAKE_PTR(dns_opts));
        if (json_array_size(extra_hosts))
                json_object_set_new(hc, "ExtraHosts", TAKE_PTR(extra_hosts));
        if (json_array_size(groups))
                json_object_set_new(hc, "GroupAdd", TAKE_PTR(groups));
        json_object_set_new(hc, "LogConfig", TAKE_PTR(log_config));
        *ret_body = TAKE_PTR(body);
        *ret_flags = flags;
        *ret_optind = optind;
        return 0;
}

static int pull_image(RossClient *c, const char *image)
{
        _cleanup_free_ char *from = ross_client_escape(image);
        _cleanup_free_ char *path = xasprintf("/images/create?fromImage=%s", from);
        RossRef ref = {};
        _cleanup_free_ char *auth = NULL;
        if (ross_ref_parse(image, &ref, NULL) == 0)
                auth = ross_dockercfg_registry_auth(ref.domain);
        ross_ref_free(&ref);
        RossProgress pr;
        ross_progress_init(&pr, stderr, false);
        RossApiCall call = {.method = "POST",
                            .path = path,
                            .registry_auth = auth,
                            .on_line = ross_progress_line,
                            .userdata = &pr};
        RossError err = {};
        int r = ross_client_call(c, &call, NULL, &err);
        if (r == 0 && pr.error.code) {
                err = pr.error;
                r = -EIO;
        }
        if (r < 0)
                ross_cli_error("%s", err.msg);
        ross_progress_done(&pr);
        return r;
}

/* create, pulling the image first if the daemon does not have it */
static int create(RossClient *c, json_t *body, const char *name, char **ret_id)
{
        _cleanup_free_ char *text = json_dumps(body, JSON_COMPACT);
        _cleanup_free_ char *qn = name ? ross_client_escape(name) : NULL;
        _cleanup_free_ char *path =
                xasprintf("/containers/create%s%s", qn ? "?name=" : "", qn ? qn : "");
        RossError err = {};
        json_auto_t *resp = NULL;
        int r = ross_client_json(c, "POST", path, text, &resp, &err);
        if (r == -ENOENT && strstr(err.msg, "No such image")) {
                const char *image = json_string_value(json_object_get(body, "Image"));
                fprintf(stderr, "Unable to find image '%s' locally\n", image);
                if (pull_image(c, image) < 0)
                        return -1;
                r = ross_client_json(c, "POST", path, text, &resp, &err);
        }
        if (r < 0) {
                ross_cli_error("%s", err.msg);
                return -1;
        }
        /* the daemon's warnings (published ports with the host's network, ...), as
         * Docker's CLI prints them */
        json_t *w;
        size_t i;
        json_array_foreach (json_object_get(resp, "Warnings"), i, w)
                if (json_string_value(w))
                        fprintf(stderr, "WARNING: %s\n", json_string_value(w));
        *ret_id = xstrdup(json_string_value(json_object_get(resp, "Id")) ?: "");
        return 0;
}

/* Docker's exit codes for a container that could not start */
static int start_failure_code(const RossError *err)
{
        if (strstr(err->msg, "not found") || strstr(err->msg, "No such file"))
                return 127;
        if (strstr(err->msg, "ermission denied") || strstr(err->msg, "not executable"))
                return 126;
        return 125;
}

static int start(RossClient *c, const char *id, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("/containers/%s/start", id);
        return ross_client_json(c, "POST", path, NULL, NULL, err);
}

typedef struct Demux {
        RossBuf buf;
        bool raw;
} Demux;

static void demux_done(Demux *d)
{
        ross_buf_free(&d->buf);
}

/* Split Docker's multiplexed stream into our stdout and stderr. */
static int on_frames(void *ud, const char *p, size_t n)
{
        Demux *d = ud;
        if (d->raw) {
                fwrite(p, 1, n, stdout);
                fflush(stdout);
                return 0;
        }
        ross_buf_append(&d->buf, p, n);
        size_t off = 0;
        while (d->buf.len - off >= 8) {
                const unsigned char *h = (const unsigned char *)d->buf.data + off;
                size_t len =
                        ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
                if (d->buf.len - off - 8 < len)
                        break;
                FILE *f = h[0] == 2 ? stderr : stdout;
                fwrite(h + 8, 1, len, f);
                fflush(f);
                off += 8 + len;
        }
        memmove(d->buf.data, d->buf.data + off, d->buf.len - off);
        d->buf.len -= off;
        return 0;
}

/* The container's Tty and OpenStdin, and whether it runs. */
static int container_io(RossClient *c, const char *ref, bool *ret_tty, bool *ret_stdin,
                        bool *ret_running)
{
        _cleanup_free_ char *path = xasprintf("/containers/%s/json", ref);
        RossError err = {};
        json_auto_t *info = NULL;
        if (ross_client_json(c, "GET", path, NULL, &info, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return -1;
        }
        json_t *cfg = json_object_get(info, "Config");
        *ret_tty = json_is_true(json_object_get(cfg, "Tty"));
        *ret_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
        *ret_running = json_is_true(json_object_get(json_object_get(info, "State"), "Running"));
        return 0;
}

static int stream_logs(RossClient *c, const char *id, const char *query)
{
        _cleanup_free_ char *path = xasprintf("/containers/%s/logs?%s", id, query);
        bool tty, open_stdin, running;
        if (container_io(c, id, &tty, &open_stdin, &running) < 0)
                return -1;
        /* a tty's log is one stream, sent raw */
        _cleanup_(demux_done) Demux d = {.raw = tty};
        RossApiCall call = {.method = "GET", .path = path, .on_raw = on_frames, .userdata = &d};
        RossError err = {};
        int r = ross_client_call(c, &call, NULL, &err);
        if (r < 0)
                ross_cli_error("%s", err.msg);
        return r;
}

static int wait_exit(RossClient *c, const char *id, int *ret_code)
{
        _cleanup_free_ char *path = xasprintf("/containers/%s/wait", id);
        RossError err = {};
        json_auto_t *resp = NULL;
        if (ross_client_json(c, "POST", path, NULL, &resp, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return -1;
        }
        *ret_code = (int)json_integer_value(json_object_get(resp, "StatusCode"));
        return 0;
}

/* After an attached session: the exit code, or 0 when the user detached. */
static int finish_attached(RossClient *c, const char *id, int detached, bool remove_after)
{
        int code = 0;
        if (detached)
                return 0; /* the container runs on; --rm still applies (the daemon's) */
        int r = wait_exit(c, id, &code);
        if (remove_after) {
                _cleanup_free_ char *rm_path = xasprintf("/containers/%s?force=1&v=1", id);
                (void)ross_client_json(c, "DELETE", rm_path, NULL, NULL, NULL);
        }
        return r < 0 ? 125 : code;
}

int ross_cmd_container_run(RossClient *c, int argc, char **argv)
{
        json_auto_t *body = NULL;
        _cleanup_free_ char *name = NULL, *id = NULL;
        RunFlags flags = {};
        int ind;
        RossError err = {};

        int r = parse_create(argc, argv, "run", &body, &name, &flags, &ind);
        if (r != 0)
                return r > 0 ? 0 : 125;
        /* --rm: the daemon removes a detached container when it exits; an attached run
         * removes it here once it has its output and exit code (a detach with the keys
         * leaves it to the daemon) */
        json_t *hc = json_object_get(body, "HostConfig");
        bool auto_remove = json_is_true(json_object_get(hc, "AutoRemove"));
        RossAttach a = {.in = json_is_true(json_object_get(body, "AttachStdin")),
                        .out = true,
                        .err = true,
                        .tty = json_is_true(json_object_get(body, "Tty")),
                        .sig_proxy = flags.sig_proxy,
                        .detach_keys = flags.detach_keys,
                        .fd = -EBADF};
        r = create(c, body, name, &id);
        if (r < 0)
                return 125;
        _cleanup_free_ char *rm_path = xasprintf("/containers/%s?force=1&v=1", id);
        a.id = id;
        /* attached: the stream is open before the start, so no output is missed */
        if (!flags.detach && ross_attach_open(c, &a, &err) < 0) {
                ross_cli_error("%s", err.msg);
                (void)ross_client_json(c, "DELETE", rm_path, NULL, NULL, NULL);
                return 125;
        }
        if (start(c, id, &err) < 0) {
                ross_attach_restore_terminal();
                ross_cli_error("%s", err.msg);
                ross_attach_close(&a);
                if (auto_remove)
                        (void)ross_client_json(c, "DELETE", rm_path, NULL, NULL, NULL);
                return start_failure_code(&err);
        }
        if (flags.detach) {
                printf("%s\n", id);
                return 0;
        }
        int detached = ross_attach_run(c, &a);
        return finish_attached(c, id, detached, auto_remove);
}

int ross_cmd_container_create(RossClient *c, int argc, char **argv)
{
        json_auto_t *body = NULL;
        _cleanup_free_ char *name = NULL, *id = NULL;
        RunFlags flags;
        int ind;
        int r = parse_create(argc, argv, "create", &body, &name, &flags, &ind);
        if (r != 0)
                return r > 0 ? 0 : 125;
        r = create(c, body, name, &id);
        if (r < 0)
                return 125;
        printf("%s\n", id);
        return 0;
}

int ross_cmd_container_logs(RossClient *c, int argc, char **argv)
{
        enum { O_SINCE = 256, O_UNTIL };
        static const struct option opts[] = {
                {"follow", no_argument, NULL, 'f'},
                {"tail", required_argument, NULL, 'n'},
                {"timestamps", no_argument, NULL, 't'},
                {"since", required_argument, NULL, O_SINCE},
                {"until", required_argument, NULL, O_UNTIL},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool follow = false, ts = false;
        const char *tail = NULL;
        _cleanup_free_ char *since = NULL, *until = NULL;
        int ch;
        optind = 1;
        while ((ch = getopt_long(argc, argv, "fn:th", opts, NULL)) != -1) {
                switch (ch) {
                case 'f':
                        follow = true;
                        break;
                case 'n':
                        tail = optarg;
                        break;
                case 't':
                        ts = true;
                        break;
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
                case 'h':
                        printf("Usage: ross-cli container logs [OPTIONS] CONTAINER\n"
                               "\n"
                               "Print a container's log (every rotated file, oldest first).\n"
                               "\n"
                               "Options:\n"
                               "  -f, --follow       go on with what is written, until the "
                               "container stops\n"
                               "  -n, --tail N       only the last N lines (default all)\n"
                               "  -t, --timestamps   the time of each line before it\n"
                               "      --since TIME   lines from then on: Unix seconds, RFC 3339\n"
                               "                     or a duration back from now (10m, 1h30m)\n"
                               "      --until TIME   lines up to then (the same forms); with -f\n"
                               "                     the stream ends then\n"
                               "  -h, --help         show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind + 1 != argc) {
                ross_cli_error("container logs: exactly one container is required");
                return 125;
        }
        int64_t lines;
        if (tail && !STREQ(tail, "all") && ross_parse_i64(tail, 0, INT64_MAX, &lines) < 0) {
                ross_cli_error("invalid argument \"%s\" for --tail", tail);
                return 125;
        }
        _cleanup_free_ char *ref = ross_client_escape(argv[optind]);
        _cleanup_free_ char *q =
                xasprintf("stdout=1&stderr=1&follow=%d&timestamps=%d&tail=%s%s%s%s%s", follow, ts,
                          tail ? tail : "all", since ? "&since=" : "", since ? since : "",
                          until ? "&until=" : "", until ? until : "");
        return stream_logs(c, ref, q) < 0 ? 1 : 0;
}

/* start -a / attach: one session with the container, which start_it starts first when it
 * is not running (attach refuses a stopped one). Returns the verb's exit status. */
static int attach_session(RossClient *c, const char *esc, bool want_in, bool sig_proxy,
                          const char *keys, bool start_it)
{
        RossError err = {};
        bool tty, open_stdin, running;
        int fail = start_it ? 125 : 1;
        if (container_io(c, esc, &tty, &open_stdin, &running) < 0)
                return fail;
        if (!start_it && !running) {
                ross_cli_error("You cannot attach to a stopped container, start it first");
                return 1;
        }
        RossAttach a = {.id = esc,
                        .in = want_in && open_stdin,
                        .out = true,
                        .err = true,
                        .tty = tty,
                        .sig_proxy = sig_proxy,
                        .detach_keys = keys,
                        .fd = -EBADF};
        if (tty && a.in && !isatty(STDIN_FILENO)) {
                ross_cli_error("the input device is not a TTY");
                return fail;
        }
        if (ross_attach_open(c, &a, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return fail;
        }
        if (start_it && !running && start(c, esc, &err) < 0) {
                ross_attach_restore_terminal();
                ross_cli_error("%s", err.msg);
                ross_attach_close(&a);
                return start_failure_code(&err);
        }
        return finish_attached(c, esc, ross_attach_run(c, &a), false);
}

int ross_cmd_container_start(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"attach", no_argument, NULL, 'a'},
                {"interactive", no_argument, NULL, 'i'},
                {"detach-keys", required_argument, NULL, 'k'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool attach = false, interactive = false;
        const char *keys = NULL;
        int ch;
        optind = 1;
        while ((ch = getopt_long(argc, argv, "+aih", opts, NULL)) != -1) {
                switch (ch) {
                case 'a':
                        attach = true;
                        break;
                case 'i':
                        interactive = true;
                        break;
                case 'k':
                        keys = optarg;
                        break;
                case 'h':
                        printf("Usage: ross-cli container start [-a] [-i] [--detach-keys KEYS] "
                               "CONTAINER...\n\n"
                               "  -a, --attach             attach stdout and stderr, exit with "
                               "the container's code\n"
                               "  -i, --interactive        attach stdin too\n"
                               "      --detach-keys KEYS   keys that detach from a tty "
                               "(default ctrl-p,ctrl-q)\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (!attach && !interactive)
                return ross_cmd_container_each(c, argc, argv);
        if (optind + 1 != argc) {
                ross_cli_error("container start: attaching works with exactly one container");
                return 125;
        }
        _cleanup_free_ char *esc = ross_client_escape(argv[optind]);
        return attach_session(c, esc, interactive, true, keys, true);
}

int ross_cmd_container_attach(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"no-stdin", no_argument, NULL, 'n'},
                {"sig-proxy", required_argument, NULL, 's'},
                {"detach-keys", required_argument, NULL, 'k'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool no_stdin = false, sig_proxy = true;
        const char *keys = NULL;
        int ch;
        optind = 1;
        while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (ch) {
                case 'n':
                        no_stdin = true;
                        break;
                case 's':
                        if (parse_sig_proxy(optarg, &sig_proxy) < 0)
                                return 125;
                        break;
                case 'k':
                        keys = optarg;
                        break;
                case 'h':
                        printf("Usage: ross-cli container attach [OPTIONS] CONTAINER\n\n"
                               "Attach the terminal's stdin, stdout and stderr to a running "
                               "container; exit with its code.\n\n"
                               "      --no-stdin           do not attach stdin\n"
                               "      --sig-proxy BOOL     pass signals to the container "
                               "(without a tty; default true)\n"
                               "      --detach-keys KEYS   keys that detach (default "
                               "ctrl-p,ctrl-q)\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind + 1 != argc) {
                ross_cli_error("container attach: exactly one container is required");
                return 125;
        }
        _cleanup_free_ char *esc = ross_client_escape(argv[optind]);
        return attach_session(c, esc, !no_stdin, sig_proxy, keys, false);
}

int ross_cmd_container_update(RossClient *c, int argc, char **argv)
{
        enum { O_CPUS = 256, O_PIDS, O_RESTART };
        static const struct option opts[] = {
                {"memory", required_argument, NULL, 'm'},
                {"cpus", required_argument, NULL, O_CPUS},
                {"pids-limit", required_argument, NULL, O_PIDS},
                {"restart", required_argument, NULL, O_RESTART},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        json_auto_t *body = json_object();
        int ch, rc = 0;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
                switch (ch) {
                case 'm': {
                        int64_t v = parse_bytes(optarg);
                        if (v <= 0) {
                                ross_cli_error("invalid argument \"%s\" for --memory: invalid size",
                                               optarg);
                                return 125;
                        }
                        json_object_set_new(body, "Memory", json_integer(v));
                        break;
                }
                case O_CPUS: {
                        double v;
                        if (ross_parse_decimal(optarg, 1024, &v, NULL) < 0) {
                                ross_cli_error("invalid argument \"%s\" for --cpus", optarg);
                                return 125;
                        }
                        json_object_set_new(body, "NanoCpus",
                                            json_integer((json_int_t)(v * 1e9 + 0.5)));
                        break;
                }
                case O_PIDS: {
                        int64_t v;
                        if (ross_parse_i64(optarg, -1, INT64_MAX, &v) < 0) {
                                ross_cli_error("invalid argument \"%s\" for --pids-limit", optarg);
                                return 125;
                        }
                        json_object_set_new(body, "PidsLimit", json_integer(v));
                        break;
                }
                case O_RESTART: {
                        json_t *rp = ross_cli_restart_policy(optarg);
                        if (!rp)
                                return 125;
                        json_object_set_new(body, "RestartPolicy", rp);
                        break;
                }
                case 'h':
                        printf("Usage: ross-cli container update [OPTIONS] CONTAINER "
                               "[CONTAINER...]\n"
                               "\n"
                               "Change containers' restart policy and limits; a running "
                               "container's limits change at once.\n"
                               "\n"
                               "Options:\n"
                               "  -m, --memory BYTES    memory limit (512m, 1g)\n"
                               "      --cpus N          CPU quota (1.5; 0: none)\n"
                               "      --pids-limit N    process limit (-1 or 0: none)\n"
                               "      --restart POLICY  no, always, unless-stopped, "
                               "on-failure[:N]\n"
                               "  -h, --help            show this help\n");
                        return 0;
                default:
                        return 125;
                }
        }
        if (optind >= argc) {
                ross_cli_error("container update: at least one container is required");
                return 125;
        }
        if (json_object_size(body) == 0) {
                ross_cli_error("container update: you must provide one or more flags");
                return 125;
        }
        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *ref = ross_client_escape(argv[i]);
                _cleanup_free_ char *path = xasprintf("/containers/%s/update", ref);
                if (ross_cli_call(c, "POST", path, body, NULL) < 0) {
                        rc = 1;
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        return rc;
}
