/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: json-file's options at create (src/container/logconfig.c). The input,
 * cut at its first two newlines, is max-size, max-file and compress (any bytes); whatever
 * they are, the parse either refuses with a message or gives a size above 0 and a file
 * count from 1 to SHIM_LOG_FILES_MAX, and its stored form reads back the same. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "container/logconfig.h"
#include "shim/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;
        const char *keys[] = {"max-size", "max-file", "compress"};
        json_t *cfg = json_object();
        for (size_t i = 0; i < 3 && p <= end; i++) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                /* NUL ends a C string here as it would the value of a flag */
                size_t z = strnlen(p, n);
                json_object_set_new(cfg, keys[i], json_stringn_nocheck(p, z));
                p += n + 1;
        }
        json_t *hc = json_pack("{s:{s:s, s:o}}", "LogConfig", "Type", "json-file", "Config", cfg);
        RossLogConfig c = {.max_size = -7, .max_file = -7};
        RossError err = {};
        int r = ross_log_config_parse(hc, &c, &err);
        if (r < 0 && (r != -EINVAL || !err.msg[0] || c.max_size != -7))
                abort(); /* a refusal says why and writes nothing */
        if (r == 0) {
                if (c.none || c.max_size <= 0 || c.max_file < 1 || c.max_file > SHIM_LOG_FILES_MAX)
                        abort();
                json_t *j = ross_log_config_to_json(&c);
                RossLogConfig back;
                if (ross_log_config_from_json(j, &back, &err) < 0 || back.max_size != c.max_size ||
                    back.max_file != c.max_file || back.none)
                        abort();
                json_decref(j);
        }
        json_decref(hc);
        return 0;
}
