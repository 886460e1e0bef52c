/* SPDX-License-Identifier: Apache-2.0 */
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "../basic/buf.h"
#include "../basic/log.h"
#include "resolve.h"

#define MAX_SYMLINKS 40

/* 1: works, 0: unknown, -1: unavailable or disabled */
static atomic_int openat2_state;

void ross_resolve_disable_openat2(bool disable)
{
        atomic_store(&openat2_state, disable ? -1 : 0);
}

static int sys_openat2(int dfd, const char *path, struct open_how *how)
{
#ifdef SYS_openat2
        return (int)syscall(SYS_openat2, dfd, path, how, sizeof(*how));
#else
        errno = ENOSYS;
        return -1;
#endif
}

bool ross_resolve_have_openat2(void)
{
        int s = atomic_load(&openat2_state);
        if (s == 0) {
                if (getenv("ROSS_NO_OPENAT2")) {
                        s = -1;
                } else {
                        struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                                               .resolve = RESOLVE_IN_ROOT};
                        int fd = sys_openat2(AT_FDCWD, "/", &how);
                        s = fd >= 0 ? 1 : -1;
                        if (fd >= 0)
                                close(fd);
                }
                atomic_store(&openat2_state, s);
                log_debug("resolve: openat2 %s", s > 0 ? "available" : "not used");
        }
        return s > 0;
}

int ross_path_clean(const char *name, char **ret, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        const char *p = name;
        size_t depth = 0;

        /* A leading "/" (any number of them) is relative to the layer root, as GNU tar,
         * Docker and containerd have it; the components are then taken lexically, as
         * Go's filepath.Clean does for Docker: "a/../b" is "b". */
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = strchr(p, '/');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                if (n == 1 && p[0] == '.') {
                        p += n;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (depth == 0)
                                return ross_errx(err, EINVAL,
                                                 "path contains '..' that leaves the root");
                        char *slash = memrchr(b.data, '/', b.len);
                        b.len = slash ? (size_t)(slash - b.data) : 0;
                        b.data[b.len] = '\0';
                        depth--;
                        p += n;
                        continue;
                }
                if (++depth > ROSS_PATH_MAX_DEPTH)
                        return ross_errx(err, EINVAL, "path is nested deeper than %d directories",
                                         ROSS_PATH_MAX_DEPTH);
                if (b.len)
                        ross_buf_append(&b, "/", 1);
                ross_buf_append(&b, p, n);
                p += n;
        }
        *ret = ross_buf_steal(&b);
        return 0;
}

void ross_path_split(const char *clean, char **ret_parent, const char **ret_base)
{
        const char *slash = strrchr(clean, '/');
        if (!slash) {
                *ret_parent = xstrdup("");
                *ret_base = clean;
                return;
        }
        *ret_parent = xstrndup(clean, (size_t)(slash - clean));
        *ret_base = slash + 1;
}

/* The walk: a stack of directory fds from the root down, so ".." can go back up but never
 * past the root, and symlink targets are spliced into the path still to walk. */
typedef struct Walk {
        int *fds;
        size_t n, alloc;
        RossBuf where; /* the path of fds[n - 1] from the root, for messages */
} Walk;

static void walk_push(Walk *w, int fd, const char *name)
{
        if (w->n == w->alloc) {
                w->alloc = w->alloc ? w->alloc * 2 : 16;
                w->fds = xrealloc(w->fds, w->alloc * sizeof(int));
        }
        w->fds[w->n++] = fd;
        if (!name)
                return;
        if (w->where.len)
                ross_buf_append(&w->where, "/", 1);
        ross_buf_append(&w->where, name, strlen(name));
}

static void walk_pop(Walk *w)
{
        if (w->n <= 1)
                return;
        close(w->fds[--w->n]);
        char *slash = memrchr(w->where.data, '/', w->where.len);
        w->where.len = slash ? (size_t)(slash - w->where.data) : 0;
        w->where.data[w->where.len] = '\0';
}

static void walk_to_root(Walk *w)
{
        while (w->n > 1)
                walk_pop(w);
}

static void walk_free(Walk *w)
{
        walk_to_root(w);
        free(w->fds);
        ross_buf_free(&w->where);
}

