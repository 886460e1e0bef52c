/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/wait.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "shim.h"

#define DEFAULT_LOG_MAX (10 * 1024 * 1024)

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
                 (unsigned long long)(a->log_max ? a->log_max : DEFAULT_LOG_MAX));
        snprintf(waitbuf, sizeof(waitbuf), "%u", a->attach_wait);
        const char *argv[24] = {a->shim_path, "--id",      a->id,    "--bundle",      a->bundle,
                                "--runtime",  a->runtime,  "--root", a->runtime_root, "--dir",
                                a->dir,       "--sync-fd", fdbuf,    "--log-max",     maxbuf};
        size_t na = 15;
        if (a->tty)
                argv[na++] = "--tty";
        if (a->open_stdin)
                argv[na++] = "--stdin";
        if (a->stdin_once)
                argv[na++] = "--stdin-once";
        if (a->attach_wait) {
                argv[na++] = "--attach-wait";
                argv[na++] = waitbuf;
        }
        if (ross_log_enabled(ROSS_LOG_DEBUG)) {
                argv[na++] = "--log-level";
                argv[na++] = "debug";
        }
        argv[na] = NULL;
        /* Everything the children need is ready before fork: they only make syscalls. */
        pid_t pid = fork();
        if (pid < 0) {
                close(sync[0]);
                close(sync[1]);
                return ross_err(err, errno, "fork");
        }
        if (pid == 0) {
                /* Own session, then fork again: the shim is nobody's child but init's. */
                setsid();
                pid_t p2 = fork();
                if (p2 != 0)
                        _exit(p2 < 0 ? 1 : 0);
                int nul = open("/dev/null", O_RDWR);
                if (nul >= 0) {
                        dup2(nul, 0);
                        dup2(nul, 1);
                        dup2(nul, 2);
                }
                if (dup2(sync[1], 3) < 0)
                        _exit(1);
                execv(a->shim_path, (char *const *)argv);
                _exit(127);
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

        int r;
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
