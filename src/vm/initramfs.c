/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../store/sha256.h"
#include "initramfs.h"

/* What Ross's guest needs from a stock kernel: the virtio-mmio transport (microvm), the
 * serial ports and console, 9p over virtio; and what it takes when the kernel has it:
 * virtio-fs (the root and volumes go over 9p with a kernel without it) and virtio-net (a
 * VM on a network). */
static const char *const wanted[] = {"virtio_mmio", "virtio_console", "9pnet_virtio", "9p", NULL};
static const char *const optional[] = {"virtiofs", "virtio_net", NULL};

void ross_strv_free(char **v)
{
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

static void strv_add(char ***v, size_t *n, const char *s)
{
        *v = xrealloc(*v, (*n + 2) * sizeof(**v));
        (*v)[(*n)++] = xstrdup(s);
        (*v)[*n] = NULL;
}

static bool strv_has(char **v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (STREQ(v[i], s))
                        return true;
        return false;
}

/* "kernel/fs/9p/9p.ko" is module "9p"; '-' and '_' are the same in module names. */
static bool is_module(const char *path, size_t len, const char *name)
{
        const char *slash = memrchr(path, '/', len);
        const char *base = slash ? slash + 1 : path;
        size_t bl = (size_t)(path + len - base);
        size_t nl = strlen(name);
        if (bl < 3 || strncmp(base + bl - 3, ".ko", 3) != 0 || bl - 3 != nl)
                return false;
        for (size_t i = 0; i < nl; i++) {
                char a = base[i] == '-' ? '_' : base[i], b = name[i] == '-' ? '_' : name[i];
                if (a != b)
                        return false;
        }
        return true;
}

/* The line of modules.dep for a module: "path: dep dep ..." */
static const char *dep_line(const char *dep, const char *name, size_t *ret_len)
{
        for (const char *l = dep; *l;) {
                const char *nl = strchr(l, '\n');
                size_t n = nl ? (size_t)(nl - l) : strlen(l);
                const char *colon = memchr(l, ':', n);
                if (colon && is_module(l, (size_t)(colon - l), name)) {
                        *ret_len = n;
                        return l;
                }
                l += n + (nl ? 1 : 0);
        }
        return NULL;
}

/* Add path's dependencies (modules.dep lists them, deepest last), then path. */
static void add_with_deps(const char *dep, const char *path, char ***v, size_t *n, int depth)
{
        if (strv_has(*v, *n, path) || depth > 32)
                return;
        for (const char *l = dep; *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) : strlen(l);
                const char *colon = memchr(l, ':', len);
                if (colon && (size_t)(colon - l) == strlen(path) &&
                    strncmp(l, path, strlen(path)) == 0) {
                        /* its dependencies, loaded before it, the last-listed first */
                        _cleanup_free_ char *deps =
                                strndup(colon + 1, len - (size_t)(colon + 1 - l));
                        char *words[64];
                        size_t k = 0;
                        char *save = NULL;
                        for (char *w = strtok_r(deps, " \t", &save); w && k < ELEMENTSOF(words);
                             w = strtok_r(NULL, " \t", &save))
                                words[k++] = w;
                        while (k > 0)
                                add_with_deps(dep, words[--k], v, n, depth + 1);
                        break;
                }
                l += len + (nl ? 1 : 0);
        }
        if (!strv_has(*v, *n, path))
                strv_add(v, n, path);
}

int ross_initramfs_modules(const char *modules_dir, char ***ret, RossError *err)
{
        _cleanup_free_ char *dep_path = xasprintf("%s/modules.dep", modules_dir);
        _cleanup_free_ char *dep = NULL;
        int r = ross_read_file(dep_path, 64 * 1024 * 1024, &dep, NULL, err);
        if (r < 0)
                return r;
        char **v = NULL;
        size_t n = 0;
        for (const char *const *w = wanted; *w; w++) {
                size_t len;
                const char *l = dep_line(dep, *w, &len);
                if (!l) {
                        ross_strv_free(v);
                        return ross_errx(err, ENOENT,
                                         "the kernel module %s is not in '%s' (the guest needs "
                                         "it; a kernel with it built in needs no modules)",
                                         *w, dep_path);
                }
                _cleanup_free_ char *path =
                        strndup(l, (size_t)((const char *)memchr(l, ':', len) - l));
                add_with_deps(dep, path, &v, &n, 0);
        }
        for (const char *const *w = optional; *w; w++) {
                size_t len;
                const char *l = dep_line(dep, *w, &len);
                if (!l)
                        continue;
                _cleanup_free_ char *path =
                        strndup(l, (size_t)((const char *)memchr(l, ':', len) - l));
                add_with_deps(dep, path, &v, &n, 0);
        }
        *ret = v;
        return 0;
}

