/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layer extraction, after systemd's tar_x: every entry is placed through a directory fd
 * resolved inside the target (never a host path), files are written to a temporary name
 * and renamed into place (so an existing symlink is replaced, never followed), and
 * directory owners, modes, times and xattrs are applied after their contents.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "../basic/fileio.h"
#include "../basic/buf.h"
#include "../basic/log.h"
#include "../store/digest.h"
#include "../store/space.h"
#include "decompress.h"
#include "extract.h"
#include "resolve.h"

#define CHUNK           (1024 * 1024) /* one slot of the pipe between the two threads */
#define SLOTS           4
#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER   ".wh..wh..opq"
#define OVERLAY_OPAQUE  "trusted.overlay.opaque"
/* Zero bytes in a file's data are not written (the file is new: they read back as zeros);
 * data is looked at in pieces of HOLE_BLOCK, aligned in the file, as cp --sparse does. */
#define HOLE_BLOCK 4096
/* What an entry costs on disk besides its data (an inode, a directory block), about: it
 * makes a layer of many small entries check the free space as often as one of big files. */
#define ENTRY_COST 4096

typedef struct Xattr {
        char *name;
        void *value;
        size_t size;
} Xattr;

typedef struct Meta {
        uid_t uid;
        gid_t gid;
        bool no_chown; /* leave the owner as created (and xattrs it may not set) */
        mode_t mode;
        struct timespec mtime;
        Xattr *xattrs;
        size_t n_xattrs;
} Meta;

typedef struct DirMeta {
        char *path;
        Meta meta;
} DirMeta;

/*
 * Decompression (and the diff id hash) runs in a thread of its own, ahead of the tar walk,
 * through a ring of SLOTS chunks: inflating and creating files overlap.
 */
typedef struct Pipe {
        pthread_mutex_t lock;
        pthread_cond_t changed;
        char *buf[SLOTS];
        size_t len[SLOTS];
        size_t head, count; /* filled slots: head .. head+count-1 */
        bool eof, stop, reader_holds;
        RossError err; /* the producer's failure, code 0 if none */
        RossDecomp *d;
        RossHash *hash;
        uint64_t bytes, max;
        const RossUnpackOptions *o;
} Pipe;

typedef struct Unpack {
        int rootfd;
        const RossUnpackOptions *o;
        struct archive *inner; /* the tar reader, fed from the pipe */
        Pipe pipe;
        pthread_t producer;
        bool producer_started;

        json_t *layer; /* paths this layer created: "f" file-like, "d" dir, "l" symlink */
        DirMeta *dirs;
        size_t n_dirs, alloc_dirs;

        char *rebase_from, *rebase_to; /* cleaned opts->rebase_*, or NULL */
        char *prefix;                  /* cleaned opts->prefix ("" for none) */

        char *cached_parent; /* parent dir of the last regular file, and its fd */
        int cached_fd;
        uint64_t entries;
        RossSpaceGuard space; /* the free-space reserve of rootfd's filesystem */
} Unpack;

static void meta_free(Meta *m)
{
        for (size_t i = 0; i < m->n_xattrs; i++) {
                free(m->xattrs[i].name);
                free(m->xattrs[i].value);
        }
        free(m->xattrs);
        memset(m, 0, sizeof(*m));
}

static void cache_drop(Unpack *u)
{
        if (u->cached_fd >= 0)
                close(u->cached_fd);
        u->cached_fd = -EBADF;
        free(u->cached_parent);
        u->cached_parent = NULL;
}

/* Entry names are bytes from a hostile archive: show them with escapes, shortened. */
static char *printable(const char *s)
{
        RossBuf b = {};
        for (const unsigned char *p = (const unsigned char *)s; *p && b.len < 240; p++) {
                if (*p < 0x20 || *p >= 0x7f || *p == '\\')
                        ross_buf_printf(&b, "\\x%02x", *p);
                else
                        ross_buf_append(&b, p, 1);
        }
        if (strlen(s) > 240)
                ross_buf_append(&b, "...", 3);
        return ross_buf_steal(&b);
}

