/* SPDX-License-Identifier: Apache-2.0 */
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "cgroups.h"

static bool fs_is(const char *path, long magic)
{
        struct statfs sf;
        return statfs(path, &sf) == 0 && sf.f_type == magic;
}

/* Kernel controller names are short lowercase words; anything else is left alone. */
static bool controller_name_ok(const char *s, size_t n)
{
        if (n == 0 || n > 32)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
                        return false;
        return true;
}

static int move_controller(const char *root, const char *name, RossError *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", root, name);
        bool made = false;

        if (mkdir(dir, 0755) == 0)
                made = true;
        else if (errno != EEXIST)
                return ross_err(err, errno, "mkdir %s", dir);
        if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, name) < 0) {
                int r = ross_err(err, errno, "mount -t cgroup -o %s cgroup %s", name, dir);
                if (made)
                        (void)rmdir(dir);
                return r;
        }
        return 0;
}

int ross_cgroups_prepare_crun(const char *root, char **ret_moved, RossError *err)
{
        _cleanup_free_ char *unified = xasprintf("%s/unified", root);
        _cleanup_free_ char *ctl_path = xasprintf("%s/cgroup.controllers", unified);
        _cleanup_free_ char *ctl = NULL;
        _cleanup_(ross_buf_free) RossBuf moved = {};
        _cleanup_(ross_buf_free) RossBuf failed = {};
        RossError first = {};

        /* Pure v2 or pure v1: crun is happy. Hybrid: only if v2 holds no controller. */
        if (fs_is(root, CGROUP2_SUPER_MAGIC) || !fs_is(unified, CGROUP2_SUPER_MAGIC)) {
                *ret_moved = NULL;
                return 0;
        }
        if (ross_read_file(ctl_path, 4096, &ctl, NULL, NULL) < 0) {
                *ret_moved = NULL;
                return 0;
        }
        for (const char *p = ctl; *p;) {
                size_t n = strcspn(p, " \n");
                if (n > 0) {
                        _cleanup_free_ char *name = xstrndup(p, n);
                        RossError e = {};
                        int r = controller_name_ok(name, n)
                                        ? move_controller(root, name, &e)
                                        : ross_errx(&e, EINVAL, "odd controller name");
                        RossBuf *into = r < 0 ? &failed : &moved;
                        if (into->len)
                                ross_buf_append(into, " ", 1);
                        ross_buf_append(into, name, n);
                        if (r < 0 && !first.code)
                                first = e;
                        log_debug("cgroups: %s %s to a v1 hierarchy of its own%s%s",
                                  r < 0 ? "could not move" : "moved", name, r < 0 ? ": " : "",
                                  r < 0 ? e.msg : "");
                }
                p += n;
                p += strspn(p, " \n");
        }
        if (failed.len) {
                return ross_errx(err, first.code ? first.code : EBUSY,
                                 "crun cannot run containers on this host: cgroups are in hybrid "
                                 "mode and the v2 hierarchy (%s) holds the controller(s) %s, "
                                 "which could not be moved to v1 hierarchies of their own (%s). "
                                 "Fix it with, for each: mkdir -p %s/NAME && mount -t cgroup "
                                 "-o NAME cgroup %s/NAME (after removing the v2 cgroups that "
                                 "use it), or use --runtime runc",
                                 unified, failed.data, first.msg, root, root);
        }
        *ret_moved = moved.len ? ross_buf_steal(&moved) : NULL;
        return 0;
}
