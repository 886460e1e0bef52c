/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: WWW-Authenticate challenges and X-Registry-Auth headers. */
#include <stdbool.h>

#include "registry/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = xstrndup((const char *)data, size);
        RossChallenge ch;
        RossCreds cr;

        if (ross_challenge_parse(s, &ch) == 0) {
                if (!STREQ(ch.scheme, "bearer") && !STREQ(ch.scheme, "basic"))
                        abort();
                ross_challenge_free(&ch);
        }
        if (ross_creds_from_header(s, &cr, NULL) == 0)
                ross_creds_free(&cr);
        free(s);
        return 0;
}
