/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs a fuzz target over files without libFuzzer, so every build (gcc included) replays
 * the corpus and the crashes once found as regression tests.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f) {
                perror(path);
                return 1;
        }
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
                if (len == cap) {
                        cap = cap ? cap * 2 : 4096;
                        buf = realloc(buf, cap);
                        if (!buf)
                                abort();
                }
                size_t n = fread(buf + len, 1, cap - len, f);
                if (n == 0)
                        break;
                len += n;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        return 0;
}

int main(int argc, char **argv)
{
        int n = 0, rc = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        DIR *d = opendir(argv[i]);
                        struct dirent *de;
                        while (d && (de = readdir(d))) {
                                if (de->d_name[0] == '.')
                                        continue;
                                char p[4096];
                                snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
                                rc |= run_file(p);
                                n++;
                        }
                        if (d)
                                closedir(d);
                } else {
                        rc |= run_file(argv[i]);
                        n++;
                }
        }
        printf("1..1\n%s 1 - %d inputs replayed\n", rc ? "not ok" : "ok", n);
        return rc;
}
