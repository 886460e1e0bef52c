/* SPDX-License-Identifier: Apache-2.0 */
/* The container's and an exec's config, as the host wrote it (src/vm/proto.h). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>

#include "../basic/parse.h"
#include "../vm/proto.h"
#include "guest.h"

/* caps on what one config may hold: the host writes far less */
#define MAX_ITEMS    65536
#define MAX_GROUPS   65536
#define MAX_HOSTNAME 64

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        {"as", RLIMIT_AS},
        {"core", RLIMIT_CORE},
        {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},
        {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS},
        {"memlock", RLIMIT_MEMLOCK},
        {"msgqueue", RLIMIT_MSGQUEUE},
        {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},
        {"nproc", RLIMIT_NPROC},
        {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO},
        {"rttime", RLIMIT_RTTIME},
        {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK},
};

const char *ross_guest_rlimit_name(int resource)
{
        for (size_t i = 0; i < ELEMENTSOF(rlimit_names); i++)
                if (rlimit_names[i].resource == resource)
                        return rlimit_names[i].name;
        return "?";
}

void ross_guest_config_free(RossGuestConfig *c)
{
        for (size_t i = 0; i < c->n_argv; i++)
                free(c->argv[i]);
        free(c->argv);
        for (size_t i = 0; i < c->n_env; i++)
                free(c->envp[i]);
        free(c->envp);
        free(c->cwd);
        free(c->groups);
        free(c->hostname);
        free(c->net);
        for (size_t i = 0; i < c->n_volumes; i++) {
                free(c->volumes[i].tag);
                free(c->volumes[i].path);
        }
        free(c->volumes);
        for (size_t i = 0; i < c->n_tmpfs; i++) {
                free(c->tmpfs[i].path);
                free(c->tmpfs[i].data);
        }
        free(c->tmpfs);
        free(c->rlimits);
        *c = (RossGuestConfig){};
}

/* Append to a NULL-terminated array of strings (which keeps its terminator). */
static void strv_push(char ***v, size_t *n, char *s)
{
        *v = xrealloc(*v, (*n + 2) * sizeof(char *));
        (*v)[(*n)++] = s;
        (*v)[*n] = NULL;
}

/* An absolute path without ".." components, where the guest mounts something: its
 * normal form ("/a/b", "/" for the root), or NULL. */
static char *guest_path(const char *p)
{
        if (p[0] != '/' || strlen(p) >= PATH_MAX)
                return NULL;
        RossBuf out = {};
        for (const char *s = p; *s;) {
                while (*s == '/')
                        s++;
                size_t n = strcspn(s, "/");
                if (n == 2 && s[0] == '.' && s[1] == '.') {
                        ross_buf_free(&out);
                        return NULL;
                }
                if (n && !(n == 1 && s[0] == '.')) {
                        ross_buf_append(&out, "/", 1);
                        ross_buf_append(&out, s, n);
                }
                s += n;
        }
        if (!out.len)
                ross_buf_append(&out, "/", 1);
        return ross_buf_steal(&out);
}

static int parse_id(const char *s, uint32_t *ret)
{
        uint64_t v;
        /* (uid_t)-1 means "unchanged" to setuid: not an id */
        int r = ross_parse_u64(s, UINT32_MAX - 1, &v);
        if (r < 0)
                return r;
        *ret = (uint32_t)v;
        return 0;
}

static int parse_bool01(const char *s, bool *ret)
{
        if (STREQ(s, "0") || STREQ(s, "1")) {
                *ret = s[0] == '1';
                return 0;
        }
        return -EINVAL;
}

static int parse_groups(const char *s, RossGuestConfig *c)
{
        free(c->groups);
        c->groups = NULL;
        c->n_groups = 0;
        if (!*s)
                return 0;
        for (;;) {
                size_t n = strcspn(s, ",");
                _cleanup_free_ char *one = xstrndup(s, n);
                uint32_t g;
                if (parse_id(one, &g) < 0 || c->n_groups >= MAX_GROUPS)
                        return -EINVAL;
                c->groups = xrealloc(c->groups, (c->n_groups + 1) * sizeof(gid_t));
                c->groups[c->n_groups++] = g;
                if (!s[n])
                        return 0;
                s += n + 1;
        }
}

