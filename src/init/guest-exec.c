/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting the command or an exec: fork, the child sets up its session, stdio, limits,
 * user, cwd and looks the program up the way runc does, then execs. A CLOEXEC pipe tells
 * the parent whether the exec happened: it is closed by a successful exec, and carries
 * the code and the message (in runc's words, which Docker users know) when it did not.
 */
#include <ctype.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../vm/proto.h"
#include "guest.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MSG_MAX      2048

/* 127: there is nothing to run; 126: it is there but cannot be run; 1: anything else */
static int code_for(int e)
{
        switch (e) {
        case ENOENT:
        case ENOTDIR:
                return 127;
        case EACCES:
        case EPERM:
        case ENOEXEC:
        case EISDIR:
        case ETXTBSY:
        case ELIBBAD:
        case ELOOP:
                return 126;
        default:
                return 1;
        }
}

/* An errno as Go prints it ("no such file or directory"): glibc's words, lower case. */
static const char *errstr(int e, char *buf, size_t n)
{
        snprintf(buf, n, "%s", strerror(e));
        buf[0] = (char)tolower((unsigned char)buf[0]);
        return buf;
}

/* In the child: tell the parent why, and end. */
static _noreturn_ _printf_(3, 4) void fail(int fd, int code, const char *fmt, ...)
{
        char buf[4 + MSG_MAX];
        va_list ap;
        ross_vm_put_u32((unsigned char *)buf, (uint32_t)code);
        va_start(ap, fmt);
        int n = vsnprintf(buf + 4, MSG_MAX, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if (n >= MSG_MAX)
                n = MSG_MAX - 1;
        ssize_t w = write(fd, buf, 4 + (size_t)n);
        (void)w;
        _exit(code);
}

static const char *env_get(char *const *envp, const char *key)
{
        size_t n = strlen(key);
        for (; *envp; envp++)
                if (strncmp(*envp, key, n) == 0 && (*envp)[n] == '=')
                        return *envp + n + 1;
        return NULL;
}

/* Go's findExecutable: 0 for a file that can be run, else the errno. */
static int runnable(const char *file)
{
        struct stat st;
        if (stat(file, &st) < 0)
                return errno;
        if (S_ISDIR(st.st_mode))
                return EISDIR;
        if (faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) < 0)
                return errno;
        return 0;
}

/* The program to exec for argv[0], or fail() as runc words it. */
static char *lookup(int fd, const char *file, char *const *envp)
{
        char e[128];
        if (strchr(file, '/')) {
                struct stat st;
                if (stat(file, &st) < 0) {
                        int err = errno;
                        fail(fd, code_for(err), "exec: \"%s\": stat %s: %s", file, file,
                             errstr(err, e, sizeof(e)));
                }
                int err = runnable(file);
                if (err)
                        fail(fd, code_for(err) == 1 ? 126 : code_for(err), "exec: \"%s\": %s", file,
                             errstr(err, e, sizeof(e)));
                return (char *)file;
        }
        const char *path = env_get(envp, "PATH");
        if (!path)
                path = DEFAULT_PATH;
        bool denied = false;
        for (const char *p = path;;) {
                size_t n = strcspn(p, ":");
                /* an empty element is the working directory */
                char *cand = n ? xasprintf("%.*s/%s", (int)n, p, file) : xasprintf("./%s", file);
                int err = runnable(cand);
                if (!err)
                        return cand;
                denied |= err == EACCES || err == EISDIR;
                free(cand);
                if (!p[n])
                        break;
                p += n + 1;
        }
        if (denied)
                fail(fd, 126, "exec: \"%s\": permission denied", file);
        fail(fd, 127, "exec: \"%s\": executable file not found in $PATH", file);
}

static _noreturn_ void child(int fd, const RossGuestConfig *c, const RossGuestRlimit *rl,
                             size_t n_rl, const int stdio[3], bool ctty)
{
        char e[128];
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* what PID 1 ignores (SIGPIPE) would stay ignored across exec */
        for (int sig = 1; sig < NSIG; sig++)
                signal(sig, SIG_DFL);
        umask(022);
        if (setsid() < 0)
                fail(fd, 1, "setsid: %s", errstr(errno, e, sizeof(e)));

        /* out of the way first: one of them may be 0, 1 or 2 already */
        int tmp[3];
        for (int i = 0; i < 3; i++)
                if ((tmp[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
                        fail(fd, 1, "dup: %s", errstr(errno, e, sizeof(e)));
        for (int i = 0; i < 3; i++)
                if (dup2(tmp[i], i) < 0)
                        fail(fd, 1, "dup2: %s", errstr(errno, e, sizeof(e)));
        /* 1: take it from a session that has it (as root, before setuid). Under libkrun the
         * console, hvc0, is its init's controlling terminal; where no session has it, 1 is
         * 0 */
        if (ctty && ioctl(0, TIOCSCTTY, 1) < 0)
                fail(fd, 1, "set the controlling terminal: %s", errstr(errno, e, sizeof(e)));

        for (size_t i = 0; i < n_rl; i++)
                if (setrlimit(rl[i].resource, &rl[i].lim) < 0)
                        fail(fd, 1, "setrlimit %s: %s", ross_guest_rlimit_name(rl[i].resource),
                             errstr(errno, e, sizeof(e)));
        if (setgroups(c->n_groups, c->groups) < 0)
                fail(fd, 1, "setgroups: %s", errstr(errno, e, sizeof(e)));
        if (setgid(c->gid) < 0)
                fail(fd, 1, "setgid %u: %s", (unsigned)c->gid, errstr(errno, e, sizeof(e)));
        if (setuid(c->uid) < 0)
                fail(fd, 1, "setuid %u: %s", (unsigned)c->uid, errstr(errno, e, sizeof(e)));
        /* as the user, after setuid: its permissions decide, as with runc */
        if (chdir(c->cwd) < 0)
                fail(fd, 126, "chdir to cwd (\"%s\") failed: %s", c->cwd,
                     errstr(errno, e, sizeof(e)));

        char *prog = lookup(fd, c->argv[0], c->envp);
        execve(prog, c->argv, c->envp);
        int err = errno;
        fail(fd, code_for(err), "exec %s: %s", prog, errstr(err, e, sizeof(e)));
}

int ross_guest_spawn(const RossGuestConfig *c, const RossGuestRlimit *rl, size_t n_rl,
                     const int stdio[3], bool ctty, pid_t *ret_pid, int *ret_code, RossError *err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                *ret_code = 1;
                return ross_err(err, errno, "pipe");
        }
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                *ret_code = 1;
                return ross_err(err, e, "fork");
        }
        if (pid == 0) {
                close(p[0]);
                child(p[1], c, rl, n_rl, stdio, ctty);
        }
        close(p[1]);

        char buf[4 + MSG_MAX];
        size_t got = 0;
        for (;;) {
                ssize_t n = read(p[0], buf + got, sizeof(buf) - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || (got += (size_t)n) == sizeof(buf) - 1)
                        break;
        }
        close(p[0]);
        if (got == 0) {
                *ret_pid = pid;
                return 0;
        }
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        buf[got] = '\0';
        *ret_code = got >= 4 ? (int)ross_vm_get_u32(buf) : 1;
        return ross_errx(err, ENOEXEC, "%s", got > 4 ? buf + 4 : "the command did not start");
}
