/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tree as a tar stream. Each entry is opened with O_PATH | O_NOFOLLOW and what that fd
 * says (fstat) is what gets archived: a regular file is then reopened for reading through
 * /proc/self/fd (the same inode, whatever the name points at by now), a directory through
 * openat(fd, "."), a symlink is read with readlinkat(fd, ""); devices and FIFOs are never
 * opened. So whatever the tree's owner swaps in meanwhile, the walk stays inside the tree.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <jansson.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "pack.h"
#include "resolve.h"

#define DATA_CHUNK (1024 * 1024)

#define OPAQUE_XATTR "trusted.overlay.opaque"
#define WHITEOUT     ".wh."
#define WHITEOUT_OPQ ".wh..wh..opq"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif
#ifndef FUSECTL_SUPER_MAGIC
#define FUSECTL_SUPER_MAGIC 0x65735543
#endif
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

typedef struct Pack {
        struct archive *a;
        struct archive_entry *e;
        const RossPackOptions *o;
        json_t *links; /* "dev:ino" of multiply linked files -> the name first archived */
        RossError sink;
        char *buf;
} Pack;

int ross_pack_write_fd(void *userdata, const void *p, size_t n)
{
        return ross_write_all(*(int *)userdata, p, n);
}

static la_ssize_t out_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
        Pack *p = ud;
        int r = p->o->write(p->o->userdata, buf, n);
        if (r < 0) {
                ross_err(&p->sink, -r, "write the archive");
                archive_set_error(a, -r, "%s", p->sink.msg);
                return -1;
        }
        return (la_ssize_t)n;
}

/* Filesystems whose files are the kernel's, not content: their directory goes in empty. */
static bool pseudo_fs(int fd)
{
        static const unsigned long magic[] = {
                PROC_SUPER_MAGIC,    SYSFS_MAGIC,  CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC,
                DEVPTS_SUPER_MAGIC,  MQUEUE_MAGIC, SECURITYFS_MAGIC,   DEBUGFS_MAGIC,
                TRACEFS_MAGIC,       BPF_FS_MAGIC, PSTOREFS_MAGIC,     CONFIGFS_MAGIC,
                FUSECTL_SUPER_MAGIC,
        };
        struct statfs sf;
        if (fstatfs(fd, &sf) < 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(magic); i++)
                if ((unsigned long)sf.f_type == magic[i])
                        return true;
        return false;
}

static int archive_fail(Pack *p, const char *what, RossError *err)
{
        if (p->sink.code) {
                if (err)
                        *err = p->sink;
                return -p->sink.code;
        }
        int code = archive_errno(p->a) > 0 ? archive_errno(p->a) : EIO;
        return ross_errx(err, code, "%s: %s", what, archive_error_string(p->a));
}

static int add_xattrs(Pack *p, int fd, const char *shown, RossError *err)
{
        char names[64 * 1024]; /* XATTR_LIST_MAX */
        ssize_t n = flistxattr(fd, names, sizeof(names));
        if (n < 0)
                return errno == ENOTSUP ? 0 : ross_err(err, errno, "list xattrs of '%s'", shown);
        for (char *name = names; name < names + n; name += strlen(name) + 1) {
                /* overlayfs's own, and the LSM label of this host */
                if (strncmp(name, "trusted.", 8) == 0 || STREQ(name, "security.selinux"))
                        continue;
                char value[64 * 1024]; /* XATTR_SIZE_MAX */
                ssize_t vl = fgetxattr(fd, name, value, sizeof(value));
                if (vl < 0 && (errno == ENODATA || errno == ENOTSUP))
                        continue;
                if (vl < 0)
                        return ross_err(err, errno, "read xattr '%s' of '%s'", name, shown);
                archive_entry_xattr_add_entry(p->e, name, value, (size_t)vl);
        }
        return 0;
}