/* ---- cpio "newc" ---- */

static void cpio_entry(RossBuf *b, const char *name, mode_t mode, unsigned rmaj, unsigned rmin,
                       const void *data, size_t len, unsigned ino)
{
        size_t nl = strlen(name) + 1;
        ross_buf_printf(b, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino,
                        (unsigned)mode, 0u, 0u, 1u, 0u, len, 0u, 0u, rmaj, rmin, nl, 0u);
        ross_buf_append(b, name, nl);
        while (b->len % 4)
                ross_buf_append(b, "", 1);
        if (len)
                ross_buf_append(b, data, len);
        while (b->len % 4)
                ross_buf_append(b, "", 1);
}

static int build(const RossInitramfsSpec *s, char **mods, const char *out, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        unsigned ino = 1;
        static const char *const dirs[] = {"dev",     "proc",    "sys", "cfg",
                                           "newroot", "modules", "run"};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                cpio_entry(&b, dirs[i], S_IFDIR | 0755, 0, 0, NULL, 0, ino++);
        /* the kernel opens it for init's stdio before anything is mounted */
        cpio_entry(&b, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0, ino++);
        _cleanup_free_ char *init = NULL;
        size_t len;
        int r = ross_read_file(s->init_path, 64 * 1024 * 1024, &init, &len, err);
        if (r < 0)
                return r;
        cpio_entry(&b, "init", S_IFREG | 0755, 0, 0, init, len, ino++);
        for (size_t i = 0; mods && mods[i]; i++) {
                _cleanup_free_ char *src = xasprintf("%s/%s", s->modules_dir, mods[i]);
                _cleanup_free_ char *data = NULL;
                if ((r = ross_read_file(src, 256 * 1024 * 1024, &data, &len, err)) < 0)
                        return r;
                const char *base = strrchr(mods[i], '/');
                _cleanup_free_ char *name =
                        xasprintf("modules/%02zu-%s", i, base ? base + 1 : mods[i]);
                cpio_entry(&b, name, S_IFREG | 0644, 0, 0, data, len, ino++);
        }
        cpio_entry(&b, "TRAILER!!!", 0, 0, 0, NULL, 0, 0);
        return ross_write_file_atomic(out, b.data, b.len, 0644, err);
}

/* Names the build: ross-init's bytes, the modules' paths, sizes and times. */
static void key_of(const RossInitramfsSpec *s, char **mods, char out[17])
{
        RossSha256 h;
        uint8_t md[ROSS_SHA256_SIZE];
        ross_sha256_init(&h);
        _cleanup_free_ char *init = NULL;
        size_t len = 0;
        if (ross_read_file(s->init_path, 64 * 1024 * 1024, &init, &len, NULL) == 0)
                ross_sha256_update(&h, init, len);
        for (size_t i = 0; mods && mods[i]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", s->modules_dir, mods[i]);
                struct stat st = {};
                (void)stat(p, &st);
                _cleanup_free_ char *line = xasprintf("%s %lld %lld\n", p, (long long)st.st_size,
                                                      (long long)st.st_mtime);
                ross_sha256_update(&h, line, strlen(line));
        }
        ross_sha256_final(&h, md);
        for (int i = 0; i < 8; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int ross_initramfs_get(const RossInitramfsSpec *s, char **ret_path, RossError *err)
{
        char **mods = NULL;
        int r;
        if (s->modules_dir) {
                r = ross_initramfs_modules(s->modules_dir, &mods, err);
                if (r < 0)
                        return r;
        }
        char key[17];
        key_of(s, mods, key);
        _cleanup_free_ char *path = xasprintf("%s/initramfs-%s.cpio", s->cache_dir, key);
        struct stat st;
        r = 0;
        if (stat(path, &st) < 0) {
                log_debug("building the guest initramfs %s (%s)", path,
                          s->modules_dir ? s->modules_dir : "no modules");
                if ((r = ross_mkdir_p(s->cache_dir, 0700, err)) == 0)
                        r = build(s, mods, path, err);
        }
        ross_strv_free(mods);
        if (r < 0)
                return ross_err_prefix(err, "the guest initramfs");
        *ret_path = TAKE_PTR(path);
        return 0;
}
