/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the shim's container log. Whatever bytes a container writes, in whatever
 * pieces, every log line is one JSON object whose "log" is the input's bytes (invalid UTF-8
 * replaced), and the pieces add up to all of the input. Reading the log back (attach with
 * logs=1) gives, entry by entry, exactly what jansson decodes; and the line decoder takes
 * the raw input itself (any bytes) without harm. Written again into a small log that
 * rotates (its size and file count from the first byte), reading back gives the last
 * entries in order, none lost inside what is kept and none twice, and a tail the last of
 * those. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "shim/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char path[] = "/tmp/ross-fuzz-log-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0)
                abort();
        close(fd);
        ShimLog l = {};
        if (shim_log_open(&l, path, 1ULL << 40, 2) < 0)
                abort();
        /* the first byte picks the stream and how the rest is cut into reads */
        size_t step = size ? (data[0] % 7) + 1 : 1;
        int stream = size && (data[0] & 0x80) ? 2 : 1;
        for (size_t i = 1; i < size; i += step)
                shim_log_take(&l, stream, (const char *)data + i,
                              i + step <= size ? step : size - i, data[0] & 0x40);
        shim_log_close(&l);

        /* the raw input as a line: refused or decoded, never a crash */
        RossBuf any = {};
        int any_stream;
        (void)shim_log_decode((const char *)data, size, &any_stream, &any, NULL);
        ross_buf_free(&any);

        ShimLogReader rd;
        if (shim_log_reader_open(&rd, path, false, -1) < 0)
                abort();
        RossBuf entry = {};

        char *text = NULL;
        size_t len = 0, lines = 0, total_ok = 0;
        RossBuf *entries = NULL;
        if (ross_read_file(path, 1ULL << 30, &text, &len, NULL) < 0)
                abort();
        for (char *p = text, *nl; p < text + len; p = nl + 1) {
                nl = memchr(p, '\n', (size_t)(text + len - p));
                if (!nl)
                        abort(); /* every entry ends with a newline */
                json_t *j = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, NULL);
                json_t *log = json_object_get(j, "log");
                const char *st = json_string_value(json_object_get(j, "stream"));
                if (!json_is_string(log) || !st || !json_string_value(json_object_get(j, "time")))
                        abort();
                if (strcmp(st, stream == 1 ? "stdout" : "stderr") != 0)
                        abort();
                int rs = 0;
                entry.len = 0;
                if (shim_log_reader_next(&rd, &rs, &entry, NULL) != 1 || rs != stream ||
                    entry.len != json_string_length(log) ||
                    (entry.len && memcmp(entry.data, json_string_value(log), entry.len) != 0))
                        abort(); /* the reader and jansson disagree */
                total_ok += json_string_length(log);
                entries = realloc(entries, (lines + 1) * sizeof(*entries));
                if (!entries)
                        abort();
                entries[lines] = (RossBuf){};
                ross_buf_append(&entries[lines], json_string_value(log), json_string_length(log));
                lines++;
                json_decref(j);
        }
        entry.len = 0;
        int rs = 0;
        if (shim_log_reader_next(&rd, &rs, &entry, NULL) != 0)
                abort(); /* the reader found an entry that is not there */
        shim_log_reader_close(&rd);
        /* replacement characters only ever make it longer */
        if (size > 1 && total_ok < size - 1)
                abort();
        free(text);
        unlink(path);

        /* the same again, rotated */
        unsigned files = size ? 1u + data[0] % 4 : 1;
        uint64_t max = 64 + (size ? (uint64_t)data[0] * 8 : 0);
        if (mkdtemp(strcpy(path, "/tmp/ross-fuzz-log-XXXXXX")) == NULL)
                abort();
        char *name = NULL;
        if (asprintf(&name, "%s/container.log", path) < 0)
                abort();
        ShimLog rl = {};
        if (shim_log_open(&rl, name, max, files) < 0)
                abort();
        for (size_t i = 1; i < size; i += step)
                shim_log_take(&rl, stream, (const char *)data + i,
                              i + step <= size ? step : size - i, data[0] & 0x40);
        shim_log_close(&rl);
        for (int t = -1; t < 3; t++) {
                if (shim_log_reader_open(&rd, name, false, t) < 0)
                        abort();
                size_t got = 0;
                RossBuf *seen = NULL;
                for (;;) {
                        entry.len = 0;
                        int k = shim_log_reader_next(&rd, &rs, &entry, NULL);
                        if (k < 0)
                                abort();
                        if (k == 0)
                                break;
                        seen = realloc(seen, (got + 1) * sizeof(*seen));
                        if (!seen)
                                abort();
                        seen[got] = (RossBuf){};
                        ross_buf_append(&seen[got], entry.data ? entry.data : "", entry.len);
                        got++;
                }
                shim_log_reader_close(&rd);
                /* the last got entries of all, in order */
                if (got > lines || (t >= 0 && got > (size_t)t) || (t < 0 && lines && !got))
                        abort();
                for (size_t i = 0; i < got; i++) {
                        const RossBuf *w = &entries[lines - got + i];
                        if (seen[i].len != w->len ||
                            (w->len && memcmp(seen[i].data, w->data, w->len) != 0))
                                abort();
                        ross_buf_free(&seen[i]);
                }
                free(seen);
        }
        ross_buf_free(&entry);
        for (size_t i = 0; i < lines; i++)
                ross_buf_free(&entries[i]);
        free(entries);
        for (unsigned k = 0; k < files + 1; k++) {
                char *f = NULL;
                if ((k ? asprintf(&f, "%s.%u", name, k) : asprintf(&f, "%s", name)) < 0)
                        abort();
                unlink(f);
                free(f);
        }
        rmdir(path);
        free(name);
        return 0;
}
