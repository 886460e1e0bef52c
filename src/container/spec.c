/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/parse.h"
#include "../unpack/resolve.h"
#include "spec.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void ross_process_spec_free(RossProcessSpec *p)
{
        json_decref(p->args);
        json_decref(p->env);
        free(p->cwd);
        free(p->user);
        memset(p, 0, sizeof(*p));
}

void ross_ids_free(RossIds *ids)
{
        free(ids->groups);
        *ids = (RossIds){};
}

bool ross_json_strings(json_t *a)
{
        json_t *v;
        size_t i;
        if (!json_is_array(a))
                return false;
        json_array_foreach (a, i, v)
                if (!json_is_string(v))
                        return false;
        return true;
}

static size_t key_len(const char *kv)
{
        const char *eq = strchr(kv, '=');
        return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* Set kv in env, replacing an entry with the same key. */
void ross_env_set(json_t *env, const char *kv)
{
        json_t *v;
        size_t i, kl = key_len(kv);
        json_array_foreach (env, i, v) {
                const char *s = json_string_value(v);
                if (key_len(s) == kl && strncmp(s, kv, kl) == 0) {
                        json_array_set_new(env, i, json_string(kv));
                        return;
                }
        }
        json_array_append_new(env, json_string(kv));
}

int ross_process_merge(json_t *image_config, json_t *user_entrypoint, json_t *user_cmd,
                       json_t *user_env, const char *user_workdir, const char *user_user,
                       RossProcessSpec *ret, RossError *err)
{
        json_t *ic = json_object_get(image_config, "config");
        json_t *img_ep = json_object_get(ic, "Entrypoint");
        json_t *img_cmd = json_object_get(ic, "Cmd");
        json_t *img_env = json_object_get(ic, "Env");
        json_t *ep, *cmd, *v;
        size_t i;

        if ((user_entrypoint && !json_is_null(user_entrypoint) &&
             !ross_json_strings(user_entrypoint)) ||
            (user_cmd && !json_is_null(user_cmd) && !ross_json_strings(user_cmd)) ||
            (user_env && !json_is_null(user_env) && !ross_json_strings(user_env)))
                return ross_errx(err, EINVAL, "Entrypoint, Cmd and Env must be arrays of strings");

        bool ep_given = user_entrypoint && !json_is_null(user_entrypoint);
        bool cmd_given = user_cmd && !json_is_null(user_cmd) && json_array_size(user_cmd) > 0;
        ep = ep_given ? user_entrypoint : (ross_json_strings(img_ep) ? img_ep : NULL);
        /* --entrypoint clears the image's Cmd */
        cmd = cmd_given ? user_cmd : (!ep_given && ross_json_strings(img_cmd) ? img_cmd : NULL);

        json_t *args = json_array();
        json_array_foreach (ep, i, v)
                json_array_append(args, v);
        json_array_foreach (cmd, i, v)
                json_array_append(args, v);
        if (json_array_size(args) == 0 || STR_EMPTY(json_string_value(json_array_get(args, 0)))) {
                json_decref(args);
                return ross_errx(err, EINVAL, "no command specified");
        }

        json_t *env = json_array();
        json_array_foreach (ross_json_strings(img_env) ? img_env : NULL, i, v)
                ross_env_set(env, json_string_value(v));
        json_array_foreach (user_env, i, v) {
                const char *kv = json_string_value(v);
                if (!strchr(kv, '=')) {
                        /* "-e KEY" without a value: take it from the image if there */
                        continue;
                }
                ross_env_set(env, kv);
        }
        bool has_path = false;
        json_array_foreach (env, i, v)
                if (strncmp(json_string_value(v), "PATH=", 5) == 0)
                        has_path = true;
        if (!has_path)
                json_array_insert_new(env, 0, json_string(DEFAULT_PATH));

        const char *img_wd = json_string_value(json_object_get(ic, "WorkingDir"));
        const char *img_user = json_string_value(json_object_get(ic, "User"));
        const char *wd =
                !STR_EMPTY(user_workdir) ? user_workdir : (!STR_EMPTY(img_wd) ? img_wd : "/");
        if (wd[0] != '/') {
                json_decref(args);
                json_decref(env);
                return ross_errx(err, EINVAL, "the working directory '%s' is not absolute", wd);
        }
        ret->args = args;
        ret->env = env;
        ret->cwd = xstrdup(wd);
        ret->user = xstrdup(!STR_EMPTY(user_user) ? user_user : (img_user ? img_user : ""));
        return 0;
}

/* Read a file of the rootfs (never following a symlink out of it). */
static char *read_in_root(int rootfd, const char *dir, const char *name)
{
        RossError e = {};
        _cleanup_close_ int dfd = ross_resolve_dir(rootfd, dir, 0, &e);
        if (dfd < 0)
                return NULL;
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        RossBuf b = {.cap = 4 * 1024 * 1024};
        char buf[8192];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (ross_buf_append(&b, buf, (size_t)n) < 0)
                        break;
        return ross_buf_steal(&b);
}

static bool parse_u32(const char *s, uint32_t *ret)
{
        uint64_t v;
        if (ross_parse_u64(s, UINT32_MAX, &v) < 0)
                return false;
        *ret = (uint32_t)v;
        return true;
}

/* Field `col` (0-based) of the colon-separated line whose field `key_col` is key. */
static bool find_line(const char *text, const char *key, int key_col, char ***ret_fields)
{
        const char *line = text;
        while (line && *line) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                _cleanup_free_ char *copy = xstrndup(line, len);
                char *fields[8] = {0};
                int nf = 0;
                char *p = copy;
                while (nf < 8) {
                        fields[nf++] = p;
                        p = strchr(p, ':');
                        if (!p)
                                break;
                        *p++ = '\0';
                }
                if (nf > key_col && STREQ(fields[key_col], key)) {
                        char **out = xcalloc(9, sizeof(char *));
                        for (int i = 0; i < nf; i++)
                                out[i] = xstrdup(fields[i]);
                        *ret_fields = out;
                        return true;
                }
                line = nl ? nl + 1 : NULL;
        }
        return false;
}

