/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ross-cli cp: files between a container and this machine, with the docker CLI's rules
 * (cli/command/container/cp.go and go-archive's copy.go): a directory copied into an
 * existing directory goes inside it, "SRC/." copies its content, a file onto a directory's
 * path goes inside it, a path with a trailing "/" must be a directory; "-" is a tar on stdin
 * or stdout. The daemon's side is /containers/{id}/archive; the tars are made and read here
 * with libross's walk (src/unpack/pack.c) and extractor, which keep every path inside the
 * destination.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "../basic/base64.h"
#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/format.h"
#include "../unpack/extract.h"
#include "../unpack/pack.h"
#include "commands.h"

/* Go's os.FileMode bits in the stat header. */
#define GO_MODE_DIR       (1u << 31)
#define GO_MODE_SYMLINK   (1u << 27)
#define GO_MODE_DEVICE    (1u << 26)
#define GO_MODE_IRREGULAR (1u << 19)

typedef struct Options {
        bool archive; /* -a: uid and gid as they are */
        bool follow;  /* -L */
        bool quiet;
} Options;

/* The docker CLI's PathStat: what the daemon said about a path in the container. */
typedef struct PathStat {
        uint32_t mode;
        int64_t size;
        char *link_target;
} PathStat;

static void path_stat_done(PathStat *s)
{
        free(s->link_target);
}

/* Go's filepath.Clean, for absolute paths and relative ones. */
static char *go_clean(const char *p)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        bool abs = p[0] == '/';
        char **comps = NULL;
        size_t n = 0, dots = 0; /* dots: the ".." a relative path starts with */
        for (const char *q = p; *q;) {
                while (*q == '/')
                        q++;
                size_t k = strcspn(q, "/");
                if (!k)
                        break;
                bool up = k == 2 && q[0] == '.' && q[1] == '.';
                if (up && n > dots)
                        free(comps[--n]);
                else if (!(k == 1 && q[0] == '.') && !(up && abs)) {
                        comps = xrealloc(comps, (n + 1) * sizeof(char *));
                        comps[n++] = xstrndup(q, k);
                        if (up)
                                dots++;
                }
                q += k;
        }
        for (size_t i = 0; i < n; i++) {
                if (i || abs)
                        ross_buf_append(&b, "/", 1);
                ross_buf_append(&b, comps[i], strlen(comps[i]));
                free(comps[i]);
        }
        free(comps);
        if (!b.len)
                return xstrdup(abs ? "/" : ".");
        return ross_buf_steal(&b);
}

/* Go's filepath.Base and Dir. */
static char *go_base(const char *p)
{
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                n--;
        if (!n)
                return xstrdup(".");
        if (n == 1 && p[0] == '/')
                return xstrdup("/");
        const char *s = memrchr(p, '/', n);
        return s ? xstrndup(s + 1, n - (size_t)(s + 1 - p)) : xstrndup(p, n);
}

static char *go_dir(const char *p)
{
        const char *s = strrchr(p, '/');
        _cleanup_free_ char *head = s ? xstrndup(p, (size_t)(s - p) + 1) : xstrdup("");
        return go_clean(*head ? head : ".");
}

static bool ends_with_slash(const char *p)
{
        size_t n = strlen(p);
        return n && p[n - 1] == '/';
}

static bool current_dir(const char *p)
{
        _cleanup_free_ char *b = go_base(p);
        return STREQ(b, ".");
}

/* go-archive's PreserveTrailingDotOrSeparator. */
static char *preserve_trailing(const char *clean, const char *orig)
{
        _cleanup_free_ char *out = xstrdup(clean);
        if (!current_dir(clean) && current_dir(orig)) {
                char *t = xasprintf("%s%s.", out, ends_with_slash(out) ? "" : "/");
                free(out);
                out = t;
        }
        if (!ends_with_slash(out) && ends_with_slash(orig)) {
                char *t = xasprintf("%s/", out);
                free(out);
                out = t;
        }
        return TAKE_PTR(out);
}

/* go-archive's SplitPathDirEntry: the directory and the base, a trailing "." kept. */
static void split_dir_entry(const char *path, char **ret_dir, char **ret_base)
{
        _cleanup_free_ char *clean = go_clean(path);
        if (current_dir(path)) {
                char *t = xasprintf("%s%s.", clean, ends_with_slash(clean) ? "" : "/");
                free(clean);
                clean = t;
        }
        *ret_dir = go_dir(clean);
        *ret_base = go_base(clean);
}

