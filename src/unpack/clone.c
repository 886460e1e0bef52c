/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <jansson.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "../basic/fileio.h"
#include "clone.h"
#include "resolve.h"

typedef struct Clone {
        bool reflink;
        json_t *inodes; /* "dev:ino" of multiply linked files -> path in dst */
        int dst_root;
        RossCloneStats stats;
} Clone;

/* what names the entry in messages: its path in the tree, or the tree's for the root. */
static int copy_xattrs(int sfd, int dfd, const char *spath, const char *dpath, const char *what,
                       RossError *err)
{
        char names[64 * 1024]; /* XATTR_LIST_MAX: the kernel never lists more */
        ssize_t n = sfd >= 0 ? flistxattr(sfd, names, sizeof(names))
                             : llistxattr(spath, names, sizeof(names));
        if (n < 0)
                return errno == ENOTSUP ? 0 : ross_err(err, errno, "list xattrs of '%s'", what);
        for (char *name = names; name < names + n; name += strlen(name) + 1) {
                char value[64 * 1024]; /* XATTR_SIZE_MAX: no value is larger */
                ssize_t vl = sfd >= 0 ? fgetxattr(sfd, name, value, sizeof(value))
                                      : lgetxattr(spath, name, value, sizeof(value));
                if (vl < 0)
                        return ross_err(err, errno, "read xattr '%s' of '%s'", name, what);
                int r = dfd >= 0 ? fsetxattr(dfd, name, value, (size_t)vl, 0)
                                 : lsetxattr(dpath, name, value, (size_t)vl, 0);
                if (r < 0 && errno != ENOTSUP)
                        return ross_err(err, errno, "set xattr '%s' of '%s'", name, what);
        }
        return 0;
}

/* Bytes [from, to) of sfd to the same place in dfd. copy_file_range lets the kernel pick
 * (it may share extents on XFS and btrfs); without reflinks the bytes really are copied. */
static int copy_range(Clone *c, int sfd, int dfd, off_t from, off_t to, const char *what,
                      RossError *err)
{
        off_t in = from, out = from;
        if (c->reflink) {
                while (in < to) {
                        ssize_t n = copy_file_range(sfd, &in, dfd, &out, (size_t)(to - in), 0);
                        if (n < 0) {
                                if (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP)
                                        break; /* fall back to read and write */
                                return ross_err(err, errno, "copy data of '%s'", what);
                        }
                        if (n == 0)
                                return 0;
                }
                if (in >= to)
                        return 0;
        }
        char buf[128 * 1024];
        while (in < to) {
                size_t want = (size_t)(to - in) < sizeof(buf) ? (size_t)(to - in) : sizeof(buf);
                ssize_t n = pread(sfd, buf, want, in);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return ross_err(err, errno, "read data of '%s'", what);
                if (n == 0)
                        break;
                if (pwrite(dfd, buf, (size_t)n, in) != n)
                        return ross_err(err, errno ? errno : EIO, "write data of '%s'", what);
                in += n;
        }
        return 0;
}

/* Data: a reflink if we can, else a copy that keeps holes. */
static int copy_data(Clone *c, int sfd, int dfd, off_t size, const char *what, RossError *err)
{
        if (c->reflink && ioctl(dfd, FICLONE, sfd) == 0) {
                c->stats.reflinked++;
                return 0;
        }
        off_t pos = 0;
        while (pos < size) {
                off_t data = lseek(sfd, pos, SEEK_DATA);
                if (data < 0) {
                        if (errno == ENXIO)
                                break; /* only a hole is left */
                        data = pos;    /* no SEEK_DATA: copy everything */
                }
                off_t hole = lseek(sfd, data, SEEK_HOLE);
                if (hole < 0)
                        hole = size;
                int r = copy_range(c, sfd, dfd, data, hole, what, err);
                if (r < 0)
                        return r;
                pos = hole;
        }
        if (ftruncate(dfd, size) < 0)
                return ross_err(err, errno, "set size of '%s'", what);
        c->stats.copied++;
        return 0;
}