static void *produce(void *ud)
{
        Pipe *p = ud;
        uint64_t chunks = 0;
        for (;;) {
                pthread_mutex_lock(&p->lock);
                while (p->count == SLOTS && !p->stop)
                        pthread_cond_wait(&p->changed, &p->lock);
                if (p->stop) {
                        pthread_mutex_unlock(&p->lock);
                        return NULL;
                }
                size_t slot = (p->head + p->count) % SLOTS;
                pthread_mutex_unlock(&p->lock);

                RossError e = {};
                size_t got = 0;
                ssize_t n = 1;
                /* fill the slot: fewer, larger hand-overs */
                while (got < CHUNK && n > 0) {
                        n = ross_decomp_read(p->d, p->buf[slot] + got, CHUNK - got, &e);
                        if (n > 0)
                                got += (size_t)n;
                }
                if (got > 0) {
                        p->bytes += got;
                        ross_hash_update(p->hash, p->buf[slot], got);
                }
                if (p->o->progress && (chunks++ % 4) == 0)
                        p->o->progress(p->o->userdata, ross_decomp_consumed(p->d));

                pthread_mutex_lock(&p->lock);
                if (n < 0)
                        p->err = e;
                else if (p->bytes > p->max)
                        ross_errx(&p->err, EFBIG, "layer is larger than %llu bytes uncompressed",
                                  (unsigned long long)p->max);
                if (got > 0 && !p->err.code) {
                        p->len[slot] = got;
                        p->count++;
                }
                if (n == 0 && !p->err.code)
                        p->eof = true;
                bool done = p->eof || p->err.code;
                pthread_cond_broadcast(&p->changed);
                pthread_mutex_unlock(&p->lock);
                if (done)
                        return NULL;
        }
}

/* The tar reader's input: the next chunk the producer made. */
static la_ssize_t read_cb(struct archive *a, void *ud, const void **ret)
{
        Pipe *p = ud;
        pthread_mutex_lock(&p->lock);
        if (p->reader_holds) {
                /* libarchive is done with the chunk it had */
                p->head = (p->head + 1) % SLOTS;
                p->count--;
                p->reader_holds = false;
                pthread_cond_broadcast(&p->changed);
        }
        while (p->count == 0 && !p->eof && !p->err.code)
                pthread_cond_wait(&p->changed, &p->lock);
        if (p->count > 0) {
                *ret = p->buf[p->head];
                la_ssize_t n = (la_ssize_t)p->len[p->head];
                p->reader_holds = true;
                pthread_mutex_unlock(&p->lock);
                return n;
        }
        la_ssize_t r = 0;
        if (p->err.code) {
                archive_set_error(a, p->err.code, "%s", p->err.msg);
                r = -1;
        }
        pthread_mutex_unlock(&p->lock);
        return r;
}

static void pipe_stop(Unpack *u)
{
        if (!u->producer_started)
                return;
        pthread_mutex_lock(&u->pipe.lock);
        u->pipe.stop = true;
        pthread_cond_broadcast(&u->pipe.changed);
        pthread_mutex_unlock(&u->pipe.lock);
        pthread_join(u->producer, NULL);
        u->producer_started = false;
}

static void read_meta(const RossUnpackOptions *o, struct archive_entry *e, Meta *m)
{
        const char *name;
        const void *value;
        size_t size;

        memset(m, 0, sizeof(*m));
        m->uid = (uid_t)archive_entry_uid(e);
        m->gid = (gid_t)archive_entry_gid(e);
        m->mode = archive_entry_perm(e) & 07777;
        m->mtime.tv_sec = archive_entry_mtime(e);
        m->mtime.tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
        if (o->no_chown)
                m->no_chown = true;
        else if (o->force_owner) {
                m->uid = o->uid;
                m->gid = o->gid;
        }
        if (archive_entry_xattr_reset(e) == 0)
                return;
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                /* A layer never gets to set overlayfs's own attributes (opaque, redirect,
                 * metacopy): those would let it reach into other layers. */
                if (strncmp(name, "trusted.overlay.", 16) == 0)
                        continue;
                m->xattrs = xrealloc(m->xattrs, (m->n_xattrs + 1) * sizeof(Xattr));
                Xattr *x = &m->xattrs[m->n_xattrs++];
                x->name = xstrdup(name);
                x->value = xmalloc(size ? size : 1);
                memcpy(x->value, value, size);
                x->size = size;
        }
}

/* Owner, xattrs, mode, times: the order matters (chown clears setuid bits and file
 * capabilities). fd >= 0: through the fd; else the name in pfd, not following symlinks. */