static bool asserts_directory(const char *p)
{
        return ends_with_slash(p) || current_dir(p);
}

/* An absolute local path, its trailing "/" or "/." kept (the CLI's resolveLocalPath). */
static char *local_abs(const char *p)
{
        _cleanup_free_ char *joined = NULL;
        if (p[0] == '/')
                joined = xstrdup(p);
        else {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                joined = xasprintf("%s/%s", cwd ? cwd : ".", p);
        }
        _cleanup_free_ char *clean = go_clean(joined);
        return preserve_trailing(clean, p);
}

/* The docker CLI's splitCpArg: "CONTAINER:PATH", else a local path ("/x", "./a:b"). */
static void split_arg(const char *arg, char **ret_ctr, const char **ret_path)
{
        const char *colon = strchr(arg, ':');
        if (arg[0] == '/' || !colon || arg[0] == '.') {
                *ret_ctr = NULL;
                *ret_path = arg;
                return;
        }
        *ret_ctr = xstrndup(arg, (size_t)(colon - arg));
        *ret_path = colon + 1;
}

static char *archive_path(const char *ctr, const char *path, const char *extra)
{
        _cleanup_free_ char *c = ross_client_escape(ctr);
        _cleanup_free_ char *p = ross_client_escape(path);
        return xasprintf("/containers/%s/archive?path=%s%s", c, p, extra ? extra : "");
}

static int decode_stat(const char *header, PathStat *ret, RossError *err)
{
        _cleanup_free_ unsigned char *text = NULL;
        size_t len;
        if (!header || ross_base64_decode(header, strlen(header), &text, &len) < 0)
                return ross_errx(err, EBADMSG, "the daemon sent no valid path stat");
        json_auto_t *j = json_loadb((const char *)text, len, 0, NULL);
        if (!json_is_object(j))
                return ross_errx(err, EBADMSG, "the daemon sent no valid path stat");
        ret->mode = (uint32_t)json_integer_value(json_object_get(j, "mode"));
        ret->size = json_integer_value(json_object_get(j, "size"));
        const char *t = json_string_value(json_object_get(j, "linkTarget"));
        ret->link_target = t ? xstrdup(t) : NULL;
        return 0;
}

/* HEAD /containers/{id}/archive: the path's stat, or the daemon's error. */
static int stat_path(RossClient *c, const char *ctr, const char *path, PathStat *ret,
                     RossError *err)
{
        _cleanup_free_ char *url = archive_path(ctr, path, NULL);
        _cleanup_free_ char *header = NULL;
        RossApiCall call = {
                .method = "HEAD",
                .path = url,
                .capture_header = "X-Docker-Container-Path-Stat",
                .captured = &header,
        };
        int r = ross_client_call(c, &call, NULL, err);
        if (r == -ENOENT)
                return ross_errx(err, ENOENT, "No such container:path: %s:%s", ctr, path);
        if (r < 0)
                return r;
        return decode_stat(header, ret, err);
}

/* go-archive's GetRebaseName: the link's target with the path's trailing "/" or "/.", and
 * the name the entries get back when the last component changed. */
static void rebase_name(const char *path, const char *resolved, char **ret_path, char **ret_rebase)
{
        _cleanup_free_ char *r = xstrdup(resolved);
        if (current_dir(path) && !current_dir(r)) {
                char *t = xasprintf("%s/.", r);
                free(r);
                r = t;
        }
        if (ends_with_slash(path) && !ends_with_slash(r)) {
                char *t = xasprintf("%s/", r);
                free(r);
                r = t;
        }
        _cleanup_free_ char *bp = go_base(path), *br = go_base(r);
        *ret_rebase = STREQ(bp, br) ? NULL : xstrdup(bp);
        *ret_path = TAKE_PTR(r);
}

/* go-archive's CopyInfo: a copy's source or destination. */
typedef struct CopyInfo {
        char *path;
        bool exists, is_dir;
        char *rebase; /* the name the source's entries get, or NULL */
} CopyInfo;

static void copy_info_done(CopyInfo *i)
{
        free(i->path);
        free(i->rebase);
}

