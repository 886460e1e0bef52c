/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../basic/argv.h"
#include "../basic/fileio.h"
#include "../basic/macros.h"
#include "netavark-run.h"

static int netavark_argv(const RossNetavark *nv, const char *cmd, const char *netns, RossArgv *a)
{
        /* One netavark at a time, as podman runs it: two setups on one network at once race
         * to make its chains ("iptables: Chain already exists"). util-linux's flock takes
         * the lock in the child, so the caller does not wait for it; -o: netavark does not
         * get the lock's fd, so aardvark-dns, which it starts and which lives on, does not
         * hold the lock for ever. */
        ross_argv_add(a, "flock");
        ross_argv_add(a, "-o");
        ross_argv_addf(a, "%s/ross-netavark.lock", nv->config_dir);
        ross_argv_add(a, nv->program);
        ross_argv_add(a, "--config");
        ross_argv_add(a, nv->config_dir);
        ross_argv_add(a, "--rootless");
        ross_argv_add(a, "false");
        if (nv->aardvark) {
                ross_argv_add(a, "--aardvark-binary");
                ross_argv_add(a, nv->aardvark);
        }
        ross_argv_add(a, cmd);
        ross_argv_add(a, netns);
        return ross_argv_ok(a);
}

static int spawn_fds(const RossNetavark *nv, const char *cmd, const char *netns, int in, int out,
                     int log, RossChild *ret, RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv a = {};
        if (netavark_argv(nv, cmd, netns, &a) < 0)
                return ross_errx(err, E2BIG, "netavark %s: too many arguments", cmd);
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.stdin_fd = in;
        o.stdout_fd = out;
        o.stderr_fd = log;
        return ross_spawn(ross_argv_get(&a), &o, ret, err);
}

int ross_netavark_spawn(const RossNetavark *nv, const char *cmd, const char *netns,
                        const char *input, const char *output, RossChild *ret, RossError *err)
{
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
        return spawn_fds(nv, cmd, netns, in, out, log, ret, err);
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
static char *last_words(char *text)
{
        char *best = NULL, *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (!strstr(line, "syslog") && *line)
                        best = line;
        return best ? xstrdup(best) : NULL;
}

static int failed(const char *cmd, int status, const char *out_text, char *log_text, RossError *err)
{
        _cleanup_free_ char *msg = error_of(out_text);
        if (!msg && log_text)
                msg = last_words(log_text);
        return ross_errx(err, EIO, "netavark %s: %s", cmd,
                         msg            ? msg
                         : status > 128 ? "killed by a signal"
                                        : "failed, saying nothing");
}

int ross_netavark_finish(RossChild *c, const char *cmd, const char *output, RossError *err)
{
        int status = 0;
        if (ross_child_wait(c, &status, NULL) == 0)
                return 0;
        _cleanup_free_ char *text = NULL, *log = NULL;
        _cleanup_free_ char *logp = xasprintf("%s.log", output);
        (void)ross_read_file(output, 64 * 1024, &text, NULL, NULL);
        (void)ross_read_file(logp, 64 * 1024, &log, NULL, NULL);
        return failed(cmd, status, text, log, err);
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

int ross_netavark_run_text(const RossNetavark *nv, const char *cmd, const char *netns,
                           const char *input, RossError *err)
{
        /* in memory: nothing on disk is read or left (the container's directory may be
         * gone already) */
        _cleanup_close_ int in = memfd_create("netavark-in", MFD_CLOEXEC);
        _cleanup_close_ int out = memfd_create("netavark-out", MFD_CLOEXEC);
        _cleanup_close_ int log = memfd_create("netavark-log", MFD_CLOEXEC);
        if (in < 0 || out < 0 || log < 0)
                return ross_err(err, errno, "netavark %s: memfd", cmd);
        int r = ross_write_all(in, input, strlen(input));
        if (r < 0)
                return ross_err(err, -r, "netavark %s: its input", cmd);
        lseek(in, 0, SEEK_SET);
        _cleanup_(ross_child_done) RossChild c = ROSS_CHILD_INIT;
        if ((r = spawn_fds(nv, cmd, netns, in, out, log, &c, err)) < 0)
                return r;
        int status = 0;
        if (ross_child_wait(&c, &status, NULL) == 0)
                return 0;
        char ob[4096], lb[4096];
        ssize_t n = pread(out, ob, sizeof(ob) - 1, 0), m = pread(log, lb, sizeof(lb) - 1, 0);
        ob[n > 0 ? n : 0] = '\0';
        lb[m > 0 ? m : 0] = '\0';
        return failed(cmd, status, ob, lb, err);
}
