/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../basic/err.h"

/*
 * The free-space reserve (--min-free-space): what a pull or a flat rootfs merge must leave
 * free on the filesystem it writes to, so a decompression bomb or a huge image fails with a
 * clear error instead of filling the disk.
 */
typedef struct RossSpaceReserve {
        uint64_t bytes;   /* keep at least this many bytes free */
        unsigned percent; /* and at least this share of the filesystem's size (0-100) */
} RossSpaceReserve;

/* The default: the larger of 1 GiB and 5 % of the filesystem. {0, 0} disables the check. */
#define ROSS_SPACE_RESERVE_DEFAULT ((RossSpaceReserve){.bytes = 1ULL << 30, .percent = 5})

/* Check the free space again after this many bytes were written. */
#define ROSS_SPACE_CHECK_EVERY (4ULL * 1024 * 1024)

/*
 * Parse "SIZE" (bytes, with an optional binary suffix k, M, G or T, either case, and an
 * optional "B" or "iB" after it) or "N%" (0-100). "0" disables the check. Returns 0,
 * -EINVAL for something else, -ERANGE for a size that does not fit or a share above 100 %;
 * *ret is left alone on failure.
 */
int ross_space_parse(const char *s, RossSpaceReserve *ret);

/* Show a reserve as it would be given ("1.0 GiB or 5 %", "64.0 MiB", "10 %", "none"). */
void ross_space_format_reserve(const RossSpaceReserve *r, char *buf, size_t n);

/* Binary units with one decimal: "512 B", "1.5 KiB", "20.0 GiB". */
void ross_space_format_bytes(uint64_t bytes, char *buf, size_t n);

/* The reserve in bytes for a filesystem of fs_size bytes: the larger of both parts. */
uint64_t ross_space_reserve_for(const RossSpaceReserve *r, uint64_t fs_size);

/* The reserve in bytes for the filesystem fd is on (fstatvfs). */
int ross_space_reserve_bytes(const RossSpaceReserve *r, int fd, uint64_t *ret, RossError *err);

/*
 * Fail with -ENOSPC and a message naming the reserve if writing about_to_write more bytes
 * to the filesystem fd is on would leave less than reserve bytes available (to unprivileged
 * users, as df shows it). reserve 0: always fine.
 */
int ross_space_check(int fd, uint64_t reserve, uint64_t about_to_write, RossError *err);

/*
 * A writer's running check: call ross_space_guard_write() before writing n bytes (bytes
 * actually written: holes cost nothing). It checks the free space at the first write and
 * then once per ROSS_SPACE_CHECK_EVERY bytes, each time asking for room for the whole
 * interval, so free space never falls under the reserve between two checks.
 */
typedef struct RossSpaceGuard {
        uint64_t reserve;   /* bytes; 0: no check */
        uint64_t unchecked; /* written since the last check */
        bool checked;       /* a first check was made */
} RossSpaceGuard;

int ross_space_guard_write(RossSpaceGuard *g, int fd, uint64_t n, RossError *err);
