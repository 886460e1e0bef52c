/* SPDX-License-Identifier: Apache-2.0 */
#include <spawn.h>
#include <sys/wait.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/socket.h"
#include "frame.h"
#include "shim.h"

/* The daemon's side: start a shim, detached, and read its one-line answer. */
int ross_shim_start(const RossShimArgs *a, pid_t *ret_pid, int *ret_exec_status, RossError *err)
{
        int sync[2];
        char fdbuf[16], maxbuf[32];

        if (pipe2(sync, O_CLOEXEC) < 0)
                return ross_err(err, errno, "pipe");
        char waitbuf[16];
        snprintf(fdbuf, sizeof(fdbuf), "%d", 3);
        snprintf(maxbuf, sizeof(maxbuf), "%llu",
                 (unsigned long long)(a->log_max ? a->log_max : ROSS_SHIM_LOG_MAX_DEFAULT));
        snprintf(waitbuf, sizeof(waitbuf), "%u", a->attach_wait);
        const char *argv[24] = {a->shim_path,    "--id",      a->id,      "--bundle",
                                a->bundle,       "--runtime", a->runtime, "--root",
                                a->runtime_root, "--dir",     a->dir,     "--sync-fd",
                                fdbuf,           "--log-max", maxbuf,     "--detach"};
        size_t na = 16;
        if (a->tty)
                argv[na++] = "--tty";
        if (a->open_stdin)
                argv[na++] = "--stdin";
        if (a->stdin_once)
                argv[na++] = "--stdin-once";
        if (a->exec_process) {
                argv[na++] = "--exec";
                argv[na++] = a->exec_process;
        }
        if (a->attach_wait) {
                argv[na++] = "--attach-wait";
                argv[na++] = waitbuf;
        }
        if (ross_log_enabled(ROSS_LOG_DEBUG)) {
                argv[na++] = "--log-level";
                argv[na++] = "debug";
        }
        argv[na] = NULL;
        /* posix_spawn (a vfork underneath: cheap however big the daemon is) into a new
         * session; the shim forks once more and its first process exits at once, so the
         * shim is nobody's child but init's (or a subreaper's). */
        posix_spawnattr_t attr;
        posix_spawn_file_actions_t fa;
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
        posix_spawn_file_actions_adddup2(&fa, 0, 1);
        posix_spawn_file_actions_adddup2(&fa, 0, 2);
        posix_spawn_file_actions_adddup2(&fa, sync[1], 3);
        pid_t pid;
        int r = posix_spawn(&pid, a->shim_path, &fa, &attr, (char *const *)argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0) {
                close(sync[0]);
                close(sync[1]);
                return ross_err(err, r, "start %s", a->shim_path);
        }
        close(sync[1]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;

        RossBuf b = {.cap = 64 * 1024};
        char buf[4096];
        ssize_t n;
        while ((n = read(sync[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                if (n > 0)
                        ross_buf_append(&b, buf, (size_t)n);
        close(sync[0]);

        long v;
        char *msg;
        if (b.len > 3 && strncmp(b.data, "ok ", 3) == 0 && (v = strtol(b.data + 3, NULL, 10)) > 0) {
                *ret_pid = (pid_t)v;
                r = 0;
        } else if (b.len > 4 && strncmp(b.data, "err ", 4) == 0 &&
                   (v = strtol(b.data + 4, &msg, 10)) > 0) {
                while (*msg == ' ')
                        msg++;
                size_t ml = strlen(msg);
                while (ml && msg[ml - 1] == '\n')
                        msg[--ml] = '\0';
                if (ret_exec_status)
                        *ret_exec_status = (int)v;
                r = ross_errx(err, v == 127 ? ENOENT : v == 126 ? EACCES : EIO, "%s", msg);
        } else
                r = ross_errx(err, EIO, "the shim for %s did not start (%s)", a->id,
                              b.len ? b.data : "no answer");
        ross_buf_free(&b);
        return r;
}

int ross_shim_attach(const char *sock_path, bool want_output)
{
        _cleanup_close_ int fd = ross_unix_connect(sock_path);
        if (fd < 0)
                return -ESRCH; /* no socket, or nobody behind it */
        if (want_output) {
                int r = ross_frame_write(fd, ROSS_FRAME_HELLO, NULL, 0);
                if (r < 0)
                        return r;
        }
        return TAKE_FD(fd);
}

int ross_shim_resize(const char *sock_path, unsigned rows, unsigned cols)
{
        _cleanup_close_ int fd = ross_shim_attach(sock_path, false);
        if (fd < 0)
                return fd;
        unsigned char sz[4] = {(unsigned char)(rows >> 8), (unsigned char)rows,
                               (unsigned char)(cols >> 8), (unsigned char)cols};
        return ross_frame_write(fd, ROSS_FRAME_RESIZE, sz, sizeof(sz));
}
