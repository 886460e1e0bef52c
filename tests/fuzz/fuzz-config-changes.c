/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: Dockerfile instructions as image config changes (docker import -c,
 * docker commit --change). Each input is split on NUL bytes into changes, applied to a
 * config that already holds an Env; it must either apply, leaving a JSON object, or be
 * refused with -EINVAL and a message, the config then as it was.
 */
#include <jansson.h>
#include <stdbool.h>

#include "image/config-changes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *changes = json_array();
        const char *p = (const char *)data, *end = p + size;
        while (p < end) {
                const char *z = memchr(p, '\0', (size_t)(end - p));
                size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
                /* jansson keeps UTF-8 strings only */
                json_t *s = json_stringn(p, n);
                if (s)
                        json_array_append_new(changes, s);
                p += n + 1;
        }
        json_t *cfg = json_pack("{s:[s], s:s}", "Env", "A=1", "WorkingDir", "/srv");
        char *before = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
        RossError err = {};
        int r = ross_image_config_changes_apply(cfg, changes, &err);
        if (r < 0) {
                char *after = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
                if (r != -EINVAL || !err.msg[0] || !STREQ(before, after))
                        abort();
                free(after);
        } else if (r != 0 || !json_is_object(cfg))
                abort();
        free(before);
        json_decref(cfg);
        json_decref(changes);
        return 0;
}
