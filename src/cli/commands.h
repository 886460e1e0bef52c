/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "client.h"

/* Each verb: argv[0] is the verb itself; returns the process exit code. */
int ross_cmd_image_pull(RossClient *c, int argc, char **argv);
int ross_cmd_image_push(RossClient *c, int argc, char **argv);
int ross_cmd_image_list(RossClient *c, int argc, char **argv);
int ross_cmd_image_inspect(RossClient *c, int argc, char **argv);
int ross_cmd_image_rm(RossClient *c, int argc, char **argv);
int ross_cmd_image_tag(RossClient *c, int argc, char **argv);
int ross_cmd_image_mount(RossClient *c, int argc, char **argv);
int ross_cmd_image_unmount(RossClient *c, int argc, char **argv);
int ross_cmd_image_prune(RossClient *c, int argc, char **argv);
int ross_cmd_image_rootfs(RossClient *c, int argc, char **argv);
int ross_cmd_container_run(RossClient *c, int argc, char **argv);
int ross_cmd_container_create(RossClient *c, int argc, char **argv);
int ross_cmd_container_start(RossClient *c, int argc, char **argv);
int ross_cmd_container_logs(RossClient *c, int argc, char **argv);
int ross_cmd_container_attach(RossClient *c, int argc, char **argv);
int ross_cmd_container_exec(RossClient *c, int argc, char **argv);
/* stop, kill, rm, wait, pause, unpause, restart (argv[0] says which) */
int ross_cmd_container_each(RossClient *c, int argc, char **argv);
int ross_cmd_container_list(RossClient *c, int argc, char **argv);
int ross_cmd_container_rename(RossClient *c, int argc, char **argv);
int ross_cmd_container_update(RossClient *c, int argc, char **argv);
int ross_cmd_container_inspect(RossClient *c, int argc, char **argv);
/* a container by that name, else an image */
int ross_cmd_inspect(RossClient *c, int argc, char **argv);
int ross_cmd_login(RossClient *c, int argc, char **argv);
int ross_cmd_logout(RossClient *c, int argc, char **argv);
int ross_cmd_version(RossClient *c, int argc, char **argv);
/* network create|ls|list|inspect|rm|remove|prune|connect|disconnect (argv[1] says which) */
int ross_cmd_network(RossClient *c, int argc, char **argv);
/* events [--since] [--until] [-f K=V] [--format json] */
int ross_cmd_events(RossClient *c, int argc, char **argv);
/* volume create|ls|list|inspect|rm|remove|prune (argv[1] says which) */
int ross_cmd_volume(RossClient *c, int argc, char **argv);
/* port CONTAINER [PRIVATE_PORT[/PROTO]]: the container's published ports */
int ross_cmd_container_port(RossClient *c, int argc, char **argv);
/* stats [-a] [--no-stream] [--format table|json] [CONTAINER...]: resource use, live */
int ross_cmd_container_stats(RossClient *c, int argc, char **argv);
/* top CONTAINER [ps OPTIONS]: its processes (cmd_top.c) */
int ross_cmd_container_top(RossClient *c, int argc, char **argv);
/* diff CONTAINER: its filesystem changes (cmd_diff.c) */
int ross_cmd_container_diff(RossClient *c, int argc, char **argv);
/* container prune [-f] [--filter K=V] (cmd_prune.c) */
int ross_cmd_container_prune(RossClient *c, int argc, char **argv);
/* system df|prune (argv[1] says which; cmd_system.c) */
int ross_cmd_system(RossClient *c, int argc, char **argv);

/* cmd_prune.c: the prunes docker system prune makes, each printing docker's report of what
 * went ("Deleted Containers:" ...); the bytes freed are added to *reclaimed. filters:
 * {"KEY": ["VALUE"]}; for images, all adds dangling=false. -EIO once the daemon's message is
 * printed. */
int ross_cli_prune_containers(RossClient *c, json_t *filters, uint64_t *reclaimed);
int ross_cli_prune_networks(RossClient *c, json_t *filters);
int ross_cli_prune_volumes(RossClient *c, json_t *filters, uint64_t *reclaimed);
int ross_cli_prune_images(RossClient *c, bool all, json_t *filters, uint64_t *reclaimed);
/* "Total reclaimed space: 1.2MB" */
void ross_cli_print_reclaimed(uint64_t bytes);
/* cp SRC DST: files in and out of a container (cmd_cp.c) */
int ross_cmd_cp(RossClient *c, int argc, char **argv);
/* export CONTAINER, import FILE|- [REPO[:TAG]] (cmd_export.c) */
int ross_cmd_export(RossClient *c, int argc, char **argv);
int ross_cmd_import(RossClient *c, int argc, char **argv);
/* commit [-a A] [-m M] [-c CHANGE]... [-p=false] CONTAINER [REPO[:TAG]] (cmd_commit.c) */
int ross_cmd_commit(RossClient *c, int argc, char **argv);
/* save [-o FILE] IMAGE..., load [-i FILE] [-q] (cmd_saveload.c) */
int ross_cmd_save(RossClient *c, int argc, char **argv);
int ross_cmd_load(RossClient *c, int argc, char **argv);

enum {
        ROSS_INSPECT_CONTAINER = 1 << 0,
        ROSS_INSPECT_IMAGE = 1 << 1,
        ROSS_INSPECT_NETWORK = 1 << 2,
        ROSS_INSPECT_VOLUME = 1 << 3
};
/* Print the inspect JSON of each argv[1..] as one array; with several kinds a container is
 * tried first, then an image, then a network. Returns the exit code. */
int ross_cli_inspect(RossClient *c, int argc, char **argv, unsigned kinds);

/* "/images/NAME" + suffix, NAME escaped but for its slashes. Caller frees. */
char *ross_cli_image_path(const char *name, const char *suffix);

/* --filter KEY=VALUE into filters ({"KEY": ["VALUE", ...]}); a usage error (printed) if
 * there is no '='. */
int ross_cli_filter_add(json_t *filters, const char *arg);
/* --since/--until TIME: Unix seconds, RFC 3339, or a duration back from now ("10m",
 * "1h30m"), as *ret (escaped for a query string; caller frees). A usage error (printed)
 * otherwise. */
int ross_cli_time_arg(const char *flag, const char *value, char **ret);
/* "&filters=..." for a query string, or NULL when there are none. Caller frees. */
char *ross_cli_filter_query(json_t *filters);

/* One call whose answer is JSON (ret may be NULL); the daemon's message is printed on
 * failure. */
int ross_cli_call(RossClient *c, const char *method, const char *path, json_t *body, json_t **ret);
/* KEY=VALUE (or KEY: an empty value) into obj, for --label and --opt; a usage error
 * (printed) when there is no key. */
int ross_cli_key_value(json_t *obj, const char *flag, const char *arg);
/* --restart no|always|unless-stopped|on-failure[:N] as HostConfig.RestartPolicy, or NULL
 * (the error printed). */
json_t *ross_cli_restart_policy(const char *arg);
/* Print the warning and ask "[y/N]" on stderr; whether the answer is yes. */
bool ross_cli_confirm(const char *warning);

/* Print "ross-cli: message" to stderr. */
void ross_cli_error(const char *fmt, ...) _printf_(1, 2);