static int apply_meta(int fd, int pfd, const char *name, const Meta *m, bool is_symlink,
                      RossError *err)
{
        char proc[64];
        int r;

        if (fd < 0)
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d/", pfd);
        if (m->no_chown)
                r = 0;
        else
                r = fd >= 0 ? fchown(fd, m->uid, m->gid)
                            : fchownat(pfd, name, m->uid, m->gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return ross_err(err, errno, "set owner %u:%u", m->uid, m->gid);
        if (!is_symlink) {
                r = fd >= 0 ? fchmod(fd, m->mode) : fchmodat(pfd, name, m->mode, 0);
                if (r < 0)
                        return ross_err(err, errno, "set mode %04o", m->mode);
        }
        for (size_t i = 0; i < m->n_xattrs; i++) {
                const Xattr *x = &m->xattrs[i];
                if (fd >= 0)
                        r = fsetxattr(fd, x->name, x->value, x->size, 0);
                else {
                        _cleanup_free_ char *p = xasprintf("%s%s", proc, name);
                        r = lsetxattr(p, x->name, x->value, x->size, 0);
                }
                if (r < 0 &&
                    (errno == ENOTSUP || ((is_symlink || m->no_chown) && errno == EPERM))) {
                        log_debug("unpack: xattr %s not supported here, skipped", x->name);
                        continue;
                }
                if (r < 0)
                        return ross_err(err, errno, "set xattr '%s'", x->name);
        }
        struct timespec ts[2] = {m->mtime, m->mtime};
        r = fd >= 0 ? futimens(fd, ts) : utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return ross_err(err, errno, "set times");
        return 0;
}

static void tmp_name(char *buf, size_t n)
{
        char rnd[17];
        ross_random_hex(rnd, 8);
        snprintf(buf, n, ".ross-tmp-%s", rnd);
}

/* Move tmp over name in pfd, replacing whatever is there (a directory too). */
static int place(int pfd, const char *tmp, const char *name, RossError *err)
{
        if (renameat(pfd, tmp, pfd, name) == 0)
                return 0;
        if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) {
                int r = ross_rm_rf_at(pfd, name);
                if (r < 0) {
                        unlinkat(pfd, tmp, 0);
                        return ross_err(err, r, "remove what was there");
                }
                if (renameat(pfd, tmp, pfd, name) == 0)
                        return 0;
        }
        int r = ross_err(err, errno, "move into place");
        unlinkat(pfd, tmp, 0);
        return r;
}

static int parent_fd(Unpack *u, const char *parent, unsigned flags, bool cacheable, RossError *err)
{
        if (cacheable && u->cached_parent && STREQ(u->cached_parent, parent))
                return fcntl(u->cached_fd, F_DUPFD_CLOEXEC, 3);
        cache_drop(u);
        int fd = ross_resolve_dir(u->rootfd, parent, flags, err);
        if (fd >= 0 && cacheable) {
                u->cached_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                u->cached_parent = xstrdup(parent);
        }
        return fd;
}

static void remember(Unpack *u, const char *path, const char *kind)
{
        json_object_set_new(u->layer, path, json_string(kind));
}

static bool all_zero(const char *p, size_t n)
{
        /* p[0] is 0 and every byte equals the next: all 0 (memcmp is the fast loop here) */
        return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/*
 * Write a block of a new file's data at offset, leaving out every piece (HOLE_BLOCK-aligned
 * in the file) that is all zeros: the file was just created, so what is not written reads
 * back as zeros, and a file of zeros costs no disk. Only bytes written count against the
 * free-space reserve.
 */
static int write_data(Unpack *u, int fd, const char *p, size_t size, uint64_t offset,
                      RossError *err)
{
        while (size > 0) {
                size_t piece = HOLE_BLOCK - (size_t)(offset % HOLE_BLOCK);
                if (piece > size)
                        piece = size;
                if (all_zero(p, piece)) {
                        p += piece;
                        size -= piece;
                        offset += piece;
                        continue;
                }
                /* a run of data: the pieces up to the next one of zeros */
                size_t run = piece;
                while (run < size) {
                        size_t next = size - run < HOLE_BLOCK ? size - run : HOLE_BLOCK;
                        if (all_zero(p + run, next))
                                break;
                        run += next;
                }
                int r = ross_space_guard_write(&u->space, u->rootfd, run, err);
                if (r < 0)
                        return r;
                while (run > 0) {
                        if (offset > (uint64_t)INT64_MAX - run)
                                return ross_errx(err, EFBIG,
                                                 "data at offset %llu is beyond the largest "
                                                 "offset",
                                                 (unsigned long long)offset);
                        ssize_t n = pwrite(fd, p, run, (off_t)offset);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                return ross_err(err, errno, "write data at offset %llu",
                                                (unsigned long long)offset);
                        }
                        p += n;
                        size -= (size_t)n;
                        run -= (size_t)n;
                        offset += (uint64_t)n;
                }
        }
        return 0;
}

