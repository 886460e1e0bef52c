/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <sys/stat.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../ref/reference.h"
#include "content.h"

struct RossContent {
        char *blobs_dir;  /* <data>/blobs/sha256 */
        char *ingest_dir; /* <data>/ingest, or a stage */
        char *stage_dir;  /* staged (a pull helper's store): commits land here, not in blobs/ */
        RossSpaceReserve reserve;
};

struct RossIngest {
        RossContent *store;
        int fd;
        char *tmp_path;
        char digest[ROSS_DIGEST_LEN + 1];
        int64_t expected;
        uint64_t written;
        RossHash *hash;
        RossSpaceGuard space;
};

int ross_content_open(const char *data_dir, RossContent **ret, RossError *err)
{
        RossContent *c = xcalloc(1, sizeof(*c));
        int r;

        c->blobs_dir = xasprintf("%s/blobs/sha256", data_dir);
        c->ingest_dir = xasprintf("%s/ingest", data_dir);
        if ((r = ross_mkdir_p(c->blobs_dir, 0700, err)) < 0 ||
            (r = ross_mkdir_p(c->ingest_dir, 0700, err)) < 0) {
                ross_content_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void ross_content_free(RossContent *c)
{
        if (!c)
                return;
        free(c->blobs_dir);
        free(c->ingest_dir);
        free(c->stage_dir);
        free(c);
}

const char *ross_content_blobs_dir(RossContent *c)
{
        return c->blobs_dir;
}

char *ross_content_path(RossContent *c, const char *digest)
{
        if (c->stage_dir) {
                /* a staged store sees what it committed first */
                char *p = xasprintf("%s/%s", c->stage_dir, digest + 7);
                if (access(p, F_OK) == 0)
                        return p;
                free(p);
        }
        return xasprintf("%s/%s", c->blobs_dir, digest + 7);
}

bool ross_content_has(RossContent *c, const char *digest, int64_t size)
{
        struct stat st;
        if (!ross_digest_valid(digest))
                return false;
        _cleanup_free_ char *p = ross_content_path(c, digest);
        if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        return size < 0 || st.st_size == size;
}

int ross_content_read(RossContent *c, const char *digest, size_t max, char **ret, size_t *ret_len,
                      RossError *err)
{
        _cleanup_free_ char *data = NULL;
        char got[ROSS_DIGEST_LEN + 1];
        size_t len;
        int r;

        if (!ross_digest_valid(digest))
                return ross_errx(err, EINVAL, "invalid digest '%s'", digest);
        _cleanup_free_ char *p = ross_content_path(c, digest);
        r = ross_read_file(p, max, &data, &len, err);
        if (r < 0)
                return r;
        ross_digest_buf(data, len, got);
        if (!STREQ(got, digest))
                return ross_errx(err, EILSEQ, "blob %s in the store is corrupt (has digest %s)",
                                 digest, got);
        *ret = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int ross_content_put(RossContent *c, const char *digest, const void *data, size_t len,
                     RossError *err)
{
        RossIngest *in;
        int r;

        if (ross_content_has(c, digest, (int64_t)len))
                return 0;
        r = ross_ingest_begin(c, digest, (int64_t)len, &in, err);
        if (r < 0)
                return r;
        r = ross_ingest_write(in, data, len, err);
        if (r < 0) {
                ross_ingest_abort(in);
                return r;
        }
        return ross_ingest_commit(in, err);
}

int ross_content_remove(RossContent *c, const char *digest)
{
        if (!ross_digest_valid(digest))
                return -EINVAL;
        _cleanup_free_ char *p = ross_content_path(c, digest);
        if (unlink(p) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

void ross_content_set_reserve(RossContent *c, const RossSpaceReserve *reserve)
{
        c->reserve = *reserve;
}

void ross_content_clean_ingest(RossContent *c)
{
        DIR *d = opendir(c->ingest_dir);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                log_debug("removing leftover ingest file %s", de->d_name);
                unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}

int ross_ingest_begin(RossContent *c, const char *digest, int64_t expected_size, RossIngest **ret,
                      RossError *err)
{
        char rnd[17];

        if (digest && !ross_digest_valid(digest))
                return ross_errx(err, EINVAL, "invalid digest '%s'", digest);
        ross_random_hex(rnd, 8);

        RossIngest *in = xcalloc(1, sizeof(*in));
        in->store = c;
        in->tmp_path = xasprintf("%s/%.16s-%s", c->ingest_dir, digest ? digest + 7 : "new", rnd);
        in->fd = open(in->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (in->fd < 0) {
                int r = ross_err(err, errno, "create ingest file for %s",
                                 digest ? digest : "a blob");
                free(in->tmp_path);
                free(in);
                return r;
        }
        int r = ross_space_reserve_bytes(&c->reserve, in->fd, &in->space.reserve, err);
        if (r < 0) {
                close(in->fd);
                unlink(in->tmp_path);
                free(in->tmp_path);
                free(in);
                return r;
        }
        if (digest)
                memcpy(in->digest, digest, ROSS_DIGEST_LEN + 1);
        in->expected = expected_size;
        in->hash = ross_hash_new();
        *ret = in;
        return 0;
}

int ross_ingest_write(RossIngest *in, const void *p, size_t n, RossError *err)
{
        uint64_t next;
        int r;

        if (__builtin_add_overflow(in->written, n, &next) ||
            (in->expected >= 0 && next > (uint64_t)in->expected))
                return ross_errx(err, EFBIG, "blob %s is larger than its declared %lld bytes",
                                 in->digest, (long long)in->expected);
        r = ross_space_guard_write(&in->space, in->fd, n, err);
        if (r < 0) {
                ross_err_prefix(err, "blob %s", in->digest[0] ? in->digest : "being stored");
                return r;
        }
        r = ross_write_all(in->fd, p, n);
        if (r < 0)
                return ross_err(err, r, "write blob %s",
                                in->digest[0] ? in->digest : "being stored");
        ross_hash_update(in->hash, p, n);
        in->written = next;
        return 0;
}

uint64_t ross_ingest_offset(RossIngest *in)
{
        return in->written;
}

static void ingest_free(RossIngest *in, bool remove_file)
{
        if (in->fd >= 0)
                close(in->fd);
        if (remove_file)
                unlink(in->tmp_path);
        ross_hash_free(in->hash);
        free(in->tmp_path);
        free(in);
}

void ross_ingest_abort(RossIngest *in)
{
        if (in)
                ingest_free(in, true);
}

int ross_ingest_commit(RossIngest *in, RossError *err)
{
        if (!in->digest[0]) {
                ross_ingest_abort(in);
                return ross_errx(err, EINVAL,
                                 "a blob begun without a digest is committed with "
                                 "ross_ingest_commit_digest");
        }
        return ross_ingest_commit_digest(in, NULL, err);
}

int ross_ingest_commit_digest(RossIngest *in, char *ret_digest, RossError *err)
{
        char got[ROSS_DIGEST_LEN + 1];
        _cleanup_free_ char *dst = NULL;
        int r;

        if (in->expected >= 0 && in->written != (uint64_t)in->expected) {
                r = ross_errx(err, EPROTO, "blob %s is truncated: got %llu of %lld bytes",
                              in->digest, (unsigned long long)in->written, (long long)in->expected);
                goto fail;
        }
        ross_hash_final(in->hash, got);
        if (!in->digest[0])
                memcpy(in->digest, got, sizeof(got)); /* it is what arrived */
        if (!STREQ(got, in->digest)) {
                r = ross_errx(err, EILSEQ, "blob %s does not match its digest (got %s)", in->digest,
                              got);
                goto fail;
        }
        if (fsync(in->fd) < 0) {
                r = ross_err(err, errno, "sync blob %s", in->digest);
                goto fail;
        }
        const char *dir = in->store->stage_dir ? in->store->stage_dir : in->store->blobs_dir;
        dst = xasprintf("%s/%s", dir, in->digest + 7);
        if (rename(in->tmp_path, dst) < 0) {
                r = ross_err(err, errno, "store blob %s", in->digest);
                goto fail;
        }
        (void)ross_fsync_dir(dir);
        if (ret_digest)
                memcpy(ret_digest, in->digest, ROSS_DIGEST_LEN + 1);
        ingest_free(in, false);
        return 0;
fail:
        ingest_free(in, true);
        return r;
}

static bool stage_name_valid(const char *stage)
{
        if (!stage || strncmp(stage, ".stage-", 7) != 0 || strlen(stage) != 7 + 16)
                return false;
        for (const char *p = stage + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

int ross_content_open_staged(const char *data_dir, const char *stage, RossContent **ret,
                             RossError *err)
{
        struct stat st;
        if (!stage_name_valid(stage))
                return ross_errx(err, EINVAL, "invalid stage name '%s'", stage ? stage : "");
        RossContent *c = xcalloc(1, sizeof(*c));
        c->blobs_dir = xasprintf("%s/blobs/sha256", data_dir);
        c->ingest_dir = xasprintf("%s/ingest/%s", data_dir, stage);
        c->stage_dir = xstrdup(c->ingest_dir);
        if (stat(c->stage_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                int r = ross_err(err, errno ? errno : ENOTDIR, "stage '%s'", c->stage_dir);
                ross_content_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

static char *stage_dir(RossContent *c, const char *stage)
{
        return xasprintf("%s/%s", c->ingest_dir, stage);
}

int ross_content_stage_new(RossContent *c, char **ret_stage, RossError *err)
{
        char rnd[17];
        ross_random_hex(rnd, 8);
        _cleanup_free_ char *name = xasprintf(".stage-%s", rnd);
        _cleanup_free_ char *dir = stage_dir(c, name);
        if (mkdir(dir, 0700) < 0)
                return ross_err(err, errno, "create stage '%s'", dir);
        *ret_stage = TAKE_PTR(name);
        return 0;
}

int ross_content_stage_read(RossContent *c, const char *stage, const char *digest, size_t max,
                            char **ret, size_t *ret_len, RossError *err)
{
        _cleanup_free_ char *data = NULL;
        char got[ROSS_DIGEST_LEN + 1];
        size_t len;
        struct stat st;

        if (!stage_name_valid(stage) || !ross_digest_valid(digest))
                return ross_errx(err, EINVAL, "invalid stage '%s' or digest '%s'",
                                 stage ? stage : "", digest ? digest : "");
        _cleanup_free_ char *p = xasprintf("%s/%s/%s", c->ingest_dir, stage, digest + 7);
        if (lstat(p, &st) < 0)
                return ross_content_read(c, digest, max, ret, ret_len, err);
        if (!S_ISREG(st.st_mode))
                return ross_errx(err, EINVAL, "staged blob %s is not a file", digest);
        int r = ross_read_file(p, max, &data, &len, err);
        if (r < 0)
                return r;
        ross_digest_buf(data, len, got);
        if (!STREQ(got, digest))
                return ross_errx(err, EILSEQ, "staged blob %s does not match its digest (got %s)",
                                 digest, got);
        *ret = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int ross_content_stage_adopt(RossContent *c, const char *stage, const char *digest, int64_t size,
                             RossError *err)
{
        struct stat st;
        if (!stage_name_valid(stage) || !ross_digest_valid(digest))
                return ross_errx(err, EINVAL, "invalid stage '%s' or digest '%s'",
                                 stage ? stage : "", digest ? digest : "");
        _cleanup_free_ char *src = xasprintf("%s/%s/%s", c->ingest_dir, stage, digest + 7);
        if (lstat(src, &st) < 0)
                return ross_err(err, errno, "staged blob %s", digest);
        if (!S_ISREG(st.st_mode) || (size >= 0 && st.st_size != size))
                return ross_errx(err, EPROTO, "staged blob %s has %lld bytes, not %lld", digest,
                                 (long long)st.st_size, (long long)size);
        _cleanup_free_ char *dst = ross_content_path(c, digest);
        if (rename(src, dst) < 0)
                return ross_err(err, errno, "store blob %s", digest);
        (void)ross_fsync_dir(c->blobs_dir);
        return 0;
}

void ross_content_stage_remove(RossContent *c, const char *stage)
{
        if (!stage_name_valid(stage))
                return;
        _cleanup_free_ char *dir = stage_dir(c, stage);
        int r = ross_rm_rf(dir);
        if (r < 0 && r != -ENOENT)
                log_debug("remove stage %s: %s", dir, strerror(-r));
}

void ross_content_clean_stages(RossContent *c)
{
        DIR *d = opendir(c->ingest_dir);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (!stage_name_valid(de->d_name))
                        continue;
                log_debug("removing leftover stage %s", de->d_name);
                ross_rm_rf_at(dirfd(d), de->d_name);
        }
        closedir(d);
}