static int set_meta(int dfd, int dparent, const char *name, const struct stat *st, bool link,
                    const char *what, RossError *err)
{
        int r = dfd >= 0 ? fchown(dfd, st->st_uid, st->st_gid)
                         : fchownat(dparent, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return ross_err(err, errno, "set owner of '%s'", what);
        if (!link && (dfd >= 0 ? fchmod(dfd, st->st_mode & 07777)
                               : fchmodat(dparent, name, st->st_mode & 07777, 0)) < 0)
                return ross_err(err, errno, "set mode of '%s'", what);
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        r = dfd >= 0 ? futimens(dfd, ts) : utimensat(dparent, name, ts, AT_SYMLINK_NOFOLLOW);
        return r < 0 ? ross_err(err, errno, "set times of '%s'", what) : 0;
}

static int clone_dir(Clone *c, int sdir, int ddir, const char *rel, int depth, RossError *err);

static int clone_entry(Clone *c, int sdir, int ddir, const char *rel, const char *name, int depth,
                       RossError *err)
{
        struct stat st;
        _cleanup_free_ char *path = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
        int r;

        if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return ross_err(err, errno, "stat '%s'", path);

        if (S_ISDIR(st.st_mode)) {
                if (depth > ROSS_PATH_MAX_DEPTH + 16)
                        return ross_errx(err, ELOOP, "'%s' is nested too deep", path);
                if (mkdirat(ddir, name, 0700) < 0)
                        return ross_err(err, errno, "create '%s'", path);
                _cleanup_close_ int s =
                        openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0)
                        return ross_err(err, errno, "open '%s'", path);
                _cleanup_close_ int d =
                        openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (d < 0)
                        return ross_err(err, errno, "open the copy of '%s'", path);
                r = clone_dir(c, s, d, path, depth + 1, err);
                if (r < 0)
                        return r;
                r = copy_xattrs(s, d, NULL, NULL, path, err);
                return r < 0 ? r : set_meta(d, -EBADF, NULL, &st, false, path, err);
        }
        if (S_ISREG(st.st_mode)) {
                char key[64];
                snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st.st_dev,
                         (unsigned long long)st.st_ino);
                if (st.st_nlink > 1) {
                        const char *first = json_string_value(json_object_get(c->inodes, key));
                        if (first) {
                                if (linkat(c->dst_root, first, ddir, name, 0) < 0)
                                        return ross_err(err, errno, "link '%s' to '%s'", path,
                                                        first);
                                return 0;
                        }
                }
                _cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0)
                        return ross_err(err, errno, "open '%s'", path);
                _cleanup_close_ int d = openat(
                        ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (d < 0)
                        return ross_err(err, errno, "create '%s'", path);
                c->stats.files++;
                c->stats.bytes += (uint64_t)st.st_size;
                r = copy_data(c, s, d, st.st_size, path, err);
                if (r < 0)
                        return r;
                if (st.st_nlink > 1)
                        json_object_set_new(c->inodes, key, json_string(path));
                /* owner first: chown clears setuid and file capabilities */
                r = set_meta(d, -EBADF, NULL, &st, false, path, err);
                if (r == 0)
                        r = copy_xattrs(s, d, NULL, NULL, path, err);
                if (r == 0) {
                        struct timespec ts[2] = {st.st_atim, st.st_mtim};
                        if (futimens(d, ts) < 0)
                                r = ross_err(err, errno, "set times of '%s'", path);
                }
                return r;
        }
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX]; /* the kernel's limit for a symlink */
                ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
                if (n < 0)
                        return ross_err(err, errno, "read link '%s'", path);
                target[n] = '\0';
                if (symlinkat(target, ddir, name) < 0)
                        return ross_err(err, errno, "create link '%s'", path);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
                if (mknodat(ddir, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
                        return ross_err(err, errno, "create node '%s'", path);
        } else
                return 0; /* sockets */
        bool link = S_ISLNK(st.st_mode);
        r = set_meta(-EBADF, ddir, name, &st, link, path, err);
        if (r == 0) {
                /* no fd for a symlink or a node: its xattrs go by name, not following it */
                _cleanup_free_ char *sproc = xasprintf("/proc/self/fd/%d/%s", sdir, name);
                _cleanup_free_ char *dproc = xasprintf("/proc/self/fd/%d/%s", ddir, name);
                r = copy_xattrs(-EBADF, -EBADF, sproc, dproc, path, err);
        }
        if (r == 0) {
                struct timespec ts[2] = {st.st_atim, st.st_mtim};
                if (utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        r = ross_err(err, errno, "set times of '%s'", path);
        }
        return r;
}

static int clone_dir(Clone *c, int sdir, int ddir, const char *rel, int depth, RossError *err)
{
        int fd = fcntl(sdir, F_DUPFD_CLOEXEC, 3);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        int r = 0;
        if (!d) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                return ross_err(err, e, "read directory '%s'", *rel ? rel : ".");
        }
        while ((de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                        continue;
                r = clone_entry(c, sdir, ddir, rel, de->d_name, depth, err);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

int ross_tree_clone(const char *src, const char *dst, bool allow_reflink, RossCloneStats *stats,
                    RossError *err)
{
        _cleanup_(json_decrefp) json_t *inodes = json_object();
        Clone c = {.reflink = allow_reflink, .inodes = inodes};
        struct stat st;
        int r;

        _cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s < 0 || fstat(s, &st) < 0)
                return ross_err(err, errno, "open '%s'", src);
        if (mkdir(dst, 0700) < 0)
                return ross_err(err, errno, "create '%s'", dst);
        _cleanup_close_ int d = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0)
                return ross_err(err, errno, "open '%s'", dst);
        c.dst_root = d;
        r = clone_dir(&c, s, d, "", 0, err);
        if (r == 0)
                r = copy_xattrs(s, d, NULL, NULL, dst, err);
        if (r == 0)
                r = set_meta(d, -EBADF, NULL, &st, false, dst, err);
        if (r == 0 && stats)
                *stats = c.stats;
        return r;
}
