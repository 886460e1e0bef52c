/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's table of backends, by runtime name. */
#include "../basic/macros.h"
#include "backend.h"

extern const RossBackend ross_backend_crun, ross_backend_runc, ross_backend_qemu, ross_backend_krun;

static const RossBackend *const table[] = {
        &ross_backend_crun, &ross_backend_runc, &ross_backend_qemu, &ross_backend_krun, NULL,
};

const RossBackend *ross_backend_find(const char *name)
{
        for (size_t i = 0; name && table[i]; i++)
                if (STREQ(table[i]->name, name))
                        return table[i];
        return NULL;
}

const RossBackend *const *ross_backends(void)
{
        return table;
}

char *ross_backend_names(void)
{
        char *out = xstrdup("");
        for (size_t i = 0; table[i]; i++) {
                char *n = xasprintf("%s%s%s", out, i ? ", " : "", table[i]->name);
                free(out);
                out = n;
        }
        return out;
}
