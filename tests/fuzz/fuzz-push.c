/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: what a registry answers a push with: its error bodies (read into the
 * words a user sees) and the upload Location it sends. The first byte picks the status. */
#include <stdbool.h>

#include "registry/registry-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool printable(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < ' ' || *s == 0x7f)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const long statuses[] = {400, 401, 403, 404, 405, 429, 500, 503};
        static char *insecure[] = {"127.0.0.1:5000", NULL};
        static const RossRegistryConfig cfg = {.insecure = insecure};
        static RossRegistry *reg; /* one for the process: reachable, not leaked */

        if (!reg && ross_registry_new(&cfg, "127.0.0.1:5000", NULL, &reg, NULL) < 0)
                abort();
        if (size < 1)
                return 0;

        RossHttpResponse resp = {.status = statuses[data[0] % ELEMENTSOF(statuses)]};
        ross_buf_append(&resp.body, data + 1, size - 1);
        RossError err = {};
        int r = ross_registry_refused(reg, "blob", &resp, &err);
        /* always a refusal, in words that are safe to print */
        if (r >= 0 || err.code != -r || !printable(err.msg))
                abort();
        ross_http_response_free(&resp);

        char *loc = xstrndup((const char *)data + 1, size - 1);
        bool foreign = true;
        char *url = ross_registry_upload_url(reg, loc, &foreign);
        if (url) {
                /* a plain URL, and credentials only ever for the registry's own origin */
                if (!printable(url) || strchr(url, ' ') ||
                    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
                        abort();
                if (!foreign && strncmp(url, "http://127.0.0.1:5000/", 22) != 0 &&
                    strncmp(url, "http://127.0.0.1:5000?", 22) != 0 &&
                    !STREQ(url, "http://127.0.0.1:5000"))
                        abort();
        }
        free(url);
        free(loc);
        return 0;
}
