/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../basic/err.h"

/*
 * An image reference, normalised as Docker does:
 * "alpine" is docker.io/library/alpine:latest.
 */
typedef struct RossRef {
        char *domain; /* "docker.io", "localhost:5000", "[::1]:5000" */
        char *path;   /* "library/alpine" */
        char *tag;    /* NULL when only a digest was given */
        char *digest; /* "sha256:<64 hex>" or NULL */
} RossRef;

#define ROSS_REF_NAME_MAX 255

/* Parse and normalise s. On error the message says what is wrong; -EINVAL. */
int ross_ref_parse(const char *s, RossRef *ret, RossError *err);
void ross_ref_free(RossRef *ref);
static inline void ross_ref_freep(RossRef *r)
{
        ross_ref_free(r);
}

/* "docker.io/library/alpine" (caller frees). */
char *ross_ref_name(const RossRef *ref);
/* "docker.io/library/alpine:latest", or "...@sha256:..." when there is no tag. */
char *ross_ref_string(const RossRef *ref);
/* The short form users see: "alpine:latest", "localhost:5000/x:1". Input is a full name. */
char *ross_ref_familiar(const char *full);
/* Host (and port) to connect to: docker.io is served by registry-1.docker.io. */
const char *ross_ref_registry_host(const RossRef *ref);

/* true if s is "sha256:" followed by 64 lowercase hex digits. */
bool ross_digest_valid(const char *s);
/* true if s is a tag per the distribution grammar. */
bool ross_tag_valid(const char *s);