static int do_file(Unpack *u, struct archive_entry *e, int pfd, const char *base, RossError *err)
{
        char tmp[64];
        Meta m;
        const void *block;
        size_t size;
        la_int64_t offset;
        int r;

        /* Straight at the name when nothing is there (O_EXCL never follows a symlink);
         * else through a temporary name renamed over what is there. */
        const char *at = base;
        _cleanup_close_ int fd =
                openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST) {
                tmp_name(tmp, sizeof(tmp));
                at = tmp;
                fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        }
        if (fd < 0)
                return at == base ? ross_err(err, errno, "create file")
                                  : ross_err(err, errno, "create temporary file '%s'", tmp);
        for (;;) {
                r = archive_read_data_block(u->inner, &block, &size, &offset);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                        r = ross_errx(err,
                                      archive_errno(u->inner) > 0 ? archive_errno(u->inner) : EIO,
                                      "read data: %s", archive_error_string(u->inner));
                        goto fail;
                }
                /* Sparse entries come as blocks at offsets: the gaps stay holes, and so do
                 * runs of zeros in the blocks. */
                r = write_data(u, fd, block, size, (uint64_t)offset, err);
                if (r < 0)
                        goto fail;
        }
        if (ftruncate(fd, (off_t)archive_entry_size(e)) < 0) {
                r = ross_err(err, errno, "set size to %lld bytes",
                             (long long)archive_entry_size(e));
                goto fail;
        }
        read_meta(u->o, e, &m);
        r = apply_meta(fd, pfd, NULL, &m, false, err);
        meta_free(&m);
        if (r < 0)
                goto fail;
        return at == base ? 0 : place(pfd, tmp, base, err);
fail:
        unlinkat(pfd, at, 0);
        return r;
}

static int do_node(Unpack *u, struct archive_entry *e, int pfd, const char *base, bool is_symlink,
                   RossError *err)
{
        char tmp[64];
        Meta m;
        int r;

        const char *target = is_symlink ? archive_entry_symlink(e) : NULL;
        mode_t type = archive_entry_filetype(e);
        mode_t kind = type == AE_IFIFO ? S_IFIFO : type == AE_IFCHR ? S_IFCHR : S_IFBLK;
        dev_t dev = type == AE_IFIFO
                            ? 0
                            : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (is_symlink && STR_EMPTY(target))
                return ross_errx(err, EINVAL, "symlink without a target");

        const char *at = base;
        for (int attempt = 0; attempt < 2; attempt++) {
                r = is_symlink ? symlinkat(target, pfd, at) : mknodat(pfd, at, kind | 0600, dev);
                if (r == 0 || errno != EEXIST || attempt)
                        break;
                tmp_name(tmp, sizeof(tmp)); /* something is there: go through a new name */
                at = tmp;
        }
        if (r < 0 && is_symlink) {
                int e2 = errno;
                _cleanup_free_ char *shown = printable(target);
                return ross_err(err, e2, "create symlink to '%s'", shown);
        }
        if (r < 0)
                return ross_err(err, errno, "create device node");
        read_meta(u->o, e, &m);
        r = apply_meta(-EBADF, pfd, at, &m, is_symlink, err);
        meta_free(&m);
        if (r < 0) {
                unlinkat(pfd, at, 0);
                return r;
        }
        return at == base ? 0 : place(pfd, tmp, base, err);
}

