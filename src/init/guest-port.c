/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding a virtio-serial port by its name: /sys/class/virtio-ports/vportNpM/name holds the
 * name the host gave it, /dev/vportNpM is the device. The ports appear a moment after
 * virtio_console is loaded (the host announces them over the device's control queue), so
 * this waits.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "../basic/fileio.h"
#include "guest.h"

#define PORTS_DIR       "/sys/class/virtio-ports"
#define PORTS_DEBUG_DIR "/sys/kernel/debug/virtio-ports"

/* One look: the device path, or NULL. */
static char *port_lookup(const char *name)
{
        DIR *d = opendir(PORTS_DIR);
        if (!d)
                return NULL;
        char *found = NULL;
        struct dirent *de;
        while (!found && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = xasprintf(PORTS_DIR "/%s/name", de->d_name);
                _cleanup_free_ char *v = NULL;
                size_t n;
                if (ross_read_file(p, 4096, &v, &n, NULL) < 0)
                        continue;
                if (n && v[n - 1] == '\n')
                        v[--n] = '\0';
                if (!STREQ(v, name))
                        continue;
                _cleanup_free_ char *dev = xasprintf("/dev/%s", de->d_name);
                struct stat st;
                /* devtmpfs makes the node when the port registers, the name comes after */
                if (stat(dev, &st) == 0 && S_ISCHR(st.st_mode))
                        found = TAKE_PTR(dev);
        }
        closedir(d);
        return found;
}

int ross_guest_port_find(const char *name, int timeout_ms, char **ret, RossError *err)
{
        int64_t end = ross_guest_now_ms() + timeout_ms;
        for (;;) {
                char *dev = port_lookup(name);
                if (dev) {
                        *ret = dev;
                        return 0;
                }
                if (ross_guest_now_ms() >= end)
                        return ross_errx(err, ENOENT,
                                         "no virtio-serial port named \"%s\" (after %d ms)", name,
                                         timeout_ms);
                nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
        }
}

int ross_guest_port_host_seen(const char *dev)
{
        const char *base = strrchr(dev, '/');
        _cleanup_free_ char *p = xasprintf(PORTS_DEBUG_DIR "/%s", base ? base + 1 : dev);
        _cleanup_free_ char *text = NULL;
        int r = ross_read_file(p, 4096, &text, NULL, NULL);
        if (r < 0)
                return r;
        const char *c = strstr(text, "host_connected: ");
        const char *b = strstr(text, "bytes_received: ");
        if (!c || !b)
                return -EINVAL;
        return c[16] == '1' || (b[16] >= '1' && b[16] <= '9');
}
