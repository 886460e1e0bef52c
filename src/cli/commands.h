/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "client.h"

/* Each verb: argv[0] is the verb itself; returns the process exit code. */
int ross_cmd_image_pull(RossClient *c, int argc, char **argv);
int ross_cmd_image_list(RossClient *c, int argc, char **argv);
int ross_cmd_image_inspect(RossClient *c, int argc, char **argv);
int ross_cmd_image_rm(RossClient *c, int argc, char **argv);
int ross_cmd_image_tag(RossClient *c, int argc, char **argv);
int ross_cmd_login(RossClient *c, int argc, char **argv);
int ross_cmd_logout(RossClient *c, int argc, char **argv);
int ross_cmd_version(RossClient *c, int argc, char **argv);

/* Print "ross-cli: message" to stderr. */
void ross_cli_error(const char *fmt, ...) _printf_(1, 2);
