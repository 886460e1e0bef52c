/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"
#include "../store/db.h"

/*
 * Committed snapshots: one directory per layer chain, snapshots/<id>/fs, unpacked once
 * with whiteouts kept for overlayfs. A row in ross.db says "committed" only after the
 * tree is complete and synced, so a crash never leaves a snapshot that looks whole.
 */
typedef struct RossSnapshots RossSnapshots;

int ross_snapshots_open(const char *data_dir, RossDb *db, RossSnapshots **ret, RossError *err);
void ross_snapshots_free(RossSnapshots *s);
/* At start: drop half-made snapshots (rows not committed, directories without a row). */
int ross_snapshots_recover(RossSnapshots *s, RossError *err);

/* Chain ID of layer i: diff_id[0], then sha256(chain[i-1] + " " + diff_id[i]). */
void ross_chain_id(const char *parent_chain, const char *diff_id, char *out);

typedef struct RossSnapshotTx RossSnapshotTx;

/*
 * Get ready to unpack chain_id. Returns 1 if it is committed already (nothing to do), or 0
 * with *ret a transaction whose directory the caller fills, then commits or aborts. Never
 * waits: concurrent unpacks of one chain each get their own directory, the first commit
 * wins and the others are dropped.
 */
int ross_snapshots_begin(RossSnapshots *s, const char *chain_id, const char *parent,
                         const char *diff_id, RossSnapshotTx **ret, RossError *err);
/* The directory to unpack into (an fd the transaction owns). */
int ross_snapshot_tx_fd(RossSnapshotTx *tx);
/* Its directory's name in the snapshot area (".tmp-XXXX"; the tree is its fs/). Owned by tx. */
const char *ross_snapshot_tx_name(RossSnapshotTx *tx);
/* Sync, give it its place and a committed row. Frees tx. */
int ross_snapshots_commit(RossSnapshotTx *tx, int64_t size, RossError *err);
/* Remove what was unpacked. Frees tx. */
void ross_snapshots_abort(RossSnapshotTx *tx);

/* Keep chain_id from garbage collection while a pull that needs it runs. */
void ross_snapshots_hold(RossSnapshots *s, const char *chain_id);
void ross_snapshots_release(RossSnapshots *s, const char *chain_id);
/* Remove committed snapshots no image uses and nobody holds; returns bytes freed. */
int64_t ross_snapshots_gc(RossSnapshots *s);

/* <data>/snapshots/<id>/fs */
char *ross_snapshots_path(RossSnapshots *s, int64_t id);
/* <data>/snapshots/init: the init layer, the top lower layer of every container (under its
 * upper dir) */
char *ross_snapshots_init_path(RossSnapshots *s);

/* Mount the snapshots ids (bottom layer first) read-only at target as one overlay. */
int ross_snapshots_mount(RossSnapshots *s, json_t *ids, const char *target, RossError *err);
/* The same with a writable upper layer: a container's rootfs. */
int ross_snapshots_mount_rw(RossSnapshots *s, json_t *ids, const char *upper, const char *work,
                            const char *target, RossError *err);
/* Unmount target if something is mounted there. */
int ross_snapshots_unmount(const char *target, RossError *err);
/* Is target a mount point? */
bool ross_is_mountpoint(const char *target);
