/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <sys/stat.h>

#include "basic/fileio.h"
#include "store/content.h"
#include "tap.h"

static int count_files(const char *dir)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", dir);
        FILE *p = popen(cmd, "r");
        int n = -1;
        if (p) {
                if (fscanf(p, "%d", &n) != 1)
                        n = -1;
                pclose(p);
        }
        return n;
}

int main(void)
{
        char tmpl[] = "/tmp/ross-test-content-XXXXXX";
        char *dir = mkdtemp(tmpl);
        RossContent *c = NULL;
        RossError err = {};
        RossIngest *in;
        char d[ROSS_DIGEST_LEN + 1];
        char ingest[600];

        ok(dir && ross_content_open(dir, &c, &err) == 0, "open store");
        snprintf(ingest, sizeof(ingest), "%s/ingest", dir);

        ross_digest_buf("hello", 5, d);
        is_str(d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
               "sha256 of hello");

        ok(ross_content_put(c, d, "hello", 5, &err) == 0, "put hello");
        ok(ross_content_has(c, d, 5) && !ross_content_has(c, d, 6), "has with size check");
        char *data = NULL;
        size_t len;
        ok(ross_content_read(c, d, 100, &data, &len, &err) == 0 && len == 5 &&
                   memcmp(data, "hello", 5) == 0,
           "read back");
        free(data);
        ok(ross_content_read(c, d, 2, &data, &len, &err) == -EFBIG, "read respects the cap");

        /* a wrong digest: nothing stays behind */
        char wrong[ROSS_DIGEST_LEN + 1];
        ross_digest_buf("other", 5, wrong);
        ok(ross_content_put(c, wrong, "hello", 5, &err) == -EILSEQ &&
                   strstr(err.msg, "does not match its digest"),
           "digest mismatch refused: %s", err.msg);
        ok(!ross_content_has(c, wrong, -1) && count_files(ingest) == 0, "no partial blob left");

        /* streaming: too many bytes, too few bytes */
        ok(ross_ingest_begin(c, wrong, 3, &in, &err) == 0, "begin ingest");
        ok(ross_ingest_write(in, "abcd", 4, &err) == -EFBIG, "more than the declared size refused");
        ross_ingest_abort(in);
        ok(ross_ingest_begin(c, wrong, 10, &in, &err) == 0 &&
                   ross_ingest_write(in, "ab", 2, &err) == 0,
           "partial write");
        ok(ross_ingest_offset(in) == 2, "offset for resume");
        ok(ross_ingest_commit(in, &err) == -EPROTO && strstr(err.msg, "truncated"),
           "short blob refused: %s", err.msg);
        ok(count_files(ingest) == 0, "ingest empty after failures");

        ok(ross_ingest_begin(c, "sha256:../../etc/passwd", 1, &in, &err) == -EINVAL,
           "path-like digest refused");

        ok(ross_content_remove(c, d) == 0 && !ross_content_has(c, d, -1), "remove");
        ross_content_free(c);
        ross_rm_rf(dir);
        return tap_done();
}
