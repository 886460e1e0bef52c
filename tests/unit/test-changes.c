/* SPDX-License-Identifier: Apache-2.0 */
/* A container's filesystem changes (src/container/changes.c) and ps's output as Docker's top
 * reads it (src/container/top.c). */
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include "basic/buf.h"
#include "basic/fileio.h"
#include "container/changes.h"
#include "container/top.h"
#include "tap.h"

static char root[64];

static char *at(const char *rel)
{
        static char buf[8][512];
        static int k;
        k = (k + 1) % 8;
        snprintf(buf[k], sizeof(buf[k]), "%s/%s", root, rel);
        return buf[k];
}

static void mkdirs(const char *rel)
{
        RossError err = {};
        if (ross_mkdir_p(at(rel), 0755, &err) < 0)
                printf("# mkdir %s: %s\n", rel, err.msg);
}

static void put(const char *rel, const char *text)
{
        RossError err = {};
        if (ross_write_file_replace(at(rel), text, strlen(text), 0644, &err) < 0)
                printf("# write %s: %s\n", rel, err.msg);
}

/* mtime of a file, whole seconds as an unpacked layer has them */
static void set_mtime(const char *rel, time_t t)
{
        struct timespec ts[2] = {{t, 0}, {t, 0}};
        utimensat(AT_FDCWD, at(rel), ts, AT_SYMLINK_NOFOLLOW);
}

