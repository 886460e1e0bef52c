/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "../basic/err.h"
#include "../registry/manifest.h"

/*
 * A layer blob as a stream of uncompressed bytes: gzip (ISA-L's inflate, several times
 * faster than zlib; concatenated members allowed), zstd (libzstd, window capped at 128 MiB)
 * or plain tar.
 */
typedef struct RossDecomp RossDecomp;

/* fd stays the caller's. */
int ross_decomp_open(int fd, RossLayerCompression c, RossDecomp **ret, RossError *err);
/* The same for a stream whose first n bytes (at most 256 KiB) were read already, into head:
 * a pipe that was looked at to tell its compression. */
int ross_decomp_open_prefixed(int fd, RossLayerCompression c, const void *head, size_t n,
                              RossDecomp **ret, RossError *err);
/* Up to n bytes into buf; 0 at the end of the stream. Errors say what is wrong with it. */
ssize_t ross_decomp_read(RossDecomp *d, void *buf, size_t n, RossError *err);
/* Compressed bytes consumed so far. */
uint64_t ross_decomp_consumed(RossDecomp *d);
void ross_decomp_free(RossDecomp *d);
