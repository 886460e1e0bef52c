/* SPDX-License-Identifier: Apache-2.0 */
/* The libc-only base: the checked number parser and the bounded argv builder. */
#include <limits.h>
#include <signal.h>

#include "basic/argv.h"
#include "basic/parse.h"
#include "basic/spawn.h"
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

int main(void)
{
        test_parse();
        test_argv();
        test_spawn();
        return tap_done();
}
