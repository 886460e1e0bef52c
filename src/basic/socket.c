/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macros.h"
#include "socket.h"

/* Fill sa for path; a long path goes through an O_PATH fd on its directory, left in
 * *dirfd for the caller to close after bind or connect. */
static int make_addr(const char *path, struct sockaddr_un *sa, socklen_t *len, int *dirfd)
{
        *dirfd = -EBADF;
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        size_t n = strlen(path);
        if (n < sizeof(sa->sun_path)) {
                memcpy(sa->sun_path, path, n);
        } else {
                const char *slash = strrchr(path, '/');
                if (!slash || slash == path)
                        return -ENAMETOOLONG;
                _cleanup_free_ char *dir = strndup(path, (size_t)(slash - path));
                if (!dir)
                        return -ENOMEM;
                int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                int k = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", fd,
                                 slash + 1);
                if (k < 0 || (size_t)k >= sizeof(sa->sun_path)) {
                        close(fd);
                        return -ENAMETOOLONG;
                }
                *dirfd = fd;
        }
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
        return 0;
}

int ross_unix_listen(const char *path, int backlog)
{
        struct sockaddr_un sa;
        socklen_t len;
        _cleanup_close_ int dirfd = -EBADF;
        int r = make_addr(path, &sa, &len, &dirfd);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void)unlink(sa.sun_path);
        if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, backlog) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int ross_unix_connect(const char *path)
{
        struct sockaddr_un sa;
        socklen_t len;
        _cleanup_close_ int dirfd = -EBADF;
        int r = make_addr(path, &sa, &len, &dirfd);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        while (connect(fd, (struct sockaddr *)&sa, len) < 0)
                if (errno != EINTR)
                        return -errno;
        return TAKE_FD(fd);
}

int ross_send_fd(int sock, int fd)
{
        char byte = 0;
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u = {};
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = u.buf,
                           .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

int ross_recv_fd(int sock)
{
        /* runc and crun send the terminal's name along with the fd */
        char data[4096];
        struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u = {};
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = u.buf,
                           .msg_controllen = sizeof(u.buf)};
        ssize_t n;
        while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0)
                if (errno != EINTR)
                        return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                    c->cmsg_len == CMSG_LEN(sizeof(int))) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
                        return fd;
                }
        return -EBADMSG;
}
