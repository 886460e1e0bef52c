/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"

/* What a container runs: the image config merged with the user's request, as Docker does. */
typedef struct RossProcessSpec {
        json_t *args; /* array of strings: entrypoint + cmd */
        json_t *env;  /* array of "KEY=value", keys unique, PATH defaulted */
        char *cwd;
        char *user; /* as given: "name", "uid", "uid:gid", "" for root */
        bool terminal;
} RossProcessSpec;

void ross_process_spec_free(RossProcessSpec *p);

/* Set "KEY=value" in env (an array of them), replacing the entry with the same key. */
void ross_env_set(json_t *env, const char *kv);

/* An array whose every item is a string. */
bool ross_json_strings(json_t *a);

/*
 * Merge: a user Cmd replaces the image's Cmd; a user Entrypoint replaces the image's and
 * clears its Cmd; env keys override, never duplicate; WorkingDir and User from the image
 * unless given. user_* may be NULL ("not given"); an empty array is "given, empty".
 */
int ross_process_merge(json_t *image_config, json_t *user_entrypoint, json_t *user_cmd,
                       json_t *user_env, const char *user_workdir, const char *user_user,
                       RossProcessSpec *ret, RossError *err);

typedef struct RossIds {
        uint32_t uid, gid;
        uint32_t *groups; /* supplementary */
        size_t n_groups;
} RossIds;

void ross_ids_free(RossIds *ids);

/* Resolve "name", "uid", "name:group" or "uid:gid" with the rootfs' /etc/passwd and
 * /etc/group (read inside rootfd). Unknown names are errors naming them. */
int ross_resolve_user(int rootfd, const char *user, RossIds *ret, RossError *err);
/* Add Docker's GroupAdd (an array of group names or numbers, may be NULL) to ids->groups:
 * names from the rootfs' /etc/group, numbers as they are; an unknown name is -ENOENT naming
 * it. */
int ross_resolve_groups(int rootfd, json_t *group_add, RossIds *ids, RossError *err);
/* Both of the above for the rootfs at a path: the user (NULL or "" is root) and GroupAdd. */
int ross_resolve_ids(const char *rootfs, const char *user, json_t *group_add, RossIds *ret,
                     RossError *err);
/* The supplementary groups as "1,2,3" ("" for none); the caller frees it. */
char *ross_ids_groups_string(const RossIds *ids);

typedef struct RossSpecOptions {
        const char *rootfs; /* absolute path */
        const char *hostname;
        const RossProcessSpec *process;
        const RossIds *ids;
        bool readonly_rootfs;
        json_t *binds;      /* [{"source","destination","readonly"}] */
        json_t *tmpfs;      /* ["/path[:options]", ...] */
        int64_t memory;     /* bytes, 0: none */
        int64_t nano_cpus;  /* 0: none */
        int64_t pids_limit; /* 0: none */
        bool host_network;
        const char *netns; /* join this network namespace (a path), else a new one */
        const char *etc_hosts, *etc_hostname, *etc_resolv; /* files to bind */
        const char *cgroup_path;
} RossSpecOptions;

/* The OCI runtime-spec config.json for these options (caller owns). */
json_t *ross_spec_build(const RossSpecOptions *o);
