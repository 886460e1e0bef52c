/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../basic/err.h"
#include "../registry/manifest.h"
#include "../store/space.h"

/* What to do with OCI whiteouts (.wh.NAME, .wh..wh..opq). */
typedef enum RossWhiteoutMode {
        /* Record them for overlayfs: a 0/0 character device NAME; the directory gets
         * trusted.overlay.opaque=y. The layer goes into an empty directory of its own. */
        ROSS_WHITEOUT_OVERLAY = 0,
        /* Apply them to the tree below (a flat rootfs): delete NAME; empty the directory of
         * what lower layers put there. */
        ROSS_WHITEOUT_APPLY,
        /* Not a layer (docker cp): .wh.NAME is a file like any other. */
        ROSS_WHITEOUT_NONE,
} RossWhiteoutMode;

#define ROSS_UNPACK_DEFAULT_MAX_BYTES (64ULL * 1024 * 1024 * 1024)
#define ROSS_UNPACK_MAX_ENTRIES       (4u * 1024 * 1024)

typedef struct RossUnpackOptions {
        RossWhiteoutMode whiteouts;
        RossLayerCompression compression;
        uint64_t max_bytes;           /* cap on the uncompressed stream; 0: the default */
        const char *expected_diff_id; /* checked against the uncompressed stream, or NULL */
        /* Free space to keep on rootfd's filesystem, checked as data is written (-ENOSPC
         * naming the reserve); {0}: none. */
        RossSpaceReserve reserve;
        /* Called now and then with the compressed bytes consumed so far. */
        void (*progress)(void *userdata, uint64_t consumed);
        /* OVERLAY: called with the path of every whiteout device made. */
        void (*whiteout)(void *userdata, const char *path);
        void *userdata;

        /* The first bytes of the stream, read from fd already (to tell its compression);
         * NULL: none. */
        const void *head;
        size_t head_len;

        /* For an archive that is not a layer (docker cp): */
        /* Extract under this directory of rootfd (a path inside it, resolved inside it as
         * every entry is); NULL or "": rootfd itself. */
        const char *prefix;
        /* An entry named rebase_from, or under it, is renamed to rebase_to ("a/b" with
         * from "a" and to "x" is "x/b"; from "" puts every entry under to); NULL: none. */
        const char *rebase_from, *rebase_to;
        /* An existing directory is not replaced by a non-directory, nor a non-directory by a
         * directory (Docker's noOverwriteDirNonDir): an error. */
        bool no_replace_dir;
        /* Owners as the process creates them (not root: docker cp out of a container), and
         * xattrs it may not set skipped. */
        bool no_chown;
        /* Every entry owned by uid:gid (docker cp -a into a container with a user). */
        bool force_owner;
        uid_t uid;
        gid_t gid;
} RossUnpackOptions;

typedef struct RossUnpackStats {
        uint64_t bytes;   /* uncompressed tar bytes read */
        uint64_t entries; /* archive entries handled */
        char diff_id[ROSS_DIGEST_LEN + 1];
} RossUnpackStats;

/*
 * Unpack a layer (a tar stream, compressed as opts says, read from fd) into the directory
 * rootfd. Every path is resolved inside rootfd; nothing outside it is ever touched. On
 * error the message names the entry; the tree may hold part of the layer and the caller
 * throws it away.
 */
int ross_unpack_layer(int fd, int rootfd, const RossUnpackOptions *opts, RossUnpackStats *stats,
                      RossError *err);
