/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the shim's container log. Whatever bytes a container writes, in whatever
 * pieces, every log line is one JSON object whose "log" is the input's bytes (invalid UTF-8
 * replaced), and the pieces add up to all of the input. */
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
                total_ok += json_string_length(log);
                lines++;
                json_decref(j);
        }
        /* replacement characters only ever make it longer */
        if (size > 1 && total_ok < size - 1)
                abort();
        free(text);
        unlink(path);
        return 0;
}
