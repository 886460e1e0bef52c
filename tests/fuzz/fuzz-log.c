/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the shim's container log. Whatever bytes a container writes, in whatever
 * pieces, every log line is one JSON object whose "log" is the input's bytes (invalid UTF-8
 * replaced), and the pieces add up to all of the input. Reading the log back (attach with
 * logs=1) gives, entry by entry, exactly what jansson decodes; and the line decoder takes
 * the raw input itself (any bytes) without harm. */
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
        if (shim_log_open(&l, path, 1ULL << 40) < 0)
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
        (void)shim_log_decode((const char *)data, size, &any_stream, &any);
        ross_buf_free(&any);

        ShimLogReader rd;
        if (shim_log_reader_open(&rd, path) < 0)
                abort();
        RossBuf entry = {};

        char *text = NULL;
        size_t len = 0, lines = 0, total_ok = 0;
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
                if (shim_log_reader_next(&rd, &rs, &entry) != 1 || rs != stream ||
                    entry.len != json_string_length(log) ||
                    (entry.len && memcmp(entry.data, json_string_value(log), entry.len) != 0))
                        abort(); /* the reader and jansson disagree */
                total_ok += json_string_length(log);
                lines++;
                json_decref(j);
        }
        entry.len = 0;
        int rs = 0;
        if (shim_log_reader_next(&rd, &rs, &entry) != 0)
                abort(); /* the reader found an entry that is not there */
        shim_log_reader_close(&rd);
        ross_buf_free(&entry);
        /* replacement characters only ever make it longer */
        if (size > 1 && total_ok < size - 1)
                abort();
        free(text);
        unlink(path);
        return 0;
}
