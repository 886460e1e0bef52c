/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The helper's docker load. The archive is hostile: its names, its sizes, its documents,
 * its layers. It is read here, in a pull's sandbox: every regular file of it goes into the
 * stage as a blob named by what its bytes hash to (so a file the daemon reads back is the
 * file it asked for, and a name blobs/sha256/<hex> is checked by comparing), and the daemon
 * gets the list of names. The daemon reads the documents from the stage itself, decides,
 * and asks for each layer to be unpacked into a snapshot tree, its diff id checked here as
 * it is unpacked (or only hashed, for a chain the store has already).
 */
#include <archive.h>
#include <archive_entry.h>
#include <time.h>

#include "../basic/log.h"
#include "../ref/reference.h"
#include "../store/content.h"
#include "../store/digest.h"
#include "../unpack/decompress.h"
#include "../unpack/extract.h"
#include "../unpack/rootfs.h"
#include "serve.h"

#define IN_FD      0
#define CHUNK      (1024 * 1024)
#define MAX_FILES  10000
#define MAX_NAME   1024
#define HEAD_BYTES 8

static void content_freep(RossContent **c)
{
        ross_content_free(*c);
}

static void decomp_freep(RossDecomp **d)
{
        ross_decomp_free(*d);
}

typedef struct Reader {
        RossDecomp *d;
        char *buf;
        RossError sink;
        RossChannel *ch;
        struct timespec last;
} Reader;

static la_ssize_t read_cb(struct archive *a, void *ud, const void **ret)
{
        Reader *rd = ud;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - rd->last.tv_sec >= 2) {
                /* a word now and then: the daemon kills a helper silent for too long */
                rd->last = now;
                (void)ross_channel_send_new(rd->ch,
                                            json_pack("{s:s, s:s, s:I}", "type", "event", "status",
                                                      "Loading", "current",
                                                      (json_int_t)ross_decomp_consumed(rd->d)),
                                            NULL);
        }
        ssize_t n = ross_decomp_read(rd->d, rd->buf, CHUNK, &rd->sink);
        if (n < 0) {
                archive_set_error(a, (int)-n, "%s", rd->sink.msg);
                return -1;
        }
        *ret = rd->buf;
        return (la_ssize_t)n;
}

/* A name of the archive as Docker's loader takes it: relative, no "..", no empty part
 * ("./" in front and a trailing "/" are dropped). NULL: refused. */
static char *clean_name(const char *name)
{
        while (name[0] == '.' && name[1] == '/')
                name += 2;
        size_t n = strlen(name);
        if (!n || n > MAX_NAME || name[0] == '/')
                return NULL;
        _cleanup_free_ char *s = xstrdup(name);
        while (n && s[n - 1] == '/')
                s[--n] = '\0';
        for (char *p = s; *p;) {
                size_t k = strcspn(p, "/");
                if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
                        return NULL;
                p += k;
                if (*p == '/')
                        p++;
        }
        return n ? TAKE_PTR(s) : NULL;
}

static const char *compression_name(RossLayerCompression c)
{
        return c == ROSS_LAYER_GZIP ? "gzip" : c == ROSS_LAYER_ZSTD ? "zstd" : "none";
}

/* Bytes of a file into its blob, its first ones kept to tell its compression. */
static int take(RossIngest *in, const void *p, size_t k, unsigned char *head, size_t *head_len,
                uint64_t *total, uint64_t max, const char *name, RossError *err)
{
        if (*head_len < HEAD_BYTES) {
                size_t c = k < HEAD_BYTES - *head_len ? k : HEAD_BYTES - *head_len;
                memcpy(head + *head_len, p, c);
                *head_len += c;
        }
        *total += k;
        if (*total > max)
                return ross_errx(err, EFBIG, "the archive: '%s' is larger than %llu bytes", name,
                                 (unsigned long long)max);
        return ross_ingest_write(in, p, k, err);
}

