/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <strings.h>
#include <sys/select.h>
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/human.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../registry/manifest.h"
#include "../shim/shim.h"
#include "containers.h"
#include "spec.h"

static char *cdir(RossContainers *c, const char *id, const char *file)
{
        return file ? xasprintf("%s/%s/%s", c->dir, id, file) : xasprintf("%s/%s", c->dir, id);
}

char *ross_containers_log_path(RossContainers *c, const char *id)
{
        return cdir(c, id, "container.log");
}

int ross_containers_resolve(RossContainers *c, const char *ref, char **ret_id, RossError *err)
{
        return ross_db_container_resolve(c->db, ref, ret_id, err);
}

static json_t *read_json(const char *path)
{
        _cleanup_free_ char *text = NULL;
        if (ross_read_file(path, 1024 * 1024, &text, NULL, NULL) < 0)
                return NULL;
        return json_loads(text, 0, NULL);
}

static pid_t read_pid(const char *path)
{
        _cleanup_free_ char *text = NULL;
        int v;
        if (ross_read_file(path, 64, &text, NULL, NULL) < 0 ||
            ross_parse_int(text, 1, INT32_MAX, &v) < 0)
                return 0;
        return (pid_t)v;
}

bool ross_containers_running(RossContainers *c, const char *id)
{
        _cleanup_free_ char *exitf = cdir(c, id, "exit.json");
        _cleanup_free_ char *shimf = cdir(c, id, "shim.pid");
        struct stat st;
        if (stat(exitf, &st) == 0)
                return false;
        pid_t shim = read_pid(shimf);
        return shim > 0 && kill(shim, 0) == 0;
}

static bool is_paused(RossContainers *c, const char *id)
{
        _cleanup_free_ char *paused = cdir(c, id, "paused");
        struct stat st;
        return stat(paused, &st) == 0;
}

static bool valid_name(const char *n)
{
        if (!isalnum((unsigned char)n[0]) || strlen(n) < 2 || strlen(n) > 128)
                return false;
        for (const char *p = n; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
                        return false;
        return true;
}

static char *make_name(void)
{
        static const char *const adj[] = {"brave", "calm",  "eager", "keen",  "lucid",
                                          "quiet", "swift", "vivid", "witty", "bold"};
        static const char *const noun[] = {"ross",   "otter",  "heron",  "lynx",  "falcon",
                                           "badger", "marten", "osprey", "stoat", "wren"};
        char rnd[9];
        ross_random_hex(rnd, 4);
        unsigned v = (unsigned)strtoul(rnd, NULL, 16);
        return xasprintf("%s_%s_%04x", adj[v % 10], noun[(v / 10) % 10], (v >> 8) & 0xffff);
}

static const char *known_runtime(const char *name)
{
        if (STREQ(name, "crun") || STREQ(name, "runc"))
                return name;
        return NULL;
}

/* "host:ctr[:ro|rw]" into {"source","destination","readonly"}; the source must exist. */
static int parse_binds(json_t *binds, json_t *mounts, json_t **ret, RossError *err)
{
        json_t *out = json_array(), *b;
        size_t i;
        json_array_foreach (binds, i, b) {
                const char *spec = json_string_value(b);
                if (!spec) {
                        json_decref(out);
                        return ross_errx(err, EINVAL, "invalid bind: not a string");
                }
                _cleanup_free_ char *copy = xstrdup(spec);
                char *dst = strchr(copy, ':');
                char *mode = dst ? strchr(dst + 1, ':') : NULL;
                if (!dst || dst == copy || !dst[1]) {
                        json_decref(out);
                        return ross_errx(err, EINVAL, "invalid volume specification: '%s'", spec);
                }
                *dst++ = '\0';
                if (mode)
                        *mode++ = '\0';
                if (mode && !STREQ(mode, "ro") && !STREQ(mode, "rw")) {
                        json_decref(out);
                        return ross_errx(err, EINVAL, "invalid mode '%s' in volume '%s'", mode,
                                         spec);
                }
                if (copy[0] != '/' || dst[0] != '/') {
                        json_decref(out);
                        return ross_errx(err, EINVAL,
                                         "invalid volume specification '%s': paths must be "
                                         "absolute (named volumes are not supported yet)",
                                         spec);
                }
                struct stat st;
                if (stat(copy, &st) < 0) {
                        json_decref(out);
                        return ross_err(err, errno, "bind source path does not exist: %s", copy);
                }
                json_array_append_new(out,
                                      json_pack("{s:s, s:s, s:b}", "source", copy, "destination",
                                                dst, "readonly", mode && STREQ(mode, "ro")));
        }
        json_array_foreach (mounts, i, b) {
                const char *type = json_string_value(json_object_get(b, "Type"));
                const char *src = json_string_value(json_object_get(b, "Source"));
                const char *dst = json_string_value(json_object_get(b, "Target"));
                if (!type || !STREQ(type, "bind"))
                        continue; /* tmpfs mounts are turned into Tmpfs by the caller */
                struct stat st;
                if (!src || !dst || src[0] != '/' || dst[0] != '/') {
                        json_decref(out);
                        return ross_errx(err, EINVAL,
                                         "invalid mount: absolute Source and Target "
                                         "are needed");
                }
                if (stat(src, &st) < 0) {
                        json_decref(out);
                        return ross_err(err, errno, "bind source path does not exist: %s", src);
                }
                json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "source", src,
                                                     "destination", dst, "readonly",
                                                     json_is_true(json_object_get(b, "ReadOnly"))));
        }
        *ret = out;
        return 0;
}

/* Docker's json-file options, and the ones every driver has. */
static const char *const json_file_opts[] = {
        "max-size",  "max-file", "compress", "labels",          "labels-regex", "env",
        "env-regex", "tag",      "mode",     "max-buffer-size", NULL,
};

/* HostConfig.LogConfig: json-file (or "", the same) and none are what the shim writes. */
static int check_log_config(json_t *hc, RossError *err)
{
        json_t *lc = json_object_get(hc, "LogConfig");
        if (!lc || json_is_null(lc))
                return 0;
        json_t *t = json_object_get(lc, "Type"), *cfg = json_object_get(lc, "Config"), *v;
        if (!json_is_object(lc) || (t && !json_is_string(t) && !json_is_null(t)) ||
            (cfg && !json_is_object(cfg) && !json_is_null(cfg)))
                return ross_errx(err, EINVAL,
                                 "invalid LogConfig: Type must be a string and Config an object "
                                 "of strings");
        const char *type = json_string_value(t);
        if (STR_EMPTY(type))
                type = "json-file";
        if (!STREQ(type, "json-file") && !STREQ(type, "none"))
                return ross_errx(err, EINVAL,
                                 "logger: no log driver named '%s' is registered (Ross has "
                                 "json-file and none)",
                                 type);
        if (STREQ(type, "none"))
                return 0;
        const char *k;
        json_object_foreach (cfg, k, v) {
                bool known = false;
                for (const char *const *o = json_file_opts; *o && !known; o++)
                        known = STREQ(*o, k);
                if (!known)
                        return ross_errx(err, EINVAL,
                                         "unknown log opt '%s' for json-file log driver", k);
                if (!json_is_string(v))
                        return ross_errx(err, EINVAL, "log opt '%s': the value must be a string",
                                         k);
        }
        return 0;
}

static bool strings_or_null(json_t *a)
{
        json_t *v;
        size_t i;
        if (!a || json_is_null(a))
                return true;
        if (!json_is_array(a))
                return false;
        json_array_foreach (a, i, v)
                if (!json_is_string(v))
                        return false;
        return true;
}

