/* SPDX-License-Identifier: Apache-2.0 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "http.h"
#include "attach.h"

/* ---- the terminal ---- */

static struct termios saved_termios;
static bool termios_saved;

void ross_attach_restore_terminal(void)
{
        if (termios_saved)
                tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
        termios_saved = false;
}

static void raw_terminal(void)
{
        struct termios t;
        if (termios_saved || tcgetattr(STDIN_FILENO, &t) < 0)
                return;
        saved_termios = t;
        termios_saved = true;
        atexit(ross_attach_restore_terminal);
        /* all raw, output too: the container's pty already turns \n into \r\n */
        cfmakeraw(&t);
        tcsetattr(STDIN_FILENO, TCSADRAIN, &t);
}

static int append_body(void *ud, const char *p, size_t n)
{
        return ross_buf_append(ud, p, n) < 0 ? -1 : 0;
}

int ross_attach_open(RossClient *c, RossAttach *a, RossError *err)
{
        int r = ross_detach_keys_parse(a->detach_keys, &a->keys, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = ross_http_connect(c->socket_path, err);
        if (fd < 0)
                return fd;
        _cleanup_free_ char *keys =
                ross_client_escape(a->detach_keys ? a->detach_keys : ROSS_DETACH_KEYS_DEFAULT);
        _cleanup_free_ char *path =
                a->exec_id ? xasprintf("/exec/%s/start", a->exec_id)
                           : xasprintf("/containers/%s/attach?stream=1&stdin=%d&stdout=%d&"
                                       "stderr=%d&detachKeys=%s",
                                       a->id, a->in, a->out, a->err, keys);
        /* an exec's pty has the terminal's size from its first moment */
        struct winsize ws = {};
        bool sized = a->tty && (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ||
                                ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0);
        _cleanup_free_ char *size = sized && ws.ws_row && ws.ws_col
                                            ? xasprintf(",\"ConsoleSize\":[%u,%u]",
                                                        (unsigned)ws.ws_row, (unsigned)ws.ws_col)
                                            : xstrdup("");
        _cleanup_free_ char *req_body = a->exec_id ? xasprintf("{\"Detach\":false,\"Tty\":%s%s}",
                                                               a->tty ? "true" : "false", size)
                                                   : NULL;
        r = ross_http_send(fd, "POST", path, "Connection: Upgrade\r\nUpgrade: tcp\r\n", req_body,
                           req_body ? strlen(req_body) : 0);
        if (r < 0)
                return ross_err(err, -r, "attach: send POST %s", path);
        _cleanup_(ross_http_head_free) RossHttpHead head = {};
        r = ross_http_read_head(fd, &head, err);
        if (r < 0)
                return r;
        if (head.status != 101) {
                /* an error: {"message": "..."} in the body */
                _cleanup_(ross_buf_free) RossBuf body = {.cap = 64 * 1024};
                (void)ross_http_read_body(fd, &head, false, append_body, &body, NULL);
                json_auto_t *j = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
                const char *m = json_string_value(json_object_get(j, "message"));
                return ross_errx(err,
                                 head.status == 404   ? ENOENT
                                 : head.status == 409 ? EBUSY
                                                      : EIO,
                                 "%s", m ? m : "attach failed");
        }
        /* what came with the head is the stream's start */
        a->early = head.rest;
        head.rest = (RossBuf){};
        a->fd = TAKE_FD(fd);
        /* raw from here on: what the user types ahead goes to the container as typed */
        if (a->in && a->tty && isatty(STDIN_FILENO))
                raw_terminal();
        return 0;
}

static void send_size(RossClient *c, const RossAttach *a)
{
        struct winsize ws;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
                return;
        _cleanup_free_ char *path = a->exec_id
                                            ? xasprintf("/exec/%s/resize?h=%u&w=%u", a->exec_id,
                                                        (unsigned)ws.ws_row, (unsigned)ws.ws_col)
                                            : xasprintf("/containers/%s/resize?h=%u&w=%u", a->id,
                                                        (unsigned)ws.ws_row, (unsigned)ws.ws_col);
        (void)ross_client_json(c, "POST", path, NULL, NULL, NULL);
}

static void proxy_signal(RossClient *c, const RossAttach *a, int sig)
{
        _cleanup_free_ char *path = xasprintf("/containers/%s/kill?signal=%d", a->id, sig);
        (void)ross_client_json(c, "POST", path, NULL, NULL, NULL);
}

/* ---- copying ---- */

/* Docker's frames to our stdout and stderr; raw bytes with a tty. */
static bool take_output(RossBuf *b, bool tty, const char *p, size_t n)
{
        if (tty)
                return ross_write_all(STDOUT_FILENO, p, n) == 0;
        if (ross_buf_append(b, p, n) < 0)
                return false;
        size_t off = 0;
        while (b->len - off >= 8) {
                const unsigned char *h = (const unsigned char *)b->data + off;
                size_t len =
                        ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
                if (b->len - off - 8 < len)
                        break;
                (void)ross_write_all(h[0] == 2 ? STDERR_FILENO : STDOUT_FILENO, h + 8, len);
                off += 8 + len;
        }
        memmove(b->data, b->data + off, b->len - off);
        b->len -= off;
        return true;
}

int ross_attach_run(RossClient *c, RossAttach *a)
{
        bool term_in = a->in && a->tty && isatty(STDIN_FILENO);
        sigset_t mask, old;
        sigemptyset(&mask);
        sigaddset(&mask, SIGWINCH);
        bool proxy = a->sig_proxy && !a->tty;
        if (proxy) {
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGTERM);
                sigaddset(&mask, SIGHUP);
                sigaddset(&mask, SIGQUIT);
        }
        sigprocmask(SIG_BLOCK, &mask, &old);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (a->tty && isatty(STDOUT_FILENO))
                send_size(c, a);

        _cleanup_(ross_buf_free) RossBuf frames = {.cap = 2 * 1024 * 1024};
        char buf[65536], out[65536 + ROSS_DETACH_KEYS_MAX];
        bool in_open = a->in, detached = false;
        if (a->early.len)
                (void)take_output(&frames, a->tty, a->early.data, a->early.len);
        ross_buf_free(&a->early);
        for (;;) {
                struct pollfd p[3] = {{.fd = a->fd, .events = POLLIN},
                                      {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN}};
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[2].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGWINCH) {
                                        if (a->tty)
                                                send_size(c, a);
                                } else
                                        proxy_signal(c, a, (int)si.ssi_signo);
                        }
                }
                if (p[1].revents) {
                        ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));
                        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (k <= 0) {
                                /* the container's stdin ends with ours */
                                in_open = false;
                                shutdown(a->fd, SHUT_WR);
                        } else {
                                size_t on = 0;
                                /* the keys only make sense typed on a terminal */
                                bool hit = term_in && ross_detach_keys_feed(&a->keys, buf,
                                                                            (size_t)k, out, &on);
                                if (!term_in) {
                                        memcpy(out, buf, (size_t)k);
                                        on = (size_t)k;
                                }
                                if (on && ross_write_all(a->fd, out, on) < 0)
                                        in_open = false;
                                if (hit) {
                                        /* with a tty the daemon knows the keys too: they
                                         * are its to see, for its detach event (Docker's
                                         * CLI leaves the detach to the daemon); without,
                                         * they would be the container's input */
                                        if (a->tty)
                                                (void)ross_write_all(a->fd, a->keys.keys,
                                                                     a->keys.n);
                                        detached = true;
                                        break;
                                }
                        }
                }
                if (p[0].revents) {
                        ssize_t k = read(a->fd, buf, sizeof(buf));
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0 || !take_output(&frames, a->tty, buf, (size_t)k))
                                break;
                }
        }
        ross_attach_restore_terminal();
        close(a->fd);
        a->fd = -EBADF;
        if (sfd >= 0)
                close(sfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (detached) {
                /* as docker does, a line of its own after the raw session */
                fprintf(stderr, "\r\n");
                return 1;
        }
        return 0;
}

void ross_attach_close(RossAttach *a)
{
        if (a->fd >= 0)
                close(a->fd);
        a->fd = -EBADF;
        ross_buf_free(&a->early);
}
