/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include "../basic/fileio.h"
#include "resolve.h"
#include "rootfs.h"

RossLayerCompression ross_layer_compression_of(const void *head, size_t n)
{
        const unsigned char *m = head;
        if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
                return ROSS_LAYER_GZIP;
        if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                return ROSS_LAYER_ZSTD;
        return ROSS_LAYER_TAR;
}

int ross_layer_detect_compression(int fd, RossLayerCompression *ret)
{
        unsigned char m[4] = {0};
        ssize_t n = pread(fd, m, sizeof(m), 0);
        if (n < 0)
                return -errno;
        *ret = ross_layer_compression_of(m, (size_t)n);
        return 0;
}

int ross_rootfs_extract_layer(int rootfd, const RossRootfsLayer *layer, uint64_t max_bytes,
                              const RossSpaceReserve *reserve, RossError *err)
{
        _cleanup_close_ int fd = open(layer->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return ross_err(err, errno, "open layer '%s'", layer->path);
        RossUnpackOptions o = {
                .whiteouts = ROSS_WHITEOUT_APPLY,
                .compression = layer->compression,
                .max_bytes = max_bytes,
                .expected_diff_id = layer->diff_id,
                .reserve = reserve ? *reserve : (RossSpaceReserve){0},
        };
        return ross_unpack_layer(fd, rootfd, &o, NULL, err);
}

static const struct {
        const char *path;
        mode_t mode;
} essential[] = {
        {"dev", 0755}, {"proc", 0555}, {"sys", 0555},      {"tmp", 01777}, {"run", 0755},
        {"etc", 0755}, {"var", 0755},  {"var/tmp", 01777}, {"root", 0700},
};

int ross_rootfs_ensure_essential_dirs(int rootfd, RossError *err)
{
        for (size_t i = 0; i < ELEMENTSOF(essential); i++) {
                _cleanup_free_ char *parent = NULL;
                const char *base;
                struct stat st;
                ross_path_split(essential[i].path, &parent, &base);
                _cleanup_close_ int pfd = ross_resolve_dir(rootfd, parent, ROSS_RESOLVE_MKDIR, err);
                if (pfd < 0)
                        return ross_err_prefix(err, "essential directory /%s", essential[i].path);
                /* Whatever the image has there (a symlink /var/run, say) is its business. */
                if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        continue;
                if (mkdirat(pfd, base, essential[i].mode) < 0 && errno != EEXIST)
                        return ross_err(err, errno, "create /%s", essential[i].path);
                /* mkdir is subject to the umask; the sticky bit needs setting explicitly */
                if (fchmodat(pfd, base, essential[i].mode, AT_SYMLINK_NOFOLLOW) < 0 &&
                    errno != EOPNOTSUPP && fchmodat(pfd, base, essential[i].mode, 0) < 0)
                        return ross_err(err, errno, "set mode of /%s", essential[i].path);
        }
        return 0;
}

/* mkdir -p dir and open it. */
static int open_root(const char *dir, RossError *err)
{
        int r = ross_mkdir_p(dir, 0755, err);
        if (r < 0)
                return r;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? ross_err(err, errno, "open '%s'", dir) : fd;
}

int ross_rootfs_prepare(const char *dir, const RossRootfsLayer *layers, size_t n,
                        uint64_t max_bytes, const RossSpaceReserve *reserve, RossError *err)
{
        int r;
        _cleanup_close_ int rootfd = open_root(dir, err);
        if (rootfd < 0)
                return rootfd;
        for (size_t i = 0; i < n; i++) {
                r = ross_rootfs_extract_layer(rootfd, &layers[i], max_bytes, reserve, err);
                if (r < 0)
                        return ross_err_prefix(err, "layer %zu (%s)", i + 1,
                                               layers[i].diff_id ? layers[i].diff_id
                                                                 : layers[i].path);
        }
        return ross_rootfs_ensure_essential_dirs(rootfd, err);
}

int ross_rootfs_create_minimal(const char *dir, const char *busybox, RossError *err)
{
        static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
        static const char group[] = "root:x:0:\nnogroup:x:65534:\n";
        _cleanup_close_ int rootfd = open_root(dir, err);
        if (rootfd < 0)
                return rootfd;
        int r = ross_rootfs_ensure_essential_dirs(rootfd, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *pw = xasprintf("%s/etc/passwd", dir);
        _cleanup_free_ char *gr = xasprintf("%s/etc/group", dir);
        if ((r = ross_write_file_atomic(pw, passwd, sizeof(passwd) - 1, 0644, err)) < 0 ||
            (r = ross_write_file_atomic(gr, group, sizeof(group) - 1, 0644, err)) < 0)
                return r;
        if (!busybox)
                return 0;

        _cleanup_free_ char *data = NULL;
        size_t len;
        r = ross_read_file(busybox, 64 * 1024 * 1024, &data, &len, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *bindir = xasprintf("%s/bin", dir);
        _cleanup_free_ char *bb = xasprintf("%s/bin/busybox", dir);
        _cleanup_free_ char *sh = xasprintf("%s/bin/sh", dir);
        if ((r = ross_mkdir_p(bindir, 0755, err)) < 0 ||
            (r = ross_write_file_atomic(bb, data, len, 0755, err)) < 0)
                return r;
        if (symlink("busybox", sh) < 0 && errno != EEXIST)
                return ross_err(err, errno, "create '%s'", sh);
        return 0;
}