/* One regular file of the archive into the stage. */
static int ingest(struct archive *a, RossContent *store, const char *name, uint64_t max, char *buf,
                  json_t *files, RossError *err)
{
        RossIngest *in = NULL;
        unsigned char head[HEAD_BYTES];
        size_t head_len = 0;
        uint64_t total = 0;
        int r = ross_ingest_begin(store, NULL, -1, &in, err);
        if (r < 0)
                return r;
        for (;;) {
                const void *p;
                size_t k;
                la_int64_t off;
                int s = archive_read_data_block(a, &p, &k, &off);
                if (s == ARCHIVE_EOF)
                        break;
                if (s < ARCHIVE_WARN || off < 0 || (uint64_t)off < total) {
                        ross_ingest_abort(in);
                        return ross_errx(err, EINVAL, "the archive: '%s': %s", name,
                                         archive_error_string(a) ?: "bad data");
                }
                /* a hole of a sparse entry is zeros */
                while (r == 0 && total < (uint64_t)off) {
                        size_t z = (uint64_t)off - total < CHUNK ? (size_t)((uint64_t)off - total)
                                                                 : CHUNK;
                        memset(buf, 0, z);
                        r = take(in, buf, z, head, &head_len, &total, max, name, err);
                }
                if (r == 0)
                        r = take(in, p, k, head, &head_len, &total, max, name, err);
                if (r < 0) {
                        ross_ingest_abort(in);
                        return r;
                }
        }
        char digest[ROSS_DIGEST_LEN + 1];
        if ((r = ross_ingest_commit_digest(in, digest, err)) < 0)
                return r;
        json_array_append_new(
                files, json_pack("{s:s, s:s, s:I, s:s}", "name", name, "digest", digest, "size",
                                 (json_int_t)total, "compression",
                                 compression_name(ross_layer_compression_of(head, head_len))));
        return 0;
}

/* Where a symlink of the archive leads, lexically, from the directory it is in: a name of
 * the archive, or NULL when it leads out of it. */
static char *link_target(const char *name, const char *target)
{
        if (target[0] == '/')
                return NULL;
        const char *slash = strrchr(name, '/');
        _cleanup_free_ char *joined =
                slash ? xasprintf("%.*s/%s", (int)(slash - name), name, target) : xstrdup(target);
        _cleanup_free_ char *out = xcalloc(1, strlen(joined) + 1);
        size_t len = 0;
        for (char *p = joined; *p;) {
                size_t k = strcspn(p, "/");
                if (k == 2 && p[0] == '.' && p[1] == '.') {
                        if (!len)
                                return NULL; /* above the archive's root */
                        char *up = memrchr(out, '/', len);
                        len = up ? (size_t)(up - out) : 0;
                        out[len] = '\0';
                } else if (k && !(k == 1 && p[0] == '.')) {
                        if (len)
                                out[len++] = '/';
                        memcpy(out + len, p, k);
                        len += k;
                        out[len] = '\0';
                }
                p += k;
                if (*p == '/')
                        p++;
        }
        return len ? TAKE_PTR(out) : NULL;
}

/* Each symlink to a regular file of the archive stands for that file under its own name
 * (one level: a link to a link leads nowhere). */
static void add_links(json_t *files, json_t *links)
{
        const char *name;
        json_t *target;
        json_object_foreach (links, name, target) {
                _cleanup_free_ char *to = link_target(name, json_string_value(target));
                json_t *f, *found = NULL;
                size_t i;
                bool taken = false;
                json_array_foreach (files, i, f) {
                        const char *n = json_string_value(json_object_get(f, "name"));
                        if (STREQ(n, name))
                                taken = true; /* a file of that name wins */
                        else if (to && STREQ(n, to))
                                found = f;
                }
                if (!found || taken)
                        continue;
                json_t *copy = json_deep_copy(found);
                json_object_set_new(copy, "name", json_string(name));
                json_array_append_new(files, copy);
        }
}

