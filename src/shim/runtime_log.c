/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>

#include "../basic/fileio.h"
#include "../basic/parse.h"
#include "shim-internal.h"

/* The string value of key in one flat JSON object (the runtimes' log lines), unescaped;
 * NULL when absent. Enough JSON for {"level":"error","msg":"...","time":"..."}. */
static char *json_field(const char *line, const char *key)
{
        _cleanup_free_ char *pat = xasprintf("\"%s\"", key);
        const char *p = strstr(line, pat);
        if (!p)
                return NULL;
        p += strlen(pat);
        while (*p == ' ' || *p == ':')
                p++;
        if (*p++ != '"')
                return NULL;
        _cleanup_(ross_buf_free) RossBuf b = {};
        while (*p && *p != '"') {
                if (*p != '\\') {
                        ross_buf_append(&b, p++, 1);
                        continue;
                }
                p++;
                char ch = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p;
                if (*p == 'u') {
                        _cleanup_free_ char *hex = xstrndup(p + 1, 4);
                        uint64_t v = 0;
                        if (strlen(hex) == 4 && isxdigit((unsigned char)hex[3]) &&
                            ross_parse_u64_hex(hex, 0xffff, &v) == 0 && v < 0x80 && v >= 0x20)
                                ch = (char)v;
                        else
                                ch = '?';
                        for (int i = 0; i < 4 && p[1]; i++)
                                p++;
                }
                if (!*p)
                        break;
                ross_buf_append(&b, &ch, 1);
                p++;
        }
        return ross_buf_steal(&b);
}

char *shim_runtime_error(const char *path)
{
        _cleanup_free_ char *text = NULL;
        char *msg = NULL;
        if (ross_read_file(path, 1024 * 1024, &text, NULL, NULL) < 0)
                return xstrdup("the OCI runtime failed");
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *lvl = json_field(l, "level");
                if (!lvl || !(STREQ(lvl, "error") || STREQ(lvl, "fatal")))
                        continue;
                char *m = json_field(l, "msg");
                if (m) {
                        free(msg);
                        msg = m;
                }
        }
        return msg ? msg : xstrdup("the OCI runtime failed");
}