/* "dir/name" of name in the directory the walk is at. */
static char *walk_path(const Walk *w, const char *name)
{
        return w->where.len ? xasprintf("%s/%s", w->where.data, name) : xstrdup(name);
}

static int resolve_walk(int rootfd, const char *path, unsigned flags, RossError *err)
{
        _cleanup_(walk_free) Walk w = {};
        _cleanup_free_ char *todo = xstrdup(path);
        int symlinks = 0;

        walk_push(&w, rootfd, NULL); /* not ours: never closed */
        char *p = todo;
        for (;;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                char *e = strchr(p, '/');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                _cleanup_free_ char *comp = xstrndup(p, n);
                p += n;

                if (STREQ(comp, "."))
                        continue;
                if (STREQ(comp, "..")) {
                        walk_pop(&w);
                        continue;
                }
                if (w.n > ROSS_PATH_MAX_DEPTH * 2)
                        return ross_errx(err, ELOOP, "'%s': too deep", path);
                int cur = w.fds[w.n - 1];
                int fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0) {
                        walk_push(&w, fd, comp);
                        continue;
                }
                int e1 = errno;
                struct stat st;
                if (e1 == ENOENT && (flags & ROSS_RESOLVE_MKDIR)) {
                        if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST) {
                                _cleanup_free_ char *at = walk_path(&w, comp);
                                return ross_err(err, errno, "create directory '%s'", at);
                        }
                        fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0) {
                                _cleanup_free_ char *at = walk_path(&w, comp);
                                return ross_err(err, errno, "open directory '%s'", at);
                        }
                        walk_push(&w, fd, comp);
                        continue;
                }
                _cleanup_free_ char *at = walk_path(&w, comp);
                if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                        return ross_err(err, e1 == ELOOP ? ENOTDIR : e1, "'%s'", at);
                if (flags & ROSS_RESOLVE_NO_SYMLINKS)
                        return ross_errx(err, ELOOP, "'%s' is a symlink", at);
                if (++symlinks > MAX_SYMLINKS)
                        return ross_errx(err, ELOOP, "'%s': too many levels of symbolic links",
                                         path);
                char target[4096]; /* the kernel's limit for a symlink (PATH_MAX) */
                ssize_t tl = readlinkat(cur, comp, target, sizeof(target) - 1);
                if (tl < 0)
                        return ross_err(err, errno, "read symlink '%s'", at);
                target[tl] = '\0';
                if (target[0] == '/')
                        walk_to_root(&w);
                /* Continue with the target, then what was left of the path. */
                char *rest = xasprintf("%s/%s", target, p);
                free(todo);
                todo = rest;
                p = todo;
        }
        if (w.n > 1)
                return w.fds[--w.n]; /* the caller's now: walk_free does not close it */
        int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        return fd < 0 ? ross_err(err, errno, "duplicate the fd of the root directory") : fd;
}

int ross_resolve_dir(int rootfd, const char *path, unsigned flags, RossError *err)
{
        if (!*path) {
                int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                return fd < 0 ? ross_err(err, errno, "duplicate the fd of the root directory") : fd;
        }
        if (ross_resolve_have_openat2() && strlen(path) < 4096) {
                struct open_how how = {
                        .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
                                   ((flags & ROSS_RESOLVE_NO_SYMLINKS) ? RESOLVE_NO_SYMLINKS : 0),
                };
                int fd = sys_openat2(rootfd, path, &how);
                if (fd >= 0)
                        return fd;
                if (errno == ENOSYS) {
                        atomic_store(&openat2_state, -1);
                } else if (errno != ENOENT || !(flags & ROSS_RESOLVE_MKDIR)) {
                        /* EAGAIN (a rename raced the lookup) and the like: let the walk decide */
                        if (errno != EAGAIN && errno != EXDEV)
                                return ross_err(err,
                                                errno == ELOOP && (flags & ROSS_RESOLVE_NO_SYMLINKS)
                                                        ? ELOOP
                                                        : errno,
                                                "'%s'", path);
                }
        }
        return resolve_walk(rootfd, path, flags, err);
}