/* RFC 3339 with nanoseconds, trailing zeros dropped, as Go's time.RFC3339Nano. */
static void rfc3339(const struct timespec *ts, char *buf, size_t n)
{
        struct tm tm;
        gmtime_r(&ts->tv_sec, &tm);
        size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
        if (ts->tv_nsec > 0 && k + 12 < n) {
                int m = snprintf(buf + k, n - k, ".%09ld", ts->tv_nsec);
                size_t end = k + (size_t)m;
                while (buf[end - 1] == '0')
                        end--;
                k = end;
        }
        snprintf(buf + k, n - k, "Z");
}

int ross_containers_create(RossContainers *c, json_t *body, const char *name, char **ret_id,
                           RossError *err)
{
        const char *image = json_string_value(json_object_get(body, "Image"));
        json_t *hc = json_object_get(body, "HostConfig");
        _cleanup_free_ char *image_id = NULL, *made = NULL;
        char id[65];
        int r;

        if (!json_is_object(body))
                return ross_errx(err, EINVAL, "the request body is not a JSON object");
        if (STR_EMPTY(image))
                return ross_errx(err, EINVAL, "an image is required");
        if (name && *name == '/')
                name++;
        if (name && !valid_name(name))
                return ross_errx(err, EINVAL,
                                 "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                 "are allowed",
                                 name);
        r = ross_db_image_resolve(c->db, image, &image_id, err);
        if (r < 0)
                return r;
        const char *rt = json_string_value(json_object_get(hc, "Runtime"));
        if (!STR_EMPTY(rt) && !known_runtime(rt))
                return ross_errx(err, EINVAL, "unknown or invalid runtime name: %s", rt);
        if (c->crun_unusable && STREQ(STR_EMPTY(rt) ? c->default_runtime : rt, "crun"))
                return ross_errx(err, EINVAL, "%s", c->crun_unusable);
        const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
        if (!STR_EMPTY(net) && !STREQ(net, "none") && !STREQ(net, "host") &&
            !STREQ(net, "default") && !STREQ(net, "bridge"))
                return ross_errx(err, EINVAL, "network mode %s is not supported (none or host)",
                                 net);
        r = check_log_config(hc, err);
        if (r < 0)
                return r;
        if (!strings_or_null(json_object_get(hc, "GroupAdd")))
                return ross_errx(err, EINVAL, "GroupAdd must be an array of strings");
        const char *stop_sig = json_string_value(json_object_get(body, "StopSignal"));
        int signo;
        if (!STR_EMPTY(stop_sig) && ross_containers_parse_signal(stop_sig, &signo) < 0)
                return ross_errx(err, EINVAL, "Invalid signal: %s", stop_sig);
        json_t *binds = NULL;
        r = parse_binds(json_object_get(hc, "Binds"), json_object_get(hc, "Mounts"), &binds, err);
        if (r < 0)
                return r;
        json_decref(binds);
        /* a command must come from somewhere */
        _cleanup_(json_decrefp) json_t *ic = NULL;
        {
                _cleanup_free_ char *cfg = NULL;
                size_t len;
                RossProcessSpec p = {};
                if (ross_content_read(c->images->content, image_id, ROSS_CONFIG_MAX, &cfg, &len,
                                      err) < 0)
                        return ross_err_prefix(err, "image %s", image);
                ic = json_loadb(cfg, len, 0, NULL);
                r = ross_process_merge(ic, json_object_get(body, "Entrypoint"),
                                       json_object_get(body, "Cmd"), json_object_get(body, "Env"),
                                       json_string_value(json_object_get(body, "WorkingDir")),
                                       json_string_value(json_object_get(body, "User")), &p, err);
                ross_process_spec_free(&p);
                if (r < 0)
                        return r;
        }

        ross_random_hex(id, 32);
        if (!name)
                name = made = make_name();
        /* Kept with the request: the image's config as it was (inspect merges it, as Docker
         * does at create, even after the image is gone) and the time with nanoseconds. */
        _cleanup_(json_decrefp) json_t *stored = json_deep_copy(body);
        json_t *img_cfg = json_object_get(ic, "config");
        json_object_set(stored, "RossImageConfig", json_is_object(img_cfg) ? img_cfg : json_null());
        struct timespec now;
        char created[48];
        clock_gettime(CLOCK_REALTIME, &now);
        rfc3339(&now, created, sizeof(created));
        json_object_set_new(stored, "RossCreated", json_string(created));
        char *text = json_dumps(stored, JSON_COMPACT);
        r = ross_db_container_add(c->db, id, name, image_id, image, text, err);
        free(text);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = cdir(c, id, NULL);
        _cleanup_free_ char *upper = cdir(c, id, "upper");
        _cleanup_free_ char *work = cdir(c, id, "work");
        _cleanup_free_ char *rootfs = cdir(c, id, "rootfs");
        /* the upper dir is the root directory the container sees: 0755 like a real / */
        if ((r = ross_mkdir_p(upper, 0755, err)) < 0 || (r = ross_mkdir_p(work, 0700, err)) < 0 ||
            (r = ross_mkdir_p(rootfs, 0700, err)) < 0) {
                ross_rm_rf(dir);
                (void)ross_db_container_delete(c->db, id, NULL);
                return r;
        }
        log_debug("container %s (%s) created from %s", id, name, image_id);
        *ret_id = xstrdup(id);
        return 0;
}

static int write_etc(RossContainers *c, const char *id, const char *hostname, RossError *err)
{
        _cleanup_free_ char *hosts = cdir(c, id, "hosts");
        _cleanup_free_ char *hn = cdir(c, id, "hostname");
        _cleanup_free_ char *resolv = cdir(c, id, "resolv.conf");
        _cleanup_free_ char *h = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                                           "ip6-loopback\n127.0.1.1\t%s\n",
                                           hostname);
        _cleanup_free_ char *n = xasprintf("%s\n", hostname);
        _cleanup_free_ char *host_resolv = NULL;
        int r;
        if ((r = ross_write_file_replace(hosts, h, strlen(h), 0644, err)) < 0 ||
            (r = ross_write_file_replace(hn, n, strlen(n), 0644, err)) < 0)
                return r;
        if (ross_read_file("/etc/resolv.conf", 64 * 1024, &host_resolv, NULL, NULL) < 0)
                host_resolv = xstrdup("");
        return ross_write_file_replace(resolv, host_resolv, strlen(host_resolv), 0644, err);
}

static int64_t json_int(json_t *o, const char *k)
{
        return json_integer_value(json_object_get(o, k));
}

/* --init: ross-init (beside ross-shim) bind-mounted read-only as PID 1 of the command. */
#define INIT_IN_CONTAINER "/sbin/ross-init"

