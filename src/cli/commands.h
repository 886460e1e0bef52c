/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "client.h"

/* Each verb: argv[0] is the verb itself; returns the process exit code. */
int ross_cmd_image_pull(RossClient *c, int argc, char **argv);
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
int ross_cmd_container_inspect(RossClient *c, int argc, char **argv);
/* a container by that name, else an image */
int ross_cmd_inspect(RossClient *c, int argc, char **argv);
int ross_cmd_login(RossClient *c, int argc, char **argv);
int ross_cmd_logout(RossClient *c, int argc, char **argv);
int ross_cmd_version(RossClient *c, int argc, char **argv);
/* network create|ls|list|inspect|rm|remove|prune|connect|disconnect (argv[1] says which) */
int ross_cmd_network(RossClient *c, int argc, char **argv);
/* port CONTAINER [PRIVATE_PORT[/PROTO]]: the container's published ports */
int ross_cmd_container_port(RossClient *c, int argc, char **argv);

enum {
        ROSS_INSPECT_CONTAINER = 1 << 0,
        ROSS_INSPECT_IMAGE = 1 << 1,
        ROSS_INSPECT_NETWORK = 1 << 2
};
/* Print the inspect JSON of each argv[1..] as one array; with several kinds a container is
 * tried first, then an image, then a network. Returns the exit code. */
int ross_cli_inspect(RossClient *c, int argc, char **argv, unsigned kinds);

/* "/images/NAME" + suffix, NAME escaped but for its slashes. Caller frees. */
char *ross_cli_image_path(const char *name, const char *suffix);

/* --filter KEY=VALUE into filters ({"KEY": ["VALUE", ...]}); a usage error (printed) if
 * there is no '='. */
int ross_cli_filter_add(json_t *filters, const char *arg);
/* "&filters=..." for a query string, or NULL when there are none. Caller frees. */
char *ross_cli_filter_query(json_t *filters);

/* Print "ross-cli: message" to stderr. */
void ross_cli_error(const char *fmt, ...) _printf_(1, 2);
