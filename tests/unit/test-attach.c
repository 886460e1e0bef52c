/* SPDX-License-Identifier: Apache-2.0 */
/* Detach keys, the shim's attach frames and its JSON log lines. */
#include <jansson.h>
#include <stdlib.h>

#include "container/detach.h"
#include "shim/frame.h"
#include "shim/log.h"
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
        ross_buf_append(&b, "\x09\0\0\0\0\0\0\1x", 9);
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

int main(void)
{
        test_detach_parse();
        test_detach_feed();
        test_frames();
        test_log_escape();
        return tap_done();
}
