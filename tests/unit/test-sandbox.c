/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pull helper's sandbox, proved on a child process: it writes only where it was told
 * it may, cannot mount or make namespaces, keeps only the capabilities it was given, and
 * cannot run programs.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "basic/fileio.h"
#include "sandbox/sandbox.h"
#include "tap.h"

enum {
        T_ENTER,
        T_WRITE_ALLOWED,
        T_MKNOD_WHITEOUT,
        T_OPAQUE_XATTR,
        T_CHOWN,
        T_WRITE_SIBLING,
        T_WRITE_ETC,
        T_WRITE_TMP,
        T_MOUNT,
        T_UNSHARE,
        T_CLONE_NEWNS,
        T_EXEC,
        T_CAPS,
        T_NNP,
        T_THREAD,
        T_COUNT
};

static const char *const names[T_COUNT] = {
        [T_ENTER] = "the child enters the sandbox",
        [T_WRITE_ALLOWED] = "it writes a file in the writable directory",
        [T_MKNOD_WHITEOUT] = "it makes a 0/0 whiteout device there (CAP_MKNOD kept)",
        [T_OPAQUE_XATTR] = "it sets trusted.overlay.opaque there (CAP_SYS_ADMIN kept)",
        [T_CHOWN] = "it gives a file to another owner (CAP_CHOWN kept)",
        [T_WRITE_SIBLING] = "a directory beside the writable one is read-only (EROFS)",
        [T_WRITE_ETC] = "/etc is read-only (EROFS)",
        [T_WRITE_TMP] = "/tmp is read-only (EROFS)",
        [T_MOUNT] = "mount is refused with EPERM",
        [T_UNSHARE] = "unshare is refused with EPERM",
        [T_CLONE_NEWNS] = "clone with CLONE_NEWNS is refused with EPERM",
        [T_EXEC] = "execve is refused with EPERM",
        [T_CAPS] = "only the unpack capabilities are effective",
        [T_NNP] = "no-new-privs is set",
        [T_THREAD] = "threads can still be started",
};

static int write_at(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        int r = write(fd, "x", 1) == 1 ? 0 : -errno;
        close(fd);
        return r;
}

static int clone_child(void *arg)
{
        return 0;
}

static void *thread_main(void *arg)
{
        return arg;
}

static void child(const char *dir, int out)
{
        char res[T_COUNT];
        memset(res, '0', sizeof(res));
        _cleanup_free_ char *allowed = xasprintf("%s/allowed", dir);
        _cleanup_free_ char *other = xasprintf("%s/other", dir);
        const char *writable[] = {allowed, NULL};
        RossSandbox sb = {.writable = writable, .caps = ROSS_SANDBOX_CAPS_UNPACK};
        RossError err = {};

        if (ross_sandbox_enter(&sb, &err) < 0) {
                fprintf(stderr, "# %s\n", err.msg);
                (void)!write(out, res, sizeof(res));
                _exit(1);
        }
        res[T_ENTER] = '1';

        _cleanup_free_ char *f = xasprintf("%s/file", allowed);
        res[T_WRITE_ALLOWED] = write_at(f) == 0 ? '1' : '0';
        _cleanup_free_ char *wh = xasprintf("%s/whiteout", allowed);
        res[T_MKNOD_WHITEOUT] = mknod(wh, S_IFCHR | 0, makedev(0, 0)) == 0 ? '1' : '0';
        /* tmpfs may not take trusted xattrs on older kernels: ENOTSUP is not a refusal */
        res[T_OPAQUE_XATTR] =
                (setxattr(allowed, "trusted.overlay.opaque", "y", 1, 0) == 0 || errno == ENOTSUP)
                        ? '1'
                        : '0';
        res[T_CHOWN] = chown(f, 1000, 1000) == 0 ? '1' : '0';
        _cleanup_free_ char *o = xasprintf("%s/file", other);
        res[T_WRITE_SIBLING] = write_at(o) == -EROFS ? '1' : '0';
        res[T_WRITE_ETC] = write_at("/etc/ross-sandbox-test") == -EROFS ? '1' : '0';
        res[T_WRITE_TMP] = write_at("/tmp/ross-sandbox-test") == -EROFS ? '1' : '0';
        res[T_MOUNT] = mount("none", allowed, "tmpfs", 0, NULL) < 0 && errno == EPERM ? '1' : '0';
        res[T_UNSHARE] = unshare(CLONE_NEWNS) < 0 && errno == EPERM ? '1' : '0';
        static char stack[64 * 1024];
        pid_t p = clone(clone_child, stack + sizeof(stack), CLONE_NEWNS | SIGCHLD, NULL);
        if (p > 0)
                waitpid(p, NULL, 0);
        res[T_CLONE_NEWNS] = p < 0 && errno == EPERM ? '1' : '0';
        char *const argv[] = {"/bin/true", NULL};
        res[T_EXEC] = execv("/bin/true", argv) < 0 && errno == EPERM ? '1' : '0';
        res[T_CAPS] = ross_sandbox_effective_caps() == ROSS_SANDBOX_CAPS_UNPACK ? '1' : '0';
        res[T_NNP] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? '1' : '0';
        pthread_t th;
        if (pthread_create(&th, NULL, thread_main, NULL) == 0) {
                pthread_join(th, NULL);
                res[T_THREAD] = '1';
        }
        (void)!write(out, res, sizeof(res));
        _exit(0);
}

int main(void)
{
        if (geteuid() != 0) {
                printf("1..0 # SKIP the sandbox needs root (mount namespaces)\n");
                return 0;
        }
        /* A tmpfs of our own, so the test never depends on where /tmp is. */
        char tmpl[] = "/tmp/ross-test-sandbox-XXXXXX";
        char *dir = mkdtemp(tmpl);
        ok(dir && mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0, "a tmpfs for the test");
        _cleanup_free_ char *allowed = xasprintf("%s/allowed", dir);
        _cleanup_free_ char *other = xasprintf("%s/other", dir);
        ok(mkdir(allowed, 0755) == 0 && mkdir(other, 0755) == 0, "two directories");

        int p[2];
        if (pipe(p) < 0)
                return 1;
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                child(dir, p[1]);
        }
        close(p[1]);
        char res[T_COUNT];
        memset(res, '0', sizeof(res));
        ssize_t n = read(p[0], res, sizeof(res));
        close(p[0]);
        int st = 0;
        waitpid(pid, &st, 0);
        ok(n == T_COUNT && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child reported and exited");
        for (int i = 0; i < T_COUNT; i++)
                ok(res[i] == '1', "%s", names[i]);

        /* and the host saw nothing of it: its mounts are as they were */
        _cleanup_free_ char *f = xasprintf("%s/file", allowed);
        struct stat s;
        ok(stat(f, &s) == 0 && s.st_uid == 1000, "what the child wrote is there for the host");
        _cleanup_free_ char *probe = xasprintf("%s/file", other);
        ok(write_at(probe) == 0, "the host's view stays writable");
        umount(dir);
        rmdir(dir);
        return tap_done();
}
