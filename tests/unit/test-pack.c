/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tar walk (src/unpack/pack.c) and the extractor's docker cp options (src/unpack/
 * extract.c): round trips, Docker's renaming and "DIR/.", noOverwriteDirNonDir, and hostile
 * archives (a "../" entry, a symlink out of the root written through) that must stay inside;
 * an overlay upper dir as a layer (docker commit): its whiteouts and opaque directories as
 * OCI ones, excluded names left out.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "basic/fileio.h"
#include "unpack/extract.h"
#include "unpack/pack.h"
#include "tap.h"

static char *base;

static char *path(const char *rel)
{
        return xasprintf("%s/%s", base, rel);
}

static void write_text(const char *rel, const char *text, mode_t mode)
{
        _cleanup_free_ char *p = path(rel);
        if (ross_write_file_replace(p, text, strlen(text), mode, NULL) < 0)
                abort();
        chmod(p, mode);
}

static char *read_text(const char *rel)
{
        _cleanup_free_ char *p = path(rel);
        char *text = NULL;
        if (ross_read_file(p, 4096, &text, NULL, NULL) < 0)
                return NULL;
        return text;
}

static void mkdirs(const char *rel)
{
        _cleanup_free_ char *p = path(rel);
        if (ross_mkdir_p(p, 0755, NULL) < 0)
                abort();
}

/* A tar of dir/name as `as`, in a memfd (rewound). */
static int pack(const char *dir, const char *name, const char *as, bool root_owner)
{
        int fd = memfd_create("tar", MFD_CLOEXEC);
        _cleanup_free_ char *d = path(dir);
        _cleanup_close_ int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        RossPackOptions o = {.write = ross_pack_write_fd, .userdata = &fd, .set_owner = root_owner};
        RossError err = {};
        int r = ross_pack(dfd, name, as, &o, &err);
        if (r < 0)
                printf("# pack: %s\n", err.msg);
        lseek(fd, 0, SEEK_SET);
        return r < 0 ? r : fd;
}

