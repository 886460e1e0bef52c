/* SPDX-License-Identifier: Apache-2.0 */
/* The libc-only base: the checked number parser, the bounded argv builder, starting
 * children and error messages. */
#include <limits.h>
#include <signal.h>
#include <time.h>

#include "basic/argv.h"
#include "basic/fileio.h"
#include "basic/err.h"
#include "basic/parse.h"
#include "basic/spawn.h"
#include "basic/human.h"
#include "tap.h"

static void test_parse(void)
{
        int64_t i = 42;
        uint64_t u = 42;
        int n = 7;
        bool b = false;

        ok(ross_parse_i64("123", 0, 1000, &i) == 0 && i == 123, "i64 plain");
        ok(ross_parse_i64("-5", -10, 10, &i) == 0 && i == -5, "i64 negative");
        ok(ross_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &i) == 0 && i == INT64_MIN,
           "i64 min");
        i = 42;
        ok(ross_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &i) == -ERANGE && i == 42,
           "i64 overflow is -ERANGE and leaves ret");
        ok(ross_parse_i64("abc", 0, 10, &i) == -EINVAL, "junk is -EINVAL");
        ok(ross_parse_i64("", 0, 10, &i) == -EINVAL, "empty is -EINVAL");
        ok(ross_parse_i64("-", -10, 10, &i) == -EINVAL, "lone minus is -EINVAL");
        ok(ross_parse_i64("12x", 0, 100, &i) == -EINVAL, "trailing junk is -EINVAL");
        ok(ross_parse_i64(" 12", 0, 100, &i) == -EINVAL, "leading space is -EINVAL");
        ok(ross_parse_i64("+12", 0, 100, &i) == -EINVAL, "plus sign is -EINVAL");
        ok(ross_parse_i64("12\n", 0, 100, &i) == 0 && i == 12, "one trailing newline (files)");
        ok(ross_parse_i64("12\n\n", 0, 100, &i) == -EINVAL, "two newlines are junk");
        ok(ross_parse_i64("11", 0, 10, &i) == -ERANGE, "above max is -ERANGE");
        ok(ross_parse_i64("-1", 0, 10, &i) == -ERANGE, "below min is -ERANGE");
        ok(ross_parse_i64(NULL, 0, 10, &i) == -EINVAL, "NULL is -EINVAL");
        ok(ross_parse_u64("18446744073709551615", UINT64_MAX, &u) == 0 && u == UINT64_MAX,
           "u64 max");
        ok(ross_parse_u64("18446744073709551616", UINT64_MAX, &u) == -ERANGE, "u64 overflow");
        ok(ross_parse_u64("-1", UINT64_MAX, &u) == -EINVAL, "u64 refuses a sign");
        ok(ross_parse_u64_hex("1aF", UINT64_MAX, &u) == 0 && u == 0x1af, "hex");
        ok(ross_parse_u64_hex("0x10", UINT64_MAX, &u) == -EINVAL, "hex refuses 0x");
        ok(ross_parse_int("2147483648", INT_MIN, INT_MAX, &n) == -ERANGE && n == 7, "int range");
        ok(ross_parse_int("-3", INT_MIN, INT_MAX, &n) == 0 && n == -3, "int");
        ok(ross_parse_bool("1", &b) == 0 && b, "bool 1");
        ok(ross_parse_bool("false", &b) == 0 && !b, "bool false");
        ok(ross_parse_bool("TRUE", &b) == 0 && b, "bool TRUE");
        ok(ross_parse_bool("2", &b) == -EINVAL, "bool junk");

        double t = -1;
        ok(ross_parse_unix_seconds("1700000000", 0, INT64_MAX, &t) == 0 && t == 1700000000.0,
           "unix seconds");
        ok(ross_parse_unix_seconds("10.5", 0, INT64_MAX, &t) == 0 && t == 10.5,
           "unix seconds with a fraction");
        t = -1;
        ok(ross_parse_unix_seconds("10.", 0, INT64_MAX, &t) == -EINVAL && t == -1,
           "a dot without digits is refused");
        ok(ross_parse_unix_seconds("10.5x", 0, INT64_MAX, &t) == -EINVAL, "junk in the fraction");
        ok(ross_parse_unix_seconds("-5", 0, INT64_MAX, &t) == -EINVAL, "below min");
        ok(ross_parse_unix_seconds("-5", -10, 10, &t) == 0 && t == -5.0, "negative inside range");
        ok(ross_parse_unix_seconds("-5.5", -10, 10, &t) == 0 && t == -5.5,
           "a negative time's fraction is before it");
        ok(ross_parse_unix_seconds("10.5e3", 0, INT64_MAX, &t) == -EINVAL, "no exponent");

        double d = -1;
        const char *rest = NULL;
        ok(ross_parse_decimal("2", 10, &d, NULL) == 0 && d == 2, "decimal 2");
        ok(ross_parse_decimal("1.5", 10, &d, NULL) == 0 && d == 1.5, "decimal 1.5");
        ok(ross_parse_decimal(".5", 10, &d, NULL) == 0 && d == 0.5, "decimal .5");
        ok(ross_parse_decimal("2.", 10, &d, NULL) == 0 && d == 2, "decimal 2.");
        ok(ross_parse_decimal("0", 10, &d, NULL) == 0 && d == 0, "decimal 0");
        ok(ross_parse_decimal("10", 10, &d, NULL) == 0 && d == 10, "max itself is taken");
        ok(ross_parse_decimal("512m", 1e6, &d, &rest) == 0 && d == 512 && STREQ(rest, "m"),
           "a number and its unit");
        ok(ross_parse_decimal("1.5h30m", 1e6, &d, &rest) == 0 && d == 1.5 && STREQ(rest, "h30m"),
           "the first number of a duration");
        ok(ross_parse_decimal("1e3", 1e6, &d, &rest) == 0 && d == 1 && STREQ(rest, "e3"),
           "an exponent is not read: it is the rest");
        d = -1;
        rest = NULL;
        static const char *const bad[] = {"",    ".",  "-1", "+1",  "1e3",   "0x10", "inf",
                                          "nan", " 1", "1 ", "1\n", "1.2.3", "1,5",  "m"};
        bool all = true;
        for (size_t k = 0; k < ELEMENTSOF(bad); k++)
                if (ross_parse_decimal(bad[k], 1e6, &d, NULL) != -EINVAL) {
                        printf("# taken: '%s'\n", bad[k]);
                        all = false;
                }
        ok(all && d == -1, "not decimals: refused, nothing written");
        ok(ross_parse_decimal("-1", 10, &d, &rest) == -EINVAL && d == -1 && !rest,
           "with a rest: a sign is refused");
        ok(ross_parse_decimal("m5", 10, &d, &rest) == -EINVAL && d == -1 && !rest,
           "with a rest: no number at the start is refused");
        ok(ross_parse_decimal("10.5", 10, &d, NULL) == -ERANGE && d == -1, "above max: -ERANGE");
        char huge[401];
        memset(huge, '9', 400);
        huge[400] = '\0';
        ok(ross_parse_decimal(huge, 1e300, &d, NULL) == -ERANGE && d == -1,
           "400 digits: -ERANGE, not inf");
        ok(ross_parse_decimal(NULL, 10, &d, NULL) == -EINVAL, "NULL is refused");
        ok(ross_parse_rfc3339("1970-01-01T00:01:40.25Z") == 100.25, "RFC 3339 with a fraction");
        ok(ross_parse_rfc3339("2026-12-01T09:24:48Z") == 1796117088.0, "RFC 3339");
        ok(ross_parse_rfc3339("yesterday") == 0 && ross_parse_rfc3339(NULL) == 0, "not a time: 0");
        ok(ross_parse_rfc3339("1970-01-01T00:01:40.5e3Z") == 100.5,
           "RFC 3339: an exponent after the fraction is not read");
}

