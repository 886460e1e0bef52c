/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the layer walk and the whiteout logic. Each input is unpacked as a layer
 * into an empty directory (overlay whiteouts), then applied onto a tree that already holds
 * files (flat whiteouts), under a scratch directory in /dev/shm (a tmpfs). A canary file
 * beside the target must survive: anything written or removed outside the target aborts.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "unpack/extract.h"
#include "unpack/rootfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *scratch;

static void cleanup(void)
{
        if (scratch)
                ross_rm_rf(scratch);
}

static void setup(void)
{
        char tmpl[] = "/dev/shm/ross-fuzz-tar-XXXXXX";
        char *d = mkdtemp(tmpl);
        if (!d) {
                char tmpl2[] = "/tmp/ross-fuzz-tar-XXXXXX";
                d = mkdtemp(tmpl2);
        }
        if (!d)
                abort();
        scratch = xstrdup(d);
        atexit(cleanup);
}

static void write_file(const char *path, const char *text)
{
        if (ross_write_file_atomic(path, text, strlen(text), 0644, NULL) < 0)
                abort();
}

static void check_canary(void)
{
        _cleanup_free_ char *p = xasprintf("%s/canary", scratch);
        _cleanup_free_ char *text = NULL;
        if (ross_read_file(p, 64, &text, NULL, NULL) < 0 || !STREQ(text, "alive"))
                abort(); /* something outside the target changed */
        _cleanup_free_ char *outside = xasprintf("%s/outside", scratch);
        struct stat st;
        if (lstat(outside, &st) == 0)
                abort();
}

static void unpack_into(int memfd, const char *dir, RossWhiteoutMode mode)
{
        /* a reserve no filesystem falls under: the free-space checks run on every input */
        RossUnpackOptions o = {
                .whiteouts = mode,
                .max_bytes = 4 * 1024 * 1024,
                .reserve = {.bytes = 1},
        };
        _cleanup_close_ int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                abort();
        if (ross_layer_detect_compression(memfd, &o.compression) < 0)
                abort();
        lseek(memfd, 0, SEEK_SET);
        _cleanup_close_ int fd = fcntl(memfd, F_DUPFD_CLOEXEC, 3);
        (void)ross_unpack_layer(fd, root, &o, NULL, NULL);
        check_canary();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!scratch)
                setup();
        _cleanup_free_ char *canary = xasprintf("%s/canary", scratch);
        _cleanup_free_ char *snap = xasprintf("%s/t/snapshot", scratch);
        _cleanup_free_ char *flat = xasprintf("%s/t/flat", scratch);
        _cleanup_free_ char *tree = xasprintf("%s/t", scratch);
        write_file(canary, "alive");

        if (ross_mkdir_p(snap, 0755, NULL) < 0 || ross_mkdir_p(flat, 0755, NULL) < 0)
                abort();
        /* a lower layer for the whiteouts to act on */
        _cleanup_free_ char *lower = xasprintf("%s/etc", flat);
        _cleanup_free_ char *passwd = xasprintf("%s/etc/passwd", flat);
        (void)ross_mkdir_p(lower, 0755, NULL);
        write_file(passwd, "root:x:0:0::/root:/bin/sh\n");

        int memfd = memfd_create("layer", MFD_CLOEXEC);
        if (memfd < 0 || ross_write_all(memfd, data, size) < 0)
                abort();
        unpack_into(memfd, snap, ROSS_WHITEOUT_OVERLAY);
        unpack_into(memfd, flat, ROSS_WHITEOUT_APPLY);
        close(memfd);
        ross_rm_rf(tree);
        return 0;
}
