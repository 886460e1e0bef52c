/* SPDX-License-Identifier: Apache-2.0 */
/* Detach keys, the shim's attach frames, its JSON log lines and reading them back, and the
 * daemon's start of a shim. */
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "basic/fileio.h"
#include "basic/log.h"
#include "container/detach.h"
#include "shim/frame.h"
#include "shim/log.h"
#include "shim/shim.h"
#include "tap.h"

static void test_detach_parse(void)
{
        RossDetachKeys d;
        RossError err = {};
        ok(ross_detach_keys_parse(NULL, &d, &err) == 0 && d.n == 2 && d.keys[0] == 16 &&
                   d.keys[1] == 17,
           "the default is ctrl-p,ctrl-q");
        ok(ross_detach_keys_parse("ctrl-a,x,ctrl-@,ctrl-_,ctrl-[", &d, &err) == 0 && d.n == 5 &&
                   d.keys[0] == 1 && d.keys[1] == 'x' && d.keys[2] == 0 && d.keys[3] == 31 &&
                   d.keys[4] == 27,
           "letters, one characters and the symbols");
        ok(ross_detach_keys_parse("", &d, &err) == 0 && d.n == 0, "empty turns detaching off");
        ok(ross_detach_keys_parse("ctrl-%", &d, &err) == -EINVAL && strstr(err.msg, "ctrl-%"),
           "ctrl-%% is refused, naming it");
        ok(ross_detach_keys_parse("ctrl-p,", &d, &err) == -EINVAL, "a trailing comma is refused");
        ok(ross_detach_keys_parse("ctrl-p,,x", &d, &err) == -EINVAL, "an empty key is refused");
        ok(ross_detach_keys_parse("ab", &d, &err) == -EINVAL, "two characters are not a key");
        ok(ross_detach_keys_parse("a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a", &d, &err) == -EINVAL,
           "more than 16 keys are refused");
}

static void test_detach_feed(void)
{
        RossDetachKeys d;
        char out[64];
        size_t n;
        ross_detach_keys_parse(NULL, &d, NULL);
        ok(!ross_detach_keys_feed(&d, "ab", 2, out, &n) && n == 2 && memcmp(out, "ab", 2) == 0,
           "plain input passes");
        ok(!ross_detach_keys_feed(&d, "x\x10", 2, out, &n) && n == 1 && out[0] == 'x',
           "a ctrl-p is held back");
        ok(ross_detach_keys_feed(&d, "\x11zz", 3, out, &n) && n == 0,
           "ctrl-q after it (in the next read) detaches");
        ok(!ross_detach_keys_feed(&d, "\x10y", 2, out, &n) && n == 2 &&
                   memcmp(out, "\x10y", 2) == 0,
           "a broken sequence gives its keys back");
        ok(!ross_detach_keys_feed(&d, "\x10\x10", 2, out, &n) && n == 1 && out[0] == '\x10',
           "ctrl-p ctrl-p: the first is input, the second may start the sequence");
        ok(ross_detach_keys_feed(&d, "\x11", 1, out, &n) && n == 0, "... and does");
        ross_detach_keys_parse("", &d, NULL);
        ok(!ross_detach_keys_feed(&d, "\x10\x11", 2, out, &n) && n == 2, "off: all passes");
}

static void test_frames(void)
{
        RossBuf b = {};
        int type;
        const char *p;
        size_t n;
        bool bad;
        ross_frame_header(&b, ROSS_FRAME_STDERR, 3);
        ross_buf_append(&b, "abcX", 4);
        ok(ross_frame_next(&b, &type, &p, &n, &bad) && type == 2 && n == 3 &&
                   memcmp(p, "abc", 3) == 0,
           "a whole frame is taken");
        ross_frame_consume(&b, n);
        ok(b.len == 1 && b.data[0] == 'X', "the rest stays");
        ok(!ross_frame_next(&b, &type, &p, &n, &bad) && !bad, "a partial header waits");
        b.len = 0;
        ross_frame_header(&b, ROSS_FRAME_STDOUT, 10);
        ross_buf_append(&b, "abc", 3);
        ok(!ross_frame_next(&b, &type, &p, &n, &bad) && !bad, "a partial payload waits");
        b.len = 0;
        ross_buf_append(&b, "\x0a\0\0\0\0\0\0\1x", 9);
        ok(!ross_frame_next(&b, &type, &p, &n, &bad) && bad, "an unknown type is bad");
        b.len = 0;
        ross_buf_append(&b, "\x01\0\0\0\x7f\0\0\0", 8);
        ok(!ross_frame_next(&b, &type, &p, &n, &bad) && bad, "a huge length is bad");
        b.len = 0;
        ross_buf_append(&b, "\x01\x01\0\0\0\0\0\0", 8);
        ok(!ross_frame_next(&b, &type, &p, &n, &bad) && bad, "non-zero padding is bad");
        ross_buf_free(&b);
}