static void test_argv(void)
{
        RossArgv a = {.max = 3};

        ok(ross_argv_get(&a)[0] == NULL, "empty builder gives an empty list");
        ok(ross_argv_add(&a, "one") == 0, "add");
        ok(ross_argv_addf(&a, "two-%d", 2) == 0, "addf");
        ok(ross_argv_add(&a, "three") == 0, "add up to the bound");
        ok(ross_argv_add(&a, "four") == -E2BIG, "past the bound: -E2BIG");
        ok(ross_argv_ok(&a) == -E2BIG, "overflow is remembered");
        char *const *v = ross_argv_get(&a);
        ok(a.n == 3 && STREQ(v[0], "one") && STREQ(v[1], "two-2") && STREQ(v[2], "three") &&
                   v[3] == NULL,
           "contents and NULL end");
        ross_argv_free(&a);

        RossArgv big = {0};
        for (int k = 0; k < 1000; k++)
                ross_argv_addf(&big, "%d", k);
        const char *tail[] = {"x", "y", NULL};
        ross_argv_addv(&big, tail);
        ok(ross_argv_ok(&big) == 0 && big.n == 1002 && STREQ(big.v[999], "999") &&
                   STREQ(big.v[1001], "y") && big.v[1002] == NULL,
           "grows past any fixed size");
        ross_argv_free(&big);
}

