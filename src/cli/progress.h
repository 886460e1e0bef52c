/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "../basic/err.h"

/* Renders Docker's pull (and push) progress stream: bars redrawn in place on a terminal, one line
 * per status change otherwise. Remembers the first error the stream carried. */
typedef struct RossProgress {
        FILE *out;
        bool tty;
        bool quiet;
        char **ids;  /* layer ids in the order they appeared, one line each (tty) */
        char **last; /* last status printed per id (non-tty de-duplication) */
        size_t n_ids;
        RossError error; /* code != 0 if the stream ended in an error */
        char *digest;    /* from "Digest: ..." (a pull) or an aux {"Digest"} (a push) */
        char *note;      /* what an aux note says (a push of one manifest of an index) */
} RossProgress;

void ross_progress_init(RossProgress *p, FILE *out, bool quiet);
void ross_progress_done(RossProgress *p);
/* Handle one JSON line of the stream. */
int ross_progress_line(void *userdata, const char *line, size_t len);
