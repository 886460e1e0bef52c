/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../basic/jsonfile.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "../event/events.h"
#include "../unpack/clone.h"
#include "volumes.h"

#define VOLUME_JSON_MAX (256 * 1024)

static void unlockp(pthread_mutex_t **m)
{
        if (*m)
                pthread_mutex_unlock(*m);
}

#define LOCKED(v)                                                                                  \
        _cleanup_(unlockp) _unused_ pthread_mutex_t *_locked = &(v)->lock;                         \
        pthread_mutex_lock(_locked)

int ross_volumes_init(RossVolumes *v, const char *data_dir, RossError *err)
{
        v->dir = xasprintf("%s/volumes", data_dir);
        pthread_mutex_init(&v->lock, NULL);
        int r = ross_mkdir_p(v->dir, 0701, err);
        if (r < 0)
                return r;
        /* what a crash left: volumes half made or half removed (dot names), copies into a
         * volume half done (<name>/.copy-*) */
        _cleanup_(closedirp) DIR *d = opendir(v->dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                        continue;
                if (de->d_name[0] == '.') {
                        (void)ross_rm_rf_at(dirfd(d), de->d_name);
                        continue;
                }
                int vfd = openat(dirfd(d), de->d_name,
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                _cleanup_(closedirp) DIR *vd = vfd >= 0 ? fdopendir(vfd) : NULL;
                if (vfd >= 0 && !vd)
                        close(vfd);
                struct dirent *e;
                while (vd && (e = readdir(vd)))
                        if (strncmp(e->d_name, ".copy-", 6) == 0)
                                (void)ross_rm_rf_at(dirfd(vd), e->d_name);
        }
        return 0;
}

void ross_volumes_done(RossVolumes *v)
{
        free(v->dir);
        v->dir = NULL;
        pthread_mutex_destroy(&v->lock);
}

bool ross_volume_name_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;
        if (n < 2 || n > 255)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                             (ch >= '0' && ch <= '9');
                if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
                        return false;
        }
        return true;
}

char *ross_volumes_data_path(RossVolumes *v, const char *name)
{
        return xasprintf("%s/%s/_data", v->dir, name);
}

/* The stored record with Mountpoint added: Docker's inspect form. */
static json_t *inspect_form(RossVolumes *v, const char *name, json_t *rec)
{
        json_t *o = json_deep_copy(rec);
        json_object_set_new(o, "Name", json_string(name));
        _cleanup_free_ char *mp = ross_volumes_data_path(v, name);
        json_object_set_new(o, "Mountpoint", json_string(mp));
        return o;
}

static json_t *read_record(RossVolumes *v, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s/volume.json", v->dir, name);
        json_t *rec = ross_read_json(p, VOLUME_JSON_MAX);
        if (!json_is_object(rec)) {
                json_decref(rec);
                return NULL;
        }
        return rec;
}

static int no_such(const char *name, RossError *err)
{
        return ross_errx(err, ENOENT, "get %s: no such volume", name);
}

int ross_volumes_get(RossVolumes *v, const char *name, json_t **ret, RossError *err)
{
        if (!ross_volume_name_valid(name))
                return no_such(name ? name : "", err);
        LOCKED(v);
        json_auto_t *rec = read_record(v, name);
        if (!rec)
                return no_such(name, err);
        *ret = inspect_form(v, name, rec);
        return 0;
}

static int check_strings(json_t *o, const char *what, RossError *err)
{
        const char *k;
        json_t *val;
        if (o && !json_is_null(o) && !json_is_object(o))
                return ross_errx(err, EINVAL, "invalid %s: an object of strings is needed", what);
        json_object_foreach (o, k, val)
                if (!json_is_string(val))
                        return ross_errx(err, EINVAL, "invalid %s: '%s' is not a string", what, k);
        return 0;
}