static int parse_rlim_value(const char *s, rlim_t *ret)
{
        uint64_t v;
        if (STREQ(s, "-1") || STREQ(s, "unlimited")) {
                *ret = RLIM_INFINITY;
                return 0;
        }
        int r = ross_parse_u64(s, UINT64_MAX, &v);
        if (r < 0)
                return r;
        *ret = v >= (uint64_t)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)v;
        return 0;
}

/* "NAME SOFT HARD" */
static int parse_rlimit(const char *v, RossGuestConfig *c, RossError *err)
{
        char name[16], soft[32], hard[32];
        int used = 0;
        if (sscanf(v, "%15s %31s %31s%n", name, soft, hard, &used) != 3 || v[used])
                return ross_errx(err, EINVAL, "rlimit \"%s\": not \"NAME SOFT HARD\"", v);
        size_t i;
        for (i = 0; i < ELEMENTSOF(rlimit_names); i++)
                if (STREQ(rlimit_names[i].name, name))
                        break;
        if (i == ELEMENTSOF(rlimit_names))
                return ross_errx(err, EINVAL, "rlimit \"%s\": unknown limit \"%s\"", v, name);
        RossGuestRlimit rl = {.resource = rlimit_names[i].resource};
        if (parse_rlim_value(soft, &rl.lim.rlim_cur) < 0 ||
            parse_rlim_value(hard, &rl.lim.rlim_max) < 0)
                return ross_errx(err, EINVAL, "rlimit \"%s\": bad number", v);
        if (rl.lim.rlim_cur > rl.lim.rlim_max)
                return ross_errx(err, EINVAL, "rlimit \"%s\": soft limit above hard limit", v);
        /* a later one for the same limit replaces the earlier, as Docker's --ulimit does */
        for (size_t j = 0; j < c->n_rlimits; j++)
                if (c->rlimits[j].resource == rl.resource) {
                        c->rlimits[j] = rl;
                        return 0;
                }
        c->rlimits = xrealloc(c->rlimits, (c->n_rlimits + 1) * sizeof(*c->rlimits));
        c->rlimits[c->n_rlimits++] = rl;
        return 0;
}

/* "TAG ro|rw GUEST-PATH" (the path may hold spaces) */
static int parse_volume(const char *v, RossGuestConfig *c, RossError *err)
{
        const char *sp1 = strchr(v, ' ');
        const char *mode = sp1 ? sp1 + 1 : NULL;
        const char *sp2 = mode ? strchr(mode, ' ') : NULL;
        if (!sp1 || sp1 == v || !sp2)
                return ross_errx(err, EINVAL, "volume \"%s\": not \"TAG ro|rw PATH\"", v);
        size_t mlen = (size_t)(sp2 - mode);
        bool ro;
        if (mlen == 2 && strncmp(mode, "ro", 2) == 0)
                ro = true;
        else if (mlen == 2 && strncmp(mode, "rw", 2) == 0)
                ro = false;
        else
                return ross_errx(err, EINVAL, "volume \"%s\": mode must be ro or rw", v);
        char *path = guest_path(sp2 + 1);
        if (!path || STREQ(path, "/")) {
                free(path);
                return ross_errx(err, EINVAL,
                                 "volume \"%s\": the path must be absolute, not /, without \"..\"",
                                 v);
        }
        c->volumes = xrealloc(c->volumes, (c->n_volumes + 1) * sizeof(*c->volumes));
        c->volumes[c->n_volumes++] = (RossGuestVolume){
                .tag = xstrndup(v, (size_t)(sp1 - v)),
                .path = path,
                .ro = ro,
        };
        return 0;
}

