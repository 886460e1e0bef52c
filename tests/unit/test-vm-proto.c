/* SPDX-License-Identifier: Apache-2.0 */
/* src/vm/proto.c: the frames between a VM's shim and ross-init, and the config encoding. */
#include <stdlib.h>

#include "tap.h"
#include "vm/proto.h"

static void test_u32(void)
{
        unsigned char b[4];
        ross_vm_put_u32(b, 0x01020304);
        ok(b[0] == 1 && b[1] == 2 && b[2] == 3 && b[3] == 4, "put_u32 is big-endian");
        ok(ross_vm_get_u32(b) == 0x01020304, "get_u32 reads it back");
        ross_vm_put_u32(b, 0xfffffffe);
        ok(ross_vm_get_u32(b) == 0xfffffffe, "the high bit survives");
}

static void test_frames(void)
{
        RossBuf b = {};
        int type;
        uint32_t session;
        const char *p;
        size_t n;
        bool bad;

        ross_vm_frame(&b, ROSS_VM_STDOUT, 7, "hello", 5);
        ok(b.len == 17, "a frame is an 8-byte header, the session and the payload");
        ok((unsigned char)b.data[0] == ROSS_VM_STDOUT && !b.data[1] && !b.data[2] && !b.data[3] &&
                   ross_vm_get_u32(b.data + 4) == 9 && ross_vm_get_u32(b.data + 8) == 7,
           "type, three zero bytes, length 4+5, session 7");
        ross_vm_frame(&b, ROSS_VM_STDIN_EOF, 0xfffffff0u, NULL, 0);
        unsigned char sig[4];
        ross_vm_put_u32(sig, 15);
        ross_vm_frame(&b, ROSS_VM_SIGNAL, 0, sig, 4);

        ok(ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) && !bad &&
                   type == ROSS_VM_STDOUT && session == 7 && n == 5 && memcmp(p, "hello", 5) == 0,
           "the first frame comes back");
        ross_vm_consume(&b, n);
        ok(ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) && type == ROSS_VM_STDIN_EOF &&
                   session == 0xfffffff0u && n == 0,
           "an empty payload, a large session");
        ross_vm_consume(&b, n);
        ok(ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) && type == ROSS_VM_SIGNAL &&
                   session == 0 && n == 4 && ross_vm_get_u32(p) == 15,
           "SIGNAL 15 for session 0");
        ross_vm_consume(&b, n);
        ok(b.len == 0 && !ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) && !bad,
           "then nothing, and no error");

        /* byte by byte: nothing until the whole frame is there */
        RossBuf whole = {};
        ross_vm_frame(&whole, ROSS_VM_STDERR, 3, "abc", 3);
        bool early = false;
        for (size_t i = 0; i < whole.len; i++) {
                ross_buf_append(&b, whole.data + i, 1);
                if (i + 1 < whole.len &&
                    (ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) || bad))
                        early = true;
        }
        ok(!early, "a partial header or payload waits");
        ok(ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) && type == ROSS_VM_STDERR &&
                   n == 3 && memcmp(p, "abc", 3) == 0,
           "and the last byte completes it");
        ross_vm_consume(&b, n);
        ross_buf_free(&whole);

        /* the largest frame and one past it */
        size_t big = ROSS_VM_FRAME_MAX - 4;
        char *data = calloc(1, big + 1);
        for (size_t i = 0; i < big; i++)
                data[i] = (char)(i * 7);
        ross_vm_frame(&b, ROSS_VM_STDOUT, 1, data, big);
        ok(ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) && n == big &&
                   memcmp(p, data, big) == 0,
           "a frame of ROSS_VM_FRAME_MAX bytes (with the session) is taken");
        ross_vm_consume(&b, n);
        ross_vm_frame(&b, ROSS_VM_STDOUT, 1, data, big + 1);
        ok(!ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) && bad,
           "one byte more is not a frame");
        free(data);
        b.len = 0;
        ross_buf_free(&b);
}

