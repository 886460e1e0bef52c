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
#include "../basic/log.h"
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
        if (ross_read_file(path, 64, &text, NULL, NULL) < 0)
                return 0;
        long v = strtol(text, NULL, 10);
        return v > 0 ? (pid_t)v : 0;
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
        const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
        if (!STR_EMPTY(net) && !STREQ(net, "none") && !STREQ(net, "host") &&
            !STREQ(net, "default") && !STREQ(net, "bridge"))
                return ross_errx(err, EINVAL, "network mode %s is not supported (none or host)",
                                 net);
        json_t *binds = NULL;
        r = parse_binds(json_object_get(hc, "Binds"), json_object_get(hc, "Mounts"), &binds, err);
        if (r < 0)
                return r;
        json_decref(binds);
        /* a command must come from somewhere */
        {
                _cleanup_free_ char *cfg = NULL;
                size_t len;
                RossProcessSpec p = {};
                json_t *ic = NULL;
                if (ross_content_read(c->images->content, image_id, ROSS_CONFIG_MAX, &cfg, &len,
                                      err) < 0)
                        return ross_err_prefix(err, "image %s", image);
                ic = json_loadb(cfg, len, 0, NULL);
                r = ross_process_merge(ic, json_object_get(body, "Entrypoint"),
                                       json_object_get(body, "Cmd"), json_object_get(body, "Env"),
                                       json_string_value(json_object_get(body, "WorkingDir")),
                                       json_string_value(json_object_get(body, "User")), &p, err);
                json_decref(ic);
                ross_process_spec_free(&p);
                if (r < 0)
                        return r;
        }

        ross_random_hex(id, 32);
        if (!name)
                name = made = make_name();
        char *text = json_dumps(body, JSON_COMPACT);
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
                ross_db_container_delete(c->db, id);
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
        if (ross_containers_running(c, id))
                return ross_errx(err, EBUSY, "container %s is already running", ref);
        wait_old_shim(c, id);
        r = ross_db_container_get(c->db, id, &row);
        if (r < 0)
                return ross_errx(err, ENOENT, "No such container: %s", ref);
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
        return ross_containers_resolve(c, id, &still, NULL) < 0;
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

static int parse_signal(const char *s)
{
        static const struct {
                const char *name;
                int sig;
        } table[] = {{"HUP", SIGHUP},   {"INT", SIGINT},    {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
                     {"USR1", SIGUSR1}, {"USR2", SIGUSR2},  {"TERM", SIGTERM}, {"STOP", SIGSTOP},
                     {"CONT", SIGCONT}, {"WINCH", SIGWINCH}};
        if (STR_EMPTY(s))
                return SIGKILL;
        if (isdigit((unsigned char)s[0])) {
                long v = strtol(s, NULL, 10);
                return v > 0 && v < 65 ? (int)v : -1;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(s, table[i].name) == 0)
                        return table[i].sig;
        return -1;
}

int ross_containers_kill(RossContainers *c, const char *ref, const char *signal, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        int sig = parse_signal(signal);
        if (sig < 0)
                return ross_errx(err, EINVAL, "invalid signal: %s", signal);
        if (!ross_containers_running(c, id))
                return ross_errx(err, EBUSY, "container %s is not running", ref);
        _cleanup_free_ char *pidf = cdir(c, id, "container.pid");
        pid_t pid = read_pid(pidf);
        if (pid <= 0 || kill(pid, sig) < 0)
                return ross_err(err, pid <= 0 ? ESRCH : errno, "kill container %s", ref);
        return 0;
}

int ross_containers_stop(RossContainers *c, const char *ref, int timeout, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        json_t *row = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (!ross_containers_running(c, id))
                return 0; /* Docker: stopping a stopped container is fine */
        ross_db_container_get(c->db, id, &row);
        json_t *body = json_object_get(row, "Config");
        const char *sig = json_string_value(json_object_get(body, "StopSignal"));
        if (timeout < 0)
                timeout = json_is_integer(json_object_get(body, "StopTimeout"))
                                  ? (int)json_integer_value(json_object_get(body, "StopTimeout"))
                                  : 10;
        r = ross_containers_kill(c, id, sig ? sig : "TERM", err);
        json_decref(row);
        if (r < 0)
                return ross_containers_running(c, id) ? r : 0;
        for (int i = 0; i < timeout * 20 && ross_containers_running(c, id); i++)
                usleep(50000);
        if (ross_containers_running(c, id)) {
                r = ross_containers_kill(c, id, "KILL", err);
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
                if (!force)
                        return ross_errx(err, EBUSY,
                                         "cannot remove container \"%s\": container is running: "
                                         "stop the container before removing or force remove",
                                         ref);
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
        ross_db_container_delete(c->db, id);
        log_debug("container %s removed", id);
        return 0;
}

static const char *state_name(RossContainers *c, const char *id, int *ret_code)
{
        _cleanup_free_ char *started = cdir(c, id, "started");
        struct stat st;
        *ret_code = 0;
        if (ross_containers_running(c, id)) {
                _cleanup_free_ char *paused = cdir(c, id, "paused");
                return stat(paused, &st) == 0 ? "paused" : "running";
        }
        if (stat(started, &st) < 0)
                return "created";
        *ret_code = exit_code_of(c, id);
        return "exited";
}

static json_t *args_of(json_t *body)
{
        json_t *a = json_array(), *v;
        size_t i;
        json_array_foreach (json_object_get(body, "Entrypoint"), i, v)
                json_array_append(a, v);
        json_array_foreach (json_object_get(body, "Cmd"), i, v)
                json_array_append(a, v);
        return a;
}

json_t *ross_containers_list(RossContainers *c, bool all)
{
        json_t *rows = ross_db_container_list(c->db), *row, *out = json_array();
        size_t i;
        json_array_foreach (rows, i, row) {
                const char *id = json_string_value(json_object_get(row, "Id"));
                int code;
                const char *state = state_name(c, id, &code);
                if (!all && !STREQ(state, "running") && !STREQ(state, "paused"))
                        continue;
                json_t *body = json_object_get(row, "Config");
                json_t *args = args_of(body);
                RossBuf cmd = {};
                json_t *v;
                size_t k;
                json_array_foreach (args, k, v)
                        ross_buf_printf(&cmd, "%s%s", k ? " " : "", json_string_value(v));
                json_decref(args);
                char status[64];
                if (STREQ(state, "running"))
                        snprintf(status, sizeof(status), "Up");
                else if (STREQ(state, "paused"))
                        snprintf(status, sizeof(status), "Up (Paused)");
                else if (STREQ(state, "created"))
                        snprintf(status, sizeof(status), "Created");
                else
                        snprintf(status, sizeof(status), "Exited (%d)", code);
                _cleanup_free_ char *name =
                        xasprintf("/%s", json_string_value(json_object_get(row, "Name")));
                json_array_append_new(
                        out,
                        json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:s, s:s, s:O, s:{}, s:[]}",
                                  "Id", id, "Names", name, "Image",
                                  json_string_value(json_object_get(row, "Image")), "ImageID",
                                  json_string_value(json_object_get(row, "ImageId")), "Command",
                                  cmd.data ? cmd.data : "", "Created",
                                  json_integer_value(json_object_get(row, "Created")), "State",
                                  state, "Status", status, "Labels",
                                  json_object_get(body, "Labels") ?: json_object(), "HostConfig",
                                  "Mounts"));
                ross_buf_free(&cmd);
        }
        json_decref(rows);
        return out;
}