static int add_init(RossContainers *c, RossProcessSpec *p, json_t *binds, RossError *err)
{
        _cleanup_free_ char *dir = xstrdup(c->shim_path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        _cleanup_free_ char *init = xasprintf("%s/ross-init", slash ? dir : ".");
        if (access(init, X_OK) < 0)
                return ross_err(err, errno, "--init: %s", init);
        json_array_append_new(binds, json_pack("{s:s, s:s, s:b}", "source", init, "destination",
                                               INIT_IN_CONTAINER, "readonly", 1));
        json_array_insert_new(p->args, 0, json_string("--"));
        json_array_insert_new(p->args, 0, json_string(INIT_IN_CONTAINER));
        return 0;
}

/* ---- attach clients waiting for a container to start ---- */

typedef struct AttachWaiter {
        char *id;
        int efd;
        struct AttachWaiter *next;
} AttachWaiter;

static AttachWaiter *waiters;
static pthread_mutex_t waiters_lock = PTHREAD_MUTEX_INITIALIZER;

int ross_containers_attach_expect(RossContainers *c, const char *id)
{
        int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
                return -errno;
        AttachWaiter *w = xcalloc(1, sizeof(*w));
        w->id = xstrdup(id);
        w->efd = efd;
        pthread_mutex_lock(&waiters_lock);
        w->next = waiters;
        waiters = w;
        pthread_mutex_unlock(&waiters_lock);
        return efd;
}

void ross_containers_attach_forget(RossContainers *c, int efd)
{
        pthread_mutex_lock(&waiters_lock);
        for (AttachWaiter **pp = &waiters; *pp; pp = &(*pp)->next)
                if ((*pp)->efd == efd) {
                        AttachWaiter *w = *pp;
                        *pp = w->next;
                        free(w->id);
                        free(w);
                        break;
                }
        pthread_mutex_unlock(&waiters_lock);
}

static unsigned attach_waiting(const char *id)
{
        unsigned n = 0;
        pthread_mutex_lock(&waiters_lock);
        for (AttachWaiter *w = waiters; w; w = w->next)
                if (STREQ(w->id, id))
                        n++;
        pthread_mutex_unlock(&waiters_lock);
        return n;
}

/* A start was tried: wake its waiters (they find out whether it runs) and forget them. */
static void attach_wake(const char *id)
{
        pthread_mutex_lock(&waiters_lock);
        for (AttachWaiter **pp = &waiters; *pp;) {
                AttachWaiter *w = *pp;
                if (!STREQ(w->id, id)) {
                        pp = &w->next;
                        continue;
                }
                uint64_t one = 1;
                (void)!write(w->efd, &one, sizeof(one));
                *pp = w->next;
                free(w->id);
                free(w);
        }
        pthread_mutex_unlock(&waiters_lock);
}

int ross_containers_attach_connect(RossContainers *c, const char *id, bool want_output,
                                   RossError *err)
{
        _cleanup_free_ char *path = cdir(c, id, "attach.sock");
        int fd = ross_shim_attach(path, want_output);
        if (fd == -ESRCH)
                return ross_errx(err, ESRCH, "container %.12s is not running", id);
        if (fd < 0)
                return ross_errx(err, -fd, "attach to container %.12s: %s", id, strerror(-fd));
        return fd;
}

int ross_containers_resize(RossContainers *c, const char *ref, unsigned rows, unsigned cols,
                           RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (rows > 65535 || cols > 65535)
                return ross_errx(err, EINVAL, "invalid terminal size %ux%u", rows, cols);
        _cleanup_free_ char *path = cdir(c, id, "attach.sock");
        r = ross_shim_resize(path, rows, cols);
        if (r == -ESRCH)
                return ross_errx(err, EBUSY, "container %s is not running", ref);
        if (r < 0)
                return ross_errx(err, -r, "resize container %s: %s", ref, strerror(-r));
        return 0;
}

/* The shim of the container's last run may still be cleaning up after writing the exit
 * status (the runtime's delete): the next run starts once it is gone. */
static void wait_old_shim(RossContainers *c, const char *id)
{
        _cleanup_free_ char *shimf = cdir(c, id, "shim.pid");
        pid_t pid = read_pid(shimf);
        if (pid <= 0)
                return;
        /* the pidfd first, then the check that the pid is still that shim's */
        _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pfd < 0)
                return; /* gone */
        _cleanup_free_ char *cmdf = xasprintf("/proc/%d/cmdline", (int)pid);
        _cleanup_close_ int cfd = open(cmdf, O_RDONLY | O_CLOEXEC);
        char cmd[4096];
        ssize_t len = cfd >= 0 ? read(cfd, cmd, sizeof(cmd)) : -1;
        if (len <= 0 || !memmem(cmd, (size_t)len, id, strlen(id)))
                return; /* gone, or the pid is someone else's now */
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        if (poll(&p, 1, 10000) == 0)
                log_warn("the last shim of container %.12s (pid %d) is still there", id, (int)pid);
}

int ross_containers_start(RossContainers *c, const char *ref, int *ret_exec_status, RossError *err)
{
        json_t *row = NULL, *ic = NULL, *binds = NULL, *tmpfs = NULL, *spec = NULL;
        RossProcessSpec p = {};
        RossIds ids = {};
        int r;
        _cleanup_free_ char *id = NULL, *rootfs = NULL, *upper = NULL, *work = NULL, *cfg = NULL,
                            *hosts = NULL, *hn = NULL, *resolv = NULL, *cgroup = NULL,
                            *config = NULL, *rt_root = NULL, *dir = NULL, *started = NULL;

        r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (ross_containers_running(c, id) && is_paused(c, id))
                return ross_errx(err, EBUSY,
                                 "cannot start a paused container, try unpause instead");
        /* Docker answers 304 Not Modified: the API turns EALREADY into that */
        if (ross_containers_running(c, id))
                return ross_errx(err, EALREADY, "container %s is already running", ref);
        wait_old_shim(c, id);
        r = ross_db_container_fetch(c->db, id, &row, err);
        if (r < 0)
                return r;
        json_t *body = json_object_get(row, "Config");
        json_t *hc = json_object_get(body, "HostConfig");
        const char *image_id = json_string_value(json_object_get(row, "ImageId"));

        rootfs = cdir(c, id, "rootfs");
        upper = cdir(c, id, "upper");
        work = cdir(c, id, "work");
        if (!ross_is_mountpoint(rootfs)) {
                json_t *snaps = ross_db_image_snapshot_ids(c->db, image_id);
                r = ross_snapshots_mount_rw(c->images->snapshots, snaps, upper, work, rootfs, err);
                json_decref(snaps);
                if (r < 0)
                        goto out;
        }
        cfg = NULL;
        size_t len;
        r = ross_content_read(c->images->content, image_id, ROSS_CONFIG_MAX, &cfg, &len, err);
        if (r < 0)
                goto out;
        ic = json_loadb(cfg, len, 0, NULL);
        r = ross_process_merge(ic, json_object_get(body, "Entrypoint"),
                               json_object_get(body, "Cmd"), json_object_get(body, "Env"),
                               json_string_value(json_object_get(body, "WorkingDir")),
                               json_string_value(json_object_get(body, "User")), &p, err);
        if (r < 0)
                goto out;
        p.terminal = json_is_true(json_object_get(body, "Tty"));
        {
                _cleanup_close_ int rfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rfd < 0) {
                        r = ross_err(err, errno, "open rootfs");
                        goto out;
                }
                r = ross_resolve_user(rfd, p.user, &ids, err);
                if (r < 0)
                        goto out;
                /* --group-add: names from the container's /etc/group, numbers as they are */
                r = ross_resolve_groups(rfd, json_object_get(hc, "GroupAdd"), &ids, err);
                if (r < 0)
                        goto out;
        }
        const char *hostname = json_string_value(json_object_get(body, "Hostname"));
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", id);
        if (STR_EMPTY(hostname))
                hostname = short_id;
        r = write_etc(c, id, hostname, err);
        if (r < 0)
                goto out;
        r = parse_binds(json_object_get(hc, "Binds"), json_object_get(hc, "Mounts"), &binds, err);
        if (r < 0)
                goto out;
        if (json_is_true(json_object_get(hc, "Init"))) {
                r = add_init(c, &p, binds, err);
                if (r < 0)
                        goto out;
        }
        tmpfs = json_array();
        const char *k;
        json_t *v;
        json_object_foreach (json_object_get(hc, "Tmpfs"), k, v) {
                if (STR_EMPTY(json_string_value(v))) {
                        json_array_append_new(tmpfs, json_string(k));
                        continue;
                }
                _cleanup_free_ char *t = xasprintf("%s:%s", k, json_string_value(v));
                json_array_append_new(tmpfs, json_string(t));
        }
        size_t i;
        json_array_foreach (json_object_get(hc, "Mounts"), i, v) {
                const char *type = json_string_value(json_object_get(v, "Type"));
                const char *dst = json_string_value(json_object_get(v, "Target"));
                if (type && STREQ(type, "tmpfs") && dst)
                        json_array_append_new(tmpfs, json_string(dst));
        }
        hosts = cdir(c, id, "hosts");
        hn = cdir(c, id, "hostname");
        resolv = cdir(c, id, "resolv.conf");
        cgroup = xasprintf("/ross/%s", id);
        const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
        RossSpecOptions o = {
                .rootfs = rootfs,
                .hostname = hostname,
                .process = &p,
                .ids = &ids,
                .readonly_rootfs = json_is_true(json_object_get(hc, "ReadonlyRootfs")),
                .binds = binds,
                .tmpfs = tmpfs,
                .memory = json_int(hc, "Memory"),
                .nano_cpus = json_int(hc, "NanoCpus"),
                .pids_limit = json_int(hc, "PidsLimit"),
                .host_network = net && STREQ(net, "host"),
                .etc_hosts = hosts,
                .etc_hostname = hn,
                .etc_resolv = resolv,
                .cgroup_path = cgroup,
        };
        spec = ross_spec_build(&o);
        char *text = json_dumps(spec, JSON_INDENT(2));
        config = cdir(c, id, "config.json");
        r = ross_write_file_replace(config, text, strlen(text), 0600, err);
        free(text);
        if (r < 0)
                goto out;

        const char *rt = json_string_value(json_object_get(hc, "Runtime"));
        if (STR_EMPTY(rt))
                rt = c->default_runtime;
        if (c->crun_unusable && STREQ(rt, "crun")) {
                r = ross_errx(err, EINVAL, "%s", c->crun_unusable);
                goto out;
        }
        rt_root = xasprintf("%s/%s", c->runtime_root, rt);
        dir = cdir(c, id, NULL);
        started = cdir(c, id, "started");
        RossShimArgs a = {
                .shim_path = c->shim_path,
                .id = id,
                .bundle = dir,
                .runtime = rt,
                .runtime_root = rt_root,
                .dir = dir,
        };
        char now[32];
        snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
        (void)ross_write_file_replace(started, now, strlen(now), 0600, NULL);
        a.tty = p.terminal;
        a.open_stdin = json_is_true(json_object_get(body, "OpenStdin"));
        a.stdin_once = json_is_true(json_object_get(body, "StdinOnce"));
        a.attach_wait = attach_waiting(id);
        pid_t pid = 0;
        r = ross_shim_start(&a, &pid, ret_exec_status, err);
        attach_wake(id);
        if (r < 0) {
                unlink(started); /* never ran: still "created" */
                ross_err_prefix(err, "start container %.12s (%s)", id, rt);
                goto out;
        }
        log_debug("container %s started with %s, pid %d", id, rt, (int)pid);
