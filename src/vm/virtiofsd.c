/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../basic/clock.h"
#include "../basic/argv.h"
#include "../basic/log.h"
#include "../basic/spawn.h"
#include "virtiofsd.h"

char *ross_virtiofsd_find(void)
{
        static const char *const known[] = {"/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd"};
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (access(known[i], X_OK) == 0)
                        return xstrdup(known[i]);
        return ross_find_program("virtiofsd");
}

int ross_bind_read_only(const char *path, RossError *err)
{
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return ross_err(err, errno, "make the mounts private");
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return ross_err(err, errno, "bind '%s'", path);
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                return ross_err(err, errno, "make '%s' read-only", path);
        return 0;
}

/* The child: its own mounts for a read-only share, then virtiofsd. Only what is safe
 * after fork; an error goes to the log and ends it. */
_noreturn_ static void child(char *const *argv, const char *source, bool read_only, int logfd)
{
        if (dup2(logfd, STDOUT_FILENO) < 0 || dup2(logfd, STDERR_FILENO) < 0)
                _exit(127);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (nul >= 0)
                (void)dup2(nul, STDIN_FILENO);
        RossError err = {};
        if (read_only && unshare(CLONE_NEWNS) < 0) {
                dprintf(STDERR_FILENO, "ross: unshare a mount namespace: %s\n", strerror(errno));
                _exit(127);
        }
        if (read_only && ross_bind_read_only(source, &err) < 0) {
                dprintf(STDERR_FILENO, "ross: %s\n", err.msg);
                _exit(127);
        }
        execv(argv[0], argv);
        dprintf(STDERR_FILENO, "ross: execute '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
}

int ross_virtiofsd_start(const char *program, const char *source, bool read_only, bool private,
                         const char *sock, int logfd, int timeout_ms, pid_t *ret_pid,
                         RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv a = {};
        ross_argv_add(&a, program);
        ross_argv_addf(&a, "--socket-path=%s", sock);
        ross_argv_add(&a, "-o");
        ross_argv_addf(&a, "source=%s", source);
        ross_argv_add(&a, "-o");
        ross_argv_addf(&a, "cache=%s", private ? "always" : "auto");
        if (ross_argv_ok(&a) < 0)
                return ross_errx(err, E2BIG, "virtiofsd's command line is too long");
        (void)unlink(sock);
        pid_t pid = fork();
        if (pid < 0)
                return ross_err(err, errno, "fork for virtiofsd");
        if (pid == 0)
                child(ross_argv_get(&a), source, read_only, logfd);
        log_debug("virtiofsd (pid %d) serves '%s'%s on %s", (int)pid, source,
                  read_only ? " read-only" : "", sock);
        long end = ross_now_ms() + timeout_ms;
        for (;;) {
                struct stat st;
                if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
                        break;
                int ws;
                if (waitpid(pid, &ws, WNOHANG) == pid)
                        return ross_errx(err, EIO, "virtiofsd for '%s' exited (status %d)", source,
                                         WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
                if (ross_now_ms() >= end) {
                        kill(pid, SIGKILL);
                        (void)waitpid(pid, NULL, 0);
                        return ross_errx(err, ETIMEDOUT, "virtiofsd for '%s' made no socket",
                                         source);
                }
                nanosleep(&(struct timespec){.tv_nsec = 2 * 1000 * 1000}, NULL);
        }
        *ret_pid = pid;
        return 0;
}