int ross_guest_tmpfs_options(const char *opts, unsigned long *ret_flags, char **ret_data,
                             RossError *err)
{
        static const struct {
                const char *name;
                unsigned long set, clear;
        } flags[] = {
                {"ro", MS_RDONLY, 0},
                {"rw", 0, MS_RDONLY},
                {"noexec", MS_NOEXEC, 0},
                {"exec", 0, MS_NOEXEC},
                {"nosuid", MS_NOSUID, 0},
                {"suid", 0, MS_NOSUID},
                {"nodev", MS_NODEV, 0},
                {"dev", 0, MS_NODEV},
                {"sync", MS_SYNCHRONOUS, 0},
                {"async", 0, MS_SYNCHRONOUS},
                {"dirsync", MS_DIRSYNC, 0},
                {"noatime", MS_NOATIME, 0},
                {"atime", 0, MS_NOATIME},
                {"nodiratime", MS_NODIRATIME, 0},
                {"diratime", 0, MS_NODIRATIME},
                {"relatime", MS_RELATIME, 0},
                {"norelatime", 0, MS_RELATIME},
                {"strictatime", MS_STRICTATIME, 0},
                {"nostrictatime", 0, MS_STRICTATIME},
        };
        /* propagation and Podman's copy-up words mean nothing here */
        static const char *const ignored[] = {
                "private",    "rprivate",    "shared",    "rshared",     "slave",    "rslave",
                "unbindable", "runbindable", "tmpcopyup", "notmpcopyup", "defaults",
        };
        /* Docker's defaults for --tmpfs; the options may lift them ("exec") */
        unsigned long f = MS_NOSUID | MS_NODEV | MS_NOEXEC;
        RossBuf data = {};

        for (const char *s = opts; s && *s;) {
                size_t n = strcspn(s, ",");
                _cleanup_free_ char *o = xstrndup(s, n);
                s += n + (s[n] == ',');
                if (!*o)
                        continue;
                bool done = false;
                for (size_t i = 0; i < ELEMENTSOF(flags) && !done; i++)
                        if (STREQ(o, flags[i].name)) {
                                f = (f & ~flags[i].clear) | flags[i].set;
                                done = true;
                        }
                for (size_t i = 0; i < ELEMENTSOF(ignored) && !done; i++)
                        done = STREQ(o, ignored[i]);
                if (done)
                        continue;
                if (!strchr(o, '=')) {
                        ross_buf_free(&data);
                        return ross_errx(err, EINVAL, "tmpfs option \"%s\" is not known", o);
                }
                if (data.len)
                        ross_buf_append(&data, ",", 1);
                ross_buf_append(&data, o, strlen(o));
        }
        *ret_flags = f;
        *ret_data = ross_buf_steal(&data);
        return 0;
}

/* "PATH[:OPTIONS]" */
static int parse_tmpfs(const char *v, RossGuestConfig *c, RossError *err)
{
        const char *colon = strchr(v, ':');
        _cleanup_free_ char *given = colon ? xstrndup(v, (size_t)(colon - v)) : xstrdup(v);
        _cleanup_free_ char *path = guest_path(given);
        if (!path || STREQ(path, "/"))
                return ross_errx(err, EINVAL,
                                 "tmpfs \"%s\": the path must be absolute, not /, without \"..\"",
                                 v);
        unsigned long flags;
        char *data;
        int r = ross_guest_tmpfs_options(colon ? colon + 1 : NULL, &flags, &data, err);
        if (r < 0)
                return r;
        c->tmpfs = xrealloc(c->tmpfs, (c->n_tmpfs + 1) * sizeof(*c->tmpfs));
        c->tmpfs[c->n_tmpfs++] = (RossGuestTmpfs){
                .path = TAKE_PTR(path),
                .flags = flags,
                .data = data,
        };
        return 0;
}