static void test_bad_headers(void)
{
        static const struct {
                const char *h;
                const char *what;
        } cases[] = {
                {"\x12\x01\0\0\0\0\0\x04", "a non-zero second byte"},
                {"\x12\0\x01\0\0\0\0\x04", "a non-zero third byte"},
                {"\x12\0\0\x01\0\0\0\x04", "a non-zero fourth byte"},
                {"\x12\0\0\0\0\0\0\0", "a length of 0 (no session)"},
                {"\x12\0\0\0\0\0\0\x03", "a length of 3 (half a session)"},
                {"\x12\0\0\0\x7f\xff\xff\xff", "a length past ROSS_VM_FRAME_MAX"},
                {"\x12\0\0\0\xff\xff\xff\xff", "a length of 2^32-1"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                RossBuf b = {};
                int type;
                uint32_t session;
                const char *p;
                size_t n;
                bool bad;
                ross_buf_append(&b, cases[i].h, 8);
                ok(!ross_vm_frame_next(&b, &type, &session, &p, &n, &bad) && bad, "refused: %s",
                   cases[i].what);
                ross_buf_free(&b);
        }
}

static bool cfg_roundtrip(const char *key, const char *value, bool *ret_clean)
{
        RossBuf b = {};
        ross_vm_cfg_add(&b, key, value);
        /* the encoding has one newline, at the end, and no other control byte */
        bool clean = b.len && b.data[b.len - 1] == '\n';
        for (size_t i = 0; i + 1 < b.len; i++)
                if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
                        clean = false;
        *ret_clean = clean;
        size_t pos = 0;
        char *k = NULL, *v = NULL;
        bool same = ross_vm_cfg_next(b.data, b.len, &pos, &k, &v) == 1 && STREQ(k, key) &&
                    STREQ(v, value) && pos == b.len;
        char *k2, *v2;
        same = same && ross_vm_cfg_next(b.data, b.len, &pos, &k2, &v2) == 0;
        free(k);
        free(v);
        ross_buf_free(&b);
        return same;
}

static void test_cfg_escaping(void)
{
        bool all_same = true, all_clean = true, clean;
        for (int c = 1; c < 256; c++) {
                char v[4] = {'a', (char)c, 'z', '\0'};
                if (!cfg_roundtrip("env", v, &clean)) {
                        all_same = false;
                        printf("# byte 0x%02x does not come back\n", c);
                }
                all_clean &= clean;
        }
        ok(all_same, "every byte 1..255 comes back, one at a time");
        ok(all_clean, "... and the encoding holds no raw control byte or newline");

        char every[256];
        for (int c = 1; c < 256; c++)
                every[c - 1] = (char)c;
        every[255] = '\0';
        ok(cfg_roundtrip("arg", every, &clean) && clean, "all of them in one value");
        ok(cfg_roundtrip("cwd", "", &clean), "an empty value");
        ok(cfg_roundtrip("env", "A=b=c", &clean), "an '=' in the value");
        ok(cfg_roundtrip("env", "\\x41\\n\\\\", &clean), "a value that looks escaped already");

        RossBuf b = {};
        ross_vm_cfg_add(&b, "arg", "a\nb");
        is_str(b.data, "arg=a\\nb\n", "a newline is \\n");
        b.len = 0;
        ross_vm_cfg_add(&b, "arg", "\\\x01\x7f\t");
        is_str(b.data, "arg=\\\\\\x01\\x7f\\x09\n", "backslash, 0x01, 0x7f, tab");
        b.len = 0;
        ross_vm_cfg_add(&b, "arg", "\xc3\xa9 ok");
        is_str(b.data, "arg=\xc3\xa9 ok\n", "UTF-8 and spaces stay as they are");
        ross_buf_free(&b);
}

static void test_cfg_nul(void)
{
        static const char value_nul[] = "arg=a\0b\n";
        static const char key_nul[] = "a\0rg=ab\n";
        size_t pos = 0;
        char *k = NULL, *v = NULL;
        ok(ross_vm_cfg_next(value_nul, sizeof(value_nul) - 1, &pos, &k, &v) == -EINVAL && !v,
           "refused: a raw NUL in a value");
        ok(ross_vm_cfg_next(key_nul, sizeof(key_nul) - 1, &pos, &k, &v) == -EINVAL && !k,
           "refused: a raw NUL in a key");
}

static void test_cfg_lines(void)
{
        const char text[] = "\n\narg=sh\n\nenv=A=\\x41\\X\nlast=no newline";
        size_t pos = 0, len = sizeof(text) - 1;
        char *k, *v;
        ok(ross_vm_cfg_next(text, len, &pos, &k, &v) == 1 && STREQ(k, "arg") && STREQ(v, "sh"),
           "empty lines are skipped");
        free(k);
        free(v);
        int r = ross_vm_cfg_next(text, len, &pos, &k, &v);
        ok(r == -EINVAL, "\\X is not an escape");
        const char text2[] = "env=A=\\x4a\\x4A\nlast=no newline";
        pos = 0;
        len = sizeof(text2) - 1;
        ok(ross_vm_cfg_next(text2, len, &pos, &k, &v) == 1 && STREQ(v, "A=JJ"),
           "hex digits in either case");
        free(k);
        free(v);
        ok(ross_vm_cfg_next(text2, len, &pos, &k, &v) == 1 && STREQ(k, "last") &&
                   STREQ(v, "no newline") && pos == len,
           "the last line needs no newline");
        free(k);
        free(v);
        ok(ross_vm_cfg_next(text2, len, &pos, &k, &v) == 0, "then the end");

        static const struct {
                const char *line;
                const char *what;
        } bad[] = {
                {"arg=a\\", "a backslash at the end"},
                {"arg=a\\\nenv=b", "a backslash at the end of a line"},
                {"arg=\\q", "an unknown escape"},
                {"arg=\\t", "\\t (only \\\\, \\n, \\xHH)"},
                {"arg=\\x", "\\x without digits"},
                {"arg=\\x4", "\\x with one digit"},
                {"arg=\\x4\n", "\\x with one digit before the newline"},
                {"arg=\\xg0", "\\x with a bad digit"},
                {"arg=\\x0g", "\\x with a bad second digit"},
                {"arg=\\x00", "\\x00: no NUL in a value"},
                {"arg", "no '='"},
                {"=value", "an empty key"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                pos = 0;
                k = v = NULL;
                ok(ross_vm_cfg_next(bad[i].line, strlen(bad[i].line), &pos, &k, &v) == -EINVAL &&
                           pos == 0 && !k && !v,
                   "refused: %s", bad[i].what);
        }
}

int main(void)
{
        test_u32();
        test_frames();
        test_bad_headers();
        test_cfg_escaping();
        test_cfg_lines();
        test_cfg_nul();
        return tap_done();
}