static int do_dir(Unpack *u, struct archive_entry *e, const char *clean, int pfd, const char *base,
                  RossError *err)
{
        struct stat st;
        if (*clean) {
                if (mkdirat(pfd, base, 0700) < 0) {
                        if (errno != EEXIST)
                                return ross_err(err, errno, "create directory");
                        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return ross_err(err, errno, "stat what is there");
                        if (!S_ISDIR(st.st_mode)) {
                                /* a file or symlink is replaced by the directory */
                                if (unlinkat(pfd, base, 0) < 0 || mkdirat(pfd, base, 0700) < 0)
                                        return ross_err(err, errno, "replace with a directory");
                        }
                }
        }
        if (u->n_dirs == u->alloc_dirs) {
                u->alloc_dirs = u->alloc_dirs ? u->alloc_dirs * 2 : 64;
                u->dirs = xrealloc(u->dirs, u->alloc_dirs * sizeof(DirMeta));
        }
        DirMeta *d = &u->dirs[u->n_dirs++];
        d->path = xstrdup(clean);
        read_meta(u->o, e, &d->meta);
        return 0;
}

/*
 * An entry's name (or a hard link's target) as a path under rootfd: cleaned, renamed as
 * opts->rebase_* say (Docker's RebaseArchiveEntries), then under opts->prefix. *ret_top:
 * it names the directory the archive is extracted into.
 */
static int entry_path(Unpack *u, const char *raw, char **ret, bool *ret_top, RossError *err)
{
        _cleanup_free_ char *clean = NULL;
        int r = ross_path_clean(raw, &clean, err);
        if (r < 0)
                return r;
        if (u->rebase_from) {
                size_t n = strlen(u->rebase_from);
                char *renamed = NULL;
                if (!n)
                        renamed = *clean ? xasprintf("%s%s%s", u->rebase_to,
                                                     *u->rebase_to ? "/" : "", clean)
                                         : xstrdup(u->rebase_to);
                else if (strncmp(clean, u->rebase_from, n) == 0 &&
                         (clean[n] == '\0' || clean[n] == '/'))
                        renamed = *u->rebase_to || clean[n]
                                          ? xasprintf("%s%s", u->rebase_to,
                                                      *u->rebase_to ? clean + n : clean + n + 1)
                                          : xstrdup("");
                if (renamed) {
                        free(clean);
                        clean = renamed;
                }
        }
        *ret_top = !*clean;
        if (*u->prefix)
                *ret = *clean ? xasprintf("%s/%s", u->prefix, clean) : xstrdup(u->prefix);
        else
                *ret = TAKE_PTR(clean);
        return 0;
}

static int do_hardlink(Unpack *u, struct archive_entry *e, int pfd, const char *base,
                       RossError *err)
{
        _cleanup_free_ char *target = NULL, *tparent = NULL;
        const char *tbase;
        char tmp[64];
        struct stat st;
        RossError e2 = {};
        int r;

        bool top;
        r = entry_path(u, archive_entry_hardlink(e), &target, &top, &e2);
        if (r < 0)
                return ross_errx(err, EINVAL, "hard link target: %s", e2.msg);
        const char *kind = json_string_value(json_object_get(u->layer, target));
        if (!kind || !STREQ(kind, "f"))
                return ross_errx(err, EPERM, "hard link to '%s', which is not a file of this layer",
                                 target);
        ross_path_split(target, &tparent, &tbase);
        _cleanup_close_ int tfd = ross_resolve_dir(u->rootfd, tparent, 0, err);
        if (tfd < 0) {
                ross_err_prefix(err, "hard link target '%s'", target);
                return tfd;
        }
        if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return ross_err(err, errno, "hard link target '%s'", target);
        if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
                return ross_errx(err, EPERM, "hard link to '%s', which is not a file", target);
        tmp_name(tmp, sizeof(tmp));
        if (linkat(tfd, tbase, pfd, tmp, 0) < 0)
                return ross_err(err, errno, "create hard link to '%s'", target);
        return place(pfd, tmp, base, err);
}

/* APPLY: remove what lower layers put at name in pfd (not what this layer made). */
static int apply_whiteout(Unpack *u, int pfd, const char *parent, const char *name, RossError *err)
{
        _cleanup_free_ char *path = *parent ? xasprintf("%s/%s", parent, name) : xstrdup(name);
        if (json_object_get(u->layer, path))
                return 0;
        int r = ross_rm_rf_at(pfd, name);
        if (r < 0) {
                _cleanup_free_ char *shown = printable(path);
                return ross_err(err, r, "remove '%s'", shown);
        }
        return 0;
}