static void test_spawn(void)
{
        RossError err = {};
        int status = -1;

        char *const t[] = {"true", NULL};
        ok(ross_spawn_run(t, NULL, &status, &err) == 0 && status == 0, "true runs");

        char *const f[] = {"sh", "-c", "echo first >&2; echo 'no such thing' >&2; exit 3", NULL};
        ok(ross_spawn_run(f, NULL, &status, &err) == -EIO && status == 3, "exit code kept");
        is_str(err.msg, "sh: exited with status 3: first no such thing",
               "stderr captured into the error");

        char *const k[] = {"sh", "-c", "kill -9 $$", NULL};
        ok(ross_spawn_run(k, NULL, &status, &err) == -ECHILD && status == 137,
           "killed by a signal: 128+9");

        char *const m[] = {"/nonexistent/prog", NULL};
        ok(ross_spawn_run(m, NULL, &status, &err) == -ENOENT &&
                   strstr(err.msg, "start /nonexistent/prog") != NULL,
           "missing program named: %s", err.msg);

        /* stdout to a pipe: what the child prints arrives there, not in the error */
        int p[2];
        ok(pipe2(p, O_CLOEXEC) == 0, "pipe");
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.stdout_fd = p[1];
        char *const e[] = {"sh", "-c", "echo out; echo err >&2", NULL};
        ok(ross_spawn_run(e, &o, &status, &err) == 0, "with stdout");
        close(p[1]);
        char buf[64] = {0};
        ssize_t n = read(p[0], buf, sizeof(buf) - 1);
        close(p[0]);
        ok(n > 0 && strncmp(buf, "out\n", 4) == 0, "stdout went to the pipe");

        RossChild c = ROSS_CHILD_INIT;
        char *const s[] = {"sleep", "100", NULL};
        ok(ross_spawn(s, NULL, &c, &err) == 0 && c.pid > 0, "start without waiting");
        pid_t pid = c.pid;
        ross_child_done(&c);
        ok(kill(pid, 0) < 0 && errno == ESRCH, "cleanup kills and reaps a running child");
}

/* Read fd to its end (or to what is there, non-blocking) into buf. */
static size_t read_all(int fd, char *buf, size_t n)
{
        size_t got = 0;
        ssize_t k;
        while (got + 1 < n && (k = read(fd, buf + got, n - 1 - got)) > 0)
                got += (size_t)k;
        buf[got] = '\0';
        return got;
}

