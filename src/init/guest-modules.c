/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel modules the host put in the initramfs, /modules/NN-name.ko: the host resolved
 * their dependencies and numbered them in load order, so this is no modprobe. What kmod
 * would add, it adds: the "name.param=value" items of the kernel command line as the
 * module's parameters (virtio_mmio.device=... is the one that matters: QEMU's microvm puts
 * its devices there when it has no ACPI).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "guest.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define CMDLINE_MAX (64 * 1024)

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "03-virtio_mmio.ko" -> "virtio_mmio" (dashes as underscores, as the kernel names it);
 * NULL when the file is no module. *ret_compressed for .ko.xz, .ko.zst, .ko.gz. */
static char *module_name(const char *file, bool *ret_compressed)
{
        static const char *const exts[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
        size_t len = strlen(file), ext = 0;
        for (size_t i = 0; i < ELEMENTSOF(exts); i++) {
                size_t n = strlen(exts[i]);
                if (len > n && STREQ(file + len - n, exts[i])) {
                        ext = n;
                        *ret_compressed = i > 0;
                }
        }
        if (!ext)
                return NULL;
        const char *s = file;
        size_t digits = strspn(s, "0123456789");
        if (digits && s[digits] == '-')
                s += digits + 1;
        char *name = xstrndup(s, len - ext - (size_t)(s - file));
        for (char *p = name; *p; p++)
                if (*p == '-')
                        *p = '_';
        return name;
}

/* The kernel command line's "MODULE.x=y" items for module, as "x=y x2=y2". The kernel splits
 * on spaces outside double quotes; after "--" the rest is init's. */
static char *module_params(const char *cmdline, const char *module)
{
        RossBuf out = {};
        size_t mlen = strlen(module);
        const char *p = cmdline;
        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                if (!*p)
                        break;
                const char *start = p;
                bool quoted = false;
                for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++)
                        if (*p == '"')
                                quoted = !quoted;
                size_t n = (size_t)(p - start);
                if (n == 2 && strncmp(start, "--", 2) == 0)
                        break;
                if (n <= mlen + 1 || start[mlen] != '.')
                        continue;
                bool same = true;
                for (size_t i = 0; i < mlen && same; i++) {
                        char c = start[i] == '-' ? '_' : start[i];
                        same = c == module[i];
                }
                if (!same)
                        continue;
                if (out.len)
                        ross_buf_append(&out, " ", 1);
                ross_buf_append(&out, start + mlen + 1, n - mlen - 1);
        }
        return ross_buf_steal(&out);
}

static void load_one(RossGuest *g, int dfd, const char *file, const char *cmdline)
{
        bool compressed = false;
        _cleanup_free_ char *name = module_name(file, &compressed);
        if (!name)
                return;
        _cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                ross_guest_log(g, "module %s: open: %s", file, strerror(errno));
                return;
        }
        _cleanup_free_ char *params = module_params(cmdline, name);
        if (syscall(SYS_finit_module, fd, params, compressed ? MODULE_INIT_COMPRESSED_FILE : 0) <
                    0 &&
            errno != EEXIST)
                ross_guest_log(g, "module %s: load: %s", file, strerror(errno));
}

void ross_guest_load_modules(RossGuest *g, const char *dir)
{
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        ross_guest_log(g, "modules %s: %s", dir, strerror(errno));
                return;
        }
        char **files = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.') {
                        files = xrealloc(files, (n + 1) * sizeof(char *));
                        files[n++] = xstrdup(de->d_name);
                }
        if (n)
                qsort(files, n, sizeof(char *), cmp_str);

        _cleanup_free_ char *cmdline = NULL;
        if (ross_read_file("/proc/cmdline", CMDLINE_MAX, &cmdline, NULL, NULL) < 0)
                cmdline = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                load_one(g, dirfd(d), files[i], cmdline);
                free(files[i]);
        }
        free(files);
}
