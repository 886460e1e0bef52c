/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../basic/macros.h"
#include "netns.h"

int ross_netns_make(const char *path, RossError *err)
{
        int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (fd < 0)
                return ross_err(err, errno, "network namespace '%s'", path);
        close(fd);
        /* a child makes it and mounts it where we asked: our own namespace stays */
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                unlink(path);
                return ross_err(err, e, "network namespace: fork");
        }
        if (pid == 0) {
                if (unshare(CLONE_NEWNET) < 0)
                        _exit(errno & 0xff);
                if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
                        _exit(errno & 0xff);
                _exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                int e = WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
                unlink(path);
                return ross_err(err, e, "make a network namespace at '%s'", path);
        }
        return 0;
}

void ross_netns_remove(const char *path)
{
        (void)umount2(path, MNT_DETACH);
        (void)unlink(path);
}