static void strv_free(char **v)
{
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

int ross_resolve_user(int rootfd, const char *user, RossIds *ret, RossError *err)
{
        _cleanup_free_ char *passwd = read_in_root(rootfd, "etc", "passwd");
        _cleanup_free_ char *group = read_in_root(rootfd, "etc", "group");
        _cleanup_free_ char *u = xstrdup(STR_EMPTY(user) ? "0" : user);
        char *g = strchr(u, ':');
        char **f = NULL;
        const char *uname = NULL;
        RossIds ids = {};

        if (g)
                *g++ = '\0';
        if (parse_u32(u, &ids.uid)) {
                _cleanup_free_ char *key = xasprintf("%u", ids.uid);
                if (passwd && find_line(passwd, key, 2, &f)) {
                        parse_u32(f[3] ? f[3] : "0", &ids.gid);
                        uname = f[0];
                }
        } else if (passwd && find_line(passwd, u, 0, &f) && f[2] && f[3] &&
                   parse_u32(f[2], &ids.uid) && parse_u32(f[3], &ids.gid)) {
                uname = f[0];
        } else {
                strv_free(f);
                return ross_errx(err, ENOENT,
                                 "unable to find user %s: no matching entries in passwd file", u);
        }
        if (g) {
                char **gf = NULL;
                if (!parse_u32(g, &ids.gid)) {
                        if (!group || !find_line(group, g, 0, &gf) || !gf[2] ||
                            !parse_u32(gf[2], &ids.gid)) {
                                strv_free(gf);
                                strv_free(f);
                                return ross_errx(err, ENOENT,
                                                 "unable to find group %s: no matching entries "
                                                 "in group file",
                                                 g);
                        }
                }
                strv_free(gf);
        }
        /* supplementary groups: every group listing the user by name */
        if (uname && group) {
                const char *line = group;
                while (line && *line) {
                        const char *nl = strchr(line, '\n');
                        _cleanup_free_ char *copy =
                                xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
                        char *name = copy, *x = strchr(name, ':');
                        char *gid = x ? strchr(x + 1, ':') : NULL;
                        char *members = gid ? strchr(gid + 1, ':') : NULL;
                        uint32_t n;
                        if (members) {
                                *members++ = '\0';
                                *gid++ = '\0';
                                char *save = NULL;
                                for (char *m = strtok_r(members, ",", &save); m;
                                     m = strtok_r(NULL, ",", &save))
                                        if (STREQ(m, uname) && parse_u32(gid, &n) && n != ids.gid &&
                                            ids.n_groups < 64) {
                                                ids.groups = xrealloc(ids.groups,
                                                                      (ids.n_groups + 1) *
                                                                              sizeof(uint32_t));
                                                ids.groups[ids.n_groups++] = n;
                                        }
                        }
                        line = nl ? nl + 1 : NULL;
                }
        }
        strv_free(f);
        *ret = ids;
        return 0;
}

/* Supplementary groups are capped as Linux caps NGROUPS_MAX, well below. */
#define GROUPS_MAX 1024

static void add_group(RossIds *ids, uint32_t gid)
{
        for (size_t i = 0; i < ids->n_groups; i++)
                if (ids->groups[i] == gid)
                        return;
        ids->groups = xrealloc(ids->groups, (ids->n_groups + 1) * sizeof(uint32_t));
        ids->groups[ids->n_groups++] = gid;
}

int ross_resolve_groups(int rootfd, json_t *group_add, RossIds *ids, RossError *err)
{
        _cleanup_free_ char *group = NULL;
        json_t *v;
        size_t i;
        if (json_array_size(group_add) + ids->n_groups > GROUPS_MAX)
                return ross_errx(err, EINVAL, "too many supplementary groups (at most %d)",
                                 GROUPS_MAX);
        json_array_foreach (group_add, i, v) {
                const char *g = json_string_value(v);
                uint32_t gid;
                if (STR_EMPTY(g))
                        return ross_errx(err, EINVAL, "GroupAdd: an empty group name");
                if (parse_u32(g, &gid)) {
                        add_group(ids, gid);
                        continue;
                }
                if (!group)
                        group = read_in_root(rootfd, "etc", "group");
                char **gf = NULL;
                bool found =
                        group && find_line(group, g, 0, &gf) && gf[2] && parse_u32(gf[2], &gid);
                strv_free(gf);
                if (!found)
                        return ross_errx(err, ENOENT,
                                         "Unable to find group %s: no matching entries in group "
                                         "file",
                                         g);
                add_group(ids, gid);
        }
        return 0;
}

int ross_resolve_ids(const char *rootfs, const char *user, json_t *group_add, RossIds *ret,
                     RossError *err)
{
        _cleanup_close_ int rfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0)
                return ross_err(err, errno, "open the rootfs '%s'", rootfs);
        _cleanup_(ross_ids_free) RossIds ids = {};
        int r;
        if ((r = ross_resolve_user(rfd, user, &ids, err)) < 0 ||
            (r = ross_resolve_groups(rfd, group_add, &ids, err)) < 0)
                return r;
        *ret = ids;
        ids = (RossIds){};
        return 0;
}

