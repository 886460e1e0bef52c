/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's filesystem changes (changes.h). The walk goes by directory fds opened with
 * O_NOFOLLOW: the upper dir (or the VM's root) is the container's to write while we read
 * it, so nothing in it is ever resolved as a path, and an entry that changes under us is
 * taken as it is found (or left out when it is gone).
 */
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "../backend/backend.h"
#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../unpack/resolve.h"
#include "changes.h"
#include "config.h"
#include "containers.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"
#define CAP_XATTR    "security.capability"
#define CAP_MAX      128 /* a v3 capability set is 24 bytes */

/* The old tree's directories at one path, top layer first (one for a plain tree). */
typedef struct Dirs {
        int *fd;
        size_t n;
        bool owned; /* the fds are ours to close */
} Dirs;

static void dirs_done(Dirs *d)
{
        if (d->owned)
                for (size_t i = 0; i < d->n; i++)
                        safe_close(d->fd[i]);
        if (d->owned)
                free(d->fd);
        *d = (Dirs){};
}

typedef struct Walk {
        bool overlay; /* whiteouts and opaque directories mean what overlayfs makes of them */
        json_t *changes;
        json_t *inodes; /* "dev:ino" of the hard-linked files counted in size */
        int64_t size;
        RossError *err;
} Walk;

/* The init layer's mount points: what is there is the runtime's, not the container's. */
static bool excluded(const char *path)
{
        static const char *const paths[] = {"/proc",      "/sys",          "/dev",
                                            "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"};
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (STREQ(path, paths[i]))
                        return true;
        return false;
}

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dfd)
{
        char v[2];
        return fgetxattr(dfd, OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* A name's security.capability (its length; 0 when it has none). */
static size_t capability(int dfd, const char *name, char *buf, size_t n)
{
        char p[64 + NAME_MAX];
        snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dfd, name);
        ssize_t r = lgetxattr(p, CAP_XATTR, buf, n);
        return r > 0 ? (size_t)r : 0;
}

/* Go's sameFsTime: equal, or the same second with either side's nanoseconds zero (tar
 * keeps whole seconds). */
static bool same_time(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec == b->tv_sec &&
               (a->tv_nsec == b->tv_nsec || a->tv_nsec == 0 || b->tv_nsec == 0);
}

/* Docker's statDifferent: mode, owner and device; size and mtime, but not for a directory. */
static bool stat_differs(const struct stat *o, const struct stat *n)
{
        if (o->st_mode != n->st_mode || o->st_uid != n->st_uid || o->st_gid != n->st_gid ||
            o->st_rdev != n->st_rdev)
                return true;
        if (S_ISDIR(n->st_mode))
                return false;
        return o->st_size != n->st_size || !same_time(&o->st_mtim, &n->st_mtim);
}

/* A path as JSON text: bytes that are not UTF-8 become U+FFFD, as Go's encoder writes them. */
static json_t *path_string(const char *s)
{
        RossBuf b = {};
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                size_t len = *p < 0x80         ? 1
                             : (*p >> 5) == 6  ? 2
                             : (*p >> 4) == 14 ? 3
                             : (*p >> 3) == 30 ? 4
                                               : 0;
                bool valid = len > 0;
                for (size_t i = 1; valid && i < len; i++)
                        valid = (p[i] & 0xc0) == 0x80;
                if (valid && len > 1) {
                        /* no overlong forms, surrogates or code points past U+10FFFF */
                        unsigned cp = len == 2   ? ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu)
                                      : len == 3 ? ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) |
                                                           (p[2] & 0x3fu)
                                                 : ((p[0] & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) |
                                                           ((p[2] & 0x3fu) << 6) | (p[3] & 0x3fu);
                        valid = (len == 2 && cp >= 0x80) ||
                                (len == 3 && cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff)) ||
                                (len == 4 && cp >= 0x10000 && cp <= 0x10ffff);
                }
                if (valid) {
                        ross_buf_append(&b, p, len);
                        p += len;
                } else {
                        ross_buf_append(&b, "\xef\xbf\xbd", 3);
                        p++;
                }
        }
        _cleanup_free_ char *text = ross_buf_steal(&b);
        return json_string(text);
}