/* go-archive's CopyInfoDestinationPath, on this machine. */
static int local_destination(const char *path, CopyInfo *ret, RossError *err)
{
        _cleanup_free_ char *p = xstrdup(path);
        struct stat st;
        int r = lstat(p, &st);
        for (int n = 0; r == 0 && S_ISLNK(st.st_mode); n++) {
                if (n > 10)
                        return ross_errx(err, ELOOP, "too many symlinks in %s", path);
                char target[4096];
                ssize_t k = readlink(p, target, sizeof(target) - 1);
                if (k < 0)
                        return ross_err(err, errno, "readlink %s", p);
                target[k] = '\0';
                char *next;
                if (target[0] == '/')
                        next = xstrdup(target);
                else {
                        _cleanup_free_ char *dir = NULL, *base = NULL, *joined = NULL;
                        split_dir_entry(p, &dir, &base);
                        joined = xasprintf("%s/%s", dir, target);
                        next = go_clean(joined);
                }
                free(p);
                p = next;
                r = lstat(p, &st);
        }
        if (r == 0) {
                ret->exists = true;
                ret->is_dir = S_ISDIR(st.st_mode);
                ret->path = TAKE_PTR(p);
                return 0;
        }
        if (errno != ENOENT)
                return ross_err(err, errno, "lstat %s", p);
        _cleanup_free_ char *dir = NULL, *base = NULL;
        split_dir_entry(p, &dir, &base);
        if (stat(dir, &st) < 0)
                return ross_err(err, errno, "stat %s", dir);
        if (!S_ISDIR(st.st_mode))
                return ross_errx(err, ENOTDIR, "not a directory");
        ret->path = TAKE_PTR(p);
        return 0;
}

/*
 * go-archive's PrepareArchiveCopy: the directory to extract into, and the renaming of the
 * archive's top entry (from the source's base, to) that gives the copy docker cp makes.
 * *ret_to NULL: no renaming.
 */
static int prepare_copy(const CopyInfo *src, const CopyInfo *dst, char **ret_dir, char **ret_to,
                        RossError *err)
{
        _cleanup_free_ char *dst_dir = NULL, *dst_base = NULL;
        split_dir_entry(dst->path, &dst_dir, &dst_base);
        if (dst->exists && dst->is_dir) {
                *ret_dir = xstrdup(dst->path);
                *ret_to = src->rebase ? xstrdup(src->rebase) : NULL;
                return 0;
        }
        if (dst->exists && src->is_dir)
                return ross_errx(err, EISDIR, "cannot copy directory");
        if (!dst->exists && !src->is_dir && asserts_directory(dst->path))
                return ross_errx(err, ENOENT, "no such directory");
        *ret_dir = TAKE_PTR(dst_dir);
        *ret_to = TAKE_PTR(dst_base);
        return 0;
}

/* The tar of a copy out, from the response body into the extractor through a pipe. */
typedef struct Out {
        const Options *o;
        const char *ctr;
        const char *src_path; /* in the container */
        char *rebase;         /* -L: the link's name, for its target's entries */
        const char *dst;      /* local, absolute; "-": stdout */
        char *header;         /* the stat header, as the answer came */
        int pipe_w;
        pthread_t th;
        bool started;
        int rootfd;
        int pipe_r;
        char *from, *to; /* the renaming */
        RossUnpackOptions uo;
        RossError terr;
        int tr;
        RossError err;
        int r;
        uint64_t bytes;
} Out;

static void *extract_thread(void *ud)
{
        Out *out = ud;
        out->tr = ross_unpack_layer(out->pipe_r, out->rootfd, &out->uo, NULL, &out->terr);
        /* the rest of the archive is not read: the writer sees EPIPE */
        out->pipe_r = safe_close(out->pipe_r);
        return NULL;
}

