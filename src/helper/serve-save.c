/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The helper's docker save: the tar of an image layout, on stdout. The daemon names the
 * blobs (digests it checked) and gives the documents it made; this reads the blobs from
 * the store, read-only, and writes each as it is. Every entry has mtime 0, root's owner
 * and mode 0644 (directories 0755), so the same images save to the same bytes.
 */
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include "../basic/fileio.h"
#include "../ref/reference.h"
#include "serve.h"

#define OUT_FD     1
#define DATA_CHUNK (1024 * 1024)
#define MAX_BLOBS  4096

typedef struct Tar {
        struct archive *a;
        struct archive_entry *e;
        RossError sink;
        char *buf;
} Tar;

static void tar_done(Tar *t)
{
        if (t->e)
                archive_entry_free(t->e);
        if (t->a)
                archive_write_free(t->a);
        free(t->buf);
}

static la_ssize_t out_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
        Tar *t = ud;
        int r = ross_write_all(OUT_FD, buf, n);
        if (r < 0) {
                ross_err(&t->sink, -r, "write the archive");
                archive_set_error(a, -r, "%s", t->sink.msg);
                return -1;
        }
        return (la_ssize_t)n;
}

static int tar_fail(Tar *t, const char *what, RossError *err)
{
        if (t->sink.code) {
                *err = t->sink;
                return -t->sink.code;
        }
        int code = archive_errno(t->a) > 0 ? archive_errno(t->a) : EIO;
        return ross_errx(err, code, "%s: %s", what, archive_error_string(t->a));
}

static int header(Tar *t, const char *name, bool dir, int64_t size, RossError *err)
{
        archive_entry_clear(t->e);
        archive_entry_copy_pathname(t->e, name);
        archive_entry_set_filetype(t->e, dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(t->e, dir ? 0755 : 0644);
        archive_entry_set_uid(t->e, 0);
        archive_entry_set_gid(t->e, 0);
        archive_entry_set_mtime(t->e, 0, 0);
        if (!dir)
                archive_entry_set_size(t->e, size);
        if (archive_write_header(t->a, t->e) < ARCHIVE_WARN)
                return tar_fail(t, name, err);
        return 0;
}

static int write_data(Tar *t, const char *name, const void *p, size_t n, RossError *err)
{
        if (n && archive_write_data(t->a, p, n) != (la_ssize_t)n)
                return tar_fail(t, name, err);
        return 0;
}

/* A blob of the store, exactly its size, as blobs/sha256/<hex>. */
static int write_blob(Tar *t, const RossHelperOptions *o, const char *digest, int64_t size,
                      RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/blobs/sha256/%s", o->data_dir, digest + 7);
        _cleanup_free_ char *name = xasprintf("blobs/sha256/%s", digest + 7);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return ross_err(err, errno, "open blob %s", digest);
        if (!S_ISREG(st.st_mode) || st.st_size != size)
                return ross_errx(err, EIO, "blob %s: %lld bytes in the store, %lld expected",
                                 digest, (long long)st.st_size, (long long)size);
        int r = header(t, name, false, size, err);
        for (int64_t done = 0; r == 0 && done < size;) {
                size_t want = size - done < DATA_CHUNK ? (size_t)(size - done) : DATA_CHUNK;
                ssize_t n = read(fd, t->buf, want);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? ross_err(err, errno, "read blob %s", digest)
                                     : ross_errx(err, EIO, "blob %s shrank", digest);
                r = write_data(t, name, t->buf, (size_t)n, err);
                done += n;
        }
        return r;
}

/* The documents' names are the daemon's, and only these. */
static bool file_name_valid(const char *name)
{
        return STREQ(name, "index.json") || STREQ(name, "manifest.json") ||
               STREQ(name, "oci-layout") || STREQ(name, "repositories");
}

int ross_helper_serve_save(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        json_auto_t *req = NULL;
        _cleanup_(tar_done) Tar t = {};
        json_t *v;
        size_t i;
        int r = ross_channel_recv(ch, &req, err);
        if (r < 0)
                return r;
        json_t *blobs = json_object_get(req, "blobs"), *files = json_object_get(req, "files");
        if (!STREQ(ross_channel_type(req), "save") || !json_is_array(blobs) ||
            !json_is_array(files) || json_array_size(blobs) > MAX_BLOBS)
                return ross_errx(err, EPROTO, "expected a save request");
        json_array_foreach (blobs, i, v) {
                const char *d = json_string_value(json_object_get(v, "digest"));
                if (!ross_digest_valid(d) || json_integer_value(json_object_get(v, "size")) < 0)
                        return ross_errx(err, EPROTO, "save: blob %zu: invalid digest", i + 1);
        }
        json_array_foreach (files, i, v)
                if (!file_name_valid(json_string_value(json_object_get(v, "name"))) ||
                    !json_is_string(json_object_get(v, "data")))
                        return ross_errx(err, EPROTO, "save: file %zu: invalid", i + 1);

        t.a = archive_write_new();
        /* libarchive is loaded on first use (archive-dl.c): this is where that fails */
        if (!t.a || !(t.e = archive_entry_new()))
                return ross_errx(err, ELIBACC, "%s", archive_error_string(NULL));
        t.buf = xmalloc(DATA_CHUNK);
        if (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(t.a, 1) != ARCHIVE_OK ||
            archive_write_open(t.a, &t, NULL, out_cb, NULL) != ARCHIVE_OK)
                return tar_fail(&t, "start the archive", err);
        if ((r = header(&t, "blobs/", true, 0, err)) < 0 ||
            (r = header(&t, "blobs/sha256/", true, 0, err)) < 0)
                return r;
        json_array_foreach (blobs, i, v) {
                r = write_blob(&t, o, json_string_value(json_object_get(v, "digest")),
                               json_integer_value(json_object_get(v, "size")), err);
                if (r < 0)
                        return r;
        }
        json_array_foreach (files, i, v) {
                const char *name = json_string_value(json_object_get(v, "name"));
                const char *data = json_string_value(json_object_get(v, "data"));
                size_t n = json_string_length(json_object_get(v, "data"));
                if ((r = header(&t, name, false, (int64_t)n, err)) < 0 ||
                    (r = write_data(&t, name, data, n, err)) < 0)
                        return r;
        }
        if (archive_write_close(t.a) != ARCHIVE_OK)
                return tar_fail(&t, "end the archive", err);
        return ross_channel_send_new(ch, json_pack("{s:s}", "type", "done"), err);
}
