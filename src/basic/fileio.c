/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "fileio.h"

int ross_mkdir_p(const char *path, mode_t mode, RossError *err)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return ross_err(err, errno, "create directory '%s'", p);
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return ross_err(err, errno, "create directory '%s'", p);
        return 0;
}

int ross_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

void ross_random_hex(char *out, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        unsigned char b[64];

        if (n > sizeof(b))
                n = sizeof(b);
        if (getrandom(b, n, 0) != (ssize_t)n) {
                for (size_t i = 0; i < n; i++)
                        b[i] = (unsigned char)random();
        }
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = hex[b[i] >> 4];
                out[2 * i + 1] = hex[b[i] & 15];
        }
        out[2 * n] = '\0';
}

int ross_fsync_dir(const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

static int write_file(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                      RossError *err)
{
        char rnd[17];
        ross_random_hex(rnd, 8);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%s", path, rnd);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        int r;

        if (fd < 0)
                return ross_err(err, errno, "create '%s'", tmp);
        r = ross_write_all(fd, data, len);
        if (r == 0 && durable && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return ross_err(err, r, "write '%s'", path);
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                unlink(tmp);
                return ross_err(err, r, "rename into '%s'", path);
        }
        if (!durable)
                return 0;
        _cleanup_free_ char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                (void)ross_fsync_dir(dir);
        }
        return 0;
}

int ross_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           RossError *err)
{
        return write_file(path, data, len, mode, true, err);
}

int ross_write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                            RossError *err)
{
        return write_file(path, data, len, mode, false, err);
}

int ross_read_file(const char *path, size_t max, char **ret, size_t *ret_len, RossError *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return ross_err(err, errno, "open '%s'", path);
        if (fstat(fd, &st) < 0)
                return ross_err(err, errno, "stat '%s'", path);
        if (!S_ISREG(st.st_mode))
                return ross_errx(err, EINVAL, "'%s' is not a regular file", path);
        if ((uint64_t)st.st_size > max)
                return ross_errx(err, EFBIG, "'%s' is larger than %zu bytes", path, max);

        /* Read to the end, whatever the size said: files of /proc and /sys say 0 (and a
         * file may grow while it is read); the size is only where the buffer starts. */
        size_t alloc = (size_t)st.st_size + 1 > 4096 ? (size_t)st.st_size + 1 : 4096;
        if (alloc > max + 1)
                alloc = max + 1;
        _cleanup_free_ char *data = xmalloc(alloc + 1);
        size_t got = 0;
        for (;;) {
                if (got == alloc) {
                        if (alloc > max)
                                return ross_errx(err, EFBIG, "'%s' is larger than %zu bytes", path,
                                                 max);
                        alloc = alloc > max / 2 ? max + 1 : alloc * 2;
                        data = xrealloc(data, alloc + 1);
                }
                ssize_t n = read(fd, data + got, alloc - got);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return ross_err(err, errno, "read '%s'", path);
                }
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        if (got > max)
                return ross_errx(err, EFBIG, "'%s' is larger than %zu bytes", path, max);
        data[got] = '\0';
        if (ret_len)
                *ret_len = got;
        *ret = TAKE_PTR(data);
        return 0;
}

static int rm_rf_at(int dfd, const char *name)
{
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;

        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                        continue;
                int q = rm_rf_at(dirfd(d), de->d_name);
                if (q < 0 && r == 0)
                        r = q;
        }
        closedir(d);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

int ross_rm_rf(const char *path)
{
        return rm_rf_at(AT_FDCWD, path);
}

int ross_rm_rf_at(int dfd, const char *name)
{
        return rm_rf_at(dfd, name);
}