static void test_spawn_fds(void)
{
        RossError err = {};
        int status = -1;
        char buf[256];

        /* fd 3 and a session of its own, as the shim is started */
        int p[2];
        ok(pipe2(p, O_CLOEXEC) == 0, "pipe");
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.extra_fd = p[1];
        o.setsid = true;
        char *const e[] = {"sh", "-c",
                           "echo fd3 >&3; [ \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$ ] || exit 9",
                           NULL};
        ok(ross_spawn_run(e, &o, &status, &err) == 0 && status == 0,
           "setsid: the child leads its session (status %d: %s)", status, err.msg);
        close(p[1]);
        read_all(p[0], buf, sizeof(buf));
        close(p[0]);
        is_str(buf, "fd3\n", "extra_fd is the child's fd 3");

        /* the stderr taken: the caller reads it, the wait only reaps */
        RossChild c = ROSS_CHILD_INIT;
        char *const f[] = {"sh", "-c", "echo oops >&2; exit 4", NULL};
        ok(ross_spawn(f, NULL, &c, &err) == 0, "start");
        int fd = ross_child_take_stderr(&c);
        ok(fd >= 0 && c.stderr_fd < 0, "stderr taken");
        ok(ross_child_take_stderr(&c) == -EBADF, "taken once");
        read_all(fd, buf, sizeof(buf));
        close(fd);
        is_str(buf, "oops\n", "the caller reads what it wrote");
        ok(ross_child_wait(&c, &status, &err) == -EIO && status == 4, "wait after the take");
        is_str(err.msg, "sh: exited with status 4", "no stderr in the message once taken");
        ross_child_done(&c);

        /* a daemonizing child: a grandchild keeps stderr open, the wait does not wait for it */
        RossChild d = ROSS_CHILD_INIT;
        char *const g[] = {"sh", "-c", "sleep 3 & echo started >&2", NULL};
        ok(ross_spawn(g, NULL, &d, &err) == 0, "start a daemonizing child");
        fd = ross_child_take_stderr(&d);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ok(ross_child_wait(&d, &status, &err) == 0 && status == 0, "it exits 0");
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ok(t1.tv_sec - t0.tv_sec < 2, "reaped without waiting for the grandchild");
        fcntl(fd, F_SETFL, O_NONBLOCK);
        read_all(fd, buf, sizeof(buf));
        close(fd);
        is_str(buf, "started\n", "its stderr read without blocking");
        ross_child_done(&d);
}

static void test_err(void)
{
        RossError err = {};
        ross_errx(&err, ENOENT, "open 'x'");
        ok(ross_err_prefix(&err, "pull %s", "alpine") == -ENOENT, "prefix keeps the code");
        is_str(err.msg, "pull alpine: open 'x'", "prefix");

        /* a context longer than 512 bytes is kept whole (it was cut at 511) */
        char long_ctx[1500];
        memset(long_ctx, 'a', sizeof(long_ctx) - 1);
        long_ctx[sizeof(long_ctx) - 1] = '\0';
        ross_errx(&err, EIO, "inner");
        ross_err_prefix(&err, "%s", long_ctx);
        ok(strlen(err.msg) == 1499 + 2 + 5 && strncmp(err.msg, long_ctx, 1499) == 0 &&
                   STREQ(err.msg + 1501, "inner"),
           "a long context and the message behind it both kept (%zu bytes)", strlen(err.msg));

        /* past the message's own size the end is cut, never overrun */
        ross_err_prefix(&err, "%s", long_ctx);
        ok(strlen(err.msg) == sizeof(err.msg) - 1, "cut at the RossError's size");
        ok(ross_err_prefix(NULL, "x") == -EIO, "NULL err");
}

static void test_read_file(void)
{
        _cleanup_free_ char *s = NULL;
        size_t n = 0;
        RossError err = {};

        /* files of /proc say their size is 0: read to the end anyway */
        ok(ross_read_file("/proc/self/status", 1 << 20, &s, &n, &err) == 0 && n > 0 &&
                   strstr(s, "Pid:") != NULL,
           "a /proc file is read whole though its size says 0");
        free(s);
        s = NULL;
        ok(ross_read_file("/proc/self/status", 16, &s, &n, &err) == -EFBIG && s == NULL,
           "over max while reading: -EFBIG, nothing returned");
}

static void test_go_duration(void)
{
        static const struct {
                int64_t ns;
                const char *want;
        } cases[] = {
                {0, "0s"},
                {1, "1ns"},
                {999, "999ns"},
                {1500, "1.5\u00b5s"},
                {300000000, "300ms"},
                {1500000, "1.5ms"},
                {1000000000, "1s"},
                {1500000000, "1.5s"},
                {30000000000, "30s"},
                {90000000000, "1m30s"},
                {3600000000000, "1h0m0s"},
                {3723000000001, "1h2m3.000000001s"},
                {-2000000000, "-2s"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[64];
                ross_go_duration(cases[i].ns, buf, sizeof(buf));
                is_str(buf, cases[i].want, "go duration %lld", (long long)cases[i].ns);
        }
}

int main(void)
{
        test_go_duration();
        test_parse();
        test_argv();
        test_spawn();
        test_read_file();
        test_spawn_fds();
        test_err();
        return tap_done();
}
