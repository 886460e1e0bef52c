/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's own messages, and its way out: the console (the host keeps it as the VM's
 * console log), LOG and FAILED frames, power off. */
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../vm/proto.h"
#include "guest.h"

/* libkrun's VMM exits with the status its init puts in this ioctl on the root's virtio-fs
 * (init.c's set_exit_code: only where the root is virtio-fs), else with 0 */
#define KRUN_EXIT_CODE_IOCTL 0x7602
#define VIRTIOFS_MAGIC       0x65735546 /* FUSE's */

int64_t ross_guest_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void console_line(RossGuest *g, const char *msg)
{
        if (g->console < 0)
                return;
        struct iovec v[3] = {
                {.iov_base = (char *)"ross-init: ", .iov_len = 11},
                {.iov_base = (char *)msg, .iov_len = strlen(msg)},
                {.iov_base = (char *)"\n", .iov_len = 1},
        };
        /* one writev: a line is not torn by the kernel's own messages */
        ssize_t r = writev(g->console, v, 3);
        (void)r;
}

void ross_guest_log(RossGuest *g, const char *fmt, ...)
{
        char msg[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        console_line(g, msg);
        if (g->ctl >= 0)
                ross_guest_send(g, ROSS_VM_LOG, 0, msg, strlen(msg));
}

void ross_guest_fatal(RossGuest *g, int code, const char *fmt, ...)
{
        char msg[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        console_line(g, msg);
        if (g->ctl >= 0)
                ross_guest_send_failed(g, 0, code, msg);
        ross_guest_poweroff(g, code);
}

/* As PID 1 under libkrun (KRUN_INIT_PID1=1): what its init does for its child. */
static void krun_set_exit_code(int status)
{
        struct statfs fs;
        if (statfs("/", &fs) < 0 || fs.f_type != VIRTIOFS_MAGIC)
                return;
        _cleanup_close_ int fd = open("/", O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
                (void)ioctl(fd, KRUN_EXIT_CODE_IOCTL, status);
}

void ross_guest_poweroff(RossGuest *g, int status)
{
        /* what is queued for the host goes first: the EXIT or FAILED frame */
        ross_guest_flush(g, 5000);
        sync();
        /* libkrun's init, our parent, hands this status on to the VMM */
        if (!g->pid1)
                exit(status);
        if (g->krun)
                krun_set_exit_code(status);
        if (!g->reboot_to_stop)
                reboot(RB_POWER_OFF);
        reboot(RB_AUTOBOOT);
        /* PID 1 must not exit: that is a panic with nothing said */
        for (;;)
                pause();
}
