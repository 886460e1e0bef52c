/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "buf.h"
#include "spawn.h"

extern char **environ;

#define STDERR_KEEP 4096

int ross_spawn(char *const argv[], const RossSpawnOptions *o, RossChild *ret, RossError *err)
{
        static const RossSpawnOptions defaults = ROSS_SPAWN_OPTIONS_INIT;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        int errpipe[2] = {-1, -1};
        pid_t pid;
        int r;

        if (!argv || !argv[0])
                return ross_errx(err, EINVAL, "spawn: no program");
        if (!o)
                o = &defaults;
        if (o->stderr_fd < 0 && pipe2(errpipe, O_CLOEXEC) < 0)
                return ross_err(err, errno, "start %s: pipe", argv[0]);

        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                                (o->setsid ? POSIX_SPAWN_SETSID : 0));
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawn_file_actions_init(&fa);
        /* Each source is first duplicated (O_CLOEXEC, at 10 or above) so that no dup2 onto
         * 0..3 can clobber a source still to come; the copies vanish at exec. */
        int src[4] = {o->stdin_fd, o->stdout_fd, o->stderr_fd >= 0 ? o->stderr_fd : errpipe[1],
                      o->extra_fd};
        int tmp[4] = {-1, -1, -1, -1};
        for (int i = 0; i < 4; i++) {
                if (src[i] < 0) {
                        if (i < 2)
                                posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
                        continue;
                }
                tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10);
                if (tmp[i] < 0) {
                        r = ross_err(err, errno, "start %s: dup", argv[0]);
                        goto fail;
                }
                posix_spawn_file_actions_adddup2(&fa, tmp[i], i);
        }

        if (strchr(argv[0], '/'))
                r = posix_spawn(&pid, argv[0], &fa, &attr, argv, o->envp ? o->envp : environ);
        else
                r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, o->envp ? o->envp : environ);
        if (r != 0)
                r = ross_err(err, r, "start %s", argv[0]);
fail:
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        for (int i = 0; i < 4; i++)
                if (tmp[i] >= 0)
                        close(tmp[i]);
        if (errpipe[1] >= 0)
                close(errpipe[1]);
        if (r != 0) {
                if (errpipe[0] >= 0)
                        close(errpipe[0]);
                return r;
        }
        ret->pid = pid;
        ret->stderr_fd = errpipe[0] >= 0 ? errpipe[0] : -EBADF;
        ret->name = xstrdup(argv[0]);
        return 0;
}

/* Keep the last STDERR_KEEP bytes of what the child wrote. */
static void drain(int fd, RossBuf *b)
{
        char buf[4096];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
                if (n <= 0)
                        continue;
                ross_buf_append(b, buf, (size_t)n);
                if (b->len > 2 * STDERR_KEEP) {
                        memmove(b->data, b->data + b->len - STDERR_KEEP, STDERR_KEEP);
                        b->len = STDERR_KEEP;
                        b->data[b->len] = '\0';
                }
        }
}

/* The captured text as one line: newlines become "; ", trailing space dropped. */
static void tidy(RossBuf *b)
{
        size_t n = b->len;
        while (n && (b->data[n - 1] == '\n' || b->data[n - 1] == ' ' || b->data[n - 1] == '\r'))
                n--;
        b->data[n] = '\0';
        b->len = n;
        for (size_t i = 0; i < n; i++)
                if (b->data[i] == '\n' || b->data[i] == '\r')
                        b->data[i] = ' ';
}

int ross_child_wait(RossChild *c, int *ret_status, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf out = {};
        int st = 0, code;

        if (c->pid <= 0)
                return ross_errx(err, ECHILD, "wait: no child");
        if (c->stderr_fd >= 0) {
                drain(c->stderr_fd, &out);
                close(c->stderr_fd);
                c->stderr_fd = -EBADF;
        }
        while (waitpid(c->pid, &st, 0) < 0) {
                if (errno != EINTR) {
                        int r = ross_err(err, errno, "wait for %s", c->name);
                        c->pid = 0;
                        return r;
                }
        }
        c->pid = 0;
        if (out.len)
                tidy(&out);
        code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (ret_status)
                *ret_status = code;
        if (WIFEXITED(st) && code == 0)
                return 0;
        if (WIFSIGNALED(st))
                return ross_errx(err, ECHILD, "%s: killed by signal %d%s%s", c->name, WTERMSIG(st),
                                 out.len ? ": " : "", out.len ? out.data : "");
        return ross_errx(err, EIO, "%s: exited with status %d%s%s", c->name, code,
                         out.len ? ": " : "", out.len ? out.data : "");
}

int ross_child_take_stderr(RossChild *c)
{
        return TAKE_FD(c->stderr_fd);
}

int ross_spawn_run(char *const argv[], const RossSpawnOptions *o, int *ret_status, RossError *err)
{
        _cleanup_(ross_child_done) RossChild c = ROSS_CHILD_INIT;
        int r = ross_spawn(argv, o, &c, err);
        if (r < 0)
                return r;
        return ross_child_wait(&c, ret_status, err);
}

void ross_child_done(RossChild *c)
{
        if (c->pid > 0) {
                int saved = errno;
                kill(c->pid, SIGKILL);
                while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                errno = saved;
        }
        c->pid = 0;
        if (c->stderr_fd >= 0)
                close(c->stderr_fd);
        c->stderr_fd = -EBADF;
        free(c->name);
        c->name = NULL;
}

char *ross_find_program(const char *name)
{
        if (strchr(name, '/'))
                return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = xstrdup(
                !STR_EMPTY(path) ? path
                                 : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        char *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char *p = xasprintf("%s/%s", d, name);
                if (access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}
