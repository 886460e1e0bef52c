/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../basic/argv.h"
#include "../basic/fileio.h"
#include "../basic/macros.h"
#include "netavark-run.h"

int ross_netavark_spawn(const RossNetavark *nv, const char *cmd, const char *netns,
                        const char *input, const char *output, RossChild *ret, RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv a = {};
        ross_argv_add(&a, nv->program);
        ross_argv_add(&a, "--config");
        ross_argv_add(&a, nv->config_dir);
        ross_argv_add(&a, "--rootless");
        ross_argv_add(&a, "false");
        if (nv->aardvark) {
                ross_argv_add(&a, "--aardvark-binary");
                ross_argv_add(&a, nv->aardvark);
        }
        ross_argv_add(&a, cmd);
        ross_argv_add(&a, netns);
        if (ross_argv_ok(&a) < 0)
                return ross_errx(err, E2BIG, "netavark %s: too many arguments", cmd);
        _cleanup_close_ int in = open(input, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return ross_err(err, errno, "netavark %s: open '%s'", cmd, input);
        _cleanup_close_ int out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out < 0)
                return ross_err(err, errno, "netavark %s: open '%s'", cmd, output);
        _cleanup_free_ char *logp = xasprintf("%s.log", output);
        _cleanup_close_ int log = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (log < 0)
                return ross_err(err, errno, "netavark %s: open '%s'", cmd, logp);
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.stdin_fd = in;
        o.stdout_fd = out;
        o.stderr_fd = log;
        return ross_spawn(ross_argv_get(&a), &o, ret, err);
}

/* The value of "error" in netavark's {"error":"..."}, JSON escapes undone (the simple ones;
 * others are kept as they are). */
static char *error_of(const char *text)
{
        const char *p = text ? strstr(text, "\"error\"") : NULL;
        if (!p)
                return NULL;
        p = strchr(p + 7, '"');
        if (!p)
                return NULL;
        p++;
        size_t n = strlen(p);
        char *out = xmalloc(n + 1), *o = out;
        for (; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1]) {
                        p++;
                        *o++ = *p == 'n' ? ' ' : *p == 't' ? ' ' : *p;
                } else
                        *o++ = (unsigned char)*p < ' ' ? ' ' : *p;
        }
        *o = '\0';
        return out;
}

/* The last line of its stderr that says something (every call here also says it cannot
 * reach syslog). */
static char *last_words(const char *output)
{
        _cleanup_free_ char *logp = xasprintf("%s.log", output);
        _cleanup_free_ char *text = NULL;
        if (ross_read_file(logp, 64 * 1024, &text, NULL, NULL) < 0)
                return NULL;
        char *best = NULL;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
                if (!strstr(line, "syslog") && *line)
                        best = line;
        return best ? xstrdup(best) : NULL;
}

int ross_netavark_finish(RossChild *c, const char *cmd, const char *output, RossError *err)
{
        int status = 0;
        int r = ross_child_wait(c, &status, NULL);
        if (r == 0)
                return 0;
        _cleanup_free_ char *text = NULL;
        (void)ross_read_file(output, 64 * 1024, &text, NULL, NULL);
        _cleanup_free_ char *msg = error_of(text);
        if (!msg)
                msg = last_words(output);
        return ross_errx(err, EIO, "netavark %s: %s", cmd,
                         msg            ? msg
                         : status > 128 ? "killed by a signal"
                                        : "failed, saying nothing");
}

int ross_netavark_run(const RossNetavark *nv, const char *cmd, const char *netns, const char *input,
                      const char *output, RossError *err)
{
        _cleanup_(ross_child_done) RossChild c = ROSS_CHILD_INIT;
        int r = ross_netavark_spawn(nv, cmd, netns, input, output, &c, err);
        if (r < 0)
                return r;
        return ross_netavark_finish(&c, cmd, output, err);
}
