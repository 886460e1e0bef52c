/* SPDX-License-Identifier: Apache-2.0 */
#include "jsonfile.h"
#include "fileio.h"
#include "macros.h"

json_t *ross_read_json(const char *path, size_t max)
{
        _cleanup_free_ char *text = NULL;
        if (ross_read_file(path, max, &text, NULL, NULL) < 0)
                return NULL;
        return json_loads(text, 0, NULL);
}
