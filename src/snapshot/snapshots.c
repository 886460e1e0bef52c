/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../store/digest.h"
#include "snapshots.h"

/* Mount options live in one page; keep the lowerdir list short with relative paths. */
#define MOUNT_OPTS_MAX 4000

struct RossSnapshots {
        char *dir; /* <data>/snapshots */
        RossDb *db;
        pthread_mutex_t lock; /* commits and garbage collection */
        json_t *held;         /* chain id -> count of pulls that need it */
};

/* A snapshot being unpacked: a private directory, snapshots/.tmp-<random>, until commit
 * gives it a row and its place. Two pulls of the same chain may both unpack it; the
 * first commit wins and the other is thrown away, so no pull ever waits for another. */
struct RossSnapshotTx {
        RossSnapshots *s;
        char *chain_id, *parent, *diff_id;
        char *tmp; /* snapshots/.tmp-XXXX */
        int fd;    /* its fs/ */
};

void ross_chain_id(const char *parent_chain, const char *diff_id, char *out)
{
        if (!parent_chain) {
                memcpy(out, diff_id, ROSS_DIGEST_LEN + 1);
                return;
        }
        _cleanup_free_ char *s = xasprintf("%s %s", parent_chain, diff_id);
        ross_digest_buf(s, strlen(s), out);
}

/* The layer every container's overlay gets on top of its image (Docker's "init layer"):
 * the directories and files the runtime mounts over, so that it creates none of them in
 * each container's upper dir, and an image's /etc/hosts symlink is never followed. */
static int make_init_layer(RossSnapshots *s, RossError *err)
{
        static const char *const dirs[] = {"proc", "sys", "dev", "etc"};
        static const char *const files[] = {"etc/hosts", "etc/hostname", "etc/resolv.conf"};
        _cleanup_free_ char *root = xasprintf("%s/init", s->dir);
        int r = ross_mkdir_p(root, 0755, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", root, dirs[i]);
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return ross_err(err, errno, "mkdir '%s'", p);
        }
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", root, files[i]);
                int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0)
                        return ross_err(err, errno, "create '%s'", p);
                close(fd);
        }
        return 0;
}