out:
        json_decref(row);
        json_decref(ic);
        json_decref(binds);
        json_decref(tmpfs);
        json_decref(spec);
        ross_process_spec_free(&p);
        free(ids.groups);
        return r;
}

typedef bool (*WaitDone)(RossContainers *c, const char *id, void *ud);

/* Block until done() holds, woken by changes in the container's directory (the exit file
 * renamed into place, the directory removed), or every second to look again. */
static void wait_dir_until(RossContainers *c, const char *id, WaitDone done, void *ud)
{
        _cleanup_free_ char *dir = cdir(c, id, NULL);
        _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC);
        bool watching = fd >= 0 &&
                        inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF) >= 0;
        while (!done(c, id, ud)) {
                if (!watching) {
                        /* no directory (any more) to watch: it is being removed */
                        usleep(10000);
                        continue;
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, 1000) > 0) {
                        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                        ssize_t n = read(fd, buf, sizeof(buf));
                        for (char *q = buf; n > 0 && q < buf + n;) {
                                struct inotify_event *ev = (struct inotify_event *)q;
                                if (ev->mask & (IN_IGNORED | IN_DELETE_SELF))
                                        watching = false;
                                q += sizeof(*ev) + ev->len;
                        }
                }
        }
}

static bool not_running(RossContainers *c, const char *id, void *ud)
{
        return !ross_containers_running(c, id);
}

static void wait_for_exit(RossContainers *c, const char *id)
{
        wait_dir_until(c, id, not_running, NULL);
}

static bool gone(RossContainers *c, const char *id)
{
        _cleanup_free_ char *still = NULL;
        /* gone is "no such container", not a database that failed to answer */
        return ross_containers_resolve(c, id, &still, NULL) == -ENOENT;
}

