/* SPDX-License-Identifier: Apache-2.0 */
/* The -o FILE (or stdout) of the verbs that write an archive: export, save. */
#include <signal.h>

#include "../basic/fileio.h"
#include "commands.h"
#include "output.h"

static int write_out(void *ud, const char *p, size_t n)
{
        return ross_write_all(*(int *)ud, p, n) < 0 ? -1 : 0;
}

int ross_cli_get_to_output(RossClient *c, const char *path, const char *output, const char *what)
{
        if (!output && isatty(STDOUT_FILENO)) {
                ross_cli_error("cowardly refusing to save to a terminal. Use the -o flag or "
                               "redirect");
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        if (output) {
                char rnd[9];
                ross_random_hex(rnd, 4);
                tmp = xasprintf("%s.tmp-%s", output, rnd);
                fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0) {
                        ross_cli_error("failed to %s: open %s: %s", what, output, strerror(errno));
                        return 1;
                }
        } else
                fd = dup(STDOUT_FILENO);
        RossApiCall call = {.method = "GET", .path = path, .on_raw = write_out, .userdata = &fd};
        RossError err = {};
        int r = ross_client_call(c, &call, NULL, &err);
        if (r == 0 && tmp && (fsync(fd) < 0 || rename(tmp, output) < 0))
                r = ross_err(&err, errno, "write %s", output);
        if (r < 0) {
                if (tmp)
                        unlink(tmp);
                ross_cli_error("%s", err.msg);
                return 1;
        }
        return 0;
}
