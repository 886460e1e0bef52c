/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's file systems: /proc, /sys and /dev of the initramfs, the config and root
 * shares (virtio-9p; the root and volumes over virtio-fs when the config says so), the switch into
 * the root, and the container's mounts inside it.
 *
 * Everything inside the container's root is mounted after the switch, so a path of the
 * config (a volume's, a tmpfs's, /etc/hosts) and any symlink in the image resolve inside
 * the guest's own root, never in the initramfs. The files of the config share, hidden
 * once the root is switched, are bound from O_PATH fds opened before it.
 *
 * Under libkrun there is no switch: its init has mounted /proc, /sys, /dev, /dev/pts and
 * /dev/shm in the container's root, which is / already, and the same container mounts are
 * made there.
 */
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../vm/proto.h"
#include "guest.h"

#define NINEP_OPTS "trans=virtio,version=9p2000.L,msize=262144"
/* a share's device registers when its driver probes it: normally before the mount */
#define SHARE_WAIT_MS 3000

static int mkdir_p(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);
        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                if (!c)
                        return 0;
                *s = c;
        }
}

/* --share-dir, a test seam: the share is the directory share_dir/tag, bound. */
static int bind_share(const char *share_dir, const char *tag, const char *dir, unsigned long flags,
                      RossError *err)
{
        _cleanup_free_ char *src = xasprintf("%s/%s", share_dir, tag);
        if (mount(src, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
                return ross_err(err, errno, "bind the share '%s' on '%s'", src, dir);
        if (flags && mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
                return ross_err(err, errno, "remount the share '%s' on '%s'", src, dir);
        return 0;
}

/* A share of the host: over 9p (extra: its options beyond NINEP_OPTS) or virtio-fs; a
 * directory under share_dir instead when that is not NULL. */
static int mount_share(const char *tag, const char *dir, unsigned long flags, bool virtiofs,
                       const char *extra, const char *share_dir, RossError *err)
{
        _cleanup_free_ char *opts =
                extra ? xasprintf(NINEP_OPTS ",%s", extra) : xstrdup(NINEP_OPTS);
        const char *type = virtiofs ? "virtiofs" : "9p";
        int64_t end = ross_guest_now_ms() + SHARE_WAIT_MS;
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return ross_err(err, -r, "mkdir '%s'", dir);
        if (share_dir)
                return bind_share(share_dir, tag, dir, flags, err);
        for (;;) {
                if (mount(tag, dir, type, flags, virtiofs ? NULL : opts) == 0)
                        return 0;
                /* no device with that tag (yet): 9p says ENOENT, virtio-fs EINVAL */
                if ((errno != ENOENT && !(virtiofs && errno == EINVAL)) ||
                    ross_guest_now_ms() >= end)
                        return ross_err(err, errno, "mount the %s share \"%s\" on '%s'", type, tag,
                                        dir);
                nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
}

static int mount_fs(const char *type, const char *dir, unsigned long flags, const char *data,
                    RossError *err)
{
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return ross_err(err, -r, "mkdir '%s'", dir);
        if (mount(type, dir, type, flags, data) < 0)
                return ross_err(err, errno, "mount %s on '%s'", type, dir);
        return 0;
}

int ross_guest_mount_early(RossError *err)
{
        int r;
        if ((r = mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0 ||
            (r = mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0 ||
            (r = mount_fs("devtmpfs", "/dev", MS_NOSUID, "mode=0755", err)) < 0)
                return r;
        return 0;
}

int ross_guest_mount_config(const char *dir, RossError *err)
{
        return mount_share(ROSS_VM_TAG_CONFIG, dir, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           false, NULL, NULL, err);
}

int ross_guest_mount_root(const RossGuestConfig *c, const char *dir, RossError *err)
{
        /* read-write even for readonly_root: the mount points are made first, then the
         * root is made read-only (ross_guest_mount_container) */
        return mount_share(ROSS_VM_TAG_ROOT, dir, 0, c->virtiofs, "cache=mmap", NULL, err);
}

int ross_guest_switch_root(const char *dir, RossError *err)
{
        if (chdir(dir) < 0)
                return ross_err(err, errno, "chdir '%s'", dir);
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                return ross_err(err, errno, "move '%s' onto /", dir);
        if (chroot(".") < 0)
                return ross_err(err, errno, "chroot '%s'", dir);
        if (chdir("/") < 0)
                return ross_err(err, errno, "chdir /");
        return 0;
}

/* Whether dir is a mount point: not on its parent's file system. Enough for what libkrun's
 * init mounts (proc, sysfs, devtmpfs on the root's directories). */
static bool mounted(const char *dir)
{
        struct stat st, up;
        _cleanup_free_ char *parent = xasprintf("%s/..", dir);
        return stat(dir, &st) == 0 && stat(parent, &up) == 0 && st.st_dev != up.st_dev;
}

/* mount_fs, or with keep the file system that is there already (made read-only for
 * MS_RDONLY: a bind remount changes this mount alone). */
static int mount_or_keep(bool keep, const char *type, const char *dir, unsigned long flags,
                         const char *data, RossError *err)
{
        if (!keep || !mounted(dir))
                return mount_fs(type, dir, flags, data, err);
        if ((flags & MS_RDONLY) && mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
                return ross_err(err, errno, "make '%s' read-only", dir);
        return 0;
}

int ross_guest_mount_system(bool keep, RossError *err)
{
        int r;
        /* /dev/pts and /dev/shm are always mounted anew: a second devpts or tmpfs is a new
         * instance over the one there, with our options */
        if ((r = mount_or_keep(keep, "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
                               err)) < 0 ||
            /* read-only, as in a container: the agent's channels are devices under it */
            (r = mount_or_keep(keep, "sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                               NULL, err)) < 0 ||
            (r = mount_or_keep(keep, "devtmpfs", "/dev", MS_NOSUID, "mode=0755", err)) < 0 ||
            (r = mount_fs("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
                          "newinstance,ptmxmode=0666,mode=0620,gid=5", err)) < 0)
                return r;
        /* /dev/ptmx opens this devpts instance's master */
        if (mount("/dev/pts/ptmx", "/dev/ptmx", NULL, MS_BIND, NULL) < 0)
                return ross_err(err, errno, "bind /dev/pts/ptmx on /dev/ptmx");
        if ((r = mount_fs("tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          "mode=1777,size=65536k", err)) < 0)
                return r;
        /* POSIX message queues, when the kernel has them */
        (void)mount_fs("mqueue", "/dev/mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, NULL);
        /* what a container's /dev has and devtmpfs has not (devtmpfs is one instance
         * for all its mounts: these may be there from an earlier mount) */
        static const char *const links[][2] = {
                {"/proc/self/fd", "/dev/fd"},
                {"/proc/self/fd/0", "/dev/stdin"},
                {"/proc/self/fd/1", "/dev/stdout"},
                {"/proc/self/fd/2", "/dev/stderr"},
        };
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
                        return ross_err(err, errno, "symlink '%s'", links[i][1]);
        return 0;
}

enum { M_DEFAULT_TMPFS, M_VOLUME, M_TMPFS, M_ETC };

typedef struct Mount {
        int kind;
        const char *path;
        size_t index; /* into the config's volumes or tmpfs, or etc_fds */
        size_t order; /* the config's: a tie between depths keeps it */
        unsigned depth;
} Mount;

static unsigned depth_of(const char *p)
{
        unsigned d = 0;
        for (; *p; p++)
                if (*p == '/' && p[1] && p[1] != '/')
                        d++;
        return d;
}

static int cmp_mount(const void *a, const void *b)
{
        const Mount *x = a, *y = b;
        if (x->depth != y->depth)
                return x->depth < y->depth ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

static const char *const etc_files[3] = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"};

/* An image's /run or /tmp with something in it is left alone; a missing one is made. */
static bool wants_default_tmpfs(const char *path)
{
        DIR *d = opendir(path);
        if (!d)
                return errno == ENOENT && mkdir(path, 0755) == 0;
        struct dirent *de;
        bool empty = true;
        while (empty && (de = readdir(d)))
                empty = STREQ(de->d_name, ".") || STREQ(de->d_name, "..");
        closedir(d);
        return empty;
}

/* The file a bind goes on: made (empty) when missing. A symlink is followed, inside the
 * guest's root. */
static int ensure_file(const char *path)
{
        struct stat st;
        if (stat(path, &st) == 0)
                return 0;
        _cleanup_free_ char *dir = xstrdup(path);
        *strrchr(dir, '/') = '\0';
        if (*dir)
                (void)mkdir_p(dir, 0755);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, 0644);
        return fd < 0 ? -errno : 0;
}

static int mount_one(const Mount *m, const RossGuestConfig *c, const int etc_fds[3],
                     const char *share_dir, RossError *err)
{
        int r;
        switch (m->kind) {
        case M_DEFAULT_TMPFS:
                if (!wants_default_tmpfs(m->path))
                        return 0;
                if (mount("tmpfs", m->path, "tmpfs", MS_NOSUID | MS_NODEV,
                          STREQ(m->path, "/tmp") ? "mode=1777" : "mode=0755") < 0)
                        return ross_err(err, errno, "mount tmpfs on '%s'", m->path);
                return 0;
        case M_VOLUME: {
                const RossGuestVolume *v = &c->volumes[m->index];
                r = mount_share(v->tag, v->path, v->ro ? MS_RDONLY : 0, c->virtiofs, "cache=mmap",
                                share_dir, err);
                return r < 0 ? ross_err_prefix(err, "volume %s", v->path) : 0;
        }
        case M_TMPFS: {
                const RossGuestTmpfs *t = &c->tmpfs[m->index];
                r = mkdir_p(t->path, 0755);
                if (r < 0)
                        return ross_err(err, -r, "tmpfs: mkdir '%s'", t->path);
                if (mount("tmpfs", t->path, "tmpfs", t->flags, t->data) < 0)
                        return ross_err(err, errno, "mount tmpfs on '%s' (%s)", t->path, t->data);
                return 0;
        }
        case M_ETC: {
                r = ensure_file(m->path);
                if (r < 0)
                        return ross_err(err, -r, "create '%s'", m->path);
                _cleanup_free_ char *src = xasprintf("/proc/self/fd/%d", etc_fds[m->index]);
                if (mount(src, m->path, NULL, MS_BIND, NULL) < 0)
                        return ross_err(err, errno, "bind the config's %s on '%s'",
                                        strrchr(m->path, '/') + 1, m->path);
                return 0;
        }
        }
        return 0;
}

int ross_guest_mount_container(const RossGuestConfig *c, const int etc_fds[3],
                               const char *share_dir, RossError *err)
{
        static const char *const defaults[] = {"/run", "/tmp"};
        size_t cap = ELEMENTSOF(defaults) + c->n_volumes + c->n_tmpfs + 3, n = 0;
        _cleanup_free_ Mount *m = xcalloc(cap, sizeof(Mount));

        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                bool taken = false;
                for (size_t j = 0; j < c->n_volumes; j++)
                        taken |= STREQ(c->volumes[j].path, defaults[i]);
                for (size_t j = 0; j < c->n_tmpfs; j++)
                        taken |= STREQ(c->tmpfs[j].path, defaults[i]);
                if (!taken)
                        m[n++] = (Mount){M_DEFAULT_TMPFS, defaults[i], i};
        }
        for (size_t i = 0; i < c->n_volumes; i++)
                m[n++] = (Mount){M_VOLUME, c->volumes[i].path, i};
        for (size_t i = 0; i < c->n_tmpfs; i++)
                m[n++] = (Mount){M_TMPFS, c->tmpfs[i].path, i};
        for (size_t i = 0; i < 3; i++)
                if (etc_fds[i] >= 0)
                        m[n++] = (Mount){M_ETC, etc_files[i], i};
        for (size_t i = 0; i < n; i++) {
                m[i].order = i;
                m[i].depth = depth_of(m[i].path);
        }
        /* parents before what goes inside them, as Docker sorts a container's mounts */
        qsort(m, n, sizeof(Mount), cmp_mount);
        for (size_t i = 0; i < n; i++) {
                int r = mount_one(&m[i], c, etc_fds, share_dir, err);
                if (r < 0)
                        return r;
        }
        if (c->readonly_root && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                return ross_err(err, errno, "make the root read-only");
        return 0;
}

void ross_guest_umount_volumes(const RossGuestConfig *c)
{
        for (size_t i = c->n_volumes; i-- > 0;)
                if (umount2(c->volumes[i].path, 0) < 0)
                        (void)umount2(c->volumes[i].path, MNT_DETACH);
}