/* The whole archive into the stage: the list of its regular files. */
static int read_archive(RossContent *store, RossChannel *ch, uint64_t max, json_t **ret,
                        RossError *err)
{
        unsigned char head[HEAD_BYTES];
        size_t got = 0;
        while (got < sizeof(head)) {
                ssize_t k = read(IN_FD, head + got, sizeof(head) - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return ross_err(err, errno, "read the archive");
                if (k == 0)
                        break;
                got += (size_t)k;
        }
        if (!got)
                return ross_errx(err, EINVAL, "the archive is empty");
        _cleanup_(decomp_freep) RossDecomp *d = NULL;
        int r = ross_decomp_open_prefixed(IN_FD, ross_layer_compression_of(head, got), head, got,
                                          &d, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = xmalloc(CHUNK);
        Reader rd = {.d = d, .buf = xmalloc(CHUNK), .ch = ch};
        clock_gettime(CLOCK_MONOTONIC, &rd.last);
        struct archive *a = archive_read_new();
        if (!a) {
                free(rd.buf);
                return ross_errx(err, ELIBACC, "%s", archive_error_string(NULL));
        }
        archive_read_support_format_tar(a);
        json_auto_t *files = json_array(), *links = json_object();
        if (archive_read_open(a, &rd, NULL, read_cb, NULL) != ARCHIVE_OK)
                r = ross_errx(err, EINVAL, "the archive: %s", archive_error_string(a));
        while (r == 0) {
                struct archive_entry *e;
                int s = archive_read_next_header(a, &e);
                if (s == ARCHIVE_EOF)
                        break;
                if (s < ARCHIVE_WARN) {
                        r = rd.sink.code ? ross_errx(err, rd.sink.code, "%s", rd.sink.msg)
                                         : ross_errx(err, EINVAL, "the archive: %s",
                                                     archive_error_string(a));
                        break;
                }
                const char *raw = archive_entry_pathname(e);
                _cleanup_free_ char *name = raw ? clean_name(raw) : NULL;
                if (!name && raw && (STREQ(raw, ".") || STREQ(raw, "./")))
                        continue;
                if (!name) {
                        r = ross_errx(err, EINVAL, "the archive: invalid name '%s'",
                                      raw ? raw : "");
                        break;
                }
                /* Docker before 25 writes a layer two images share once, and a symlink to
                 * it for the other (<id>/layer.tar -> ../<id>/layer.tar) */
                if (archive_entry_filetype(e) == AE_IFLNK && archive_entry_symlink(e)) {
                        if (json_object_size(links) < MAX_FILES)
                                json_object_set_new(links, name,
                                                    json_string(archive_entry_symlink(e)));
                        continue;
                }
                /* directories and hard links are not documents or layers */
                if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != NULL)
                        continue;
                if (json_array_size(files) >= MAX_FILES) {
                        r = ross_errx(err, E2BIG, "the archive has more than %d files", MAX_FILES);
                        break;
                }
                json_t *f;
                size_t i;
                json_array_foreach (files, i, f)
                        if (STREQ(json_string_value(json_object_get(f, "name")), name)) {
                                r = ross_errx(err, EINVAL, "the archive has '%s' twice", name);
                                break;
                        }
                if (r == 0)
                        r = ingest(a, store, name, max, buf, files, err);
        }
        archive_read_free(a);
        free(rd.buf);
        if (r == 0)
                add_links(files, links);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(files);
        return 0;
}

/* The diff id of a layer whose chain is unpacked already: decompressed and hashed. */
static int hash_layer(int fd, const char *diff_id, uint64_t max, uint64_t *ret_bytes,
                      RossError *err)
{
        RossLayerCompression c;
        if (ross_layer_detect_compression(fd, &c) < 0)
                return ross_err(err, errno, "read the layer");
        _cleanup_(decomp_freep) RossDecomp *d = NULL;
        int r = ross_decomp_open(fd, c, &d, err);
        if (r < 0)
                return r;
        _cleanup_(ross_hash_freep) RossHash *h = ross_hash_new();
        _cleanup_free_ char *buf = xmalloc(CHUNK);
        uint64_t total = 0;
        for (;;) {
                ssize_t k = ross_decomp_read(d, buf, CHUNK, err);
                if (k < 0)
                        return (int)k;
                if (k == 0)
                        break;
                total += (uint64_t)k;
                if (total > max)
                        return ross_errx(err, EFBIG, "the layer is larger than %llu bytes",
                                         (unsigned long long)max);
                ross_hash_update(h, buf, (size_t)k);
        }
        char got[ROSS_DIGEST_LEN + 1];
        ross_hash_final(h, got);
        if (!STREQ(got, diff_id))
                return ross_errx(err, EINVAL,
                                 "uncompressed layer has digest %s, the image config says %s", got,
                                 diff_id);
        *ret_bytes = total;
        return 0;
}

static int unpack_one(const RossHelperOptions *o, RossContent *store, json_t *req, uint64_t max,
                      const RossSpaceReserve *reserve, uint64_t *ret_bytes, RossError *err)
{
        const char *digest = json_string_value(json_object_get(req, "digest"));
        const char *diff_id = json_string_value(json_object_get(req, "diff_id"));
        const char *tree = json_string_value(json_object_get(req, "tree"));
        if (!ross_digest_valid(digest) || !ross_digest_valid(diff_id) ||
            (tree && !ross_helper_tree_valid(tree)))
                return ross_errx(err, EPROTO, "expected an unpack request");
        _cleanup_free_ char *blob = ross_content_path(store, digest);
        _cleanup_close_ int fd = open(blob, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return ross_err(err, errno, "open layer %s", digest);
        if (!tree)
                return hash_layer(fd, diff_id, max, ret_bytes, err);
        _cleanup_free_ char *dir = xasprintf("%s/snapshots/%s", o->data_dir, tree);
        _cleanup_close_ int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfd < 0)
                return ross_err(err, errno, "open the tree of layer %s", digest);
        RossLayerCompression c;
        if (ross_layer_detect_compression(fd, &c) < 0)
                return ross_err(err, errno, "read layer %s", digest);
        RossUnpackOptions uo = {
                .whiteouts = ROSS_WHITEOUT_OVERLAY,
                .compression = c,
                .max_bytes = max,
                .expected_diff_id = diff_id,
                .reserve = *reserve,
        };
        RossUnpackStats st = {};
        int r = ross_unpack_layer(fd, rootfd, &uo, &st, err);
        if (r < 0)
                return r;
        *ret_bytes = st.bytes;
        return 0;
}

int ross_helper_serve_load(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        json_auto_t *req = NULL, *files = NULL;
        _cleanup_(content_freep) RossContent *store = NULL;
        int r = ross_channel_recv(ch, &req, err);
        if (r < 0)
                return r;
        if (!STREQ(ross_channel_type(req), "load"))
                return ross_errx(err, EPROTO, "expected a load request");
        uint64_t max = (uint64_t)json_integer_value(json_object_get(req, "max_layer_bytes"));
        if (!max)
                max = ROSS_UNPACK_DEFAULT_MAX_BYTES;
        RossSpaceReserve reserve = {
                .bytes = (uint64_t)json_integer_value(json_object_get(req, "reserve_bytes")),
                .percent = (unsigned)json_integer_value(json_object_get(req, "reserve_percent")),
        };
        if (reserve.percent > 100)
                reserve.percent = 100;
        if ((r = ross_content_open_staged(o->data_dir, o->stage, &store, err)) < 0)
                return r;
        ross_content_set_reserve(store, &reserve);
        if ((r = read_archive(store, ch, max, &files, err)) < 0)
                return r;
        r = ross_channel_send_new(ch, json_pack("{s:s, s:O}", "type", "files", "files", files),
                                  err);
        for (;;) {
                json_auto_t *next = NULL;
                if (r == 0)
                        r = ross_channel_recv(ch, &next, err);
                if (r < 0)
                        return r;
                if (STREQ(ross_channel_type(next), "end"))
                        return ross_channel_send_new(ch, json_pack("{s:s}", "type", "done"), err);
                if (!STREQ(ross_channel_type(next), "unpack"))
                        return ross_errx(err, EPROTO, "expected an unpack request");
                uint64_t bytes = 0;
                r = unpack_one(o, store, next, max, &reserve, &bytes, err);
                if (r < 0)
                        return ross_err_prefix(err, "layer %s",
                                               json_string_value(json_object_get(next, "digest")));
                r = ross_channel_send_new(
                        ch, json_pack("{s:s, s:I}", "type", "unpacked", "bytes", (json_int_t)bytes),
                        err);
        }
}