/* The escaped text inside quotes must be JSON that decodes to the input when it was UTF-8. */
static bool escapes_to(const char *in, size_t n, const char *want, size_t want_n)
{
        RossBuf b = {};
        ross_buf_append(&b, "\"", 1);
        shim_json_escape(&b, in, n);
        ross_buf_append(&b, "\"", 1);
        json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        bool r = j && json_string_length(j) == want_n &&
                 memcmp(json_string_value(j), want, want_n) == 0;
        if (!r)
                printf("#   escaped: %s\n", b.data);
        json_decref(j);
        ross_buf_free(&b);
        return r;
}

static void test_log_escape(void)
{
        ok(escapes_to("hi \"x\" \\ \n\t\r", 12, "hi \"x\" \\ \n\t\r", 12),
           "quotes, backslash, controls");
        ok(escapes_to("a\0b\x1b[0m", 7, "a\0b\x1b[0m", 7), "NUL and escape sequences");
        ok(escapes_to("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", 13,
                      "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", 13),
           "UTF-8 passes as it is");
        ok(escapes_to("a\xff"
                      "b",
                      3,
                      "a\xef\xbf\xbd"
                      "b",
                      5),
           "a stray byte becomes U+FFFD");
        ok(escapes_to("\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6), "a cut sequence too");
        ok(escapes_to("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6), "an overlong form too");
        ok(escapes_to("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9),
           "a surrogate too");
}

static bool decodes_to(const char *line, int want_stream, const char *want, size_t want_n)
{
        RossBuf b = {};
        int st = 0;
        int r = shim_log_decode(line, strlen(line), &st, &b, NULL);
        bool ok =
                r == 0 && st == want_stream && b.len == want_n && memcmp(b.data, want, want_n) == 0;
        if (!ok)
                printf("#   decode %s: r=%d stream=%d len=%zu\n", line, r, st, b.len);
        ross_buf_free(&b);
        return ok;
}

static bool refused(const char *line)
{
        RossBuf b = {};
        ross_buf_append(&b, "kept", 4);
        int st = 0;
        bool ok = shim_log_decode(line, strlen(line), &st, &b, NULL) == -EINVAL && b.len == 4;
        ross_buf_free(&b);
        return ok;
}

static void test_log_decode(void)
{
        ok(decodes_to("{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00Z\"}",
                      1, "hi\n", 3),
           "an entry gives its bytes and stream");
        ok(decodes_to("{\"stream\":\"stderr\",\"log\":\"a\\u0000b\\t\\\"\\\\\\/\"}", 2,
                      "a\0b\t\"\\/", 7),
           "escapes, NUL, any key order");
        ok(decodes_to(" { \"log\" : \"\\u00e9\\ud83d\\udc33\" , \"stream\" : \"stdout\" } ", 1,
                      "\xc3\xa9\xf0\x9f\x90\xb3", 6),
           "\\u escapes and surrogate pairs become UTF-8; spaces allowed");
        ok(decodes_to("{\"log\":\"\\ud800x\",\"stream\":\"stdout\"}", 1, "\xef\xbf\xbdx", 4),
           "a lone surrogate becomes U+FFFD");
        ok(refused("{\"log\":\"x\"}"), "no stream: refused, the output left as it was");
        ok(refused("{\"log\":\"x\",\"stream\":\"stdin\"}"), "an unknown stream is refused");
        ok(refused("{\"log\":\"x\",\"stream\":\"stdout\""), "a cut line is refused");
        ok(refused("{\"log\":\"x\",\"stream\":\"stdout\"} junk"), "trailing junk is refused");
        ok(refused("{\"log\":1,\"stream\":\"stdout\"}"), "a log that is not a string is refused");
        ok(refused("{\"log\":\"a\nb\",\"stream\":\"stdout\"}"), "a raw control byte is refused");
        ok(refused("{\"log\":\"\\x\",\"stream\":\"stdout\"}"), "a bad escape is refused");
        ok(refused(""), "an empty line is refused");
}

static void test_log_decode_time(void)
{
        RossBuf out = {}, when = {};
        int st = 0;
        const char *line =
                "{\"log\":\"hi\\n\",\"stream\":\"stderr\",\"time\":\"2024-01-01T00:00:00.5Z\"}";
        ok(shim_log_decode(line, strlen(line), &st, &out, &when) == 0 && st == 2 && when.data &&
                   STREQ(when.data, "2024-01-01T00:00:00.5Z"),
           "the entry's time comes back as written");
        line = "{\"log\":\"x\",\"stream\":\"stdout\"}";
        ok(shim_log_decode(line, strlen(line), &st, &out, &when) == 0 && when.len == 0,
           "an entry without a time: an empty one");
        ross_buf_free(&out);
        ross_buf_free(&when);
}

/* Everything a reader gives, as "stream:bytes|" */
static char *read_rest(ShimLogReader *r)
{
        RossBuf all = {}, e = {};
        int st;
        while ((e.len = 0, shim_log_reader_next(r, &st, &e, NULL)) > 0)
                ross_buf_printf(&all, "%d:%.*s|", st, (int)e.len, e.data ? e.data : "");
        ross_buf_free(&e);
        return ross_buf_steal(&all);
}

static char *read_all_tail(const char *path, int64_t tail)
{
        ShimLogReader r;
        if (shim_log_reader_open(&r, path, false, tail) < 0)
                return NULL;
        char *s = read_rest(&r);
        shim_log_reader_close(&r);
        return s;
}

static char *read_all(const char *path)
{
        return read_all_tail(path, -1);
}

/* Lines "L<from>\n" .. "L<to-1>\n" on stdout, one write each. */
static void write_lines(ShimLog *l, int from, int to)
{
        for (int i = from; i < to; i++) {
                char b[32];
                int n = snprintf(b, sizeof(b), "L%d\n", i);
                shim_log_take(l, 1, b, (size_t)n, false);
        }
}

/* What read_rest gives for lines from .. to-1. */
static char *lines_text(int from, int to)
{
        RossBuf b = {};
        for (int i = from; i < to; i++)
                ross_buf_printf(&b, "1:L%d\n|", i);
        return ross_buf_steal(&b);
}

static uint64_t file_size(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

static void test_log_reader(void)
{
        char dir[] = "/tmp/ross-test-log-XXXXXX";
        if (!mkdtemp(dir))
                abort();
        _cleanup_free_ char *path = xasprintf("%s/container.log", dir);
        _cleanup_free_ char *old = xasprintf("%s.1", path);
        _cleanup_free_ char *none = read_all(path);
        ok(none && STREQ(none, ""), "no log: nothing, no error");

        ShimLog l = {};
        shim_log_open(&l, path, 200, 2); /* small: it rotates */
        shim_log_take(&l, 1, "one\ntwo\n", 8, false);
        shim_log_take(&l, 2, "err\n", 4, false);
        shim_log_take(&l, 1, "three\nfou", 10, false);
        struct stat st;
        ok(stat(old, &st) == 0, "the log was rotated");
        _cleanup_free_ char *a = read_all(path);
        ok(a && STREQ(a, "1:one\n|1:two\n|2:err\n|1:three\n|"),
           "NAME.1 then NAME, in order; an unfinished line is not in the file yet");

        ShimLogReader r;
        shim_log_reader_open(&r, path, false, -1);
        shim_log_take(&l, 1, "r\nfive\n", 7, false); /* after the open */
        RossBuf e = {}, got = {};
        int s1;
        while ((e.len = 0, shim_log_reader_next(&r, &s1, &e, NULL)) > 0)
                ross_buf_append(&got, e.data, e.len);
        shim_log_reader_close(&r);
        ok(got.data && STREQ(got.data, "one\ntwo\nerr\nthree\n"),
           "what is written after the open is not read (even across a rotation)");
        shim_log_close(&l);

        /* junk lines are skipped; a last line without a newline still counts */
        _cleanup_free_ char *junk =
                xasprintf("not json\n%*s\n{\"log\":\"ok\",\"stream\":\"stdout\"}", 200000, "x");
        unlink(old);
        ross_write_file_replace(path, junk, strlen(junk), 0600, NULL);
        _cleanup_free_ char *b = read_all(path);
        ok(b && STREQ(b, "1:ok|"),
           "junk and over-long lines skipped, an unterminated last line read");
        ross_buf_free(&e);
        ross_buf_free(&got);
        ross_rm_rf(dir);
}

static void test_log_rotation(void)
{
        char dir[] = "/tmp/ross-test-rot-XXXXXX";
        if (!mkdtemp(dir))
                abort();
        _cleanup_free_ char *path = xasprintf("%s/container.log", dir);
        _cleanup_free_ char *p1 = xasprintf("%s.1", path);
        _cleanup_free_ char *p2 = xasprintf("%s.2", path);
        _cleanup_free_ char *p3 = xasprintf("%s.3", path);

        /* three files of at most 1000 bytes: about 14 entries of ~70 bytes each */
        ShimLog l = {};
        shim_log_open(&l, path, 1000, 3);
        write_lines(&l, 0, 200);
        ok(file_size(path) <= 1000 && file_size(p1) <= 1000 && file_size(p2) <= 1000 &&
                   file_size(p3) == UINT64_MAX,
           "max-file 3: NAME, NAME.1, NAME.2, each within max, no NAME.3");
        _cleanup_free_ char *all = read_all(path);
        /* the entries still kept: count them from the end */
        int kept = 0;
        for (const char *q = all; q && (q = strstr(q, "|")); q++)
                kept++;
        _cleanup_free_ char *want = lines_text(200 - kept, 200);
        ok(all && kept > 20 && STREQ(all, want),
           "read oldest first: the last %d lines in order, no gap, none twice", kept);
        _cleanup_free_ char *t5 = read_all_tail(path, 5);
        _cleanup_free_ char *w5 = lines_text(195, 200);
        ok(t5 && STREQ(t5, w5), "tail 5: the last five");
        /* a tail across a file's boundary: NAME holds fewer than 30 */
        _cleanup_free_ char *t30 = read_all_tail(path, 30);
        _cleanup_free_ char *w30 = lines_text(170, 200);
        ok(t30 && STREQ(t30, w30), "tail 30: across the files, in order");
        _cleanup_free_ char *t0 = read_all_tail(path, 0);
        ok(t0 && STREQ(t0, ""), "tail 0: nothing");
        _cleanup_free_ char *tbig = read_all_tail(path, 100000);
        ok(tbig && STREQ(tbig, all), "a tail past the start: all there is");

        /* a reader opened, then two rotations: it still gives what there was, once */
        ShimLogReader r;
        shim_log_reader_open(&r, path, false, -1);
        RossBuf e = {};
        int st;
        e.len = 0;
        int k = shim_log_reader_next(&r, &st, &e, NULL);
        write_lines(&l, 200, 230);
        _cleanup_free_ char *rest = read_rest(&r);
        shim_log_reader_close(&r);
        _cleanup_free_ char *first =
                xasprintf("1:%.*s|%s", (int)e.len, e.data ? e.data : "", rest ? rest : "");
        ok(k == 1 && STREQ(first, all), "a snapshot stays what it was across rotations");

        /* follow: a reader behind by two rotations catches up, every line once, in order */
        shim_log_reader_open(&r, path, true, 0);
        RossBuf got = {};
        int next = 230;
        for (int round = 0; round < 20; round++) {
                write_lines(&l, next, next + 25); /* ~1750 bytes: about two rotations */
                next += 25;
                while ((e.len = 0, shim_log_reader_next(&r, &st, &e, NULL)) > 0)
                        ross_buf_printf(&got, "1:%.*s|", (int)e.len, e.data);
        }
        _cleanup_free_ char *wf = lines_text(230, next);
        ok(got.data && STREQ(got.data, wf), "follow across 40 rotations: %d lines once each",
           next - 230);
        shim_log_reader_close(&r);
        ross_buf_free(&got);
        ross_buf_free(&e);
        shim_log_close(&l);
        ross_rm_rf(dir);
}

static void test_log_one_file(void)
{
        char dir[] = "/tmp/ross-test-one-XXXXXX";
        if (!mkdtemp(dir))
                abort();
        _cleanup_free_ char *path = xasprintf("%s/container.log", dir);
        _cleanup_free_ char *p1 = xasprintf("%s.1", path);
        ShimLog l = {};
        shim_log_open(&l, path, 500, 1);
        write_lines(&l, 0, 100);
        ok(file_size(path) <= 500 && file_size(p1) == UINT64_MAX,
           "max-file 1: one file, started again when full, no backup");
        _cleanup_free_ char *all = read_all(path);
        int kept = 0;
        for (const char *q = all; q && (q = strstr(q, "|")); q++)
                kept++;
        _cleanup_free_ char *want = lines_text(100 - kept, 100);
        ok(all && kept > 0 && STREQ(all, want), "it holds the last %d lines", kept);

        /* a follower holding the file when it is dropped goes on with the new one */
        ShimLogReader r;
        shim_log_reader_open(&r, path, true, 0);
        RossBuf e = {}, got = {};
        int st;
        for (int i = 100; i < 130; i++) {
                write_lines(&l, i, i + 1);
                while ((e.len = 0, shim_log_reader_next(&r, &st, &e, NULL)) > 0)
                        ross_buf_printf(&got, "1:%.*s|", (int)e.len, e.data);
        }
        _cleanup_free_ char *wf = lines_text(100, 130);
        ok(got.data && STREQ(got.data, wf), "follow with max-file 1: every line once");
        shim_log_reader_close(&r);
        ross_buf_free(&got);
        ross_buf_free(&e);
        shim_log_close(&l);

        /* the "none" driver: nothing written, nothing read */
        ShimLog n = {};
        ok(shim_log_open(&n, NULL, 500, 1) == 0, "no log: opened");
        shim_log_take(&n, 1, "x\n", 2, true);
        shim_log_close(&n);
        ok(shim_log_reader_open(&r, NULL, false, -1) == 0 &&
                   shim_log_reader_next(&r, &st, &e, NULL) == 0,
           "no log: an empty reader");
        shim_log_reader_close(&r);
        ross_rm_rf(dir);
}

/* A stand-in for ross-shim: a script that answers (or not) as told. */
static int fake_shim(const char *dir, const char *body, pid_t *pid, int *status, RossError *err)
{
        _cleanup_free_ char *path = xasprintf("%s/shim", dir);
        _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);
        ross_write_file_replace(path, text, strlen(text), 0755, NULL);
        RossShimArgs a = {.shim_path = path,
                          .id = "c1",
                          .bundle = dir,
                          .runtime = "crun",
                          .runtime_root = dir,
                          .dir = dir,
                          .tty = true,
                          .open_stdin = true,
                          .stdin_once = true,
                          .attach_wait = 2,
                          .exec_process = "/p.json"};
        return ross_shim_start(&a, pid, status, err);
}

static void test_shim_start(void)
{
        char dir[] = "/tmp/ross-test-shim-XXXXXX";
        if (!mkdtemp(dir))
                abort();
        RossError err = {};
        pid_t pid = 0;
        int status = 0;
        ok(fake_shim(dir, "echo \"ok 4242\" >&3", &pid, &status, &err) == 0 && pid == 4242,
           "ok PID: started");
        int r = fake_shim(dir, "echo \"err 127 exec: no such thing\" >&3", &pid, &status, &err);
        ok(r == -ENOENT && status == 127 && STREQ(err.msg, "exec: no such thing"),
           "err 127: not found, with the message");
        r = fake_shim(dir, "echo 'ross-shim: --bogus: unknown' >&2; exit 2", &pid, &status, &err);
        ok(r == -EIO && strstr(err.msg, "ross-shim: --bogus: unknown") && strstr(err.msg, "c1"),
           "no answer: what the shim wrote on stderr is the error");
        err = (RossError){};
        ross_log_set_level(ROSS_LOG_DEBUG);
        r = fake_shim(dir,
                      "[ $# -eq 22 ] && [ \"$2\" = c1 ] && [ \"${22}\" = --log-level=debug ] && "
                      "echo \"ok $#\" >&3 || echo \"err 1 $# args: $*\" >&3",
                      &pid, &status, &err);
        ok(r == 0 && pid == 22,
           "every flag gets through (all at once overflowed a fixed array once)");
        if (r < 0)
                printf("#   %s\n", err.msg);
        ross_log_set_level(ROSS_LOG_INFO);

        /* the shim answers and runs on with its stderr open (at debug it logs there): the
         * answer is enough, nobody waits for that stderr to end */
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = fake_shim(dir, "sleep 3 3>&- & echo \"ok 77\" >&3", &pid, &status, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ok(r == 0 && pid == 77 && t1.tv_sec - t0.tv_sec < 2,
           "an answer is taken while the shim still holds its stderr");

        RossShimArgs missing = {.shim_path = "/nonexistent/ross-shim",
                                .id = "c2",
                                .bundle = dir,
                                .runtime = "crun",
                                .runtime_root = dir,
                                .dir = dir};
        r = ross_shim_start(&missing, &pid, &status, &err);
        ok(r == -ENOENT && strstr(err.msg, "c2") && strstr(err.msg, "/nonexistent/ross-shim"),
           "a shim that is not there: named, with the container (%s)", err.msg);
        ross_rm_rf(dir);
}

int main(void)
{
        test_detach_parse();
        test_detach_feed();
        test_frames();
        test_log_escape();
        test_log_decode();
        test_log_decode_time();
        test_log_reader();
        test_log_rotation();
        test_log_one_file();
        test_shim_start();
        return tap_done();
}
