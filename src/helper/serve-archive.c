/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The helper's docker cp, docker export and docker import. A container's files are as
 * hostile as a registry's layers: their names, their symlinks, the tars that come for them.
 * So the tar walk in both directions runs here, in the sandbox, never in the daemon
 * (docs/pull-helper.md).
 *
 * The container's root is opened before the sandbox closes, as the container sees it:
 *  - running in a mount namespace of this host: /proc/PID/root of its first process (its
 *    volumes, tmpfs mounts and /etc files are there, as they are for it), checked to be
 *    the root the daemon named, so a pid used again by another process is never entered;
 *  - else (stopped, or a VM's root on the host): its root directory with its volumes and
 *    binds mounted over it, in the sandbox's own mount namespace, their mountpoints
 *    resolved inside the root.
 * Then everything of the host is read-only; a copy into the container may write only the
 * container's root (unless it is read-only) and its writable volumes. Every path is
 * resolved inside the root (openat2 RESOLVE_IN_ROOT, src/unpack/resolve.c): a symlink to
 * /etc leads to the container's /etc, never the host's.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../container/changes.h"
#include "../sandbox/sandbox.h"
#include "../store/content.h"
#include "../unpack/decompress.h"
#include "../unpack/extract.h"
#include "../unpack/pack.h"
#include "../unpack/resolve.h"
#include "../unpack/rootfs.h"
#include "serve.h"

#define MAX_SYMLINKS 255 /* as Go's filepath.EvalSymlinks, which Docker's cp uses */
#define IN_FD        0   /* the tar of a copy into the container, or an import */
#define OUT_FD       1   /* the tar of a copy out of it, or an export */
#define MAX_BINDS    256

static void content_freep(RossContent **c)
{
        ross_content_free(*c);
}

static void decomp_freep(RossDecomp **d)
{
        ross_decomp_free(*d);
}

/* What the sandbox's set-up needs: the view the daemon asked for. */
typedef struct Setup {
        RossHelperOptions *o;
        json_t *view;
        bool write;
        int mounts[MAX_BINDS + 1]; /* what becomes writable again */
        size_t n_mounts;
} Setup;

static void setup_done(Setup *s)
{
        for (size_t i = 0; i < s->n_mounts; i++)
                safe_close(s->mounts[i]);
        json_decref(s->view);
}

/* The mountpoint of a bind inside the root: a directory, or a file for a file's bind.
 * Made when missing, as the runtime makes it at a start. */
static int bind_target(int rootfd, const char *dst, bool dir, RossError *err)
{
        _cleanup_free_ char *clean = NULL, *parent = NULL;
        const char *base;
        int r = ross_path_clean(dst, &clean, err);
        if (r < 0)
                return r;
        if (dir)
                return ross_resolve_dir(rootfd, clean, ROSS_RESOLVE_MKDIR, err);
        ross_path_split(clean, &parent, &base);
        _cleanup_close_ int pfd = ross_resolve_dir(rootfd, parent, ROSS_RESOLVE_MKDIR, err);
        if (pfd < 0)
                return pfd;
        int fd = openat(pfd, base, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return ross_err(err, errno, "create mountpoint '%s'", dst);
        return fd;
}

/* In the sandbox's mount namespace: the root as a mount of its own, its binds over it. */
static int mount_view(RossSandbox *sb, void *ud, RossError *err)
{
        Setup *s = ud;
        const char *root = json_string_value(json_object_get(s->view, "root"));
        bool ro_root = json_is_true(json_object_get(s->view, "readonly_root"));
        json_t *binds = json_object_get(s->view, "binds");
        json_t *b;
        size_t i;

        /* a mount of its own, so that it alone can be made writable again */
        if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
                return ross_err(err, errno, "bind the container's root '%s'", root);
        int mnt = open_tree(AT_FDCWD, root, OPEN_TREE_CLOEXEC);
        if (mnt < 0)
                return ross_err(err, errno, "open the mount of '%s'", root);
        if (s->write && !ro_root)
                s->mounts[s->n_mounts++] = mnt;
        else
                close(mnt);
        s->o->root_fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s->o->root_fd < 0)
                return ross_err(err, errno, "open the container's root '%s'", root);
        if (json_array_size(binds) > MAX_BINDS)
                return ross_errx(err, E2BIG, "more than %d volumes and binds", MAX_BINDS);
        json_array_foreach (binds, i, b) {
                const char *src = json_string_value(json_object_get(b, "source"));
                const char *dst = json_string_value(json_object_get(b, "destination"));
                bool ro = json_is_true(json_object_get(b, "readonly"));
                struct stat st;
                if (STR_EMPTY(src) || STR_EMPTY(dst))
                        continue;
                if (stat(src, &st) < 0)
                        return ross_err(err, errno, "the source of '%s', '%s'", dst, src);
                _cleanup_close_ int target =
                        bind_target(s->o->root_fd, dst, S_ISDIR(st.st_mode), err);
                if (target < 0)
                        return ross_err_prefix(err, "mountpoint of '%s'", dst);
                _cleanup_close_ int m = open_tree(
                        AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                if (m < 0)
                        return ross_err(err, errno, "copy the mount of '%s'", src);
                if (move_mount(m, "", target, "",
                               MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return ross_err(err, errno, "mount '%s' on '%s'", src, dst);
                if (s->write && !ro)
                        s->mounts[s->n_mounts++] = TAKE_FD(m);
        }
        sb->writable_mounts = s->mounts;
        sb->n_writable_mounts = s->n_mounts;
        return 0;
}

/* A running container's root, from the host: /proc/PID/root, if it is the root the daemon
 * named (the same directory: an overlay's root, or the runtime's bind of it). */
static int open_running_root(const char *root, long long pid, RossError *err)
{
        char proc[64];
        struct stat a, b;
        snprintf(proc, sizeof(proc), "/proc/%lld/root", pid);
        _cleanup_close_ int fd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &a) < 0 || stat(root, &b) < 0)
                return ross_err(err, errno, "stat the container's root");
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return -ESRCH; /* not its process any more */
        return TAKE_FD(fd);
}

int ross_helper_archive_sandbox(RossHelperOptions *o, RossError *err)
{
        _cleanup_(setup_done) Setup s = {.o = o};
        json_error_t jerr;

        if (!o->view || !(s.view = json_loads(o->view, 0, &jerr)) || !json_is_object(s.view))
                return ross_errx(err, EINVAL, "archive: --view needs a JSON object");
        const char *root = json_string_value(json_object_get(s.view, "root"));
        json_int_t pid = json_integer_value(json_object_get(s.view, "pid"));
        if (STR_EMPTY(root) || root[0] != '/')
                return ross_errx(err, EINVAL, "archive: the view names no root");
        s.write = json_is_true(json_object_get(s.view, "write"));

        /* a commit reads an upper dir's trusted.overlay.opaque, which takes SYS_ADMIN (the
         * seccomp filter still keeps it from mounting) */
        bool layer = json_is_true(json_object_get(s.view, "layer"));
        RossSandbox sb = {
                .caps = s.write ? ROSS_SANDBOX_CAPS_UNPACK
                        : layer ? ROSS_SANDBOX_CAPS_READ | ROSS_CAP(CAP_SYS_ADMIN)
                                : ROSS_SANDBOX_CAPS_READ,
        };
        if (pid > 0) {
                int fd = open_running_root(root, pid, err);
                if (fd >= 0)
                        o->root_fd = fd;
                else if (fd != -ESRCH && fd != -ENOENT)
                        return ross_err(err, -fd, "open the root of process %lld", (long long)pid);
                else
                        log_debug("archive: process %lld is gone; the root on the host instead",
                                  (long long)pid);
        }
        if (o->root_fd < 0) {
                sb.setup = mount_view;
                sb.userdata = &s;
        }
        return ross_sandbox_enter(&sb, err);
}

/* Docker's filepath.Join("/", p): lexical, ".." stops at the root. The result is relative
 * ("" for the root). *ret_dir: p asserts a directory (a trailing "/" or "/."); *ret_dot: it
 * ends in "/." (or is "."). */
static int container_path(const char *p, char **ret, bool *ret_dir, bool *ret_dot, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        size_t n = strlen(p);
        bool dot = STREQ(p, ".") || (n >= 2 && STREQ(p + n - 2, "/."));
        *ret_dir = dot || (n && p[n - 1] == '/');
        *ret_dot = dot;
        while (*p) {
                while (*p == '/')
                        p++;
                size_t k = strcspn(p, "/");
                if (!k)
                        break;
                if (k == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = b.data ? memrchr(b.data, '/', b.len) : NULL;
                        b.len = slash ? (size_t)(slash - b.data) : 0;
                        if (b.data)
                                b.data[b.len] = '\0';
                } else if (!(k == 1 && p[0] == '.')) {
                        if (b.len)
                                ross_buf_append(&b, "/", 1);
                        ross_buf_append(&b, p, k);
                }
                p += k;
        }
        _cleanup_free_ char *joined = ross_buf_steal(&b);
        return ross_path_clean(joined, ret, err); /* the depth cap */
}

/* What docker cp names: the entry, through the directory that holds it. */
typedef struct Located {
        int dirfd;  /* the directory holding it */
        char *name; /* its name there; "." when dirfd is the entry itself */
        struct stat st;
} Located;

static void located_done(Located *l)
{
        safe_close(l->dirfd);
        free(l->name);
}

/* Docker's os.Lstat of the path in the container: every component resolved inside the
 * root, the last one not followed unless the path asserts a directory. */
static int locate(int rootfd, const char *clean, bool follow_last, Located *ret, RossError *err)
{
        _cleanup_free_ char *parent = NULL;
        const char *base;
        if (follow_last || !*clean) {
                int fd = ross_resolve_dir(rootfd, clean, 0, err);
                if (fd < 0)
                        return fd;
                ret->dirfd = fd;
                ret->name = xstrdup(".");
        } else {
                ross_path_split(clean, &parent, &base);
                int fd = ross_resolve_dir(rootfd, parent, 0, err);
                if (fd < 0)
                        return fd;
                ret->dirfd = fd;
                ret->name = xstrdup(base);
        }
        if (fstatat(ret->dirfd, ret->name, &ret->st, AT_SYMLINK_NOFOLLOW) < 0)
                return ross_err(err, errno, "'/%s'", clean);
        return 0;
}

/* Go's os.FileMode bits, which the stat header carries (the docker CLI reads them so). */
static uint32_t go_mode(mode_t m)
{
        uint32_t g = m & 0777;
        if (S_ISDIR(m))
                g |= 1u << 31;
        else if (S_ISLNK(m))
                g |= 1u << 27;
        else if (S_ISCHR(m))
                g |= (1u << 26) | (1u << 21);
        else if (S_ISBLK(m))
                g |= 1u << 26;
        else if (S_ISFIFO(m))
                g |= 1u << 25;
        else if (S_ISSOCK(m))
                g |= 1u << 24;
        if (m & S_ISUID)
                g |= 1u << 23;
        if (m & S_ISGID)
                g |= 1u << 22;
        if (m & S_ISVTX)
                g |= 1u << 20;
        return g;
}

/* Go's time.Time in JSON: RFC 3339 with the nanoseconds that are not zero. */
static void rfc3339_nano(const struct timespec *t, char *buf, size_t n)
{
        struct tm tm;
        char frac[16] = "";
        gmtime_r(&t->tv_sec, &tm);
        if (t->tv_nsec) {
                snprintf(frac, sizeof(frac), ".%09ld", t->tv_nsec);
                for (size_t k = strlen(frac); k > 1 && frac[k - 1] == '0'; k--)
                        frac[k - 1] = '\0';
        }
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/*
 * Where a symlink leads, as the container sees it (moby's FollowSymlinkInScope): every link
 * on the way followed inside the root, as far as the path exists, the rest taken as it is.
 * An absolute path in the container.
 */
static char *scope_target(int rootfd, const char *clean)
{
        _cleanup_(ross_buf_free) RossBuf at = {};   /* where the walk is, from the root */
        _cleanup_free_ char *todo = xstrdup(clean); /* what is left to walk */
        int links = 0;
        for (char *p = todo; *p;) {
                while (*p == '/')
                        p++;
                size_t k = strcspn(p, "/");
                if (!k)
                        break;
                _cleanup_free_ char *comp = xstrndup(p, k);
                p += k;
                if (STREQ(comp, "."))
                        continue;
                if (STREQ(comp, "..")) {
                        char *slash = at.data ? memrchr(at.data, '/', at.len) : NULL;
                        at.len = slash ? (size_t)(slash - at.data) : 0;
                        if (at.data)
                                at.data[at.len] = '\0';
                        continue;
                }
                _cleanup_close_ int dfd = ross_resolve_dir(rootfd, at.data ? at.data : "",
                                                           ROSS_RESOLVE_NO_SYMLINKS, NULL);
                struct stat st;
                char target[4096];
                ssize_t n;
                if (dfd >= 0 && fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode) && ++links <= MAX_SYMLINKS &&
                    (n = readlinkat(dfd, comp, target, sizeof(target) - 1)) > 0) {
                        target[n] = '\0';
                        if (target[0] == '/')
                                at.len = 0;
                        if (at.data)
                                at.data[at.len] = '\0';
                        char *rest = xasprintf("%s/%s", target, p);
                        free(todo);
                        todo = rest;
                        p = todo;
                        continue;
                }
                if (at.len)
                        ross_buf_append(&at, "/", 1);
                ross_buf_append(&at, comp, strlen(comp));
        }
        return xasprintf("/%s", at.data ? at.data : "");
}

/* The stat message: Docker's PathStat {name, size, mode, mtime, linkTarget}. */
static json_t *stat_msg(int rootfd, const char *clean, bool dot, const Located *l)
{
        char mtime[64];
        _cleanup_free_ char *target = S_ISLNK(l->st.st_mode) ? scope_target(rootfd, clean) : NULL;
        const char *slash = strrchr(clean, '/');
        const char *name = dot ? "." : !*clean ? "/" : slash ? slash + 1 : clean;
        rfc3339_nano(&l->st.st_mtim, mtime, sizeof(mtime));
        return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "type", "stat", "name", name, "size",
                         (json_int_t)l->st.st_size, "mode", (json_int_t)go_mode(l->st.st_mode),
                         "mtime", mtime, "linkTarget", target ? target : "");
}

/* Docker's words for a path that is not there; ref: the container as the client named it. */
static int not_found(int r, const char *path, const char *ref, RossError *err)
{
        if (r == -ENOENT)
                return ross_errx(err, ENOENT, "Could not find the file %s in container %s", path,
                                 ref ? ref : "");
        return r;
}

static int do_stat(const RossHelperOptions *o, RossChannel *ch, const char *path, const char *ref,
                   bool tar, RossError *err)
{
        _cleanup_free_ char *clean = NULL;
        _cleanup_(located_done) Located l = {.dirfd = -EBADF};
        bool dir, dot;
        int r = container_path(path, &clean, &dir, &dot, err);
        if (r == 0)
                r = not_found(locate(o->root_fd, clean, dir, &l, err), path, ref, err);
        if (r == 0)
                r = ross_channel_send_new(ch, stat_msg(o->root_fd, clean, dot, &l), err);
        if (r < 0 || !tar)
                return r;
        /* Docker's containerArchivePath: a directory's tree under its base name ("." for
         * "DIR/."), anything else as itself */
        const char *slash = strrchr(clean, '/');
        const char *as = dot ? "." : !*clean ? "/" : slash ? slash + 1 : clean;
        int out = OUT_FD;
        RossPackOptions po = {.write = ross_pack_write_fd, .userdata = &out};
        r = ross_pack(l.dirfd, l.name, as, &po, err);
        if (r < 0)
                return ross_err_prefix(err, "archive '%s'", path);
        close(OUT_FD); /* the daemon's end sees the end of the archive now */
        return ross_channel_send_new(ch, json_pack("{s:s}", "type", "done"), err);
}

static int do_export(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        int out = OUT_FD;
        RossPackOptions po = {.write = ross_pack_write_fd, .userdata = &out};
        int r = ross_pack(o->root_fd, ".", "", &po, err);
        if (r < 0)
                return r;
        close(OUT_FD);
        return ross_channel_send_new(ch, json_pack("{s:s}", "type", "done"), err);
}

#define MAX_EXCLUDE 64

/* The request's "exclude": the archive names a layer leaves out, into names (NULL-ended). */
static int exclude_names(json_t *req, const char *names[MAX_EXCLUDE + 1], RossError *err)
{
        json_t *ex = json_object_get(req, "exclude");
        json_t *v;
        size_t i;
        if (json_array_size(ex) > MAX_EXCLUDE)
                return ross_errx(err, E2BIG, "layer: more than %d names to leave out", MAX_EXCLUDE);
        json_array_foreach (ex, i, v) {
                names[i] = json_string_value(v);
                if (STR_EMPTY(names[i]))
                        return ross_errx(err, EPROTO, "layer: a name to leave out is empty");
        }
        return 0;
}

/* The root as a layer on OUT_FD as po says (its writer set here), then "done". */
static int send_layer(const RossHelperOptions *o, RossChannel *ch, RossPackOptions *po,
                      RossError *err)
{
        int out = OUT_FD;
        po->write = ross_pack_write_fd;
        po->userdata = &out;
        int r = ross_pack(o->root_fd, ".", "", po, err);
        if (r < 0)
                return ross_err_prefix(err, "the container's changes");
        close(OUT_FD);
        return ross_channel_send_new(ch, json_pack("{s:s}", "type", "done"), err);
}

/*
 * docker commit: the root (a container's overlay upper dir) as a layer on OUT_FD, overlay
 * whiteouts turned into OCI ones, the names the daemon lists (the runtime's mount points)
 * left out.
 */
static int do_layer(const RossHelperOptions *o, RossChannel *ch, json_t *req, RossError *err)
{
        const char *names[MAX_EXCLUDE + 1] = {};
        int r = exclude_names(req, names, err);
        if (r < 0)
                return r;
        RossPackOptions po = {.overlay_whiteouts = true, .exclude = names};
        return send_layer(o, ch, &po, err);
}

/*
 * docker commit of a micro-VM's container: its root is a whole tree (a clone of the
 * image's flat rootfs), not a layer. The layer is what differs from that flat rootfs (the
 * base, named by the daemon, read-only here as the rest of the host): the changes as
 * docker diff gives them (src/container/changes.c, tree against tree), the added and
 * modified entries packed, each deletion an OCI whiteout; the names the daemon lists left
 * out.
 */
static int do_tree_layer(const RossHelperOptions *o, RossChannel *ch, json_t *req, RossError *err)
{
        const char *base = json_string_value(json_object_get(req, "base"));
        if (STR_EMPTY(base) || base[0] != '/')
                return ross_errx(err, EPROTO, "tree-layer: no base tree");
        const char *names[MAX_EXCLUDE + 1] = {};
        int r = exclude_names(req, names, err);
        if (r < 0)
                return r;
        _cleanup_close_ int bfd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (bfd < 0)
                return ross_err(err, errno, "open the image's tree '%s'", base);
        json_auto_t *changes = NULL;
        r = ross_changes_trees(o->root_fd, bfd, &changes, NULL, err);
        if (r < 0)
                return ross_err_prefix(err, "the container's changes");
        json_auto_t *only = json_object();
        /* the deletions, NULL-ended: at most every change */
        _cleanup_free_ const char **gone = xcalloc(json_array_size(changes) + 1, sizeof(char *));
        size_t n_gone = 0, i;
        json_t *c;
        json_array_foreach (changes, i, c) {
                const char *path = json_string_value(json_object_get(c, "Path"));
                if (!path || path[0] != '/' || !path[1])
                        continue;
                if (json_integer_value(json_object_get(c, "Kind")) == ROSS_CHANGE_DELETED)
                        gone[n_gone++] = path + 1;
                else
                        json_object_set_new(only, path + 1, json_true());
        }
        RossPackOptions po = {.exclude = names, .only = only, .whiteouts = gone};
        return send_layer(o, ch, &po, err);
}

/* Up to n bytes of fd, fewer only at its end. */
static ssize_t read_head(int fd, void *buf, size_t n)
{
        size_t got = 0;
        while (got < n) {
                ssize_t k = read(fd, (char *)buf + got, n - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                got += (size_t)k;
        }
        return (ssize_t)got;
}

/* Now and then a word on the channel while a long copy runs: the daemon kills a helper that
 * is silent for its stall limit. */
typedef struct Progress {
        RossChannel *ch;
        struct timespec last;
} Progress;

static void on_progress(void *ud, uint64_t consumed)
{
        Progress *p = ud;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - p->last.tv_sec < 2)
                return;
        p->last = now;
        (void)ross_channel_send_new(p->ch,
                                    json_pack("{s:s, s:s, s:I}", "type", "event", "status",
                                              "Extracting", "current", (json_int_t)consumed),
                                    NULL);
}

/* bzip2 and xz, which Docker takes and Ross does not read: said plainly. */
static int check_compression(const unsigned char *m, size_t n, RossError *err)
{
        if (n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h')
                return ross_errx(err, EINVAL,
                                 "bzip2-compressed archives are not supported "
                                 "(plain tar, gzip or zstd are)");
        if (n >= 6 && memcmp(m,
                             "\xfd"
                             "7zXZ\0",
                             6) == 0)
                return ross_errx(err, EINVAL,
                                 "xz-compressed archives are not supported (plain "
                                 "tar, gzip or zstd are)");
        return 0;
}

static int do_put(const RossHelperOptions *o, RossChannel *ch, json_t *req, RossError *err)
{
        const char *path = json_string_value(json_object_get(req, "path"));
        json_t *owner = json_object_get(req, "owner");
        _cleanup_free_ char *clean = NULL;
        bool dir, dot;
        int r = container_path(path ? path : "", &clean, &dir, &dot, err);
        if (r < 0)
                return r;
        /* Docker's containerExtractToDir: the path with every symlink followed, a
         * directory */
        RossError e2 = {};
        _cleanup_close_ int dfd = ross_resolve_dir(o->root_fd, clean, 0, &e2);
        if (dfd < 0 && e2.code == ENOTDIR)
                return ross_errx(err, EINVAL, "extraction point is not a directory");
        if (dfd < 0) {
                if (err)
                        *err = e2;
                return not_found(dfd, path, json_string_value(json_object_get(req, "ref")), err);
        }
        struct statvfs vfs;
        struct statx in_dir, in_root;
        if (fstatvfs(dfd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
                bool root_mount =
                        statx(dfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &in_dir) == 0 &&
                        statx(o->root_fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &in_root) == 0 &&
                        in_dir.stx_mnt_id == in_root.stx_mnt_id;
                return ross_errx(err, EACCES, "%s is marked read-only",
                                 root_mount ? "container rootfs" : "mounted volume");
        }

        unsigned char head[8];
        ssize_t n = read_head(IN_FD, head, sizeof(head));
        if (n < 0)
                return ross_err(err, (int)-n, "read the archive");
        if (n > 0) {
                if ((r = check_compression(head, (size_t)n, err)) < 0)
                        return r;
                Progress pr = {.ch = ch};
                clock_gettime(CLOCK_MONOTONIC, &pr.last);
                RossUnpackOptions uo = {
                        .progress = on_progress,
                        .userdata = &pr,
                        .whiteouts = ROSS_WHITEOUT_NONE,
                        .compression = ross_layer_compression_of(head, (size_t)n),
                        .head = head,
                        .head_len = (size_t)n,
                        .prefix = clean,
                        .no_replace_dir =
                                json_is_true(json_object_get(req, "no_overwrite_dir_non_dir")),
                        .force_owner = json_is_array(owner),
                        .uid = (uid_t)json_integer_value(json_array_get(owner, 0)),
                        .gid = (gid_t)json_integer_value(json_array_get(owner, 1)),
                };
                r = ross_unpack_layer(IN_FD, o->root_fd, &uo, NULL, err);
                if (r < 0)
                        return r;
        }
        return ross_channel_send_new(ch, json_pack("{s:s}", "type", "done"), err);
}

int ross_helper_serve_archive(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        json_auto_t *req = NULL;
        int r = ross_channel_recv(ch, &req, err);
        if (r < 0)
                return r;
        const char *type = ross_channel_type(req);
        const char *path = json_string_value(json_object_get(req, "path"));
        if (STREQ(type, "stat") || STREQ(type, "get")) {
                if (!path)
                        return ross_errx(err, EPROTO, "%s: no path", type);
                return do_stat(o, ch, path, json_string_value(json_object_get(req, "ref")),
                               STREQ(type, "get"), err);
        }
        if (STREQ(type, "put"))
                return do_put(o, ch, req, err);
        if (STREQ(type, "export"))
                return do_export(o, ch, err);
        if (STREQ(type, "layer"))
                return do_layer(o, ch, req, err);
        if (STREQ(type, "tree-layer"))
                return do_tree_layer(o, ch, req, err);
        return ross_errx(err, EPROTO, "archive: unknown request '%s'", type);
}

/*
 * docker import: the tar (plain, gzip or zstd) from IN_FD, decompressed into the stage as
 * the image's one layer, uncompressed (its digest is its diff id); the daemon then names the
 * snapshot tree to unpack it into.
 */
int ross_helper_serve_import(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        json_auto_t *req = NULL, *next = NULL;
        _cleanup_(content_freep) RossContent *store = NULL;
        RossIngest *in = NULL;
        int r = ross_channel_recv(ch, &req, err);
        if (r < 0)
                return r;
        if (!STREQ(ross_channel_type(req), "import"))
                return ross_errx(err, EPROTO, "expected an import request");
        uint64_t max = (uint64_t)json_integer_value(json_object_get(req, "max_layer_bytes"));
        if (!max)
                max = ROSS_UNPACK_DEFAULT_MAX_BYTES;
        RossSpaceReserve reserve = {
                .bytes = (uint64_t)json_integer_value(json_object_get(req, "reserve_bytes")),
                .percent = (unsigned)json_integer_value(json_object_get(req, "reserve_percent")),
        };
        if (reserve.percent > 100)
                reserve.percent = 100;
        r = ross_content_open_staged(o->data_dir, o->stage, &store, err);
        if (r < 0)
                return r;
        ross_content_set_reserve(store, &reserve);

        unsigned char head[8];
        ssize_t n = read_head(IN_FD, head, sizeof(head));
        if (n < 0)
                return ross_err(err, (int)-n, "read the archive");
        if (n == 0)
                return ross_errx(err, EINVAL, "the archive is empty");
        if ((r = check_compression(head, (size_t)n, err)) < 0)
                return r;
        _cleanup_(decomp_freep) RossDecomp *d = NULL;
        r = ross_decomp_open_prefixed(IN_FD, ross_layer_compression_of(head, (size_t)n), head,
                                      (size_t)n, &d, err);
        if (r == 0)
                r = ross_ingest_begin(store, NULL, -1, &in, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = xmalloc(1024 * 1024);
        uint64_t total = 0;
        Progress pr = {.ch = ch};
        clock_gettime(CLOCK_MONOTONIC, &pr.last);
        for (;;) {
                on_progress(&pr, ross_decomp_consumed(d));
                ssize_t k = ross_decomp_read(d, buf, 1024 * 1024, err);
                if (k < 0) {
                        ross_ingest_abort(in);
                        return (int)k;
                }
                if (k == 0)
                        break;
                total += (uint64_t)k;
                if (total > max) {
                        ross_ingest_abort(in);
                        return ross_errx(err, EFBIG, "the archive is larger than %llu bytes",
                                         (unsigned long long)max);
                }
                if ((r = ross_ingest_write(in, buf, (size_t)k, err)) < 0) {
                        ross_ingest_abort(in);
                        return r;
                }
        }
        char digest[ROSS_DIGEST_LEN + 1];
        r = ross_ingest_commit_digest(in, digest, err);
        if (r < 0)
                return r;
        r = ross_channel_send_new(ch,
                                  json_pack("{s:s, s:s, s:I}", "type", "layer", "digest", digest,
                                            "size", (json_int_t)total),
                                  err);
        if (r == 0)
                r = ross_channel_recv(ch, &next, err);
        if (r < 0)
                return r;
        const char *tree = json_string_value(json_object_get(next, "tree"));
        if (!STREQ(ross_channel_type(next), "unpack") || (tree && !ross_helper_tree_valid(tree)))
                return ross_errx(err, EPROTO, "expected an unpack request");
        RossUnpackStats st = {};
        if (tree) {
                _cleanup_free_ char *blob = ross_content_path(store, digest);
                _cleanup_free_ char *dir = xasprintf("%s/snapshots/%s", o->data_dir, tree);
                _cleanup_close_ int fd = open(blob, O_RDONLY | O_CLOEXEC);
                _cleanup_close_ int rootfd =
                        open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || rootfd < 0)
                        return ross_err(err, errno, "open the imported layer");
                /* one layer, nothing below it: its whiteouts hide nothing and are dropped;
                 * a commit's layer sits on its image's and keeps them, as a pull does */
                bool above = json_is_true(json_object_get(next, "above"));
                RossUnpackOptions uo = {
                        .progress = on_progress,
                        .userdata = &pr,
                        .whiteouts = above ? ROSS_WHITEOUT_OVERLAY : ROSS_WHITEOUT_APPLY,
                        .compression = ROSS_LAYER_TAR,
                        .max_bytes = max,
                        .expected_diff_id = digest,
                        .reserve = reserve,
                };
                r = ross_unpack_layer(fd, rootfd, &uo, &st, err);
                if (r < 0)
                        return r;
        }
        return ross_channel_send_new(
                ch, json_pack("{s:s, s:I}", "type", "done", "bytes", (json_int_t)st.bytes), err);
}