static int dir_fd(const char *rel)
{
        return open(at(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* "C /etc,A /new,..." */
static char *text_of(json_t *changes)
{
        static const char kinds[] = "CAD";
        RossBuf b = {};
        json_t *e;
        size_t i;
        json_array_foreach (changes, i, e)
                ross_buf_printf(&b, "%s%c %s", i ? "," : "",
                                kinds[json_integer_value(json_object_get(e, "Kind"))],
                                json_string_value(json_object_get(e, "Path")));
        return ross_buf_steal(&b);
}

static void test_overlay(void)
{
        /* the image: /etc/passwd, /etc/group, /bin/sh, /d/{x,y}, /keep */
        mkdirs("image/etc");
        mkdirs("image/bin");
        mkdirs("image/d");
        put("image/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        put("image/etc/group", "root:x:0:\n");
        put("image/bin/sh", "#!\n");
        put("image/d/x", "x");
        put("image/d/y", "y");
        put("image/keep", "same");
        set_mtime("image/etc/passwd", 946684800);
        set_mtime("image/keep", 946684800);
        /* the init layer above it: the runtime's mount points */
        mkdirs("init/etc");
        mkdirs("init/proc");
        mkdirs("init/dev");
        put("init/etc/hosts", "");
        /* the container's upper dir */
        mkdirs("upper/etc");
        put("upper/etc/passwd", "root:x:0:0::/root:/bin/sh\nx\n");
        put("upper/etc/hosts", "127.0.0.1 localhost\n"); /* a mount point: not listed */
        mkdirs("upper/proc/1");                          /* nor this */
        put("upper/new", "new");
        mkdirs("upper/newdir/sub");
        put("upper/newdir/sub/f", "f");
        /* copied up, unchanged: not a change */
        put("upper/keep", "same");
        set_mtime("upper/keep", 946684800);
        bool whiteouts = mknod(at("upper/etc/group"), S_IFCHR | 0, makedev(0, 0)) == 0;
        mkdirs("upper/d");
        put("upper/d/z", "z");
        bool opaque = setxattr(at("upper/d"), "trusted.overlay.opaque", "y", 1, 0) == 0;

        int upper = dir_fd("upper");
        int lowers[2] = {dir_fd("init"), dir_fd("image")};
        json_t *changes = NULL;
        RossError err = {};
        int r = ross_changes_overlay(upper, lowers, 2, &changes, &err);
        ok(r == 0, "overlay changes (%s)", err.msg);
        char *t = text_of(changes);
        RossBuf want = {};
        if (opaque)
                ross_buf_printf(&want, "C /d,D /d/x,D /d/y,A /d/z,");
        else
                ross_buf_printf(&want, "C /d,A /d/z,");
        ross_buf_printf(&want,
                        "C /etc,%sC /etc/passwd,A /new,A /newdir,A /newdir/sub,"
                        "A /newdir/sub/f",
                        whiteouts ? "D /etc/group," : "");
        if (!whiteouts || !opaque)
                printf("# without %s (needs root)\n", !whiteouts ? "whiteouts" : "opaque dirs");
        is_str(t, want.data,
               "whiteout deleted, opaque dir's old entries deleted, parents "
               "modified, mount points and unchanged copy-ups left out");
        free(t);
        ross_buf_free(&want);
        json_decref(changes);

        /* a hostile name: bytes that are not UTF-8 come out as U+FFFD */
        put("upper/bad\xff", "");
        r = ross_changes_overlay(upper, lowers, 2, &changes, &err);
        t = text_of(changes);
        ok(r == 0 && strstr(t, "A /bad\xef\xbf\xbd") != NULL, "non-UTF-8 name sanitized: %s", t);
        free(t);
        json_decref(changes);
        unlink(at("upper/bad\xff"));

        int64_t size = ross_changes_tree_size(upper);
        /* passwd, hosts, new, f, keep, z; a whiteout weighs nothing */
        int64_t want_size = (int64_t)(strlen("root:x:0:0::/root:/bin/sh\nx\n") +
                                      strlen("127.0.0.1 localhost\n") + 3 + 1 + 4 + 1);
        ok(size == want_size, "upper dir size %lld (want %lld)", (long long)size,
           (long long)want_size);
        close(upper);
        close(lowers[0]);
        close(lowers[1]);
}

static void test_trees(void)
{
        mkdirs("flat/etc");
        mkdirs("flat/usr/lib");
        put("flat/etc/passwd", "a\n");
        put("flat/etc/group", "g\n");
        put("flat/usr/lib/libc", "libc");
        put("flat/same", "s");
        set_mtime("flat/etc/passwd", 946684800);
        set_mtime("flat/same", 946684800);
        symlink("libc", at("flat/usr/lib/link"));

        mkdirs("root/etc");
        mkdirs("root/usr/lib");
        mkdirs("root/proc");           /* a VM's mount point */
        put("root/etc/passwd", "b\n"); /* same size, later mtime: modified */
        set_mtime("root/etc/passwd", 946684801);
        put("root/usr/lib/libc", "libc");
        put("root/same", "s");
        set_mtime("root/same", 946684800);
        set_mtime("flat/usr/lib/libc", 946684800);
        set_mtime("root/usr/lib/libc", 946684800);
        symlink("other", at("root/usr/lib/link")); /* 5 bytes, not 4: modified */
        put("root/added", "12345");
        link(at("root/added"), at("root/hardlink"));

        int newfd = dir_fd("root"), oldfd = dir_fd("flat");
        json_t *changes = NULL;
        RossError err = {};
        int64_t size = -1;
        int r = ross_changes_trees(newfd, oldfd, &changes, &size, &err);
        ok(r == 0, "tree changes (%s)", err.msg);
        char *t = text_of(changes);
        is_str(t,
               "A /added,C /etc,D /etc/group,C /etc/passwd,A /hardlink,C /usr,C /usr/lib,"
               "C /usr/lib/link",
               "tree against tree: added, deleted, modified, parents listed");
        /* added 5 (its hard link once) + passwd 2 + link 5 */
        ok(size == 5 + 2 + 5, "size of what changed: %lld", (long long)size);
        free(t);
        json_decref(changes);
        close(newfd);
        close(oldfd);
}

static char *top_text(const char *out, const pid_t *pids, size_t n)
{
        json_t *top = NULL;
        RossError err = {};
        if (ross_top_parse(out, pids, n, &top, &err) < 0)
                return xasprintf("error: %s", err.msg);
        RossBuf b = {};
        json_t *row, *f;
        size_t i, k;
        json_array_foreach (json_object_get(top, "Titles"), i, f)
                ross_buf_printf(&b, "%s%s", i ? "|" : "", json_string_value(f));
        json_array_foreach (json_object_get(top, "Processes"), i, row) {
                ross_buf_printf(&b, ";");
                json_array_foreach (row, k, f)
                        ross_buf_printf(&b, "%s%s", k ? "|" : "", json_string_value(f));
        }
        json_decref(top);
        return ross_buf_steal(&b);
}

static void test_top(void)
{
        static const char ef[] = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                                 "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
                                 "root         812       1  0 10:01 ?        00:00:00 sleep 1000\n"
                                 "root         900       1  0 10:01 ?        00:00:00 sh -c x  y\n";
        pid_t pids[] = {812, 900};
        char *t = top_text(ef, pids, 2);
        is_str(t,
               "UID|PID|PPID|C|STIME|TTY|TIME|CMD;root|812|1|0|10:01|?|00:00:00|sleep 1000;"
               "root|900|1|0|10:01|?|00:00:00|sh -c x y",
               "the container's rows, the command's words joined");
        free(t);
        /* ps -eLf, or m: thread rows ("-") go with the process before them */
        static const char threads[] = "PID TID CMD\n"
                                      "1 - init\n"
                                      "812 - app\n"
                                      "- 812 -\n"
                                      "- 813 -\n"
                                      "5 - other\n"
                                      "- 5 -\n";
        t = top_text(threads, pids, 1);
        is_str(t, "PID|TID|CMD;812|-|app;-|812|-;-|813|-", "threads with their process only");
        free(t);
        t = top_text("USER COMMAND\nroot sleep\n", pids, 2);
        is_str(t, "error: Couldn't find PID field in ps output", "no PID column: Docker's words");
        free(t);
        t = top_text("PID CMD\nabc sleep\n", pids, 2);
        is_str(t, "error: Unexpected pid 'abc': not a number", "a PID that is no number");
        free(t);
        /* short rows and an empty output do no harm */
        t = top_text("PID USER CMD\n812\n900 root\n\n", pids, 2);
        is_str(t, "PID|USER|CMD;812||;900|root|", "short rows are padded");
        free(t);
        t = top_text("USER PID CMD\nroot\nroot 812 x\n", pids, 2);
        is_str(t, "USER|PID|CMD;root|812|x", "a row without the PID column is skipped");
        free(t);
        t = top_text("", NULL, 0);
        is_str(t, "error: Couldn't find PID field in ps output", "empty output");
        free(t);
        t = top_text("PID CMD\n1 init\n2 [kthreadd]\n", NULL, 0);
        is_str(t, "PID|CMD;1|init;2|[kthreadd]", "pids NULL: every row");
        free(t);

        RossError err = {};
        ok(ross_top_check_args("-ef", &err) == 0, "-ef is fine");
        ok(ross_top_check_args("-o pid=PID,comm", &err) == 0, "pid=PID is fine");
        ok(ross_top_check_args("-o user=PIDX", &err) == -EINVAL, "user=PIDX refused");
        is_str(err.msg, "specifying \"user=PIDX\" is not allowed", "... with Docker's words");
}

int main(void)
{
        snprintf(root, sizeof(root), "/tmp/ross-test-changes-XXXXXX");
        if (!mkdtemp(root))
                return 1;
        test_overlay();
        test_trees();
        test_top();
        ross_rm_rf(root);
        return tap_done();
}
