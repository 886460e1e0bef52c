/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: image reference parsing and normalisation. */
#include <stdbool.h>

#include "ref/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        RossRef ref = {};
        RossError err = {};
        char *s = xstrndup((const char *)data, size);

        if (ross_ref_parse(s, &ref, &err) == 0) {
                char *name = ross_ref_name(&ref);
                char *full = ross_ref_string(&ref);
                char *fam = ross_ref_familiar(full);
                /* A normalised reference parses again to itself. */
                RossRef again = {};
                if (ross_ref_parse(full, &again, NULL) != 0 || !STREQ(again.path, ref.path) ||
                    !STREQ(again.domain, ref.domain))
                        abort();
                if (!ross_tag_valid(ref.tag ? ref.tag : "latest"))
                        abort();
                if (ref.digest && !ross_digest_valid(ref.digest))
                        abort();
                ross_ref_free(&again);
                free(name);
                free(full);
                free(fam);
                ross_ref_free(&ref);
        } else if (err.code != EINVAL || !err.msg[0])
                abort();
        free(s);
        return 0;
}