static void record(Walk *w, const char *path, RossChangeKind kind)
{
        json_array_append_new(
                w->changes, json_pack("{s:o, s:i}", "Path", path_string(path), "Kind", (int)kind));
}

/* What an added or modified non-directory weighs; a hard-linked file once. */
static void count_size(Walk *w, const struct stat *st)
{
        if (S_ISDIR(st->st_mode) || st->st_size <= 0)
                return;
        if (st->st_nlink > 1) {
                char key[48];
                snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st->st_dev,
                         (unsigned long long)st->st_ino);
                if (json_object_get(w->inodes, key))
                        return;
                json_object_set_new(w->inodes, key, json_true());
        }
        w->size += st->st_size;
}

typedef struct Names {
        char **v;
        size_t n;
} Names;

static void names_done(Names *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (Names){};
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory dfd, sorted. shown: its path, for messages. */
static int list_names(int dfd, const char *shown, Names *ret, RossError *err)
{
        /* a description of our own: readdir moves its offset */
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return ross_err(err, errno, "open directory '%s'", *shown ? shown : "/");
        _cleanup_(closedirp) DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return ross_err(err, errno, "read directory '%s'", *shown ? shown : "/");
        }
        Names l = {};
        size_t alloc = 0;
        struct dirent *de;
        errno = 0;
        while ((de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                        continue;
                if (l.n == alloc) {
                        alloc = alloc ? alloc * 2 : 16;
                        l.v = xrealloc(l.v, alloc * sizeof(char *));
                }
                l.v[l.n++] = xstrdup(de->d_name);
        }
        if (errno != 0) {
                int e = errno;
                names_done(&l);
                return ross_err(err, e, "read directory '%s'", *shown ? shown : "/");
        }
        if (l.n)
                qsort(l.v, l.n, sizeof(char *), cmp_name);
        *ret = l;
        return 0;
}

static bool has_name(const Names *l, const char *name)
{
        const char *key = name;
        return l->n && bsearch(&key, l->v, l->n, sizeof(char *), cmp_name) != NULL;
}

/*
 * name in the old tree at old: *ret_found, and the stat and layer (its directory there) of
 * the topmost entry, the one overlayfs shows; with ret_dirs (for a new directory), the old
 * directories it merges, top first. A whiteout hides everything below it, so does a non-directory,
 * and an opaque directory what is below that directory.
 */
static int lookup(Walk *w, const Dirs *old, const char *name, const char *shown, bool *ret_found,
                  struct stat *ret_st, int *ret_layer_fd, Dirs *ret_dirs)
{
        *ret_found = false;
        for (size_t i = 0; i < old->n; i++) {
                struct stat st;
                if (fstatat(old->fd[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return ross_err(w->err, errno, "stat '%s' in the image", shown);
                }
                if (w->overlay && is_whiteout(&st))
                        break;
                if (!*ret_found) {
                        *ret_found = true;
                        *ret_st = st;
                        *ret_layer_fd = old->fd[i];
                }
                if (!S_ISDIR(st.st_mode) || !ret_dirs)
                        break;
                int fd = openat(old->fd[i], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return ross_err(w->err, errno, "open '%s' in the image", shown);
                ret_dirs->fd = xrealloc(ret_dirs->fd, (ret_dirs->n + 1) * sizeof(int));
                ret_dirs->fd[ret_dirs->n++] = fd;
                ret_dirs->owned = true;
                if (w->overlay && is_opaque(fd))
                        break;
        }
        return 0;
}

/* What the old tree has at path and the new one does not: deleted. Only where the new
 * directory alone makes the merged one (tree against tree, an opaque or new directory). */
static int deletions(Walk *w, const char *path, const Dirs *old, const Names *now)
{
        json_auto_t *seen = json_object(); /* name -> still there below the layers above */
        for (size_t i = 0; i < old->n; i++) {
                _cleanup_(names_done) Names l = {};
                int r = list_names(old->fd[i], path, &l, w->err);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < l.n; k++) {
                        if (json_object_get(seen, l.v[k]))
                                continue;
                        struct stat st;
                        bool gone = w->overlay &&
                                    fstatat(old->fd[i], l.v[k], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                    is_whiteout(&st);
                        json_object_set_new(seen, l.v[k], json_boolean(!gone));
                }
        }
        /* in name order, as the walk goes */
        const char *name;
        json_t *there;
        _cleanup_(names_done) Names all = {};
        all.v = xcalloc(json_object_size(seen) + 1, sizeof(char *));
        json_object_foreach (seen, name, there)
                if (json_is_true(there) && !has_name(now, name))
                        all.v[all.n++] = xstrdup(name);
        if (all.n)
                qsort(all.v, all.n, sizeof(char *), cmp_name);
        for (size_t k = 0; k < all.n; k++) {
                _cleanup_free_ char *child = xasprintf("%s/%s", path, all.v[k]);
                if (!excluded(child))
                        record(w, child, ROSS_CHANGE_DELETED);
        }
        return 0;
}

static int walk_dir(Walk *w, const char *path, int new_fd, const Dirs *old, bool only_new,
                    unsigned depth);

static int walk_entry(Walk *w, const char *path, int new_fd, const Dirs *old, bool only_new,
                      const char *name, unsigned depth)
{
        _cleanup_free_ char *child = xasprintf("%s/%s", path, name);
        if (excluded(child))
                return 0;
        struct stat st;
        if (fstatat(new_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0; /* removed while we looked */
                return ross_err(w->err, errno, "stat '%s'", child);
        }
        bool found = false;
        struct stat ost = {};
        int layer = -EBADF;
        _cleanup_(dirs_done) Dirs sub = {};
        int r = lookup(w, old, name, child, &found, &ost, &layer,
                       S_ISDIR(st.st_mode) ? &sub : NULL);
        if (r < 0)
                return r;
        if (w->overlay && is_whiteout(&st)) {
                if (found)
                        record(w, child, ROSS_CHANGE_DELETED);
                return 0;
        }
        bool recorded = true;
        if (!found)
                record(w, child, ROSS_CHANGE_ADDED);
        else if (stat_differs(&ost, &st))
                record(w, child, ROSS_CHANGE_MODIFIED);
        else if (S_ISREG(st.st_mode)) {
                char a[CAP_MAX], b[CAP_MAX];
                size_t na = capability(new_fd, name, a, sizeof(a));
                size_t nb = capability(layer, name, b, sizeof(b));
                recorded = na != nb || memcmp(a, b, na) != 0;
                if (recorded)
                        record(w, child, ROSS_CHANGE_MODIFIED);
        } else
                recorded = false;
        if (recorded)
                count_size(w, &st);
        if (!S_ISDIR(st.st_mode))
                return 0;

        _cleanup_close_ int cfd =
                openat(new_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0) {
                if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
                        return 0; /* replaced while we looked */
                return ross_err(w->err, errno, "open '%s'", child);
        }
        bool old_dir = found && S_ISDIR(ost.st_mode);
        static const Dirs none = {};
        bool child_only_new = only_new || !old_dir || (w->overlay && is_opaque(cfd));
        int k = walk_dir(w, child, cfd, old_dir ? &sub : &none, child_only_new, depth + 1);
        if (k < 0)
                return k;
        /* a directory with changes below it is listed, as Docker does */
        if (k > 0 && !recorded)
                record(w, child, ROSS_CHANGE_MODIFIED);
        return 0;
}

/* One directory of the new tree; returns how many changes it holds (or a negative errno). */
static int walk_dir(Walk *w, const char *path, int new_fd, const Dirs *old, bool only_new,
                    unsigned depth)
{
        if (depth > ROSS_PATH_MAX_DEPTH)
                return ross_errx(w->err, ELOOP, "'%s' is more than %d directories deep", path,
                                 ROSS_PATH_MAX_DEPTH);
        size_t before = json_array_size(w->changes);
        _cleanup_(names_done) Names l = {};
        int r = list_names(new_fd, path, &l, w->err);
        if (r == 0 && only_new && old->n)
                r = deletions(w, path, old, &l);
        for (size_t i = 0; r == 0 && i < l.n; i++)
                r = walk_entry(w, path, new_fd, old, only_new, l.v[i], depth);
        if (r < 0)
                return r;
        size_t n = json_array_size(w->changes) - before;
        return n > INT32_MAX ? INT32_MAX : (int)n;
}

static int cmp_change(const void *a, const void *b)
{
        const char *x = json_string_value(json_object_get(*(json_t *const *)a, "Path"));
        const char *y = json_string_value(json_object_get(*(json_t *const *)b, "Path"));
        return strcmp(x ?: "", y ?: "");
}

static json_t *sorted(json_t *changes)
{
        size_t n = json_array_size(changes);
        _cleanup_free_ json_t **v = xcalloc(n + 1, sizeof(json_t *));
        for (size_t i = 0; i < n; i++)
                v[i] = json_array_get(changes, i);
        if (n)
                qsort(v, n, sizeof(json_t *), cmp_change);
        json_t *out = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append(out, v[i]);
        return out;
}

static int run(bool overlay, int new_fd, const int *old_fds, size_t n_old, json_t **ret,
               int64_t *ret_size, RossError *err)
{
        json_auto_t *changes = json_array(), *inodes = json_object();
        Walk w = {.overlay = overlay, .changes = changes, .inodes = inodes, .err = err};
        Dirs old = {.fd = (int *)old_fds, .n = n_old};
        bool only_new = !overlay || is_opaque(new_fd);
        int r = walk_dir(&w, "", new_fd, &old, only_new, 0);
        if (r < 0)
                return r;
        *ret = sorted(changes);
        if (ret_size)
                *ret_size = w.size;
        return 0;
}

int ross_changes_overlay(int upper_fd, const int *lower_fds, size_t n_lower, json_t **ret,
                         RossError *err)
{
        return run(true, upper_fd, lower_fds, n_lower, ret, NULL, err);
}

int ross_changes_trees(int new_fd, int old_fd, json_t **ret, int64_t *ret_size, RossError *err)
{
        return run(false, new_fd, &old_fd, 1, ret, ret_size, err);
}

static int64_t size_walk(int dfd, json_t *inodes, unsigned depth)
{
        _cleanup_(names_done) Names l = {};
        int64_t total = 0;
        if (depth > ROSS_PATH_MAX_DEPTH || list_names(dfd, "", &l, NULL) < 0)
                return 0;
        for (size_t i = 0; i < l.n; i++) {
                struct stat st;
                if (fstatat(dfd, l.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!S_ISDIR(st.st_mode)) {
                        Walk w = {.inodes = inodes};
                        count_size(&w, &st);
                        total += w.size;
                        continue;
                }
                _cleanup_close_ int cfd =
                        openat(dfd, l.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd >= 0)
                        total += size_walk(cfd, inodes, depth + 1);
        }
        return total;
}

int64_t ross_changes_tree_size(int dir_fd)
{
        json_auto_t *inodes = json_object();
        return size_walk(dir_fd, inodes, 0);
}

/* ---- the container service ---- */

/* The container's typed config and whether its root is an overlay (else a VM's clone). */
static int layout(RossContainers *c, const char *id, RossContainerConfig *cfg, bool *ret_overlay,
                  RossError *err)
{
        json_auto_t *row = NULL;
        int r = ross_containers_config_load(c, id, &row, cfg, err);
        if (r < 0)
                return r;
        const RossBackend *be = ross_backend_find(cfg->runtime);
        if (!be)
                return ross_errx(err, EINVAL, "container %.12s: unknown runtime %s", id,
                                 cfg->runtime ?: "(none)");
        *ret_overlay = STREQ(be->kind, "oci");
        return 0;
}

/* A directory of the container's own; -ENOENT quietly when it is not there (yet). */
static int open_own(RossContainers *c, const char *id, const char *name, RossError *err)
{
        _cleanup_free_ char *p = ross_containers_path(c, id, name);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT : ross_err(err, errno, "open '%s'", p);
        return fd;
}

typedef struct Fds {
        int *v;
        size_t n;
} Fds;

static void fds_done(Fds *f)
{
        for (size_t i = 0; i < f->n; i++)
                safe_close(f->v[i]);
        free(f->v);
}

/* The lower layers of a container's overlay, top first: the init layer, then the image's
 * snapshots from the top one down. */
static int open_lowers(RossContainers *c, const char *image_id, Fds *ret, RossError *err)
{
        json_auto_t *ids = NULL;
        int r = ross_db_image_snapshot_ids(c->db, image_id, &ids, err);
        if (r < 0)
                return r;
        size_t n = json_array_size(ids) + 1;
        ret->v = xcalloc(n, sizeof(int));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p =
                        i == 0 ? ross_snapshots_init_path(c->images->snapshots)
                               : ross_snapshots_path(
                                         c->images->snapshots,
                                         json_integer_value(json_array_get(ids, n - 1 - i)));
                int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return ross_err(err, errno, "open layer '%s'", p);
                ret->v[ret->n++] = fd;
        }
        return 0;
}

/* A VM container's root and the image's flat rootfs it was cloned from; *ret_root -EBADF
 * when it has no root yet (it never started). */
static int open_vm(RossContainers *c, const char *id, const RossContainerConfig *cfg, int *ret_root,
                   int *ret_flat, RossError *err)
{
        _cleanup_close_ int root = open_own(c, id, "rootfs", err);
        if (root == -ENOENT) {
                *ret_root = *ret_flat = -EBADF;
                return 0;
        }
        if (root < 0)
                return root;
        _cleanup_free_ char *flat = NULL;
        int r = ross_images_flat(c->images, cfg->image_id, &flat, err);
        if (r < 0)
                return r;
        int fd = open(flat, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return ross_err(err, errno, "open the flat rootfs '%s'", flat);
        *ret_root = TAKE_FD(root);
        *ret_flat = fd;
        return 0;
}

int ross_containers_changes(RossContainers *c, const char *ref, json_t **ret, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        bool overlay;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r == 0)
                r = layout(c, id, &cfg, &overlay, err);
        if (r < 0)
                return r;
        if (overlay) {
                _cleanup_close_ int upper = open_own(c, id, "upper", err);
                _cleanup_(fds_done) Fds lowers = {};
                if (upper == -ENOENT) {
                        *ret = json_array(); /* it never started */
                        return 0;
                }
                if (upper < 0 || (r = open_lowers(c, cfg.image_id, &lowers, err)) < 0)
                        return upper < 0 ? upper : r;
                r = ross_changes_overlay(upper, lowers.v, lowers.n, ret, err);
        } else {
                _cleanup_close_ int root = -EBADF, flat = -EBADF;
                r = open_vm(c, id, &cfg, &root, &flat, err);
                if (r == 0 && root < 0) {
                        *ret = json_array();
                        return 0;
                }
                if (r == 0)
                        r = ross_changes_trees(root, flat, ret, NULL, err);
        }
        return r < 0 ? ross_err_prefix(err, "changes of container %.12s", id) : 0;
}

int ross_containers_size(RossContainers *c, const char *id, int64_t *ret_rw, int64_t *ret_rootfs,
                         RossError *err)
{
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        json_auto_t *img = NULL;
        bool overlay;
        int64_t rw = 0;
        int r = layout(c, id, &cfg, &overlay, err);
        if (r < 0)
                return r;
        if (overlay) {
                _cleanup_close_ int upper = open_own(c, id, "upper", err);
                if (upper >= 0)
                        rw = ross_changes_tree_size(upper);
                else if (upper != -ENOENT)
                        return upper;
        } else {
                _cleanup_close_ int root = -EBADF, flat = -EBADF;
                json_auto_t *changes = NULL;
                r = open_vm(c, id, &cfg, &root, &flat, err);
                if (r == 0 && root >= 0)
                        r = ross_changes_trees(root, flat, &changes, &rw, err);
                if (r < 0)
                        return r;
        }
        int64_t image = 0;
        if (ross_db_image_get(c->db, cfg.image_id, &img, NULL) == 0)
                image = json_integer_value(json_object_get(img, "Size"));
        *ret_rw = rw;
        *ret_rootfs = rw + image;
        return 0;
}