char *ross_ids_groups_string(const RossIds *ids)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        for (size_t k = 0; k < ids->n_groups; k++)
                ross_buf_printf(&b, "%s%u", k ? "," : "", ids->groups[k]);
        return b.data ? TAKE_PTR(b.data) : xstrdup("");
}

/* Docker's default capabilities. */
static const char *const default_caps[] = {
        "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",    "CAP_AUDIT_WRITE",
};

static const char *const masked_paths[] = {
        "/proc/asound",
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *strs(const char *const *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *mount_entry(const char *dst, const char *type, const char *src, const char *opts_csv)
{
        json_t *opts = json_array();
        _cleanup_free_ char *copy = xstrdup(opts_csv);
        char *save = NULL;
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
                json_array_append_new(opts, json_string(o));
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
                         "options", opts);
}

json_t *ross_spec_build(const RossSpecOptions *o)
{
        /* the daemon's own open-file limits, as Docker passes them on */
        struct rlimit nofile = {1024, 1024};
        getrlimit(RLIMIT_NOFILE, &nofile);
        json_t *caps = strs(default_caps, ELEMENTSOF(default_caps));
        json_t *groups = json_array();
        for (size_t i = 0; i < o->ids->n_groups; i++)
                json_array_append_new(groups, json_integer(o->ids->groups[i]));

        json_t *process = json_pack(
                "{s:b, s:{s:I, s:I, s:o}, s:O, s:O, s:s, s:{s:o, s:O, s:O, s:O}, s:[{s:s, s:I, "
                "s:I}], s:b}",
                "terminal", o->process->terminal, "user", "uid", (json_int_t)o->ids->uid, "gid",
                (json_int_t)o->ids->gid, "additionalGids", groups, "args", o->process->args, "env",
                o->process->env, "cwd", o->process->cwd, "capabilities", "bounding", caps,
                "effective", caps, "permitted", caps, "inheritable", caps, "rlimits", "type",
                "RLIMIT_NOFILE", "hard", (json_int_t)nofile.rlim_max, "soft",
                (json_int_t)nofile.rlim_max, "noNewPrivileges", 1);

        json_t *mounts = json_array();
        json_array_append_new(mounts, mount_entry("/proc", "proc", "proc", "nosuid,noexec,nodev"));
        json_array_append_new(mounts, mount_entry("/dev", "tmpfs", "tmpfs",
                                                  "nosuid,strictatime,mode=755,size=65536k"));
        json_array_append_new(mounts, mount_entry("/dev/pts", "devpts", "devpts",
                                                  "nosuid,noexec,newinstance,ptmxmode=0666,"
                                                  "mode=0620,gid=5"));
        json_array_append_new(mounts,
                              mount_entry("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
        json_array_append_new(mounts, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
                                                  "nosuid,noexec,nodev,relatime,ro"));
        json_array_append_new(
                mounts, mount_entry("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
        json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm",
                                                  "nosuid,noexec,nodev,mode=1777,size=65536k"));
        if (o->etc_hosts)
                json_array_append_new(
                        mounts, mount_entry("/etc/hosts", "bind", o->etc_hosts, "rbind,rprivate"));
        if (o->etc_hostname)
                json_array_append_new(mounts, mount_entry("/etc/hostname", "bind", o->etc_hostname,
                                                          "rbind,rprivate"));
        if (o->etc_resolv)
                json_array_append_new(mounts, mount_entry("/etc/resolv.conf", "bind", o->etc_resolv,
                                                          "rbind,rprivate"));
        json_t *b;
        size_t i;
        json_array_foreach (o->binds, i, b) {
                bool ro = json_is_true(json_object_get(b, "readonly"));
                json_array_append_new(
                        mounts, mount_entry(json_string_value(json_object_get(b, "destination")),
                                            "bind", json_string_value(json_object_get(b, "source")),
                                            ro ? "rbind,rprivate,ro" : "rbind,rprivate"));
        }
        json_array_foreach (o->tmpfs, i, b) {
                const char *spec = json_string_value(b);
                const char *colon = strchr(spec, ':');
                _cleanup_free_ char *dst =
                        colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
                _cleanup_free_ char *opts =
                        xasprintf("nosuid,nodev%s%s", colon ? "," : "", colon ? colon + 1 : "");
                json_array_append_new(mounts, mount_entry(dst, "tmpfs", "tmpfs", opts));
        }

        json_t *ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "ipc",
                               "type", "uts", "type", "mount", "type", "cgroup");
        if (o->netns)
                json_array_append_new(ns,
                                      json_pack("{s:s, s:s}", "type", "network", "path", o->netns));
        else if (!o->host_network)
                json_array_append_new(ns, json_pack("{s:s}", "type", "network"));

        json_t *resources = json_object();
        json_object_set_new(resources, "devices",
                            json_pack("[{s:b, s:s}]", "allow", 0, "access", "rwm"));
        if (o->memory > 0)
                json_object_set_new(resources, "memory",
                                    json_pack("{s:I}", "limit", (json_int_t)o->memory));
        if (o->nano_cpus > 0)
                json_object_set_new(resources, "cpu",
                                    json_pack("{s:I, s:I}", "quota",
                                              (json_int_t)(o->nano_cpus / 10000), "period",
                                              (json_int_t)100000));
        if (o->pids_limit > 0)
                json_object_set_new(resources, "pids",
                                    json_pack("{s:I}", "limit", (json_int_t)o->pids_limit));

        json_t *linux_ =
                json_pack("{s:o, s:o, s:o, s:o}", "namespaces", ns, "resources", resources,
                          "maskedPaths", strs(masked_paths, ELEMENTSOF(masked_paths)),
                          "readonlyPaths", strs(readonly_paths, ELEMENTSOF(readonly_paths)));
        if (o->cgroup_path)
                json_object_set_new(linux_, "cgroupsPath", json_string(o->cgroup_path));

        return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2",
                         "process", process, "root", "path", o->rootfs, "readonly",
                         o->readonly_rootfs, "hostname", o->hostname ? o->hostname : "", "mounts",
                         mounts, "linux", linux_);
}
