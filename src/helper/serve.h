/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../registry/client.h"
#include "channel.h"

/*
 * The pull helper's side (programs/ross-pull.c is the program): each subcommand enters its
 * sandbox first, then reads its request from the channel, does the work that touches
 * untrusted bytes (registry, decompression, tar), and answers. See docs/pull-helper.md.
 */
typedef struct RossHelperOptions {
        const char *data_dir;
        const char *stage;  /* pull, import: the ingest stage it writes blobs to (".stage-<hex>") */
        const char *target; /* flat: the temp tree it merges into ("flat/.tmp-<hex>") */
        /* archive: the container's files as the daemon describes them (serve-archive.c) */
        const char *view;
        RossRegistryConfig registry;
        int root_fd; /* archive: the container's root, opened by the sandbox's set-up */
} RossHelperOptions;

/* Subcommands: "pull", "flat", "login", "inspect", "push", "archive", "import", "save", "load",
 * and
 * "probe"
 * (a debug aid: enters the pull sandbox and reports on stdout what it can and cannot do).
 * Opens what the subcommand works in (root_fd). */
int ross_helper_sandbox(const char *cmd, RossHelperOptions *o, RossError *err);

int ross_helper_serve_pull(const RossHelperOptions *o, RossChannel *ch, RossError *err);
int ross_helper_serve_flat(const RossHelperOptions *o, RossChannel *ch, RossError *err);
int ross_helper_serve_login(const RossHelperOptions *o, RossChannel *ch, RossError *err);
/* serve-inspect.c: the manifest (and a single image's config) of a reference, into the
 * stage, for DistributionInspect. */
int ross_helper_serve_inspect(const RossHelperOptions *o, RossChannel *ch, RossError *err);
/* serve-push.c: the blobs and manifest from the store (read-only here) to a registry. */
int ross_helper_serve_push(const RossHelperOptions *o, RossChannel *ch, RossError *err);
int ross_helper_probe(const RossHelperOptions *o);
/* serve-archive.c: docker cp and export in a container's root, and docker import. */
int ross_helper_archive_sandbox(RossHelperOptions *o, RossError *err);
int ross_helper_serve_archive(const RossHelperOptions *o, RossChannel *ch, RossError *err);
int ross_helper_serve_import(const RossHelperOptions *o, RossChannel *ch, RossError *err);
/* serve-save.c: docker save, the tar of an image layout from the store's blobs. */
int ross_helper_serve_save(const RossHelperOptions *o, RossChannel *ch, RossError *err);
/* serve-load.c: docker load, an archive's files into the stage, its layers into snapshots. */
int ross_helper_serve_load(const RossHelperOptions *o, RossChannel *ch, RossError *err);

/* Name checks for what the daemon passes: ".stage-" or ".tmp-" and 16 hex digits. */
bool ross_helper_name_valid(const char *name, const char *prefix);

/* Snapshot trees the daemon names: "<id>/fs" or ".tmp-<16 hex>/fs" under snapshots/. */
bool ross_helper_tree_valid(const char *rel);