int ross_volumes_create(RossVolumes *v, const char *name, const char *driver, json_t *labels,
                        json_t *opts, json_t **ret, bool *ret_created, RossError *err)
{
        char anon[65];
        bool anonymous = STR_EMPTY(name);
        int r;
        if (anonymous) {
                ross_random_hex(anon, 32);
                name = anon;
        } else if (!ross_volume_name_valid(name)) {
                return ross_errx(err, EINVAL,
                                 "create %s: \"%s\" includes invalid characters for a local "
                                 "volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. "
                                 "If you intended to pass a host directory, use absolute path",
                                 name, name);
        }
        if (!STR_EMPTY(driver) && !STREQ(driver, "local"))
                return ross_errx(err, ENOENT,
                                 "create %s: error looking up volume plugin %s: plugin \"%s\" "
                                 "not found (Ross has the local driver only)",
                                 name, driver, driver);
        if ((r = check_strings(labels, "Labels", err)) < 0 ||
            (r = check_strings(opts, "DriverOpts", err)) < 0)
                return r;
        if (json_object_size(opts) > 0)
                return ross_errx(err, EINVAL,
                                 "create %s: the local driver's options (type, device, o) are "
                                 "not supported by Ross: give no -o",
                                 name);
        LOCKED(v);
        json_auto_t *existing = read_record(v, name);
        if (existing) {
                if (ret)
                        *ret = inspect_form(v, name, existing);
                if (ret_created)
                        *ret_created = false;
                return 0;
        }
        /* made whole under a temporary name, then renamed: never half there */
        char tmpname[40];
        char rnd[17];
        ross_random_hex(rnd, 8);
        snprintf(tmpname, sizeof(tmpname), ".new-%s", rnd);
        _cleanup_free_ char *tmp = xasprintf("%s/%s", v->dir, tmpname);
        _cleanup_free_ char *data = xasprintf("%s/_data", tmp);
        _cleanup_free_ char *recp = xasprintf("%s/volume.json", tmp);
        _cleanup_free_ char *final = xasprintf("%s/%s", v->dir, name);
        json_auto_t *lab = json_is_object(labels) ? json_deep_copy(labels) : json_object();
        if (anonymous)
                json_object_set_new(lab, ROSS_VOLUME_ANONYMOUS_LABEL, json_string(""));
        char created[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        json_auto_t *rec =
                json_pack("{s:s, s:s, s:O, s:o, s:s}", "CreatedAt", created, "Driver", "local",
                          "Labels", lab, "Options", json_null(), "Scope", "local");
        _cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT);
        if (mkdir(tmp, 0701) < 0)
                return ross_err(err, errno, "create volume %s: '%s'", name, tmp);
        if (mkdir(data, 0755) < 0)
                r = ross_err(err, errno, "create volume %s: '%s'", name, data);
        else
                r = ross_write_file_atomic(recp, text, strlen(text), 0600, err);
        if (r == 0 && rename(tmp, final) < 0)
                r = ross_err(err, errno, "create volume %s: '%s'", name, final);
        if (r < 0) {
                (void)ross_rm_rf(tmp);
                return r;
        }
        (void)ross_fsync_dir(v->dir);
        log_debug("volume %s created", name);
        ross_event_emit("volume", "create", name, json_pack("{s:s}", "driver", "local"));
        if (ret)
                *ret = inspect_form(v, name, rec);
        if (ret_created)
                *ret_created = true;
        return 0;
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *ross_volumes_list(RossVolumes *v)
{
        json_t *out = json_array();
        LOCKED(v);
        _cleanup_(closedirp) DIR *d = opendir(v->dir);
        struct dirent *de;
        char **names = NULL;
        size_t n = 0;
        while (d && (de = readdir(d))) {
                if (!ross_volume_name_valid(de->d_name))
                        continue;
                names = xrealloc(names, (n + 1) * sizeof(char *));
                names[n++] = xstrdup(de->d_name);
        }
        qsort(names, n, sizeof(char *), by_name);
        for (size_t i = 0; i < n; i++) {
                json_auto_t *rec = read_record(v, names[i]);
                if (rec)
                        json_array_append_new(out, inspect_form(v, names[i], rec));
                free(names[i]);
        }
        free(names);
        return out;
}

int ross_volumes_remove(RossVolumes *v, const char *name, RossError *err)
{
        if (!ross_volume_name_valid(name))
                return no_such(name ? name : "", err);
        LOCKED(v);
        json_auto_t *rec = read_record(v, name);
        if (!rec)
                return no_such(name, err);
        /* out of sight first, then its data: a crash in between leaves a dot name, which the
         * next daemon start removes */
        char rnd[17];
        ross_random_hex(rnd, 8);
        _cleanup_free_ char *from = xasprintf("%s/%s", v->dir, name);
        _cleanup_free_ char *to = xasprintf("%s/.gone-%s", v->dir, rnd);
        if (rename(from, to) < 0)
                return ross_err(err, errno, "remove volume %s", name);
        int r = ross_rm_rf(to);
        if (r < 0)
                log_warn("volume %s: its data is left in %s: %s", name, to, strerror(-r));
        log_debug("volume %s removed", name);
        ross_event_emit("volume", "destroy", name, json_pack("{s:s}", "driver", "local"));
        return 0;
}

static int64_t tree_blocks(int dfd, int depth)
{
        if (depth > 256)
                return 0;
        _cleanup_(closedirp) DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return 0;
        }
        int64_t sum = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                sum += (int64_t)st.st_blocks * 512;
                if (S_ISDIR(st.st_mode)) {
                        int sub = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                sum += tree_blocks(sub, depth + 1);
                }
        }
        return sum;
}