static int copy_data(Pack *p, int fd, off_t size, const char *shown, RossError *err)
{
        off_t done = 0;
        while (done < size) {
                size_t want = size - done < DATA_CHUNK ? (size_t)(size - done) : DATA_CHUNK;
                ssize_t n = pread(fd, p->buf, want, done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return ross_err(err, errno, "read '%s'", shown);
                if (n == 0)
                        break; /* it shrank: libarchive pads the entry with zeros */
                if (archive_write_data(p->a, p->buf, (size_t)n) != n)
                        return archive_fail(p, shown, err);
                done += n;
        }
        return 0;
}

static int pack_tree(Pack *p, int pathfd, const char *shown, const char *arch, int depth,
                     RossError *err);

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An empty regular file `name`: an OCI whiteout, owned by root as moby writes them. */
static int write_marker(Pack *p, const char *name, mode_t perm, const struct stat *st,
                        const char *shown, RossError *err)
{
        archive_entry_clear(p->e);
        archive_entry_copy_pathname(p->e, name);
        archive_entry_set_filetype(p->e, AE_IFREG);
        archive_entry_set_perm(p->e, perm);
        archive_entry_set_uid(p->e, p->o->set_owner ? p->o->uid : st->st_uid);
        archive_entry_set_gid(p->e, p->o->set_owner ? p->o->gid : st->st_gid);
        archive_entry_set_mtime(p->e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        archive_entry_set_size(p->e, 0);
        if (archive_write_header(p->a, p->e) < ARCHIVE_WARN)
                return archive_fail(p, shown, err);
        return 0;
}

/* An overlay whiteout (a 0/0 character device) as ".wh.NAME" beside where it was. */
static int write_whiteout(Pack *p, const struct stat *st, const char *shown, const char *arch,
                          RossError *err)
{
        const char *slash = strrchr(arch, '/');
        _cleanup_free_ char *name =
                slash ? xasprintf("%.*s/" WHITEOUT "%s", (int)(slash - arch), arch, slash + 1)
                      : xasprintf(WHITEOUT "%s", arch);
        struct stat owner = *st;
        owner.st_uid = owner.st_gid = 0;
        return write_marker(p, name, 0600, &owner, shown, err);
}

static bool is_opaque(int dfd)
{
        char v[2];
        return fgetxattr(dfd, OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* The length of an archive name without a directory's trailing "/". */
static size_t name_len(const char *arch)
{
        size_t n = strlen(arch);
        while (n && arch[n - 1] == '/')
                n--;
        return n;
}

static bool excluded(const Pack *p, const char *arch)
{
        if (!p->o->exclude)
                return false;
        size_t n = name_len(arch);
        for (const char *const *x = p->o->exclude; *x; x++)
                if (strlen(*x) == n && strncmp(*x, arch, n) == 0)
                        return true;
        return false;
}

/* Whether arch (a directory's with or without its "/") is in the only list. */
static bool listed(const Pack *p, const char *arch)
{
        return json_object_getn(p->o->only, arch, name_len(arch)) != NULL;
}

/* One entry: pathfd is an O_PATH fd of it, st what it is. shown names it in the tree. */
static int pack_one(Pack *p, int pathfd, const struct stat *st, const char *shown, const char *arch,
                    int depth, RossError *err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *name = NULL;
        char target[4096]; /* PATH_MAX: the kernel's limit for a symlink */
        int r;

        if (excluded(p, arch))
                return 0;
        if (p->o->only && !listed(p, arch)) {
                /* not itself a change, but what is below it may be */
                if (!S_ISDIR(st->st_mode))
                        return 0;
                fd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return ross_err(err, errno, "open directory '%s'", shown);
                return pseudo_fs(fd) ? 0 : pack_tree(p, fd, shown, arch, depth + 1, err);
        }
        if (p->o->overlay_whiteouts && S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
                return write_whiteout(p, st, shown, arch, err);
        archive_entry_clear(p->e);
        if (S_ISDIR(st->st_mode) && arch[strlen(arch) - 1] != '/')
                name = xasprintf("%s/", arch);
        else
                name = xstrdup(arch);
        archive_entry_copy_pathname(p->e, name);
        archive_entry_set_perm(p->e, st->st_mode & 07777);
        archive_entry_set_uid(p->e, p->o->set_owner ? p->o->uid : st->st_uid);
        archive_entry_set_gid(p->e, p->o->set_owner ? p->o->gid : st->st_gid);
        archive_entry_set_mtime(p->e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);

        bool regular = S_ISREG(st->st_mode);
        if (regular && st->st_nlink > 1) {
                char key[64];
                snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st->st_dev,
                         (unsigned long long)st->st_ino);
                const char *first = json_string_value(json_object_get(p->links, key));
                if (first) {
                        archive_entry_set_filetype(p->e, AE_IFREG);
                        archive_entry_copy_hardlink(p->e, first);
                        archive_entry_set_size(p->e, 0);
                        if (archive_write_header(p->a, p->e) < ARCHIVE_WARN)
                                return archive_fail(p, shown, err);
                        return 0;
                }
                json_object_set_new(p->links, key, json_string(arch));
        }
        if (regular) {
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
                fd = open(proc, O_RDONLY | O_NOCTTY | O_CLOEXEC);
                if (fd < 0)
                        return ross_err(err, errno, "open '%s'", shown);
                archive_entry_set_filetype(p->e, AE_IFREG);
                archive_entry_set_size(p->e, st->st_size);
        } else if (S_ISDIR(st->st_mode)) {
                fd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return ross_err(err, errno, "open directory '%s'", shown);
                archive_entry_set_filetype(p->e, AE_IFDIR);
        } else if (S_ISLNK(st->st_mode)) {
                ssize_t n = readlinkat(pathfd, "", target, sizeof(target) - 1);
                if (n < 0)
                        return ross_err(err, errno, "read symlink '%s'", shown);
                target[n] = '\0';
                archive_entry_set_filetype(p->e, AE_IFLNK);
                archive_entry_copy_symlink(p->e, target);
        } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode)) {
                archive_entry_set_filetype(p->e, S_ISCHR(st->st_mode)   ? AE_IFCHR
                                                 : S_ISBLK(st->st_mode) ? AE_IFBLK
                                                                        : AE_IFIFO);
                if (!S_ISFIFO(st->st_mode)) {
                        archive_entry_set_rdevmajor(p->e, major(st->st_rdev));
                        archive_entry_set_rdevminor(p->e, minor(st->st_rdev));
                }
        } else
                return 0; /* a socket: not content */
        if (fd >= 0 && !p->o->no_xattrs && (r = add_xattrs(p, fd, shown, err)) < 0)
                return r;
        if (archive_write_header(p->a, p->e) < ARCHIVE_WARN)
                return archive_fail(p, shown, err);
        if (regular)
                return copy_data(p, fd, st->st_size, shown, err);
        if (S_ISDIR(st->st_mode) && p->o->overlay_whiteouts && is_opaque(fd)) {
                /* what the lower layers have here is hidden: moby's marker, then what the
                 * directory holds now */
                _cleanup_free_ char *opq = xasprintf("%s%s", name, WHITEOUT_OPQ);
                if ((r = write_marker(p, opq, st->st_mode & 07777, st, shown, err)) < 0)
                        return r;
        }
        if (S_ISDIR(st->st_mode) && !pseudo_fs(fd))
                return pack_tree(p, fd, shown, arch, depth + 1, err);
        return 0;
}

/* The entries of the open directory dfd, sorted by name (as Go's walk gives them). */
static int pack_tree(Pack *p, int dfd, const char *shown, const char *arch, int depth,
                     RossError *err)
{
        if (depth > ROSS_PATH_MAX_DEPTH + 16)
                return ross_errx(err, ELOOP, "'%s' is nested too deep", shown);
        int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        _cleanup_(closedirp) DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
        if (!d) {
                int e = errno;
                if (dup >= 0)
                        close(dup);
                return ross_err(err, e, "read directory '%s'", shown);
        }
        char **names = NULL;
        size_t n = 0, alloc = 0;
        struct dirent *de;
        int r = 0;
        errno = 0;
        while ((de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                        continue;
                if (n == alloc) {
                        alloc = alloc ? alloc * 2 : 32;
                        names = xrealloc(names, alloc * sizeof(char *));
                }
                names[n++] = xstrdup(de->d_name);
        }
        if (errno)
                r = ross_err(err, errno, "read directory '%s'", shown);
        qsort(names, n, sizeof(char *), cmp_names);
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *child_shown = STREQ(shown, "/")
                                                           ? xasprintf("/%s", names[i])
                                                           : xasprintf("%s/%s", shown, names[i]);
                size_t al = strlen(arch);
                _cleanup_free_ char *child_arch =
                        !al ? xstrdup(names[i])
                            : xasprintf("%s%s%s", arch, arch[al - 1] == '/' ? "" : "/", names[i]);
                _cleanup_close_ int pfd = openat(dfd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (pfd < 0 && errno == ENOENT)
                        continue; /* gone since the directory was read */
                if (pfd < 0 || fstat(pfd, &st) < 0) {
                        r = ross_err(err, errno, "open '%s'", child_shown);
                        break;
                }
                r = pack_one(p, pfd, &st, child_shown, child_arch, depth, err);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

static void pack_done(Pack *p)
{
        if (p->e)
                archive_entry_free(p->e);
        if (p->a)
                archive_write_free(p->a);
        json_decref(p->links);
        free(p->buf);
}

int ross_pack(int dirfd, const char *name, const char *as, const RossPackOptions *o, RossError *err)
{
        _cleanup_(pack_done) Pack p = {.o = o, .links = json_object()};
        struct stat st;
        int r;

        p.a = archive_write_new();
        /* libarchive is loaded on first use (archive-dl.c): this is where that fails */
        if (!p.a || !(p.e = archive_entry_new()))
                return ross_errx(err, ELIBACC, "%s", archive_error_string(NULL));
        p.buf = xmalloc(DATA_CHUNK);
        /* PAX where ustar cannot say it (long names, big files, xattrs, names that are not
         * text: those are written as bytes, hdrcharset=BINARY); no padding of the last block
         * to 10 KiB */
        if (archive_write_set_format_pax_restricted(p.a) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(p.a, 1) != ARCHIVE_OK ||
            archive_write_open(p.a, &p, NULL, out_cb, NULL) != ARCHIVE_OK)
                return archive_fail(&p, "start the archive", err);

        _cleanup_close_ int pfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0 || fstat(pfd, &st) < 0)
                return ross_err(err, errno, "'%s'", name);
        if (!*as) {
                if (!S_ISDIR(st.st_mode))
                        return ross_errx(err, ENOTDIR, "'%s' is not a directory", name);
                _cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return ross_err(err, errno, "open directory '%s'", name);
                r = pack_tree(&p, dfd, "/", "", 0, err);
        } else
                r = pack_one(&p, pfd, &st, STREQ(name, ".") ? "/" : name, as, 0, err);
        if (r < 0)
                return r;
        for (const char *const *w = o->whiteouts; w && *w; w++) {
                struct stat root = {.st_mode = S_IFREG | 0600};
                if (!**w || (r = write_whiteout(&p, &root, *w, *w, err)) < 0)
                        return r < 0 ? r : ross_errx(err, EINVAL, "a whiteout without a name");
        }
        if (archive_write_close(p.a) != ARCHIVE_OK)
                return archive_fail(&p, "end the archive", err);
        return 0;
}
