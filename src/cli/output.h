/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "client.h"

/*
 * GET path and write the answer's body where docker export and docker save write theirs:
 * to output (-o FILE) through a temporary file beside it (FILE.tmp-XXXXXXXX), synced and
 * renamed into place once the whole body is in and removed on any failure, so FILE is never
 * left half written; or, with output NULL, to stdout, which is refused when it is a
 * terminal. what names the command in the error of a FILE that cannot be made ("export
 * container": "failed to export container: open FILE: ..."). Returns the exit code: 0, or 1
 * once the error is printed.
 */
int ross_cli_get_to_output(RossClient *c, const char *path, const char *output, const char *what);