/* The first bytes are there (so is the stat header): where to extract, then start. */
static int out_start(Out *out)
{
        _cleanup_(path_stat_done) PathStat st = {};
        _cleanup_(copy_info_done) CopyInfo src = {}, dst = {};
        _cleanup_free_ char *dir = NULL, *src_dir = NULL, *src_base = NULL;
        int r = decode_stat(out->header, &st, &out->err);
        if (r < 0)
                return r;
        src.path = xstrdup(out->src_path);
        src.exists = true;
        src.is_dir = st.mode & GO_MODE_DIR;
        src.rebase = out->rebase ? xstrdup(out->rebase) : NULL;
        if ((r = local_destination(out->dst, &dst, &out->err)) < 0 ||
            (r = prepare_copy(&src, &dst, &dir, &out->to, &out->err)) < 0)
                return r;
        split_dir_entry(src.path, &src_dir, &src_base);
        out->from = out->to ? xstrdup(src_base) : NULL;
        out->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (out->rootfd < 0)
                return ross_err(&out->err, errno, "open %s", dir);
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ross_err(&out->err, errno, "pipe");
        out->pipe_r = p[0];
        out->pipe_w = p[1];
        out->uo = (RossUnpackOptions){
                .whiteouts = ROSS_WHITEOUT_NONE,
                .rebase_from = out->from,
                .rebase_to = out->to,
                .no_replace_dir = true,
                .no_chown = !out->o->archive,
        };
        if (pthread_create(&out->th, NULL, extract_thread, out) != 0)
                return ross_errx(&out->err, EAGAIN, "cannot start a thread");
        out->started = true;
        return 0;
}

static int out_raw(void *ud, const char *p, size_t n)
{
        Out *out = ud;
        out->bytes += n;
        if (STREQ(out->dst, "-"))
                return ross_write_all(STDOUT_FILENO, p, n) < 0 ? -1 : 0;
        if (!out->started && (out->r = out_start(out)) < 0)
                return -1;
        return ross_write_all(out->pipe_w, p, n) < 0 ? -1 : 0; /* EPIPE: the extractor failed */
}

static void summary(const Options *o, uint64_t bytes, const char *dst)
{
        char size[32];
        if (o->quiet || !isatty(STDOUT_FILENO))
                return;
        ross_format_size((double)bytes, size, sizeof(size));
        fprintf(stderr, "Successfully copied %s to %s\n", size, dst);
}

