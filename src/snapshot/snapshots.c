/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

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
        pthread_mutex_t lock;
        pthread_cond_t done;
        json_t *unpacking; /* chain id -> true while a thread unpacks it */
        json_t *held;      /* chain id -> count of pulls that need it */
};

struct RossSnapshotTx {
        RossSnapshots *s;
        char *chain_id;
        int64_t id;
        int fd;
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

int ross_snapshots_open(const char *data_dir, RossDb *db, RossSnapshots **ret, RossError *err)
{
        RossSnapshots *s = xcalloc(1, sizeof(*s));
        s->dir = xasprintf("%s/snapshots", data_dir);
        s->db = db;
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->done, NULL);
        s->unpacking = json_object();
        s->held = json_object();
        _cleanup_free_ char *empty = xasprintf("%s/empty", s->dir);
        int r = ross_mkdir_p(empty, 0700, err);
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
        json_decref(s->unpacking);
        json_decref(s->held);
        pthread_cond_destroy(&s->done);
        pthread_mutex_destroy(&s->lock);
        free(s->dir);
        free(s);
}

char *ross_snapshots_path(RossSnapshots *s, int64_t id)
{
        return xasprintf("%s/%lld/fs", s->dir, (long long)id);
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
        json_t *all = ross_db_snapshot_list(s->db), *row;
        json_t *known = json_object();
        size_t i;

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
        json_decref(all);

        DIR *d = opendir(s->dir);
        struct dirent *de;
        if (!d) {
                json_decref(known);
                return ross_err(err, errno, "open '%s'", s->dir);
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || STREQ(de->d_name, "empty") ||
                    json_object_get(known, de->d_name))
                        continue;
                log_debug("snapshots: removing stray directory %s", de->d_name);
                ross_rm_rf_at(dirfd(d), de->d_name);
        }
        closedir(d);
        json_decref(known);
        return 0;
}

int ross_snapshots_begin(RossSnapshots *s, const char *chain_id, const char *parent,
                         const char *diff_id, RossSnapshotTx **ret, RossError *err)
{
        RossSnapshotRow row;
        int64_t id;
        int r;

        pthread_mutex_lock(&s->lock);
        while (json_object_get(s->unpacking, chain_id))
                pthread_cond_wait(&s->done, &s->lock);
        if (ross_db_snapshot_get(s->db, chain_id, &row) == 0) {
                _cleanup_free_ char *fs = ross_snapshots_path(s, row.id);
                struct stat st;
                if (row.committed && stat(fs, &st) == 0) {
                        pthread_mutex_unlock(&s->lock);
                        return 1;
                }
                /* a row without a whole tree: start over */
                remove_dir(s, row.id);
                ross_db_snapshot_delete(s->db, row.id);
        }
        r = ross_db_snapshot_reserve(s->db, chain_id, parent, diff_id, &id, err);
        if (r == 0)
                json_object_set_new(s->unpacking, chain_id, json_true());
        pthread_mutex_unlock(&s->lock);
        if (r < 0)
                return r;

        RossSnapshotTx *tx = xcalloc(1, sizeof(*tx));
        tx->s = s;
        tx->chain_id = xstrdup(chain_id);
        tx->id = id;
        tx->fd = -EBADF;
        _cleanup_free_ char *fs = ross_snapshots_path(s, id);
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

static void tx_end(RossSnapshotTx *tx)
{
        RossSnapshots *s = tx->s;
        pthread_mutex_lock(&s->lock);
        json_object_del(s->unpacking, tx->chain_id);
        pthread_cond_broadcast(&s->done);
        pthread_mutex_unlock(&s->lock);
        if (tx->fd >= 0)
                close(tx->fd);
        free(tx->chain_id);
        free(tx);
}

int ross_snapshots_commit(RossSnapshotTx *tx, int64_t size, RossError *err)
{
        /* The tree reaches the disk before the row says it is whole. */
        if (syncfs(tx->fd) < 0) {
                int r = ross_err(err, errno, "sync snapshot %lld", (long long)tx->id);
                ross_snapshots_abort(tx);
                return r;
        }
        int r = ross_db_snapshot_commit(tx->s->db, tx->id, size, err);
        if (r < 0) {
                ross_snapshots_abort(tx);
                return r;
        }
        log_debug("snapshots: committed %lld (%s)", (long long)tx->id, tx->chain_id);
        tx_end(tx);
        return 0;
}

void ross_snapshots_abort(RossSnapshotTx *tx)
{
        if (!tx)
                return;
        remove_dir(tx->s, tx->id);
        ross_db_snapshot_delete(tx->s->db, tx->id);
        tx_end(tx);
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
        json_t *unused = ross_db_snapshot_unused(s->db), *row;
        size_t i;
        json_array_foreach (unused, i, row) {
                const char *chain = json_string_value(json_object_get(row, "chain_id"));
                int64_t id = json_integer_value(json_object_get(row, "id"));
                RossSnapshotRow info;
                if (json_object_get(s->held, chain) || json_object_get(s->unpacking, chain))
                        continue;
                if (ross_db_snapshot_get(s->db, chain, &info) == 0)
                        freed += info.size;
                log_debug("snapshots: removing unused snapshot %lld (%s)", (long long)id, chain);
                ross_db_snapshot_delete(s->db, id);
                remove_dir(s, id);
        }
        json_decref(unused);
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

int ross_snapshots_mount(RossSnapshots *s, json_t *ids, const char *target, RossError *err)
{
        RossBuf opts = {};
        size_t n = json_array_size(ids);

        if (n == 0)
                return ross_errx(err, EINVAL, "no snapshots to mount");
        /* lowerdir lists the top layer first; paths are relative to the snapshots directory
         * (the child below chdirs there) to stay within the one page mount options get. */
        ross_buf_append(&opts, "lowerdir=", 9);
        for (size_t i = n; i > 0; i--)
                ross_buf_printf(&opts, "%lld/fs:",
                                (long long)json_integer_value(json_array_get(ids, i - 1)));
        /* overlayfs wants two lower layers when there is no upper one */
        ross_buf_append(&opts, "empty", 5);
        if (opts.len > MOUNT_OPTS_MAX) {
                ross_buf_free(&opts);
                return ross_errx(err, E2BIG, "too many layers to mount (%zu)", n);
        }

        /* chdir is process-wide, so the mount happens in a child. */
        pid_t pid = fork();
        if (pid < 0) {
                ross_buf_free(&opts);
                return ross_err(err, errno, "fork");
        }
        if (pid == 0) {
                if (chdir(s->dir) < 0)
                        _exit(errno);
                if (mount("overlay", target, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID,
                          opts.data) < 0)
                        _exit(errno);
                _exit(0);
        }
        ross_buf_free(&opts);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return ross_err(err, errno, "wait for mount helper");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return ross_err(err, WIFEXITED(status) ? WEXITSTATUS(status) : EIO,
                                "mount overlay at '%s'", target);
        return 0;
}

int ross_snapshots_unmount(const char *target, RossError *err)
{
        if (!ross_is_mountpoint(target))
                return 0;
        if (umount2(target, MNT_DETACH) < 0)
                return ross_err(err, errno, "unmount '%s'", target);
        return 0;
}
