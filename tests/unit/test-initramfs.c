/* SPDX-License-Identifier: Apache-2.0 */
/* The guest initramfs: the modules Ross's devices need, with their dependencies, in load
 * order, from a kernel's modules.dep; the cpio archive and its cache. */
#include <stdlib.h>
#include <sys/stat.h>

#include "basic/buf.h"
#include "basic/fileio.h"
#include "tap.h"
#include "vm/initramfs.h"

static void put(const char *dir, const char *rel, const char *text)
{
        char *p = xasprintf("%s/%s", dir, rel);
        char *d = xstrdup(p);
        *strrchr(d, '/') = '\0';
        ross_mkdir_p(d, 0755, NULL);
        ross_write_file_atomic(p, text, strlen(text), 0644, NULL);
        free(d);
        free(p);
}

static int index_of(char **v, const char *s)
{
        for (int i = 0; v && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return i;
        return -1;
}

/* The names of a newc archive's entries, space-separated. */
static char *cpio_names(const char *path)
{
        char *data = NULL;
        size_t len = 0, pos = 0;
        if (ross_read_file(path, 64 * 1024 * 1024, &data, &len, NULL) < 0)
                return NULL;
        RossBuf names = {};
        while (pos + 110 <= len && strncmp(data + pos, "070701", 6) == 0) {
                char f[9] = {0};
                memcpy(f, data + pos + 54, 8);
                size_t fsize = strtoul(f, NULL, 16);
                memcpy(f, data + pos + 94, 8);
                size_t nsize = strtoul(f, NULL, 16);
                const char *name = data + pos + 110;
                ross_buf_printf(&names, "%s%s", names.len ? " " : "", name);
                pos = (pos + 110 + nsize + 3) & ~(size_t)3;
                pos = (pos + fsize + 3) & ~(size_t)3;
                if (strcmp(name, "TRAILER!!!") == 0)
                        break;
        }
        free(data);
        return ross_buf_steal(&names);
}

int main(void)
{
        char tmpl[] = "/tmp/ross-test-initramfs.XXXXXX";
        char *dir = mkdtemp(tmpl);
        char *mods = xasprintf("%s/modules", dir);
        /* modules.dep as depmod writes it: each module's dependencies, the deepest last */
        put(mods, "modules.dep",
            "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko "
            "kernel/fs/netfs/netfs.ko\n"
            "kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko "
            "kernel/drivers/virtio/virtio_ring.ko\n"
            "kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko "
            "kernel/drivers/virtio/virtio_ring.ko\n"
            "kernel/net/9p/9pnet.ko:\n"
            "kernel/fs/netfs/netfs.ko:\n"
            "kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko\n"
            "kernel/drivers/virtio/virtio.ko:\n"
            "kernel/drivers/virtio/virtio_ring.ko:\n"
            "kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko "
            "kernel/drivers/virtio/virtio_ring.ko\n"
            "kernel/sound/other.ko:\n");
        const char *kos[] = {"kernel/fs/9p/9p.ko",
                             "kernel/drivers/virtio/virtio_mmio.ko",
                             "kernel/drivers/char/virtio_console.ko",
                             "kernel/net/9p/9pnet.ko",
                             "kernel/fs/netfs/netfs.ko",
                             "kernel/fs/fscache/fscache.ko",
                             "kernel/drivers/virtio/virtio.ko",
                             "kernel/drivers/virtio/virtio_ring.ko",
                             "kernel/net/9p/9pnet_virtio.ko"};
        for (size_t i = 0; i < sizeof(kos) / sizeof(kos[0]); i++)
                put(mods, kos[i],
                    "\x7f"
                    "ELF module");

        char **v = NULL;
        RossError err = {};
        ok(ross_initramfs_modules(mods, &v, &err) == 0, "modules resolved: %s", err.msg);
        int n = 0;
        while (v && v[n])
                n++;
        ok(n == 9, "the four wanted modules and their five dependencies, once each (%d)", n);
        ok(index_of(v, "kernel/sound/other.ko") < 0, "nothing else");
        ok(index_of(v, "kernel/drivers/virtio/virtio.ko") <
                           index_of(v, "kernel/drivers/virtio/virtio_mmio.ko") &&
                   index_of(v, "kernel/drivers/virtio/virtio_ring.ko") <
                           index_of(v, "kernel/drivers/virtio/virtio_mmio.ko"),
           "virtio and virtio_ring before virtio_mmio");
        ok(index_of(v, "kernel/fs/netfs/netfs.ko") < index_of(v, "kernel/fs/fscache/fscache.ko") &&
                   index_of(v, "kernel/fs/fscache/fscache.ko") <
                           index_of(v, "kernel/fs/9p/9p.ko") &&
                   index_of(v, "kernel/net/9p/9pnet.ko") < index_of(v, "kernel/fs/9p/9p.ko"),
           "netfs before fscache before 9p; 9pnet before 9p");
        ross_strv_free(v);

        /* virtio-fs is taken when the kernel has it (with fuse before it), not needed */
        char *fs = xasprintf("%s/fs", dir);
        put(fs, "modules.dep",
            "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko\n"
            "kernel/drivers/virtio/virtio_mmio.ko:\n"
            "kernel/drivers/char/virtio_console.ko:\n"
            "kernel/net/9p/9pnet.ko:\n"
            "kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko\n"
            "kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko\n"
            "kernel/fs/fuse/fuse.ko:\n");
        v = NULL;
        err = (RossError){};
        ok(ross_initramfs_modules(fs, &v, &err) == 0, "with virtiofs: resolved: %s", err.msg);
        n = 0;
        while (v && v[n])
                n++;
        ok(n == 7 && index_of(v, "kernel/fs/fuse/fuse.ko") >= 0 &&
                   index_of(v, "kernel/fs/fuse/fuse.ko") <
                           index_of(v, "kernel/fs/fuse/virtiofs.ko"),
           "virtiofs and fuse taken, fuse first (%d)", n);
        ross_strv_free(v);
        free(fs);

        /* a module missing from modules.dep is named */
        char *bad = xasprintf("%s/bad", dir);
        put(bad, "modules.dep", "kernel/drivers/virtio/virtio.ko:\n");
        v = NULL;
        err = (RossError){};
        ok(ross_initramfs_modules(bad, &v, &err) == -ENOENT && strstr(err.msg, "virtio_mmio"),
           "a missing module is named: %s", err.msg);

        /* the archive: /init, /dev/console, the modules in order; cached by content */
        char *init = xasprintf("%s/ross-init", dir);
        put(dir, "ross-init", "#!init v1");
        char *cache = xasprintf("%s/cache", dir);
        RossInitramfsSpec s = {.init_path = init, .modules_dir = mods, .cache_dir = cache};
        char *path = NULL, *again = NULL;
        err = (RossError){};
        ok(ross_initramfs_get(&s, &path, &err) == 0, "built: %s", err.msg);
        char *names = cpio_names(path);
        ok(names && strstr(names, " init ") && strstr(names, "dev/console") &&
                   strstr(names, "modules/00-") && strstr(names, "modules/08-") &&
                   strstr(names, "TRAILER!!!"),
           "init, dev/console, modules/00.. to 08..: %s", names);
        ok(names && strstr(names, "virtio_mmio.ko") > strstr(names, "-virtio.ko"),
           "numbered in load order");
        struct stat st1, st2;
        stat(path, &st1);
        ok(ross_initramfs_get(&s, &again, NULL) == 0 && strcmp(path, again) == 0, "cached");
        stat(again, &st2);
        ok(st1.st_ino == st2.st_ino, "not built again");
        free(again);
        put(dir, "ross-init", "#!init v2");
        again = NULL;
        ok(ross_initramfs_get(&s, &again, NULL) == 0 && strcmp(path, again) != 0,
           "a new ross-init: a new initramfs");
        s.modules_dir = NULL;
        free(again);
        again = NULL;
        ok(ross_initramfs_get(&s, &again, NULL) == 0, "no modules directory: built anyway");
        free(names);
        names = again ? cpio_names(again) : NULL;
        ok(names && !strstr(names, "modules/0"), "and holds no module");
        free(names);
        free(again);
        free(path);
        free(mods);
        free(bad);
        free(init);
        free(cache);
        char *rm = xasprintf("rm -rf %s", dir);
        if (system(rm) != 0)
                return 1;
        free(rm);
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