static int copy_from(RossClient *c, const Options *o, const char *ctr, const char *src_path,
                     const char *dst_arg)
{
        _cleanup_free_ char *dst = STREQ(dst_arg, "-") ? xstrdup("-") : local_abs(dst_arg);
        _cleanup_free_ char *src = xstrdup(src_path), *rebase = NULL;
        RossError err = {};
        struct stat st;

        if (!STREQ(dst, "-")) {
                /* the CLI's ValidateOutputPath */
                _cleanup_free_ char *clean = go_clean(dst), *dir = go_dir(clean);
                if (stat(dir, &st) < 0 && errno == ENOENT) {
                        ross_cli_error("invalid output path: directory \"%s\" does not exist", dir);
                        return 1;
                }
                if (stat(dst, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
                        ross_cli_error("invalid output path: \"%s\" must be a directory or a "
                                       "regular file",
                                       dst);
                        return 1;
                }
        }
        if (o->follow) {
                _cleanup_(path_stat_done) PathStat ps = {};
                if (stat_path(c, ctr, src, &ps, &err) == 0 && (ps.mode & GO_MODE_SYMLINK) &&
                    ps.link_target) {
                        _cleanup_free_ char *target = NULL;
                        if (ps.link_target[0] == '/')
                                target = xstrdup(ps.link_target);
                        else {
                                _cleanup_free_ char *pd = NULL, *pb = NULL, *j = NULL;
                                split_dir_entry(src, &pd, &pb);
                                j = xasprintf("%s/%s", pd, ps.link_target);
                                target = go_clean(j);
                        }
                        char *resolved = NULL;
                        rebase_name(src, target, &resolved, &rebase);
                        free(src);
                        src = resolved;
                }
        }
        _cleanup_free_ char *url = archive_path(ctr, src, NULL);
        Out out = {
                .o = o,
                .ctr = ctr,
                .src_path = src,
                .rebase = rebase,
                .dst = dst,
                .pipe_w = -EBADF,
                .pipe_r = -EBADF,
                .rootfd = -EBADF,
        };
        RossApiCall call = {
                .method = "GET",
                .path = url,
                .on_raw = out_raw,
                .userdata = &out,
                .capture_header = "X-Docker-Container-Path-Stat",
                .captured = &out.header,
        };
        int r = ross_client_call(c, &call, NULL, &err);
        out.pipe_w = safe_close(out.pipe_w);
        if (out.started)
                pthread_join(out.th, NULL);
        safe_close(out.rootfd);
        safe_close(out.pipe_r);
        free(out.header);
        free(out.from);
        free(out.to);
        if (out.r < 0) {
                ross_cli_error("%s", out.err.msg);
                return 1;
        }
        if (out.started && out.tr < 0) {
                ross_cli_error("%s", out.terr.msg);
                return 1;
        }
        if (r < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        if (!STREQ(dst, "-") && !out.started) {
                /* an empty body: no archive at all */
                ross_cli_error("the daemon sent no archive of %s:%s", ctr, src);
                return 1;
        }
        if (!STREQ(dst, "-"))
                summary(o, out.bytes, dst);
        return 0;
}

static int copy_to(RossClient *c, const Options *o, const char *src_arg, const char *ctr,
                   const char *dst_path)
{
        _cleanup_free_ char *src = STREQ(src_arg, "-") ? xstrdup("-") : local_abs(src_arg);
        _cleanup_(copy_info_done) CopyInfo dst = {.path = xstrdup(dst_path)};
        RossError err = {};
        int r;

        /* what the destination is, its symlink followed once */
        _cleanup_(path_stat_done) PathStat ps = {};
        if (stat_path(c, ctr, dst_path, &ps, &err) == 0) {
                if ((ps.mode & GO_MODE_SYMLINK) && ps.link_target) {
                        _cleanup_free_ char *target = NULL;
                        if (ps.link_target[0] == '/')
                                target = xstrdup(ps.link_target);
                        else {
                                _cleanup_free_ char *pd = NULL, *pb = NULL, *j = NULL;
                                split_dir_entry(dst_path, &pd, &pb);
                                j = xasprintf("%s/%s", pd, ps.link_target);
                                target = go_clean(j);
                        }
                        free(dst.path);
                        dst.path = xstrdup(target);
                        path_stat_done(&ps);
                        ps = (PathStat){};
                        r = stat_path(c, ctr, dst.path, &ps, &err);
                } else
                        r = 0;
                if (r == 0) {
                        if (ps.mode & (GO_MODE_DEVICE | GO_MODE_IRREGULAR)) {
                                ross_cli_error("destination \"%s:%s\" must be a directory or a "
                                               "regular file: got a device",
                                               ctr, dst_path);
                                return 1;
                        }
                        dst.exists = true;
                        dst.is_dir = ps.mode & GO_MODE_DIR;
                }
        }

        _cleanup_free_ char *extract_dir = NULL, *as = NULL, *src_dir = NULL, *src_base = NULL;
        _cleanup_(copy_info_done) CopyInfo si = {};
        if (STREQ(src, "-")) {
                if (!dst.is_dir) {
                        ross_cli_error("destination \"%s:%s\" must be a directory", ctr, dst_path);
                        return 1;
                }
                extract_dir = xstrdup(dst.path);
        } else {
                /* go-archive's CopyInfoSourcePath: the directories before the last component
                 * resolved (-L: the last one too) */
                _cleanup_free_ char *resolved = NULL;
                if (o->follow) {
                        _cleanup_free_ char *real = realpath(src, NULL);
                        if (!real) {
                                ross_cli_error("lstat %s: %s", src, strerror(errno));
                                return 1;
                        }
                        rebase_name(src, real, &resolved, &si.rebase);
                } else {
                        _cleanup_free_ char *d = NULL, *b = NULL;
                        const char *slash = strrchr(src, '/');
                        d = xstrndup(src, (size_t)(slash - src) + 1);
                        b = xstrdup(slash + 1);
                        _cleanup_free_ char *real = realpath(d, NULL);
                        if (!real) {
                                ross_cli_error("lstat %s: %s", src, strerror(errno));
                                return 1;
                        }
                        resolved = xasprintf("%s%s%s", real, STREQ(real, "/") ? "" : "/", b);
                        /* "LINK/": the entries keep the name given */
                        _cleanup_free_ char *bs = go_base(src), *br = go_base(resolved);
                        if (ends_with_slash(src) && !STREQ(bs, br))
                                si.rebase = xstrdup(bs);
                }
                struct stat st;
                if (lstat(resolved, &st) < 0) {
                        ross_cli_error("lstat %s: %s", resolved, strerror(errno));
                        return 1;
                }
                si.path = TAKE_PTR(resolved);
                si.exists = true;
                si.is_dir = S_ISDIR(st.st_mode);
                _cleanup_free_ char *to = NULL;
                if (prepare_copy(&si, &dst, &extract_dir, &to, &err) < 0) {
                        ross_cli_error("%s", err.msg);
                        return 1;
                }
                split_dir_entry(si.path, &src_dir, &src_base);
                as = to ? TAKE_PTR(to) : si.rebase ? xstrdup(si.rebase) : xstrdup(src_base);
        }

        _cleanup_free_ char *url =
                archive_path(ctr, extract_dir,
                             o->archive ? "&noOverwriteDirNonDir=true&copyUIDGID=true"
                                        : "&noOverwriteDirNonDir=true");
        RossApiCall call = {.method = "PUT", .path = url};
        RossUpload *u = NULL;
        if (ross_client_upload_begin(c, &call, "application/x-tar", &u, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        if (STREQ(src, "-"))
                r = ross_client_upload_fd(u, STDIN_FILENO, "stdin", &err);
        else {
                _cleanup_close_ int dfd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                RossPackOptions po = {
                        .write = ross_client_upload_write,
                        .userdata = u,
                        .set_owner = !o->archive, /* root in the container, as Docker's */
                };
                r = dfd < 0 ? ross_err(&err, errno, "open %s", src_dir)
                            : ross_pack(dfd, src_base, as, &po, &err);
        }
        if (r < 0) {
                ross_client_upload_free(u);
                ross_cli_error("%s", err.msg);
                return 1;
        }
        if (ross_client_upload_end(u, NULL, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 1;
        }
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-cli cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
                   "       ross-cli cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n"
                   "\n"
                   "Copy files and directories between a container (running or not) and this\n"
                   "machine, as docker cp does. '-' as the source reads a tar archive from stdin\n"
                   "and extracts it into a directory of the container; '-' as the destination\n"
                   "writes a tar archive of the source to stdout. A directory copied to a\n"
                   "directory goes inside it; SRC_PATH/. copies the directory's content.\n"
                   "\n"
                   "Options:\n"
                   "  -a, --archive      keep the files' uid and gid (else they are root's in the\n"
                   "                     container, and yours here)\n"
                   "  -L, --follow-link  follow a symlink in SRC_PATH\n"
                   "  -q, --quiet        print nothing on success\n"
                   "  -h, --help         show this help\n");
}

int ross_cmd_cp(RossClient *c, int argc, char **argv)
{
        static const struct option opts[] = {
                {"archive", no_argument, NULL, 'a'},
                {"follow-link", no_argument, NULL, 'L'},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        Options o = {};
        int ch;
        optind = 0;
        while ((ch = getopt_long(argc, argv, "+aLqh", opts, NULL)) != -1) {
                switch (ch) {
                case 'a':
                        o.archive = true;
                        break;
                case 'L':
                        o.follow = true;
                        break;
                case 'q':
                        o.quiet = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 125;
                }
        }
        if (argc - optind != 2) {
                ross_cli_error("cp requires exactly 2 arguments (see ross-cli cp --help)");
                return 125;
        }
        const char *src_arg = argv[optind], *dst_arg = argv[optind + 1];
        if (!*src_arg) {
                ross_cli_error("source can not be empty");
                return 125;
        }
        if (!*dst_arg) {
                ross_cli_error("destination can not be empty");
                return 125;
        }
        _cleanup_free_ char *src_ctr = NULL, *dst_ctr = NULL;
        const char *src_path, *dst_path;
        split_arg(src_arg, &src_ctr, &src_path);
        split_arg(dst_arg, &dst_ctr, &dst_path);
        if (src_ctr && dst_ctr) {
                ross_cli_error("copying between containers is not supported");
                return 125;
        }
        if (!src_ctr && !dst_ctr) {
                ross_cli_error("must specify at least one container source");
                return 125;
        }
        /* a reader or extractor that stops is an EPIPE, and said so */
        signal(SIGPIPE, SIG_IGN);
        if (src_ctr)
                return copy_from(c, &o, src_ctr, src_path, dst_path);
        return copy_to(c, &o, src_path, dst_ctr, dst_path);
}
