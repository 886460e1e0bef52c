/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: ross-init [--] COMMAND [ARG...]\n"
                   "\n"
                   "Run COMMAND as the child of an init: signals are passed on to it, orphans\n"
                   "are reaped, and the exit status is COMMAND's (128+N if signal N killed "
                   "it).\n");
}

bool ross_init_forwards(int sig)
{
        switch (sig) {
        case SIGCHLD:
        case SIGKILL:
        case SIGSTOP:
        case SIGFPE:
        case SIGILL:
        case SIGSEGV:
        case SIGBUS:
        case SIGABRT:
        case SIGTRAP:
        case SIGSYS:
        case SIGTTIN:
        case SIGTTOU:
                return false;
        default:
                return true;
        }
}

int ross_init_main(int argc, char **argv)
{
        int first = 1;
        if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                usage(stdout);
                return 0;
        }
        if (argc > 1 && strcmp(argv[1], "--") == 0)
                first = 2;
        if (first >= argc) {
                usage(stderr);
                return 2;
        }
        /* not PID 1 (a nested init, a test): orphans still come to us */
        if (getpid() != 1)
                prctl(PR_SET_CHILD_SUBREAPER, 1);

        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);

        /* fork and exec by hand, not ross_spawn: this is PID 1's own job. The child needs
         * its own process group and the terminal's foreground before it execs, its stderr
         * is the user's (not an error message of ours), and ross-init is libc alone,
         * statically linked, without even libross-basic */
        pid_t child = fork();
        if (child < 0) {
                fprintf(stderr, "ross-init: fork: %s\n", strerror(errno));
                return 1;
        }
        if (child == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                /* its own process group, the terminal's foreground one when there is one */
                setpgid(0, 0);
                if (isatty(STDIN_FILENO)) {
                        signal(SIGTTOU, SIG_IGN);
                        tcsetpgrp(STDIN_FILENO, getpgrp());
                        signal(SIGTTOU, SIG_DFL);
                }
                execvp(argv[first], argv + first);
                int e = errno;
                fprintf(stderr, "ross-init: exec %s: %s\n", argv[first], strerror(e));
                _exit(e == ENOENT ? 127 : 126);
        }

        int code = 0;
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        if (ross_init_forwards(sig))
                                kill(child, sig);
                        continue;
                }
                int st;
                pid_t w;
                while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
                        if (w != child)
                                continue;
                        code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        /* the rest of its group goes with it, as with tini -g */
                        kill(-child, SIGKILL);
                        while (waitpid(-1, &st, WNOHANG) > 0)
                                ;
                        return code;
                }
        }
}