int ross_snapshots_open(const char *data_dir, RossDb *db, RossSnapshots **ret, RossError *err)
{
        RossSnapshots *s = xcalloc(1, sizeof(*s));
        s->dir = xasprintf("%s/snapshots", data_dir);
        s->db = db;
        pthread_mutex_init(&s->lock, NULL);
        s->held = json_object();
        _cleanup_free_ char *empty = xasprintf("%s/empty", s->dir);
        int r = ross_mkdir_p(empty, 0700, err);
        if (r == 0)
                r = make_init_layer(s, err);
        if (r < 0) {
                ross_snapshots_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

void ross_snapshots_free(RossSnapshots *s)
{
        if (!s)
                return;
        json_decref(s->held);
        pthread_mutex_destroy(&s->lock);
        free(s->dir);
        free(s);
}

char *ross_snapshots_path(RossSnapshots *s, int64_t id)
{
        return xasprintf("%s/%lld/fs", s->dir, (long long)id);
}

char *ross_snapshots_init_path(RossSnapshots *s)
{
        return xasprintf("%s/init", s->dir);
}

static void remove_dir(RossSnapshots *s, int64_t id)
{
        _cleanup_free_ char *d = xasprintf("%s/%lld", s->dir, (long long)id);
        int r = ross_rm_rf(d);
        if (r < 0)
                log_debug("snapshots: remove %s: %s", d, strerror(-r));
}

int ross_snapshots_recover(RossSnapshots *s, RossError *err)
{
        _cleanup_(json_decrefp) json_t *all = NULL;
        _cleanup_(json_decrefp) json_t *known = json_object();
        json_t *row;
        size_t i;
        /* a database that cannot answer says nothing of what is in use: remove nothing */
        int r0 = ross_db_snapshot_list(s->db, &all, err);
        if (r0 < 0)
                return r0;

        json_array_foreach (all, i, row) {
                int64_t id = json_integer_value(json_object_get(row, "id"));
                char key[32];
                snprintf(key, sizeof(key), "%lld", (long long)id);
                _cleanup_free_ char *fs = ross_snapshots_path(s, id);
                struct stat st;
                if (!json_is_true(json_object_get(row, "committed")) || stat(fs, &st) < 0) {
                        log_debug("snapshots: dropping half-made snapshot %s (%s)", key,
                                  json_string_value(json_object_get(row, "chain_id")));
                        remove_dir(s, id);
                        ross_db_snapshot_delete(s->db, id);
                        continue;
                }
                json_object_set_new(known, key, json_true());
        }

        DIR *d = opendir(s->dir);
        struct dirent *de;
        if (!d)
                return ross_err(err, errno, "open '%s'", s->dir);
        while ((de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, "..") ||
                    STREQ(de->d_name, "empty") || STREQ(de->d_name, "init") ||
                    json_object_get(known, de->d_name))
                        continue;
                /* .tmp-*: an unpack a crash interrupted */
                log_debug("snapshots: removing stray directory %s", de->d_name);
                ross_rm_rf_at(dirfd(d), de->d_name);
        }
        closedir(d);
        return 0;
}

static bool committed(RossSnapshots *s, const char *chain_id)
{
        RossSnapshotRow row;
        struct stat st;
        if (ross_db_snapshot_get(s->db, chain_id, &row) < 0 || !row.committed)
                return false;
        _cleanup_free_ char *fs = ross_snapshots_path(s, row.id);
        return stat(fs, &st) == 0;
}

int ross_snapshots_begin(RossSnapshots *s, const char *chain_id, const char *parent,
                         const char *diff_id, RossSnapshotTx **ret, RossError *err)
{
        char rnd[17];
        int r;

        if (committed(s, chain_id))
                return 1;
        RossSnapshotTx *tx = xcalloc(1, sizeof(*tx));
        tx->s = s;
        tx->chain_id = xstrdup(chain_id);
        tx->parent = parent ? xstrdup(parent) : NULL;
        tx->diff_id = xstrdup(diff_id);
        tx->fd = -EBADF;
        ross_random_hex(rnd, 8);
        tx->tmp = xasprintf("%s/.tmp-%s", s->dir, rnd);
        _cleanup_free_ char *fs = xasprintf("%s/fs", tx->tmp);
        r = ross_mkdir_p(fs, 0755, err);
        if (r == 0) {
                tx->fd = open(fs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (tx->fd < 0)
                        r = ross_err(err, errno, "open '%s'", fs);
        }
        if (r < 0) {
                ross_snapshots_abort(tx);
                return r;
        }
        *ret = tx;
        return 0;
}

int ross_snapshot_tx_fd(RossSnapshotTx *tx)
{
        return tx->fd;
}

const char *ross_snapshot_tx_name(RossSnapshotTx *tx)
{
        const char *slash = strrchr(tx->tmp, '/');
        return slash ? slash + 1 : tx->tmp;
}

static void tx_free(RossSnapshotTx *tx)
{
        if (tx->fd >= 0)
                close(tx->fd);
        free(tx->chain_id);
        free(tx->parent);
        free(tx->diff_id);
        free(tx->tmp);
        free(tx);
}

int ross_snapshots_commit(RossSnapshotTx *tx, int64_t size, RossError *err)
{
        RossSnapshots *s = tx->s;
        int64_t id = 0;
        int r;

        /* The tree reaches the disk before any row names it. */
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = syncfs(tx->fd);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        log_debug("snapshots: %s synced in %.3f s", tx->chain_id,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        if (r < 0) {
                r = ross_err(err, errno, "sync snapshot %s", tx->chain_id);
                ross_snapshots_abort(tx);
                return r;
        }
        pthread_mutex_lock(&s->lock);
        if (committed(s, tx->chain_id)) {
                /* another pull committed the same chain first: same content, keep theirs */
                pthread_mutex_unlock(&s->lock);
                log_debug("snapshots: %s committed meanwhile, dropping our copy", tx->chain_id);
                ross_snapshots_abort(tx);
                return 0;
        }
        RossSnapshotRow old;
        if (ross_db_snapshot_get(s->db, tx->chain_id, &old) == 0) {
                /* a row without its tree (it was removed by hand): replace it */
                remove_dir(s, old.id);
                ross_db_snapshot_delete(s->db, old.id);
        }
        /* "unpacking" until the directory is in place: a crash in between leaves a row the
         * next start drops */
        r = ross_db_snapshot_reserve(s->db, tx->chain_id, tx->parent, tx->diff_id, &id, err);
        if (r == 0) {
                _cleanup_free_ char *dst = xasprintf("%s/%lld", s->dir, (long long)id);
                if (rename(tx->tmp, dst) < 0)
                        r = ross_err(err, errno, "move snapshot into '%s'", dst);
                else
                        (void)ross_fsync_dir(s->dir);
        }
        if (r == 0)
                r = ross_db_snapshot_commit(s->db, id, size, err);
        if (r < 0 && id > 0) {
                remove_dir(s, id);
                ross_db_snapshot_delete(s->db, id);
        }
        pthread_mutex_unlock(&s->lock);
        if (r < 0) {
                ross_snapshots_abort(tx);
                return r;
        }
        log_debug("snapshots: committed %lld (%s)", (long long)id, tx->chain_id);
        tx_free(tx);
        return 0;
}

void ross_snapshots_abort(RossSnapshotTx *tx)
{
        if (!tx)
                return;
        int r = ross_rm_rf(tx->tmp);
        if (r < 0)
                log_debug("snapshots: remove %s: %s", tx->tmp, strerror(-r));
        tx_free(tx);
}

void ross_snapshots_hold(RossSnapshots *s, const char *chain_id)
{
        pthread_mutex_lock(&s->lock);
        json_int_t n = json_integer_value(json_object_get(s->held, chain_id));
        json_object_set_new(s->held, chain_id, json_integer(n + 1));
        pthread_mutex_unlock(&s->lock);
}

void ross_snapshots_release(RossSnapshots *s, const char *chain_id)
{
        pthread_mutex_lock(&s->lock);
        json_int_t n = json_integer_value(json_object_get(s->held, chain_id));
        if (n <= 1)
                json_object_del(s->held, chain_id);
        else
                json_object_set_new(s->held, chain_id, json_integer(n - 1));
        pthread_mutex_unlock(&s->lock);
}

int64_t ross_snapshots_gc(RossSnapshots *s)
{
        int64_t freed = 0;
        pthread_mutex_lock(&s->lock);
        _cleanup_(json_decrefp) json_t *unused = NULL;
        json_t *row;
        size_t i;
        RossError err = {};
        if (ross_db_snapshot_unused(s->db, &unused, &err) < 0)
                log_warn("snapshot garbage collection skipped: %s", err.msg);
        json_array_foreach (unused, i, row) {
                const char *chain = json_string_value(json_object_get(row, "chain_id"));
                int64_t id = json_integer_value(json_object_get(row, "id"));
                RossSnapshotRow info;
                if (json_object_get(s->held, chain))
                        continue;
                if (ross_db_snapshot_get(s->db, chain, &info) == 0)
                        freed += info.size;
                log_debug("snapshots: removing unused snapshot %lld (%s)", (long long)id, chain);
                ross_db_snapshot_delete(s->db, id);
                remove_dir(s, id);
        }
        pthread_mutex_unlock(&s->lock);
        return freed;
}

bool ross_is_mountpoint(const char *target)
{
        struct stat a, b;
        _cleanup_free_ char *parent = xasprintf("%s/..", target);
        if (stat(target, &a) < 0 || stat(parent, &b) < 0)
                return false;
        return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

/* lowerdir lists the top layer first; its paths are relative to the snapshots directory
 * (the child below chdirs there) to stay within the one page mount options get. */
/* chdir is process-wide, so the mount happens in a child: a vfork one, which shares our
 * memory (cheap however big the daemon is) but not our cwd; it makes two syscalls and
 * exits with 0 or the errno. Not ross_spawn: it execs no program, so there is no stderr to
 * capture, and a helper binary would only add a process image to load. */
static __attribute__((noinline)) pid_t mount_in_child(const char *dir, const char *target,
                                                      unsigned long flags, const char *opts)
{
        pid_t pid = vfork();
        if (pid == 0) {
                if (chdir(dir) < 0)
                        _exit(errno);
                if (mount("overlay", target, "overlay", flags, opts) < 0)
                        _exit(errno);
                _exit(0);
        }
        return pid;
}

static int mount_overlay(RossSnapshots *s, json_t *ids, const char *upper, const char *work,
                         const char *target, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf opts = {};
        size_t n = json_array_size(ids);

        if (n == 0)
                return ross_errx(err, EINVAL, "mount overlay at '%s': no snapshots to mount",
                                 target);
        ross_buf_append(&opts, "lowerdir=", 9);
        /* a container's rootfs (with an upper dir) gets the init layer on top */
        if (upper)
                ross_buf_append(&opts, "init:", 5);
        for (size_t i = n; i > 0; i--)
                ross_buf_printf(&opts, "%lld/fs:",
                                (long long)json_integer_value(json_array_get(ids, i - 1)));
        /* overlayfs wants two lower layers when there is no upper one */
        ross_buf_append(&opts, "empty", 5);
        if (upper)
                ross_buf_printf(&opts, ",upperdir=%s,workdir=%s", upper, work);
        if (opts.len > MOUNT_OPTS_MAX)
                return ross_errx(err, E2BIG, "mount overlay at '%s': too many layers (%zu)", target,
                                 n);
        unsigned long flags = upper ? 0 : MS_RDONLY | MS_NODEV | MS_NOSUID;

        pid_t pid = mount_in_child(s->dir, target, flags, opts.data);
        if (pid < 0)
                return ross_err(err, errno, "mount overlay at '%s': vfork", target);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return ross_err(err, errno, "mount overlay at '%s': wait for the child",
                                        target);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return ross_err(err, WIFEXITED(status) ? WEXITSTATUS(status) : EIO,
                                "mount overlay at '%s'", target);
        return 0;
}

int ross_snapshots_mount(RossSnapshots *s, json_t *ids, const char *target, RossError *err)
{
        return mount_overlay(s, ids, NULL, NULL, target, err);
}

int ross_snapshots_mount_rw(RossSnapshots *s, json_t *ids, const char *upper, const char *work,
                            const char *target, RossError *err)
{
        return mount_overlay(s, ids, upper, work, target, err);
}

int ross_snapshots_unmount(const char *target, RossError *err)
{
        if (!ross_is_mountpoint(target))
                return 0;
        if (umount2(target, MNT_DETACH) < 0)
                return ross_err(err, errno, "unmount '%s'", target);
        return 0;
}