static int parse_item(const char *key, char *value, bool exec, RossGuestConfig *c, RossError *err)
{
        bool container = !exec;
        uint32_t id;

        if (STREQ(key, "arg")) {
                if (c->n_argv >= MAX_ITEMS)
                        return ross_errx(err, E2BIG, "too many arguments");
                strv_push(&c->argv, &c->n_argv, xstrdup(value));
        } else if (STREQ(key, "env")) {
                const char *eq = strchr(value, '=');
                if (!eq || eq == value)
                        return ross_errx(err, EINVAL, "env \"%s\": not KEY=VALUE", value);
                if (c->n_env >= MAX_ITEMS)
                        return ross_errx(err, E2BIG, "too many environment variables");
                strv_push(&c->envp, &c->n_env, xstrdup(value));
        } else if (STREQ(key, "cwd")) {
                if (value[0] != '/' || strlen(value) >= PATH_MAX)
                        return ross_errx(err, EINVAL, "cwd \"%s\": not an absolute path", value);
                free(c->cwd);
                c->cwd = xstrdup(value);
        } else if (STREQ(key, "uid")) {
                if (parse_id(value, &id) < 0)
                        return ross_errx(err, EINVAL, "uid \"%s\": not a number", value);
                c->uid = id;
        } else if (STREQ(key, "gid")) {
                if (parse_id(value, &id) < 0)
                        return ross_errx(err, EINVAL, "gid \"%s\": not a number", value);
                c->gid = id;
        } else if (STREQ(key, "groups")) {
                if (parse_groups(value, c) < 0)
                        return ross_errx(err, EINVAL, "groups \"%s\": not numbers", value);
        } else if (STREQ(key, "tty")) {
                if (parse_bool01(value, &c->tty) < 0)
                        return ross_errx(err, EINVAL, "tty \"%s\": not 0 or 1", value);
        } else if (STREQ(key, "stdin")) {
                if (parse_bool01(value, &c->stdin_open) < 0)
                        return ross_errx(err, EINVAL, "stdin \"%s\": not 0 or 1", value);
        } else if (container && STREQ(key, "hostname")) {
                if (strlen(value) > MAX_HOSTNAME)
                        return ross_errx(err, EINVAL, "hostname \"%s\": longer than %d characters",
                                         value, MAX_HOSTNAME);
                free(c->hostname);
                c->hostname = xstrdup(value);
        } else if (container && STREQ(key, "net")) {
                free(c->net);
                c->net = xstrdup(value);
        } else if (container && STREQ(key, "readonly_root")) {
                if (parse_bool01(value, &c->readonly_root) < 0)
                        return ross_errx(err, EINVAL, "readonly_root \"%s\": not 0 or 1", value);
        } else if (container && STREQ(key, "fs")) {
                if (!STREQ(value, "9p") && !STREQ(value, "virtiofs"))
                        return ross_errx(err, EINVAL, "fs \"%s\": not 9p or virtiofs", value);
                c->virtiofs = STREQ(value, "virtiofs");
        } else if (container && STREQ(key, "volume")) {
                if (c->n_volumes >= MAX_ITEMS)
                        return ross_errx(err, E2BIG, "too many volumes");
                return parse_volume(value, c, err);
        } else if (container && STREQ(key, "tmpfs")) {
                if (c->n_tmpfs >= MAX_ITEMS)
                        return ross_errx(err, E2BIG, "too many tmpfs mounts");
                return parse_tmpfs(value, c, err);
        } else if (container && STREQ(key, "rlimit")) {
                return parse_rlimit(value, c, err);
        }
        /* anything else: a newer host's key */
        return 0;
}

static unsigned line_of(const char *text, size_t pos)
{
        unsigned line = 1;
        for (size_t i = 0; i < pos; i++)
                line += text[i] == '\n';
        return line;
}

int ross_guest_config_parse(const char *text, size_t len, bool exec, RossGuestConfig *ret,
                            RossError *err)
{
        RossGuestConfig c = {};
        size_t pos = 0;
        int r;

        if (memchr(text, '\0', len))
                return ross_errx(err, EINVAL, "bad config: it holds a NUL byte");
        for (;;) {
                _cleanup_free_ char *key = NULL, *value = NULL;
                size_t at = pos;
                /* past the empty lines cfg_next skips, to name the right line */
                while (at < len && text[at] == '\n')
                        at++;
                r = ross_vm_cfg_next(text, len, &pos, &key, &value);
                if (r == 0)
                        break;
                if (r < 0) {
                        ross_guest_config_free(&c);
                        return ross_errx(err, EINVAL, "bad config: line %u: not key=value",
                                         line_of(text, at));
                }
                r = parse_item(key, value, exec, &c, err);
                if (r < 0) {
                        ross_guest_config_free(&c);
                        return ross_err_prefix(err, "bad config: line %u", line_of(text, at));
                }
        }
        if (c.n_argv == 0 || !c.argv[0][0]) {
                ross_guest_config_free(&c);
                return ross_errx(err, EINVAL, "bad config: no command specified");
        }
        if (!c.envp)
                c.envp = xcalloc(1, sizeof(char *));
        /* an exec's default is the container's cwd, which its caller knows */
        if (!c.cwd && !exec)
                c.cwd = xstrdup("/");
        *ret = c;
        return 0;
}