int64_t ross_volumes_size(RossVolumes *v, const char *name)
{
        _cleanup_free_ char *data = ross_volumes_data_path(v, name);
        int fd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -1;
        return tree_blocks(fd, 0);
}

static bool dir_empty(int dfd)
{
        int fd = dup(dfd);
        if (fd < 0)
                return false;
        _cleanup_(closedirp) DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return false;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (!STREQ(de->d_name, ".") && !STREQ(de->d_name, ".."))
                        return false;
        return true;
}

int ross_volumes_populate(RossVolumes *v, const char *name, int srcfd, RossError *err)
{
        LOCKED(v);
        _cleanup_free_ char *data = ross_volumes_data_path(v, name);
        _cleanup_close_ int dfd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return ross_err(err, errno, "volume %s: '%s'", name, data);
        if (!dir_empty(dfd) || dir_empty(srcfd))
                return 0;
        /* a copy beside the data, then its entries moved in: containers that have the data
         * directory mounted already see them appear */
        char rnd[17];
        ross_random_hex(rnd, 8);
        _cleanup_free_ char *tmp = xasprintf("%s/%s/.copy-%s", v->dir, name, rnd);
        _cleanup_free_ char *src = xasprintf("/proc/self/fd/%d", srcfd);
        int r = ross_tree_clone(src, tmp, true, NULL, err);
        _cleanup_close_ int tfd =
                r < 0 ? -EBADF : open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (r == 0 && tfd < 0)
                r = ross_err(err, errno, "open '%s'", tmp);
        if (r == 0) {
                int fd = dup(tfd);
                _cleanup_(closedirp) DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
                struct dirent *de;
                while (r == 0 && d && (de = readdir(d))) {
                        if (STREQ(de->d_name, ".") || STREQ(de->d_name, ".."))
                                continue;
                        if (renameat(dirfd(d), de->d_name, dfd, de->d_name) < 0)
                                r = ross_err(err, errno, "volume %s: move '%s' in", name,
                                             de->d_name);
                }
                struct stat st;
                if (r == 0 && fstat(srcfd, &st) == 0 &&
                    (fchown(dfd, st.st_uid, st.st_gid) < 0 || fchmod(dfd, st.st_mode & 07777) < 0))
                        r = ross_err(err, errno, "volume %s: its owner and mode", name);
        }
        (void)ross_rm_rf(tmp);
        if (r < 0)
                return ross_err_prefix(err, "copy the image's content into volume %s", name);
        log_debug("volume %s: the image's content copied in", name);
        return 0;
}