/* Its exit file is at least as new as *since (or it is gone). */
static bool exited_after(RossContainers *c, const char *id, void *ud)
{
        const double *since = ud;
        _cleanup_free_ char *exitf = cdir(c, id, "exit.json");
        struct stat st;
        if (stat(exitf, &st) == 0 &&
            (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9 >= *since - 0.001)
                return true;
        return gone(c, id);
}

void ross_containers_wait_next_exit(RossContainers *c, const char *id, double since)
{
        wait_dir_until(c, id, exited_after, &since);
}

static bool removed(RossContainers *c, const char *id, void *ud)
{
        return gone(c, id);
}

void ross_containers_wait_removed(RossContainers *c, const char *id)
{
        wait_dir_until(c, id, removed, NULL);
}

static int exit_code_of(RossContainers *c, const char *id)
{
        _cleanup_free_ char *exitf = cdir(c, id, "exit.json");
        json_t *j = read_json(exitf);
        int code = j ? (int)json_integer_value(json_object_get(j, "ExitCode")) : -1;
        json_decref(j);
        return code;
}

int ross_containers_wait(RossContainers *c, const char *ref, int *ret_code, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        wait_for_exit(c, id);
        int code = exit_code_of(c, id);
        if (code < 0 && !ross_containers_removed_exit(id, &code))
                code = 0; /* never ran */
        *ret_code = code;
        return 0;
}

/* Docker's names for Linux signals (moby/sys/signal's SignalMap), without "SIG". */
static const struct {
        const char *name;
        int sig;
} signal_names[] = {
        {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
        {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},
        {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGIOT},
        {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},
        {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
        {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
        {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

int ross_containers_parse_signal(const char *s, int *ret)
{
        int v;
        if (STR_EMPTY(s))
                return -EINVAL;
        /* a number: any signal the kernel has */
        if (s[0] >= '0' && s[0] <= '9') {
                if (ross_parse_int(s, 1, SIGRTMAX, &v) < 0)
                        return -EINVAL;
                *ret = v;
                return 0;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < ELEMENTSOF(signal_names); i++)
                if (strcasecmp(s, signal_names[i].name) == 0) {
                        *ret = signal_names[i].sig;
                        return 0;
                }
        /* RTMIN, RTMIN+N, RTMAX, RTMAX-N */
        bool min = strncasecmp(s, "RTMIN", 5) == 0, max = strncasecmp(s, "RTMAX", 5) == 0;
        if (!min && !max)
                return -EINVAL;
        const char *off = s + 5;
        int base = min ? SIGRTMIN : SIGRTMAX;
        if (!*off)
                v = 0;
        else if ((min && *off == '+') || (max && *off == '-')) {
                if (ross_parse_int(off + 1, 1, SIGRTMAX - SIGRTMIN, &v) < 0)
                        return -EINVAL;
        } else
                return -EINVAL;
        v = min ? base + v : base - v;
        if (v < SIGRTMIN || v > SIGRTMAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* The merged Config.StopSignal: the container's, else the image's, else SIGTERM. */
static int stop_signal_of(json_t *row)
{
        json_t *body = json_object_get(row, "Config");
        const char *s = json_string_value(json_object_get(body, "StopSignal"));
        if (STR_EMPTY(s))
                s = json_string_value(
                        json_object_get(json_object_get(body, "RossImageConfig"), "StopSignal"));
        int sig;
        if (STR_EMPTY(s) || ross_containers_parse_signal(s, &sig) < 0)
                return SIGTERM;
        return sig;
}

static int send_signal(RossContainers *c, const char *id, const char *ref, int sig, RossError *err)
{
        if (!ross_containers_running(c, id))
                return ross_errx(err, EBUSY, "container %s is not running", id);
        _cleanup_free_ char *pidf = cdir(c, id, "container.pid");
        pid_t pid = read_pid(pidf);
        if (pid <= 0)
                return ross_errx(err, ESRCH, "kill container %s: it has no process id", ref);
        if (kill(pid, sig) < 0)
                return ross_err(err, errno, "kill container %s", ref);
        return 0;
}

int ross_containers_kill(RossContainers *c, const char *ref, const char *signal, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_(json_decrefp) json_t *row = NULL;
        int sig = SIGKILL;
        /* the signal first, as Docker: a bad one is the request's fault whatever the
         * container */
        if (!STR_EMPTY(signal) && ross_containers_parse_signal(signal, &sig) < 0)
                return ross_errx(err, EINVAL, "Invalid signal: %s", signal);
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        r = ross_db_container_fetch(c->db, id, &row, err);
        if (r < 0)
                return r;
        r = send_signal(c, id, ref, sig, err);
        if (r < 0)
                return r;
        /* a frozen container gets the signal once thawed: Docker unpauses for the signals
         * that end it */
        if ((sig == SIGKILL || sig == stop_signal_of(row)) && is_paused(c, id))
                (void)ross_containers_pause(c, id, false, NULL);
        /* SIGKILL answers once the container is gone, as Docker's kill: a client sees it
         * exited at once */
        if (sig == SIGKILL)
                wait_for_exit(c, id);
        return 0;
}

int ross_containers_stop(RossContainers *c, const char *ref, int timeout, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_(json_decrefp) json_t *row = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (!ross_containers_running(c, id))
                return 0; /* Docker: stopping a stopped container is fine */
        r = ross_db_container_fetch(c->db, id, &row, err);
        if (r < 0)
                return r;
        json_t *body = json_object_get(row, "Config");
        int sig = stop_signal_of(row);
        if (timeout < 0)
                timeout = json_is_integer(json_object_get(body, "StopTimeout"))
                                  ? (int)json_integer_value(json_object_get(body, "StopTimeout"))
                                  : 10;
        r = send_signal(c, id, ref, sig, err);
        if (r < 0)
                return ross_containers_running(c, id) ? r : 0;
        if (is_paused(c, id))
                (void)ross_containers_pause(c, id, false, NULL);
        for (int i = 0; i < timeout * 20 && ross_containers_running(c, id); i++)
                usleep(50000);
        if (ross_containers_running(c, id)) {
                (void)send_signal(c, id, ref, SIGKILL, NULL);
                wait_for_exit(c, id);
        }
        return 0;
}

/* Exit codes of recently removed containers: a `wait?condition=removed` may ask after
 * --rm has removed the container. */
static struct {
        char id[65];
        int code;
} removed_codes[64];
static unsigned removed_next;
static pthread_mutex_t removed_lock = PTHREAD_MUTEX_INITIALIZER;

static void remember_exit(const char *id, int code)
{
        pthread_mutex_lock(&removed_lock);
        unsigned i = removed_next++ % ELEMENTSOF(removed_codes);
        snprintf(removed_codes[i].id, sizeof(removed_codes[i].id), "%s", id);
        removed_codes[i].code = code;
        pthread_mutex_unlock(&removed_lock);
}

bool ross_containers_removed_exit(const char *id, int *ret_code)
{
        bool found = false;
        pthread_mutex_lock(&removed_lock);
        for (size_t i = 0; i < ELEMENTSOF(removed_codes); i++)
                if (STREQ(removed_codes[i].id, id)) {
                        *ret_code = removed_codes[i].code;
                        found = true;
                }
        pthread_mutex_unlock(&removed_lock);
        return found;
}

static void unmount_rootfs(RossContainers *c, const char *id)
{
        _cleanup_free_ char *rootfs = cdir(c, id, "rootfs");
        (void)ross_snapshots_unmount(rootfs, NULL);
}

int ross_containers_remove(RossContainers *c, const char *ref, bool force, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (ross_containers_running(c, id)) {
                /* the words of Docker 17 to 24, which clients match */
                if (!force && is_paused(c, id))
                        return ross_errx(err, EBUSY,
                                         "You cannot remove a paused container %s. Unpause and "
                                         "then stop the container before attempting removal or "
                                         "force remove",
                                         id);
                if (!force)
                        return ross_errx(err, EBUSY,
                                         "You cannot remove a running container %s. Stop the "
                                         "container before attempting removal or force remove",
                                         id);
                (void)ross_containers_kill(c, id, "KILL", NULL);
                wait_for_exit(c, id);
        }
        int code = exit_code_of(c, id);
        if (code >= 0)
                remember_exit(id, code);
        unmount_rootfs(c, id);
        _cleanup_free_ char *dir = cdir(c, id, NULL);
        r = ross_rm_rf(dir);
        if (r < 0)
                return ross_err(err, r, "remove container %s", ref);
        r = ross_db_container_delete(c->db, id, err);
        if (r < 0)
                return r;
        log_debug("container %s removed", id);
        return 0;
}

#define NEVER "0001-01-01T00:00:00Z" /* Go's zero time, Docker's "not yet" */

/* Where a container is in its life, from its files. */
typedef struct CState {
        const char *status; /* created, running, paused, exited */
        int exit_code;
        bool started; /* ran at least once */
        pid_t pid;
        char started_at[48], finished_at[48];
        double started_t, finished_t; /* Unix time, 0 when never */
} CState;

static void cstate(RossContainers *c, const char *id, CState *ret)
{
        _cleanup_free_ char *startedf = cdir(c, id, "started");
        _cleanup_free_ char *exitf = cdir(c, id, "exit.json");
        _cleanup_free_ char *pidf = cdir(c, id, "container.pid");
        CState s = {.status = "created"};
        struct stat st;
        snprintf(s.started_at, sizeof(s.started_at), NEVER);
        snprintf(s.finished_at, sizeof(s.finished_at), NEVER);
        if (stat(startedf, &st) == 0) {
                s.started = true;
                rfc3339(&st.st_mtim, s.started_at, sizeof(s.started_at));
                s.started_t = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
        }
        if (ross_containers_running(c, id)) {
                s.status = is_paused(c, id) ? "paused" : "running";
                s.pid = read_pid(pidf);
        } else if (s.started) {
                _cleanup_(json_decrefp) json_t *j = read_json(exitf);
                const char *fin = json_string_value(json_object_get(j, "FinishedAt"));
                s.status = "exited";
                s.exit_code = j ? (int)json_integer_value(json_object_get(j, "ExitCode")) : 0;
                if (fin && ross_parse_rfc3339(fin) > 0) {
                        snprintf(s.finished_at, sizeof(s.finished_at), "%s", fin);
                        s.finished_t = ross_parse_rfc3339(fin);
                }
        }
        *ret = s;
}

/* Docker's State.String(): "Up 5 seconds", "Up 2 hours (Paused)", "Exited (0) 2 minutes
 * ago", "Created". */
static void status_text(const CState *s, char *buf, size_t n)
{
        struct timespec now;
        char d[64];
        clock_gettime(CLOCK_REALTIME, &now);
        double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
        if (STREQ(s->status, "running") || STREQ(s->status, "paused")) {
                ross_human_duration(t - s->started_t, d, sizeof(d));
                snprintf(buf, n, "Up %s%s", d, STREQ(s->status, "paused") ? " (Paused)" : "");
        } else if (STREQ(s->status, "created"))
                snprintf(buf, n, "Created");
        else if (s->finished_t <= 0)
                snprintf(buf, n, "Exited (%d)", s->exit_code);
        else {
                ross_human_duration(t - s->finished_t, d, sizeof(d));
                snprintf(buf, n, "Exited (%d) %s ago", s->exit_code, d);
        }
}

/* The image's config section as it was at create (older containers: from the store). */
static json_t *image_config_of(RossContainers *c, json_t *row)
{
        json_t *kept = json_object_get(json_object_get(row, "Config"), "RossImageConfig");
        if (json_is_object(kept))
                return json_incref(kept);
        _cleanup_free_ char *text = NULL;
        size_t len;
        const char *image_id = json_string_value(json_object_get(row, "ImageId"));
        if (!image_id ||
            ross_content_read(c->images->content, image_id, ROSS_CONFIG_MAX, &text, &len, NULL) < 0)
                return json_object();
        _cleanup_(json_decrefp) json_t *full = json_loadb(text, len, 0, NULL);
        json_t *cfg = json_object_get(full, "config");
        return json_is_object(cfg) ? json_incref(cfg) : json_object();
}

/* Two objects in one: a's keys, then b's over them; NULL if both are empty. */
static json_t *merged_object(json_t *a, json_t *b, bool null_if_empty)
{
        json_t *o = json_object();
        if (json_is_object(a))
                json_object_update(o, a);
        if (json_is_object(b))
                json_object_update(o, b);
        if (null_if_empty && json_object_size(o) == 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static const char *str_or(json_t *o, const char *k, const char *def)
{
        const char *v = json_string_value(json_object_get(o, k));
        return STR_EMPTY(v) ? def : v;
}

/* Docker's Config as merged with the image at create (daemon's merge()): what the
 * container runs and is. */
static json_t *merged_config(RossContainers *c, const char *id, json_t *row, json_t *img)
{
        json_t *body = json_object_get(row, "Config");
        json_t *cfg = json_object();
        json_t *u_ep = json_object_get(body, "Entrypoint"), *u_cmd = json_object_get(body, "Cmd");
        json_t *i_ep = json_object_get(img, "Entrypoint"), *i_cmd = json_object_get(img, "Cmd");
        bool ep_given = u_ep && !json_is_null(u_ep);
        bool cmd_given = u_cmd && !json_is_null(u_cmd) && json_array_size(u_cmd) > 0;
        json_t *ep = ep_given ? u_ep : (json_is_array(i_ep) ? i_ep : NULL);
        json_t *cmd = cmd_given ? u_cmd : (!ep_given && json_is_array(i_cmd) ? i_cmd : NULL);
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", id);

        /* the environment as the container gets it */
        _cleanup_(json_decrefp) json_t *wrapped = json_pack("{s:O}", "config", img);
        RossProcessSpec p = {};
        json_t *env = NULL;
        if (ross_process_merge(wrapped, u_ep, u_cmd, json_object_get(body, "Env"), NULL, NULL, &p,
                               NULL) == 0)
                env = json_incref(p.env);
        ross_process_spec_free(&p);

        json_object_set_new(cfg, "Hostname", json_string(str_or(body, "Hostname", short_id)));
        json_object_set_new(cfg, "Domainname", json_string(str_or(body, "Domainname", "")));
        json_object_set_new(cfg, "User",
                            json_string(str_or(body, "User", str_or(img, "User", ""))));
        static const char *const flags[] = {"AttachStdin", "AttachStdout", "AttachStderr"};
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                json_object_set_new(cfg, flags[i],
                                    json_boolean(json_is_true(json_object_get(body, flags[i]))));
        json_t *ports = merged_object(json_object_get(img, "ExposedPorts"),
                                      json_object_get(body, "ExposedPorts"), true);
        if (ports)
                json_object_set_new(cfg, "ExposedPorts", ports);
        static const char *const io[] = {"Tty", "OpenStdin", "StdinOnce"};
        for (size_t i = 0; i < ELEMENTSOF(io); i++)
                json_object_set_new(cfg, io[i],
                                    json_boolean(json_is_true(json_object_get(body, io[i]))));
        json_object_set_new(cfg, "Env", env ? env : json_array());
        json_object_set(cfg, "Cmd", cmd ? cmd : json_null());
        json_t *hc = json_object_get(img, "Healthcheck");
        if (json_is_object(hc))
                json_object_set(cfg, "Healthcheck", hc);
        json_object_set_new(cfg, "Image",
                            json_string(json_string_value(json_object_get(row, "Image")) ?: ""));
        json_t *vols = merged_object(json_object_get(img, "Volumes"),
                                     json_object_get(body, "Volumes"), true);
        json_object_set_new(cfg, "Volumes", vols ? vols : json_null());
        json_object_set_new(cfg, "WorkingDir",
                            json_string(str_or(body, "WorkingDir", str_or(img, "WorkingDir", ""))));
        json_object_set(cfg, "Entrypoint", ep ? ep : json_null());
        json_object_set_new(cfg, "OnBuild", json_null());
        json_object_set_new(cfg, "Labels",
                            merged_object(json_object_get(img, "Labels"),
                                          json_object_get(body, "Labels"), false));
        const char *stop = str_or(body, "StopSignal", str_or(img, "StopSignal", ""));
        if (*stop)
                json_object_set_new(cfg, "StopSignal", json_string(stop));
        if (json_is_integer(json_object_get(body, "StopTimeout")))
                json_object_set(cfg, "StopTimeout", json_object_get(body, "StopTimeout"));
        return cfg;
}

/* Docker's Mounts list from the request's Binds and Mounts (no stat: a bind whose source
 * went away still shows). */
static json_t *mounts_of(json_t *hc)
{
        json_t *out = json_array(), *b;
        size_t i;
        json_array_foreach (json_object_get(hc, "Binds"), i, b) {
                const char *spec = json_string_value(b);
                if (!spec)
                        continue;
                _cleanup_free_ char *copy = xstrdup(spec);
                char *dst = strchr(copy, ':');
                if (!dst)
                        continue;
                *dst++ = '\0';
                char *mode = strchr(dst, ':');
                if (mode)
                        *mode++ = '\0';
                json_array_append_new(
                        out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind", "Source",
                                       copy, "Destination", dst, "Mode", mode ? mode : "", "RW",
                                       !(mode && STREQ(mode, "ro")), "Propagation", "rprivate"));
        }
        json_array_foreach (json_object_get(hc, "Mounts"), i, b) {
                const char *type = json_string_value(json_object_get(b, "Type"));
                const char *dst = json_string_value(json_object_get(b, "Target"));
                if (!type || !dst)
                        continue;
                bool bind = STREQ(type, "bind");
                json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", type,
                                                     "Source", bind ? str_or(b, "Source", "") : "",
                                                     "Destination", dst, "Mode", "", "RW",
                                                     !json_is_true(json_object_get(b, "ReadOnly")),
                                                     "Propagation", bind ? "rprivate" : ""));
        }
        return out;
}

/* The network the container is in: Docker's none and host are networks of their own; the
 * default is none in Ross until there are bridge networks. */
static const char *network_of(json_t *hc)
{
        const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
        if (net && (STREQ(net, "none") || STREQ(net, "host")))
                return net;
        return NULL;
}

static json_t *networks_of(json_t *hc)
{
        json_t *nets = json_object();
        const char *net = network_of(hc);
        if (net)
                json_object_set_new(
                        nets, net,
                        json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, "
                                  "s:n, s:n}",
                                  "IPAMConfig", "Links", "Aliases", "MacAddress", "", "NetworkID",
                                  "", "EndpointID", "", "Gateway", "", "IPAddress", "",
                                  "IPPrefixLen", 0, "IPv6Gateway", "", "GlobalIPv6Address", "",
                                  "GlobalIPv6PrefixLen", 0, "DriverOpts", "DNSNames"));
        return nets;
}

/* Path and Args: what the container runs (its merged entrypoint and command). */
static json_t *command_of(json_t *cfg)
{
        json_t *a = json_array(), *v;
        size_t i;
        json_array_foreach (json_object_get(cfg, "Entrypoint"), i, v)
                json_array_append(a, v);
        json_array_foreach (json_object_get(cfg, "Cmd"), i, v)
                json_array_append(a, v);
        return a;
}

/* One list entry (Docker's ContainerSummary) and, for filters, what they look at. */
static json_t *summary_of(RossContainers *c, json_t *row, const CState *s, json_t *cfg,
                          json_t *mounts)
{
        const char *id = json_string_value(json_object_get(row, "Id"));
        json_t *hc = json_object_get(json_object_get(row, "Config"), "HostConfig");
        _cleanup_(json_decrefp) json_t *args = command_of(cfg);
        RossBuf cmd = {};
        json_t *v;
        size_t k;
        json_array_foreach (args, k, v)
                ross_buf_printf(&cmd, "%s%s", k ? " " : "", json_string_value(v));
        char status[128];
        status_text(s, status, sizeof(status));
        _cleanup_free_ char *name =
                xasprintf("/%s", json_string_value(json_object_get(row, "Name")));
        const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
        json_t *o = json_pack(
                "{s:s, s:[s], s:s, s:s, s:s, s:I, s:[], s:O, s:s, s:s, s:{s:s}, s:{s:o}, s:O}",
                "Id", id, "Names", name, "Image",
                json_string_value(json_object_get(row, "Image")) ?: "", "ImageID",
                json_string_value(json_object_get(row, "ImageId")) ?: "", "Command",
                cmd.data ? cmd.data : "", "Created",
                json_integer_value(json_object_get(row, "Created")), "Ports", "Labels",
                json_object_get(cfg, "Labels"), "State", s->status, "Status", status, "HostConfig",
                "NetworkMode", STR_EMPTY(net) ? "default" : net, "NetworkSettings", "Networks",
                networks_of(hc), "Mounts", mounts);
        ross_buf_free(&cmd);
        return o;
}

int ross_containers_list(RossContainers *c, RossContainerPick pick, void *ud, json_t **ret,
                         RossError *err)
{
        _cleanup_(json_decrefp) json_t *rows = NULL;
        json_t *row, *out = json_array();
        size_t i;
        int r = ross_db_container_list(c->db, &rows, err);
        if (r < 0) {
                json_decref(out);
                return r;
        }
        json_array_foreach (rows, i, row) {
                const char *id = json_string_value(json_object_get(row, "Id"));
                json_t *hc = json_object_get(json_object_get(row, "Config"), "HostConfig");
                CState s;
                cstate(c, id, &s);
                _cleanup_(json_decrefp) json_t *img = image_config_of(c, row);
                _cleanup_(json_decrefp) json_t *cfg = merged_config(c, id, row, img);
                _cleanup_(json_decrefp) json_t *mounts = mounts_of(hc);
                RossContainerInfo ci = {
                        .id = id,
                        .name = json_string_value(json_object_get(row, "Name")),
                        .image_id = json_string_value(json_object_get(row, "ImageId")),
                        .labels = json_object_get(cfg, "Labels"),
                        .state = s.status,
                        .exit_code = s.exit_code,
                        .started = s.started,
                        .mounts = mounts,
                        .network = network_of(hc),
                };
                bool stop = false;
                if (!pick || pick(ud, &ci, &stop))
                        json_array_append_new(out, summary_of(c, row, &s, cfg, mounts));
                if (stop)
                        break;
        }
        *ret = out;
        return 0;
}

int ross_containers_count(RossContainers *c, RossContainerCounts *ret, RossError *err)
{
        _cleanup_(json_decrefp) json_t *rows = NULL;
        RossContainerCounts n = {};
        json_t *row;
        size_t i;
        int r = ross_db_container_list(c->db, &rows, err);
        if (r < 0)
                return r;
        json_array_foreach (rows, i, row) {
                CState s;
                cstate(c, json_string_value(json_object_get(row, "Id")), &s);
                n.total++;
                if (STREQ(s.status, "running"))
                        n.running++;
                else if (STREQ(s.status, "paused"))
                        n.paused++;
                else
                        n.stopped++;
        }
        *ret = n;
        return 0;
}

/* HostConfig as Docker fills it: its defaults, then what the request gave. */
static json_t *host_config_of(RossContainers *c, json_t *hc)
{
        json_t *o = json_pack(
                "{s:n, s:s, s:{s:s, s:{}}, s:s, s:{}, s:{s:s, s:i}, s:b, s:s, s:n, s:[i,i], s:n, "
                "s:n, s:s, s:[], s:[], s:[], s:n, s:n, s:s, s:s, s:n, s:i, s:s, s:b, s:b, s:b, "
                "s:n, s:s, s:s, s:I, s:s, s:s, s:i, s:I, s:I, s:s, s:i, s:I, s:I, s:s, s:s, s:[], "
                "s:n, s:n, s:I, s:I, s:n, s:n, s:n, s:n, s:n}",
                "Binds", "ContainerIDFile", "", "LogConfig", "Type", "json-file", "Config",
                "NetworkMode", "default", "PortBindings", "RestartPolicy", "Name", "no",
                "MaximumRetryCount", 0, "AutoRemove", 0, "VolumeDriver", "", "VolumesFrom",
                "ConsoleSize", 0, 0, "CapAdd", "CapDrop", "CgroupnsMode", "private", "Dns",
                "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd", "IpcMode", "private", "Cgroup",
                "", "Links", "OomScoreAdj", 0, "PidMode", "", "Privileged", 0, "PublishAllPorts", 0,
                "ReadonlyRootfs", 0, "SecurityOpt", "UTSMode", "", "UsernsMode", "", "ShmSize",
                (json_int_t)64 * 1024 * 1024, "Runtime", c->default_runtime, "Isolation", "",
                "CpuShares", 0, "Memory", (json_int_t)0, "NanoCpus", (json_int_t)0, "CgroupParent",
                "", "BlkioWeight", 0, "CpuPeriod", (json_int_t)0, "CpuQuota", (json_int_t)0,
                "CpusetCpus", "", "CpusetMems", "", "Devices", "DeviceCgroupRules",
                "DeviceRequests", "MemoryReservation", (json_int_t)0, "MemorySwap", (json_int_t)0,
                "MemorySwappiness", "OomKillDisable", "PidsLimit", "Ulimits", "Init");
        if (json_is_object(hc))
                json_object_update(o, hc);
        /* what a client sends empty, Docker reports filled */
        json_t *lc = json_object_get(o, "LogConfig");
        if (!json_is_object(lc)) {
                lc = json_object();
                json_object_set_new(o, "LogConfig", lc);
        }
        if (STR_EMPTY(json_string_value(json_object_get(lc, "Type"))))
                json_object_set_new(lc, "Type", json_string("json-file"));
        if (!json_is_object(json_object_get(lc, "Config")))
                json_object_set_new(lc, "Config", json_object());
        json_t *rp = json_object_get(o, "RestartPolicy");
        if (!json_is_object(rp)) {
                rp = json_object();
                json_object_set_new(o, "RestartPolicy", rp);
        }
        if (STR_EMPTY(json_string_value(json_object_get(rp, "Name"))))
                json_object_set_new(rp, "Name", json_string("no"));
        if (!json_is_integer(json_object_get(rp, "MaximumRetryCount")))
                json_object_set_new(rp, "MaximumRetryCount", json_integer(0));
        if (STR_EMPTY(json_string_value(json_object_get(o, "NetworkMode"))))
                json_object_set_new(o, "NetworkMode", json_string("default"));
        if (STR_EMPTY(json_string_value(json_object_get(o, "Runtime"))))
                json_object_set_new(o, "Runtime", json_string(c->default_runtime));
        /* Docker keeps 0 and -1 as "no limit", shown as null */
        if (json_integer_value(json_object_get(o, "PidsLimit")) <= 0)
                json_object_set_new(o, "PidsLimit", json_null());
        static const char *const ints[] = {"Memory", "NanoCpus", "CpuShares", "MemorySwap"};
        for (size_t i = 0; i < ELEMENTSOF(ints); i++)
                if (!json_is_integer(json_object_get(o, ints[i])))
                        json_object_set_new(o, ints[i], json_integer(0));
        return o;
}

int ross_containers_inspect(RossContainers *c, const char *ref, json_t **ret, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_(json_decrefp) json_t *row = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        r = ross_db_container_fetch(c->db, id, &row, err);
        if (r < 0)
                return r;
        json_t *body = json_object_get(row, "Config");
        json_t *hc = json_object_get(body, "HostConfig");
        CState s;
        cstate(c, id, &s);
        _cleanup_(json_decrefp) json_t *img = image_config_of(c, row);
        json_t *cfg = merged_config(c, id, row, img);
        json_t *args = command_of(cfg);
        json_t *path =
                json_array_size(args) ? json_incref(json_array_get(args, 0)) : json_string("");
        if (json_array_size(args))
                json_array_remove(args, 0);
        const char *created = json_string_value(json_object_get(body, "RossCreated"));
        char created_buf[48];
        if (!created) {
                struct timespec t = {.tv_sec = json_integer_value(json_object_get(row, "Created"))};
                rfc3339(&t, created_buf, sizeof(created_buf));
                created = created_buf;
        }
        _cleanup_free_ char *name =
                xasprintf("/%s", json_string_value(json_object_get(row, "Name")));
        _cleanup_free_ char *logp = ross_containers_log_path(c, id);
        _cleanup_free_ char *resolv = cdir(c, id, "resolv.conf");
        _cleanup_free_ char *hostname = cdir(c, id, "hostname");
        _cleanup_free_ char *hosts = cdir(c, id, "hosts");
        _cleanup_free_ char *upper = cdir(c, id, "upper");
        _cleanup_free_ char *work = cdir(c, id, "work");
        _cleanup_free_ char *merged = cdir(c, id, "rootfs");
        json_t *o = json_pack(
                "{s:s, s:s, s:o, s:o, s:{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}, "
                "s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:n, s:o, "
                "s:{s:s, s:{s:s, s:s, s:s}}, s:o, s:o}",
                "Id", id, "Created", created, "Path", path, "Args", args, "State", "Status",
                s.status, "Running", STREQ(s.status, "running") || STREQ(s.status, "paused"),
                "Paused", STREQ(s.status, "paused"), "Restarting", 0, "OOMKilled", 0, "Dead", 0,
                "Pid", (int)s.pid, "ExitCode", s.exit_code, "Error", "", "StartedAt", s.started_at,
                "FinishedAt", s.finished_at, "Image",
                json_string_value(json_object_get(row, "ImageId")) ?: "", "ResolvConfPath", resolv,
                "HostnamePath", hostname, "HostsPath", hosts, "LogPath", logp, "Name", name,
                "RestartCount", 0, "Driver", "overlay", "Platform", "linux", "MountLabel", "",
                "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs", "HostConfig",
                host_config_of(c, hc), "GraphDriver", "Name", "overlay", "Data", "UpperDir", upper,
                "WorkDir", work, "MergedDir", merged, "Mounts", mounts_of(hc), "Config", cfg);
        json_t *ns = json_pack("{s:s, s:s, s:b, s:s, s:i, s:{}, s:s, s:n, s:n, s:s, s:s, s:s, "
                               "s:i, s:s, s:i, s:s, s:s, s:o}",
                               "Bridge", "", "SandboxID", "", "HairpinMode", 0,
                               "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen", 0, "Ports",
                               "SandboxKey", "", "SecondaryIPAddresses", "SecondaryIPv6Addresses",
                               "EndpointID", "", "Gateway", "", "GlobalIPv6Address", "",
                               "GlobalIPv6PrefixLen", 0, "IPAddress", "", "IPPrefixLen", 0,
                               "IPv6Gateway", "", "MacAddress", "", "Networks", networks_of(hc));
        json_object_set_new(o, "NetworkSettings", ns);
        *ret = o;
        return 0;
}

void ross_containers_reap_autoremove(RossContainers *c)
{
        _cleanup_(json_decrefp) json_t *rows = NULL;
        json_t *row;
        size_t i;
        if (ross_db_container_list(c->db, &rows, NULL) < 0)
                return;
        json_array_foreach (rows, i, row) {
                const char *id = json_string_value(json_object_get(row, "Id"));
                json_t *hc = json_object_get(json_object_get(row, "Config"), "HostConfig");
                CState s;
                cstate(c, id, &s);
                if (json_is_true(json_object_get(hc, "AutoRemove")) && STREQ(s.status, "exited"))
                        (void)ross_containers_remove(c, id, true, NULL);
        }
}

int ross_containers_rename(RossContainers *c, const char *ref, const char *name, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (name && *name == '/')
                name++;
        if (STR_EMPTY(name))
                return ross_errx(err, EINVAL, "Neither old nor new names may be empty");
        if (!valid_name(name))
                return ross_errx(err, EINVAL,
                                 "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                 "are allowed",
                                 name);
        _cleanup_(json_decrefp) json_t *row = NULL;
        r = ross_db_container_fetch(c->db, id, &row, err);
        if (r < 0)
                return r;
        if (STREQ(json_string_value(json_object_get(row, "Name")) ?: "", name))
                return ross_errx(err, EINVAL,
                                 "Renaming a container with the same name as its current name");
        return ross_db_container_rename(c->db, id, name, err);
}

static const char *runtime_of(RossContainers *c, json_t *row)
{
        const char *rt = json_string_value(json_object_get(
                json_object_get(json_object_get(row, "Config"), "HostConfig"), "Runtime"));
        return STR_EMPTY(rt) ? c->default_runtime : rt;
}

int ross_containers_pause(RossContainers *c, const char *ref, bool pause, RossError *err)
{
        _cleanup_free_ char *id = NULL, *root = NULL, *paused = NULL;
        json_t *row = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (!ross_containers_running(c, id))
                return ross_errx(err, EBUSY, "Container %s is not running", id);
        if (pause && is_paused(c, id))
                return ross_errx(err, EBUSY, "Container %s is already paused", id);
        if (!pause && !is_paused(c, id))
                return ross_errx(err, EBUSY, "Container %s is not paused", id);
        r = ross_db_container_fetch(c->db, id, &row, err);
        if (r < 0)
                return r;
        const char *rt = runtime_of(c, row);
        root = xasprintf("--root=%s/%s", c->runtime_root, rt);
        paused = cdir(c, id, "paused");
        const char *argv[] = {rt, root, pause ? "pause" : "resume", id, NULL};
        pid_t pid = fork();
        if (pid == 0) {
                int nul = open("/dev/null", O_RDWR);
                dup2(nul, 1);
                dup2(nul, 2);
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        int st = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        json_decref(row);
        if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return ross_errx(err, EIO, "%s %s failed", rt, pause ? "pause" : "resume");
        if (pause)
                (void)ross_write_file_replace(paused, "1", 1, 0600, NULL);
        else
                unlink(paused);
        return 0;
}