static int apply_opaque(Unpack *u, int pfd, const char *parent, RossError *err)
{
        int dfd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *de;
        int r = 0;

        if (!d) {
                int e = errno;
                _cleanup_free_ char *shown = printable(*parent ? parent : ".");
                if (dfd >= 0)
                        close(dfd);
                return ross_err(err, e, "open directory '%s'", shown);
        }
        while ((de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                        continue;
                r = apply_whiteout(u, pfd, parent, de->d_name, err);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

static int do_whiteout(Unpack *u, const char *parent, const char *base, RossError *err)
{
        bool opaque = STREQ(base, OPAQUE_MARKER);
        const char *name = base + strlen(WHITEOUT_PREFIX);
        char tmp[64];
        int r;

        if (!opaque &&
            strncmp(base, WHITEOUT_PREFIX WHITEOUT_PREFIX, 2 * strlen(WHITEOUT_PREFIX)) == 0)
                return 0; /* other .wh..wh. entries are aufs bookkeeping, not content */
        if (!opaque && (!*name || STREQ(name, ".") || STREQ(name, "..")))
                return ross_errx(err, EINVAL, "invalid whiteout");

        /* Whiteouts name what is below them; reaching it through a symlink would let a
         * layer delete or hide things elsewhere. */
        unsigned flags = ROSS_RESOLVE_NO_SYMLINKS |
                         (u->o->whiteouts == ROSS_WHITEOUT_OVERLAY ? ROSS_RESOLVE_MKDIR : 0);
        RossError e2 = {};
        _cleanup_close_ int pfd = parent_fd(u, parent, flags, false, &e2);
        if (pfd < 0) {
                if (e2.code == ENOENT && u->o->whiteouts == ROSS_WHITEOUT_APPLY)
                        return 0; /* nothing below to hide */
                if (e2.code == ELOOP)
                        return ross_errx(err, ELOOP, "whiteout is under a symlink");
                if (err)
                        *err = e2;
                return pfd;
        }

        if (u->o->whiteouts == ROSS_WHITEOUT_APPLY)
                return opaque ? apply_opaque(u, pfd, parent, err)
                              : apply_whiteout(u, pfd, parent, name, err);

        if (opaque) {
                if (fsetxattr(pfd, OVERLAY_OPAQUE, "y", 1, 0) < 0) {
                        int e = errno;
                        _cleanup_free_ char *shown = printable(*parent ? parent : ".");
                        return ross_err(err, e, "mark directory '%s' opaque", shown);
                }
                return 0;
        }
        _cleanup_free_ char *path = *parent ? xasprintf("%s/%s", parent, name) : xstrdup(name);
        tmp_name(tmp, sizeof(tmp));
        if (mknodat(pfd, tmp, S_IFCHR | 0, makedev(0, 0)) < 0) {
                int e = errno;
                _cleanup_free_ char *shown = printable(path);
                return ross_err(err, e, "create whiteout device for '%s'", shown);
        }
        r = place(pfd, tmp, name, err);
        if (r == 0) {
                remember(u, path, "w");
                if (u->o->whiteout)
                        u->o->whiteout(u->o->userdata, path);
        }
        return r;
}

static int handle_entry(Unpack *u, struct archive_entry *e, RossError *err)
{
        _cleanup_free_ char *clean = NULL, *parent = NULL;
        const char *raw = archive_entry_pathname(e), *base;
        mode_t type = archive_entry_filetype(e);
        int r;

        if (!raw)
                return ross_errx(err, EINVAL, "entry without a name");
        r = ross_space_guard_write(&u->space, u->rootfd, ENTRY_COST, err);
        if (r < 0)
                return r;
        bool top;
        r = entry_path(u, raw, &clean, &top, err);
        if (r < 0)
                return r;
        ross_path_split(clean, &parent, &base);

        if (u->o->whiteouts != ROSS_WHITEOUT_NONE &&
            strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
                return do_whiteout(u, parent, base, err);
        if (top) {
                /* "/", ".", "./": the root itself. Its owner, mode, times and xattrs are not
                 * the layer's to set (as containerd has it): the root is the snapshot's (or
                 * the flat tree's) own directory. */
                if (type != AE_IFDIR || archive_entry_hardlink(e))
                        return ross_errx(err, EINVAL, "the root is not a directory");
                log_debug("unpack: the root entry '%s' is ignored", raw);
                return 0;
        }
        if (type == AE_IFSOCK)
                return 0; /* sockets are not content; tar keeps them, images never need them */

        bool is_file = type == AE_IFREG && !archive_entry_hardlink(e);
        _cleanup_close_ int pfd = parent_fd(u, parent, ROSS_RESOLVE_MKDIR, is_file, err);
        if (pfd < 0)
                return pfd;
        if (u->o->no_replace_dir) {
                struct stat st;
                bool want_dir = type == AE_IFDIR && !archive_entry_hardlink(e);
                const char *name = *u->prefix ? clean + strlen(u->prefix) + 1 : clean;
                if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISDIR(st.st_mode) != want_dir)
                        return ross_errx(err, want_dir ? ENOTDIR : EISDIR,
                                         "cannot overwrite %sdirectory \"%s\" with %sdirectory "
                                         "\"/%s\"",
                                         want_dir ? "non-" : "", name, want_dir ? "" : "non-",
                                         u->prefix);
        }

        if (archive_entry_hardlink(e)) {
                cache_drop(u);
                r = do_hardlink(u, e, pfd, base, err);
                if (r == 0)
                        remember(u, clean, "f");
                return r;
        }
        switch (type) {
        case AE_IFREG:
                r = do_file(u, e, pfd, base, err);
                if (r == 0)
                        remember(u, clean, "f");
                return r;
        case AE_IFDIR:
                cache_drop(u);
                r = do_dir(u, e, clean, pfd, base, err);
                if (r == 0)
                        remember(u, clean, "d");
                return r;
        case AE_IFLNK:
                cache_drop(u);
                r = do_node(u, e, pfd, base, true, err);
                if (r == 0)
                        remember(u, clean, "l");
                return r;
        case AE_IFIFO:
        case AE_IFCHR:
        case AE_IFBLK:
                cache_drop(u);
                r = do_node(u, e, pfd, base, false, err);
                if (r == 0)
                        remember(u, clean, "f");
                return r;
        default:
                return ross_errx(err, EINVAL, "unsupported entry type 0%o", (unsigned)type);
        }
}

/* Directories last, deepest first, so creating their contents did not change their times;
 * a directory that a later entry replaced is left alone. */
static int apply_dirs(Unpack *u, RossError *err)
{
        for (size_t i = u->n_dirs; i > 0; i--) {
                DirMeta *d = &u->dirs[i - 1];
                RossError e2 = {};
                _cleanup_close_ int fd =
                        ross_resolve_dir(u->rootfd, d->path, ROSS_RESOLVE_NO_SYMLINKS, &e2);
                if (fd < 0)
                        continue;
                int r = apply_meta(fd, -EBADF, NULL, &d->meta, false, err);
                if (r < 0) {
                        _cleanup_free_ char *shown = printable(d->path);
                        return ross_err_prefix(err, "entry '%s/'", *d->path ? shown : ".");
                }
        }
        return 0;
}

/* Stops the producer first: it uses the decompressor, the hash and the slots. */
static void unpack_done(Unpack *u)
{
        Pipe *p = &u->pipe;

        pipe_stop(u);
        cache_drop(u);
        for (size_t i = 0; i < u->n_dirs; i++) {
                free(u->dirs[i].path);
                meta_free(&u->dirs[i].meta);
        }
        free(u->dirs);
        json_decref(u->layer);
        free(u->rebase_from);
        free(u->rebase_to);
        free(u->prefix);
        if (u->inner)
                archive_read_free(u->inner);
        ross_decomp_free(p->d);
        ross_hash_free(p->hash);
        for (size_t i = 0; i < SLOTS; i++)
                free(p->buf[i]);
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->lock);
}

int ross_unpack_layer(int fd, int rootfd, const RossUnpackOptions *opts, RossUnpackStats *stats,
                      RossError *err)
{
        _cleanup_(unpack_done) Unpack u = {
                .rootfd = rootfd,
                .o = opts,
                .cached_fd = -EBADF,
        };
        Pipe *p = &u.pipe;
        struct archive_entry *e;
        _cleanup_free_ char *last = NULL;
        int r;

        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->changed, NULL);
        for (size_t i = 0; i < SLOTS; i++)
                p->buf[i] = xmalloc(CHUNK);
        p->hash = ross_hash_new();
        p->max = opts->max_bytes ? opts->max_bytes : ROSS_UNPACK_DEFAULT_MAX_BYTES;
        p->o = opts;
        u.layer = json_object();
        r = ross_path_clean(opts->prefix ? opts->prefix : "", &u.prefix, err);
        if (r == 0 && opts->rebase_from)
                r = ross_path_clean(opts->rebase_from, &u.rebase_from, err);
        if (r == 0 && opts->rebase_from)
                r = ross_path_clean(opts->rebase_to ? opts->rebase_to : "", &u.rebase_to, err);
        if (r < 0)
                return r;

        r = ross_space_reserve_bytes(&opts->reserve, rootfd, &u.space.reserve, err);
        if (r < 0)
                return r;
        r = opts->head_len ? ross_decomp_open_prefixed(fd, opts->compression, opts->head,
                                                       opts->head_len, &p->d, err)
                           : ross_decomp_open(fd, opts->compression, &p->d, err);
        if (r < 0)
                return r;
        if (pthread_create(&u.producer, NULL, produce, p) != 0)
                return ross_errx(err, EAGAIN, "cannot start the decompression thread");
        u.producer_started = true;

        u.inner = archive_read_new();
        /* libarchive is loaded on first use (archive-dl.c): this is where that fails */
        if (!u.inner)
                return ross_errx(err, ELIBACC, "%s", archive_error_string(NULL));
        archive_read_support_format_tar(u.inner);
        /* names are bytes, not text in some charset */
        archive_read_set_options(u.inner, "hdrcharset=BINARY");
        if (archive_read_open(u.inner, p, NULL, read_cb, NULL) != ARCHIVE_OK)
                return ross_errx(err, archive_errno(u.inner) > 0 ? archive_errno(u.inner) : EBADMSG,
                                 "not a tar archive: %s", archive_error_string(u.inner));
        for (;;) {
                r = archive_read_next_header(u.inner, &e);
                if (r == ARCHIVE_EOF)
                        break;
                /* ARCHIVE_RETRY is a damaged header libarchive would skip: not a layer */
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                        int code = archive_errno(u.inner) > 0 ? archive_errno(u.inner) : EBADMSG;
                        _cleanup_free_ char *shown = last ? printable(last) : NULL;
                        return ross_errx(err, code, "%s%s%s%s", archive_error_string(u.inner),
                                         shown ? " (after entry '" : "", shown ? shown : "",
                                         shown ? "')" : "");
                }
                if (++u.entries > ROSS_UNPACK_MAX_ENTRIES)
                        return ross_errx(err, EFBIG, "layer has more than %u entries",
                                         ROSS_UNPACK_MAX_ENTRIES);
                free(last);
                last = xstrdup(archive_entry_pathname(e) ?: "");
                /* Every message of an entry's handling gets the entry's name here. */
                r = handle_entry(&u, e, err);
                if (r < 0) {
                        pthread_mutex_lock(&p->lock);
                        if (p->err.code == EFBIG && err)
                                *err = p->err; /* the cap, not its symptom */
                        pthread_mutex_unlock(&p->lock);
                        _cleanup_free_ char *shown = printable(last);
                        ross_err_prefix(err, "entry '%s'", shown);
                        return r;
                }
        }
        cache_drop(&u);
        /* The diff id covers the whole stream, padding after the end marker included. */
        for (;;) {
                const void *b;
                la_ssize_t n = read_cb(u.inner, p, &b);
                if (n == 0)
                        break;
                if (n < 0)
                        return ross_errx(err, p->err.code ? p->err.code : EBADMSG, "%s",
                                         p->err.code ? p->err.msg : "read layer");
        }
        pipe_stop(&u);
        r = apply_dirs(&u, err);
        if (r < 0)
                return r;
        char got[ROSS_DIGEST_LEN + 1];
        ross_hash_final(p->hash, got);
        if (opts->expected_diff_id && !STREQ(got, opts->expected_diff_id))
                return ross_errx(err, EILSEQ,
                                 "uncompressed layer has digest %s, the image config says %s", got,
                                 opts->expected_diff_id);
        if (stats) {
                stats->bytes = p->bytes;
                stats->entries = u.entries;
                memcpy(stats->diff_id, got, sizeof(got));
        }
        return 0;
}