int ross_containers_inspect(RossContainers *c, const char *ref, json_t **ret, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        json_t *row = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (ross_db_container_get(c->db, id, &row) < 0)
                return ross_errx(err, ENOENT, "No such container: %s", ref);
        int code;
        const char *state = state_name(c, id, &code);
        _cleanup_free_ char *pidf = cdir(c, id, "container.pid");
        _cleanup_free_ char *name =
                xasprintf("/%s", json_string_value(json_object_get(row, "Name")));
        _cleanup_free_ char *logp = ross_containers_log_path(c, id);
        json_t *body = json_object_get(row, "Config");
        json_t *o = json_pack(
                "{s:s, s:s, s:{s:s, s:b, s:b, s:i, s:i}, s:s, s:s, s:O, s:O, s:s, s:o}", "Id", id,
                "Name", name, "State", "Status", state, "Running",
                STREQ(state, "running") || STREQ(state, "paused"), "Paused", STREQ(state, "paused"),
                "Pid",
                !STREQ(state, "exited") && !STREQ(state, "created") ? (int)read_pid(pidf) : 0,
                "ExitCode", code < 0 ? 0 : code, "Image",
                json_string_value(json_object_get(row, "ImageId")), "LogPath", logp, "Config", body,
                "HostConfig", json_object_get(body, "HostConfig") ?: json_object(), "Driver",
                "overlay", "Args", args_of(body));
        json_decref(row);
        *ret = o;
        return 0;
}

void ross_containers_reap_autoremove(RossContainers *c)
{
        json_t *rows = ross_db_container_list(c->db), *row;
        size_t i;
        json_array_foreach (rows, i, row) {
                const char *id = json_string_value(json_object_get(row, "Id"));
                json_t *hc = json_object_get(json_object_get(row, "Config"), "HostConfig");
                int code;
                if (json_is_true(json_object_get(hc, "AutoRemove")) &&
                    STREQ(state_name(c, id, &code), "exited"))
                        (void)ross_containers_remove(c, id, true, NULL);
        }
        json_decref(rows);
}

int ross_containers_rename(RossContainers *c, const char *ref, const char *name, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (name && *name == '/')
                name++;
        if (STR_EMPTY(name) || !valid_name(name))
                return ross_errx(err, EINVAL,
                                 "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                 "are allowed",
                                 name ? name : "");
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
                return ross_errx(err, EBUSY, "container %s is not running", ref);
        if (ross_db_container_get(c->db, id, &row) < 0)
                return ross_errx(err, ENOENT, "No such container: %s", ref);
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