static int extract(int tarfd, const char *root, const RossUnpackOptions *o, RossError *err)
{
        _cleanup_free_ char *r = path(root);
        _cleanup_close_ int rfd = open(r, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return ross_unpack_layer(tarfd, rfd, o, NULL, err);
}

/* A ustar header and data: enough for hostile fixtures libarchive's writer would refuse. */
static void ustar(int fd, const char *name, char type, const char *link, const char *data)
{
        unsigned char h[512] = {0};
        size_t n = data ? strlen(data) : 0;
        snprintf((char *)h, 100, "%s", name);
        snprintf((char *)h + 100, 8, "%07o", 0644);
        snprintf((char *)h + 108, 8, "%07o", 0);
        snprintf((char *)h + 116, 8, "%07o", 0);
        snprintf((char *)h + 124, 12, "%011zo", n);
        snprintf((char *)h + 136, 12, "%011o", 0);
        memset(h + 148, ' ', 8);
        h[156] = (unsigned char)type;
        if (link)
                snprintf((char *)h + 157, 100, "%s", link);
        memcpy(h + 257,
               "ustar\0"
               "00",
               8);
        unsigned sum = 0;
        for (size_t i = 0; i < 512; i++)
                sum += h[i];
        snprintf((char *)h + 148, 8, "%06o", sum);
        if (ross_write_all(fd, h, 512) < 0)
                abort();
        if (n) {
                char pad[512] = {0};
                if (ross_write_all(fd, data, n) < 0 ||
                    ross_write_all(fd, pad, (512 - n % 512) % 512) < 0)
                        abort();
        }
}

static int ustar_end(int fd)
{
        char z[1024] = {0};
        if (ross_write_all(fd, z, sizeof(z)) < 0)
                abort();
        lseek(fd, 0, SEEK_SET);
        return fd;
}

int main(void)
{
        char tmpl[] = "/tmp/ross-test-pack-XXXXXX";
        base = mkdtemp(tmpl);
        RossError err = {};
        struct stat a, b;
        int r;

        /* the tree */
        mkdirs("src/d/sub");
        write_text("src/d/sub/f", "hello\n", 0640);
        write_text("src/d/.wh.kept", "not a whiteout\n", 0644);
        _cleanup_free_ char *f = path("src/d/sub/f"), *hard = path("src/d/hard"),
                            *lnk = path("src/d/link"), *fifo = path("src/d/fifo");
        ok(link(f, hard) == 0 && symlink("../../outside", lnk) == 0 && mkfifo(fifo, 0600) == 0,
           "a tree with a hard link, a symlink and a FIFO");

        /* DIR as DIR, into a prefix */
        mkdirs("dst/x");
        _cleanup_close_ int t1 = pack("src", "d", "d", false);
        RossUnpackOptions o = {.whiteouts = ROSS_WHITEOUT_NONE, .prefix = "x"};
        ok(t1 >= 0 && extract(t1, "dst", &o, &err) == 0, "pack and extract d: %s", err.msg);
        _cleanup_free_ char *got = read_text("dst/x/d/sub/f");
        is_str(got, "hello\n", "the file's bytes");
        _cleanup_free_ char *gf = path("dst/x/d/sub/f"), *gh = path("dst/x/d/hard"),
                            *gl = path("dst/x/d/link"), *gfifo = path("dst/x/d/fifo"),
                            *gw = path("dst/x/d/.wh.kept");
        ok(stat(gf, &a) == 0 && (a.st_mode & 07777) == 0640, "its mode");
        ok(stat(gh, &b) == 0 && a.st_ino == b.st_ino, "the hard link is a link");
        char target[64] = "";
        ok(readlink(gl, target, sizeof(target) - 1) > 0 && STREQ(target, "../../outside"),
           "the symlink as it was: %s", target);
        ok(lstat(gfifo, &a) == 0 && S_ISFIFO(a.st_mode), "the FIFO");
        ok(lstat(gw, &a) == 0 && S_ISREG(a.st_mode), "a .wh. file is a file, not a whiteout");

        /* the first component renamed (docker cp's rebasing); DIR/. as ".", into an existing
         * directory */
        lseek(t1, 0, SEEK_SET);
        RossUnpackOptions o2 = {
                .whiteouts = ROSS_WHITEOUT_NONE, .rebase_from = "d", .rebase_to = "renamed"};
        ok(extract(t1, "dst", &o2, &err) == 0, "extract renamed: %s", err.msg);
        free(got);
        got = read_text("dst/renamed/sub/f");
        is_str(got, "hello\n", "d/sub/f is renamed/sub/f");
        mkdirs("dst/content");
        _cleanup_close_ int t2 = pack("src/d", ".", ".", true);
        RossUnpackOptions o3 = {.whiteouts = ROSS_WHITEOUT_NONE, .prefix = "content"};
        ok(t2 >= 0 && extract(t2, "dst", &o3, &err) == 0, "DIR/.: %s", err.msg);
        free(got);
        got = read_text("dst/content/sub/f");
        is_str(got, "hello\n", "DIR/. puts the content in");
        _cleanup_free_ char *cf = path("dst/content/sub/f");
        ok(stat(cf, &a) == 0 && a.st_uid == 0 && a.st_gid == 0, "set_owner: root's");
        /* one file, as itself */
        _cleanup_close_ int t3 = pack("src/d/sub", "f", "g", false);
        RossUnpackOptions o4 = {.whiteouts = ROSS_WHITEOUT_NONE, .prefix = "dst"};
        ok(t3 >= 0 && extract(t3, "", &o4, &err) == 0, "a file: %s", err.msg);
        free(got);
        got = read_text("dst/g");
        is_str(got, "hello\n", "a file under the name asked");

        /* noOverwriteDirNonDir: a file where the tar has a directory, and back */
        mkdirs("clash");
        write_text("clash/d", "a file\n", 0644);
        lseek(t1, 0, SEEK_SET);
        RossUnpackOptions o5 = {.whiteouts = ROSS_WHITEOUT_NONE, .no_replace_dir = true};
        r = extract(t1, "clash", &o5, &err);
        ok(r < 0 && strstr(err.msg, "cannot overwrite non-directory \"d\" with directory"),
           "no_replace_dir: a file is not replaced by a directory: %s", err.msg);
        mkdirs("clash2/g");
        lseek(t3, 0, SEEK_SET);
        r = extract(t3, "clash2", &o5, &err);
        ok(r < 0 && strstr(err.msg, "cannot overwrite directory \"g\" with non-directory"),
           "nor a directory by a file: %s", err.msg);
        lseek(t3, 0, SEEK_SET);
        RossUnpackOptions o6 = {.whiteouts = ROSS_WHITEOUT_NONE};
        _cleanup_free_ char *c2g = path("clash2/g");
        ok(extract(t3, "clash2", &o6, &err) == 0 && lstat(c2g, &a) == 0 && S_ISREG(a.st_mode),
           "without it, replaced (Docker's default)");

        /* hostile: a "../" entry */
        mkdirs("root/dest");
        mkdirs("outside");
        write_text("outside/sentinel", "untouched\n", 0644);
        _cleanup_close_ int h1 = memfd_create("h1", MFD_CLOEXEC);
        ustar(h1, "../escape", '0', NULL, "x\n");
        ustar_end(h1);
        RossUnpackOptions ho = {.whiteouts = ROSS_WHITEOUT_NONE, .prefix = "dest"};
        r = extract(h1, "root", &ho, &err);
        _cleanup_free_ char *esc = path("root/escape");
        ok(r == -EINVAL && access(esc, F_OK) < 0, "a ../ entry is refused: %s", err.msg);

        /* hostile: a symlink to the host's absolute path of a directory outside, then a file
         * through it: it lands inside the root, at that path there */
        _cleanup_free_ char *out_abs = path("outside");
        _cleanup_close_ int h2 = memfd_create("h2", MFD_CLOEXEC);
        ustar(h2, "l", '2', out_abs, NULL);
        ustar(h2, "l/pwned", '0', NULL, "pwned\n");
        ustar(h2, "r", '2', "../../../../../../../../../../outside", NULL);
        ustar(h2, "r/pwned2", '0', NULL, "pwned\n");
        ustar_end(h2);
        r = extract(h2, "root", &ho, &err);
        ok(r == 0, "symlinks out of the root and writes through them: %s", err.msg);
        _cleanup_free_ char *in_root = xasprintf("%s/root%s/pwned", base, out_abs);
        _cleanup_free_ char *out1 = path("outside/pwned"), *out2 = path("outside/pwned2"),
                            *in2 = path("root/outside/pwned2");
        ok(access(in_root, F_OK) == 0 && access(in2, F_OK) == 0, "they land inside the root");
        ok(access(out1, F_OK) < 0 && access(out2, F_OK) < 0, "nothing outside it");
        free(got);
        got = read_text("outside/sentinel");
        is_str(got, "untouched\n", "the sentinel outside is untouched");

        /* a hard link to a file the archive did not bring */
        _cleanup_close_ int h3 = memfd_create("h3", MFD_CLOEXEC);
        ustar(h3, "shadow", '1', "../outside/sentinel", NULL);
        ustar_end(h3);
        r = extract(h3, "root", &ho, &err);
        ok(r < 0, "a hard link out is refused: %s", err.msg);

        /* the walk leaves out what a pseudo filesystem holds */
        int pfd = memfd_create("proc", MFD_CLOEXEC);
        _cleanup_close_ int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        RossPackOptions po = {.write = ross_pack_write_fd, .userdata = &pfd};
        ok(ross_pack(rootfd, "proc", "proc", &po, &err) == 0, "pack /proc: %s", err.msg);
        ok(fstat(pfd, &a) == 0 && a.st_size <= 2048, "only its directory (%lld bytes)",
           (long long)a.st_size);
        close(pfd);

        /* an upper dir as a layer: needs mknod and trusted.* xattrs (root) */
        mkdirs("up/opq");
        mkdirs("up/etc");
        mkdirs("up/dev/pts");
        write_text("up/opq/x", "x\n", 0644);
        write_text("up/etc/hosts", "runtime's\n", 0644);
        write_text("up/etc/kept", "kept\n", 0644);
        _cleanup_free_ char *wh = path("up/gone"), *opq = path("up/opq");
        if (mknod(wh, S_IFCHR | 0, makedev(0, 0)) == 0 &&
            setxattr(opq, "trusted.overlay.opaque", "y", 1, 0) == 0) {
                static const char *const exclude[] = {"etc/hosts", "dev", NULL};
                int lfd = memfd_create("layer", MFD_CLOEXEC);
                _cleanup_free_ char *up = path("up");
                _cleanup_close_ int ufd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                RossPackOptions lo = {
                        .write = ross_pack_write_fd,
                        .userdata = &lfd,
                        .overlay_whiteouts = true,
                        .exclude = exclude,
                };
                ok(ross_pack(ufd, ".", "", &lo, &err) == 0, "pack an upper dir: %s", err.msg);
                lseek(lfd, 0, SEEK_SET);
                mkdirs("layer");
                RossUnpackOptions lx = {.whiteouts = ROSS_WHITEOUT_NONE};
                ok(extract(lfd, "layer", &lx, &err) == 0, "extract it as plain files: %s", err.msg);
                close(lfd);
                _cleanup_free_ char *lw = path("layer/.wh.gone"), *lg = path("layer/gone"),
                                    *lo2 = path("layer/opq/.wh..wh..opq"),
                                    *lx2 = path("layer/opq/x"), *lh = path("layer/etc/hosts"),
                                    *lk = path("layer/etc/kept"), *ld = path("layer/dev");
                ok(lstat(lw, &a) == 0 && S_ISREG(a.st_mode) && a.st_size == 0 &&
                           access(lg, F_OK) < 0,
                   "a 0/0 character device is the OCI whiteout .wh.NAME");
                ok(lstat(lo2, &a) == 0 && S_ISREG(a.st_mode) && access(lx2, F_OK) == 0,
                   "an opaque directory: .wh..wh..opq and its entries");
                ok(access(lh, F_OK) < 0 && access(ld, F_OK) < 0 && access(lk, F_OK) == 0,
                   "excluded names and what is under them are left out, nothing else");
        } else {
                ok(true, "# SKIP no mknod or trusted.* xattrs here: %s", strerror(errno));
        }

        /* only listed entries, below unlisted directories too, and whiteouts at the end */
        {
                mkdirs("tree/keep/deeper");
                write_text("tree/keep/deeper/changed", "c\n", 0644);
                write_text("tree/keep/same", "s\n", 0644);
                write_text("tree/top", "t\n", 0644);
                int fd = memfd_create("tar", MFD_CLOEXEC);
                _cleanup_free_ char *d = path("tree");
                _cleanup_close_ int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                json_t *only = json_pack("{s:b, s:b}", "keep/deeper/changed", 1, "top", 1);
                const char *gone[] = {"keep/old", "gone", NULL};
                RossPackOptions tpo = {.write = ross_pack_write_fd,
                                       .userdata = &fd,
                                       .only = only,
                                       .whiteouts = gone};
                ok(ross_pack(dfd, ".", "", &tpo, &err) == 0, "pack with only and whiteouts: %s",
                   err.msg);
                json_decref(only);
                lseek(fd, 0, SEEK_SET);
                mkdirs("tdst");
                RossUnpackOptions uo = {.whiteouts = ROSS_WHITEOUT_NONE};
                ok(extract(fd, "tdst", &uo, &err) == 0, "extract it: %s", err.msg);
                close(fd);
                _cleanup_free_ char *ch = read_text("tdst/keep/deeper/changed"),
                                    *top = read_text("tdst/top");
                is_str(ch, "c\n", "a listed file below unlisted directories");
                is_str(top, "t\n", "a listed file at the top");
                _cleanup_free_ char *same = path("tdst/keep/same"), *w1 = path("tdst/keep/.wh.old"),
                                    *w2 = path("tdst/.wh.gone");
                ok(access(same, F_OK) < 0, "an entry not listed is left out");
                ok(stat(w1, &a) == 0 && a.st_size == 0 && stat(w2, &b) == 0,
                   "whiteouts beside where the entries were");
        }

        ross_rm_rf(base);
        return tap_done();
}
