/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The channels to the host, by role (guest.h): the control channel and the command's
 * stdio. Under QEMU they are virtio-serial ports found by name (guest-port.c); under
 * libkrun they are vsock ports on the host, which libkrun joins to the shim's unix
 * sockets. These machines have no vsock transport, so tests give --channel-dir and the
 * same connection is made to a unix socket there.
 */
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* after sys/socket.h: older kernel headers' vm_sockets.h use its types without it */
#include <linux/vm_sockets.h>

#include "../vm/proto.h"
#include "guest.h"

static const struct {
        const char *name; /* in messages */
        const char *port; /* the virtio-serial port's name */
        unsigned vsock;   /* the vsock port */
        const char *sock; /* the unix socket's name under --channel-dir */
        int mode;         /* how the command (or the agent, for the control channel) uses it */
} channels[] = {
        [ROSS_GUEST_CHANNEL_CTL] = {"control", ROSS_VM_PORT_CTL, ROSS_VM_VSOCK_CTL, "ctl.sock",
                                    O_RDWR},
        [ROSS_GUEST_CHANNEL_STDIN] = {"stdin", ROSS_VM_PORT_STDIN, ROSS_VM_VSOCK_STDIN, "in.sock",
                                      O_RDONLY},
        [ROSS_GUEST_CHANNEL_STDOUT] = {"stdout", ROSS_VM_PORT_STDOUT, ROSS_VM_VSOCK_STDOUT,
                                       "out.sock", O_WRONLY},
        [ROSS_GUEST_CHANNEL_STDERR] = {"stderr", ROSS_VM_PORT_STDERR, ROSS_VM_VSOCK_STDERR,
                                       "err.sock", O_WRONLY},
};

/* Until the host side of the stdin port is there: a read before that is an end of file,
 * and the command would see its stdin end before the host wrote to it. The host's closing
 * it later is the command's EOF, as it should be. debugfs says whether the host has been
 * there (connected now, or bytes received); without it, poll only knows "connected now"
 * (POLLHUP otherwise), and a host that came, wrote and left before this looked costs
 * timeout_ms (its bytes wait, unread, for the command). */
static void wait_stdin_host(RossGuest *g, const char *dev, int fd, int timeout_ms)
{
        int64_t end = ross_guest_now_ms() + timeout_ms;
        /* in the initramfs's /sys: the container never sees it */
        if (g->initramfs)
                (void)mount("debugfs", "/sys/kernel/debug", "debugfs",
                            MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        for (;;) {
                int seen = ross_guest_port_host_seen(dev);
                if (seen > 0)
                        return;
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (seen < 0 && poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP))
                        return;
                if (ross_guest_now_ms() >= end) {
                        ross_guest_log(g,
                                       "the host did not connect %s in %d ms: the command's "
                                       "stdin may end at once",
                                       ROSS_VM_PORT_STDIN, timeout_ms);
                        return;
                }
                nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
        }
}

static int port_open(RossGuest *g, RossGuestChannel ch, int timeout_ms, int *ret_fd, RossError *err)
{
        _cleanup_free_ char *dev = NULL;
        int r = ross_guest_port_find(channels[ch].port, timeout_ms, &dev, err);
        if (r < 0)
                return r;
        int flags = channels[ch].mode | O_NOCTTY | O_CLOEXEC;
        if (ch == ROSS_GUEST_CHANNEL_CTL)
                flags |= O_NONBLOCK;
        int fd = open(dev, flags);
        if (fd < 0)
                return ross_err(err, errno, "open the port %s (%s)", channels[ch].port, dev);
        if (ch == ROSS_GUEST_CHANNEL_STDIN)
                wait_stdin_host(g, dev, fd, timeout_ms);
        *ret_fd = fd;
        return 0;
}

/* What a connect says while the other side is not there yet (the shim not listening, the
 * vsock device not up): worth another try. */
static bool not_yet(int e)
{
        return e == ECONNREFUSED || e == ECONNRESET || e == ENOENT || e == ETIMEDOUT ||
               e == ENODEV || e == ENETUNREACH || e == EHOSTUNREACH || e == EINTR;
}

static int socket_open(RossGuest *g, RossGuestChannel ch, int timeout_ms, int *ret_fd,
                       RossError *err)
{
        union {
                struct sockaddr sa;
                struct sockaddr_un un;
                struct sockaddr_vm vm;
        } addr = {};
        socklen_t len;
        _cleanup_free_ char *what = NULL;
        int family;
        if (g->channel_dir) {
                what = xasprintf("%s/%s", g->channel_dir, channels[ch].sock);
                if (strlen(what) >= sizeof(addr.un.sun_path))
                        return ross_errx(err, ENAMETOOLONG, "the socket '%s': too long", what);
                family = AF_UNIX;
                addr.un.sun_family = AF_UNIX;
                memcpy(addr.un.sun_path, what, strlen(what));
                len = sizeof(addr.un);
        } else {
                what = xasprintf("vsock %u:%u", VMADDR_CID_HOST, channels[ch].vsock);
                family = AF_VSOCK;
                addr.vm.svm_family = AF_VSOCK;
                addr.vm.svm_cid = VMADDR_CID_HOST;
                addr.vm.svm_port = channels[ch].vsock;
                len = sizeof(addr.vm);
        }
        int64_t end = ross_guest_now_ms() + timeout_ms;
        for (;;) {
                _cleanup_close_ int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return ross_err(err, errno, "socket for %s", what);
                if (connect(fd, &addr.sa, len) == 0) {
                        if (ch == ROSS_GUEST_CHANNEL_CTL) {
                                int fl = fcntl(fd, F_GETFL);
                                if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                                        return ross_err(err, errno, "make it non-blocking");
                        }
                        *ret_fd = TAKE_FD(fd);
                        return 0;
                }
                int e = errno;
                if (!not_yet(e))
                        return ross_err(err, e, "connect to %s", what);
                if (ross_guest_now_ms() >= end)
                        return ross_err(err, e, "connect to %s (for %d ms)", what, timeout_ms);
                nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
}

int ross_guest_channel_open(RossGuest *g, RossGuestChannel ch, int timeout_ms, int *ret_fd,
                            RossError *err)
{
        int r = g->krun ? socket_open(g, ch, timeout_ms, ret_fd, err)
                        : port_open(g, ch, timeout_ms, ret_fd, err);
        return r < 0 ? ross_err_prefix(err, "the %s channel", channels[ch].name) : 0;
}
