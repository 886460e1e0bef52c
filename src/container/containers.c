/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <dirent.h>
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

#include "../basic/jsonfile.h"
#include "../event/events.h"
#include "../backend/backend.h"
#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/human.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../registry/manifest.h"
#include "../shim/shim.h"
#include "config.h"
#include "mounts.h"
#include "containers.h"
#include "network.h"
#include "spec.h"
#include "summary-cache.h"
#include "container-events.h"
#include "exec.h"
#include "health.h"
#include "monitor.h"
#include "restart.h"
#include "volume-use.h"

static char *cdir(RossContainers *c, const char *id, const char *file)
{
        return file ? xasprintf("%s/%s/%s", c->dir, id, file) : xasprintf("%s/%s", c->dir, id);
}

char *ross_containers_path(RossContainers *c, const char *id, const char *file)
{
        return cdir(c, id, file);
}

char *ross_containers_log_path(RossContainers *c, const char *id)
{
        return cdir(c, id, "container.log");
}

int ross_containers_resolve(RossContainers *c, const char *ref, char **ret_id, RossError *err)
{
        return ross_db_container_resolve(c->db, ref, ret_id, err);
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
        _cleanup_free_ char *dir = cdir(c, id, NULL);
        struct stat st;
        /* the exit file is written first; the shim may clean up a little longer */
        return stat(exitf, &st) < 0 && ross_shim_alive(dir);
}

char *ross_containers_helper(RossContainers *c, const char *name)
{
        _cleanup_free_ char *dir = xstrdup(c->shim_path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        return xasprintf("%s/%s", slash ? dir : ".", name);
}

/* Why a runtime cannot run containers here, or NULL. */
static const char *unusable(RossContainers *c, const char *runtime)
{
        return json_string_value(json_object_get(c->unusable, runtime));
}

static bool known_runtime(const char *name)
{
        return ross_backend_find(name) != NULL;
}

/* The stored typed config of a container row. */
static int config_of(json_t *row, RossContainerConfig *ret, RossError *err)
{
        int r = ross_container_config_from_json(
                json_object_get(json_object_get(row, "Config"), "RossConfig"), ret, err);
        if (r < 0)
                return ross_err_prefix(err, "container %.12s",
                                       json_string_value(json_object_get(row, "Id")) ?: "?");
        return 0;
}

int ross_containers_config_load(RossContainers *c, const char *id, json_t **ret_row,
                                RossContainerConfig *ret, RossError *err)
{
        json_auto_t *row = NULL;
        int r = ross_db_container_fetch(c->db, id, &row, err);
        if (r == 0)
                r = config_of(row, ret, err);
        if (r < 0)
                return r;
        *ret_row = TAKE_PTR(row);
        return 0;
}

int ross_containers_config_store(RossContainers *c, const char *id, json_t *row,
                                 const RossContainerConfig *cfg, RossError *err)
{
        json_t *body = json_object_get(row, "Config");
        if (!json_is_object(body))
                return ross_errx(err, EIO, "container %.12s has no stored config", id);
        json_object_set_new(body, "RossConfig", ross_container_config_to_json(cfg));
        _cleanup_free_ char *text = json_dumps(body, JSON_COMPACT);
        return ross_db_container_set_config(c->db, id, text, err);
}

bool ross_containers_paused(RossContainers *c, const char *id)
{
        _cleanup_free_ char *paused = cdir(c, id, "paused");
        struct stat st;
        return stat(paused, &st) == 0;
}

/* A new run is not paused, whatever the last one was when it ended. */
static void unlink_paused(RossContainers *c, const char *id)
{
        _cleanup_free_ char *paused = cdir(c, id, "paused");
        (void)unlink(paused);
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
        uint64_t r = 0;
        ross_random_hex(rnd, 4);
        (void)ross_parse_u64_hex(rnd, UINT32_MAX, &r);
        unsigned v = (unsigned)r;
        return xasprintf("%s_%s_%04x", adj[v % 10], noun[(v / 10) % 10], (v >> 8) & 0xffff);
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

/* The networks it names must exist. No --network given: Docker's default bridge, or none
 * where bridge networks cannot be had (no netavark here; a libkrun that cannot put a VM on
 * a network), so that a plain `run` works everywhere. */
static int check_networks(RossContainers *c, json_t *body, const RossBackend *be,
                          RossContainerConfig *cfg, RossError *err)
{
        const char *given = json_string_value(
                json_object_get(json_object_get(body, "HostConfig"), "NetworkMode"));
        bool defaulted = STR_EMPTY(given) || STREQ(given, "default");
        if (defaulted &&
            (c->networks->unusable || c->no_default_bridge ||
             (STREQ(be->kind, "krun") && !c->vm.krun_net)) &&
            json_object_size(cfg->net.endpoints) <= 1) {
                free(cfg->net.mode);
                cfg->net.mode = xstrdup("none");
                json_object_clear(cfg->net.endpoints);
                return 0;
        }
        const char *k;
        json_t *v;
        json_object_foreach (cfg->net.endpoints, k, v) {
                json_auto_t *def = NULL;
                int r = ross_network_find(c->networks, k, &def, err);
                if (r < 0)
                        return r;
                if (!ross_network_is_bridge(def))
                        return ross_errx(err, EINVAL,
                                         "container cannot be connected to network %s with other "
                                         "networks",
                                         k);
        }
        /* a network named by id or prefix: stored by its name */
        if (ross_net_mode_is_network(cfg->net.mode)) {
                json_auto_t *def = NULL;
                int r = ross_network_find(c->networks, cfg->net.mode, &def, err);
                if (r < 0)
                        return r;
                if (STREQ(ross_network_driver(def), "host") ||
                    STREQ(ross_network_driver(def), "null")) {
                        free(cfg->net.mode);
                        cfg->net.mode =
                                xstrdup(STREQ(ross_network_driver(def), "host") ? "host" : "none");
                        json_object_clear(cfg->net.endpoints);
                } else if (!STREQ(ross_network_name(def), cfg->net.mode)) {
                        json_t *ep =
                                json_incref(json_object_get(cfg->net.endpoints, cfg->net.mode));
                        json_object_del(cfg->net.endpoints, cfg->net.mode);
                        free(cfg->net.mode);
                        cfg->net.mode = xstrdup(ross_network_name(def));
                        json_auto_t *rest = json_deep_copy(cfg->net.endpoints);
                        json_object_clear(cfg->net.endpoints);
                        json_object_set_new(
                                cfg->net.endpoints, cfg->net.mode,
                                ep ? ep
                                   : json_pack("{s:[], s:s, s:s}", "aliases", "ip", "", "mac", ""));
                        json_object_update(cfg->net.endpoints, rest);
                }
        }
        return 0;
}

int ross_containers_create(RossContainers *c, json_t *body, const char *name, char **ret_id,
                           RossError *err)
{
        const char *image = json_string_value(json_object_get(body, "Image"));
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
        _cleanup_(json_decrefp) json_t *ic = NULL;
        {
                _cleanup_free_ char *text = NULL;
                size_t len;
                if (ross_content_read(c->images->content, image_id, ROSS_CONFIG_MAX, &text, &len,
                                      err) < 0)
                        return ross_err_prefix(err, "image %s", image);
                json_error_t je;
                ic = json_loadb(text, len, 0, &je);
                if (!json_is_object(ic))
                        return ross_errx(err, EINVAL, "image %s: its config is not JSON: %s", image,
                                         je.text);
        }
        /* the daemon's log driver and options where the request has none, as dockerd's */
        ross_log_config_apply_default(body, c->log_default);
        /* checked once, here; a start reads it back */
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        r = ross_container_config_parse(body, ic, c->default_runtime, known_runtime, &cfg, err);
        if (r < 0)
                return r;
        cfg.image_id = xstrdup(image_id);
        if (unusable(c, cfg.runtime))
                return ross_errx(err, EINVAL, "%s", unusable(c, cfg.runtime));
        const RossBackend *be = ross_backend_find(cfg.runtime);
        r = check_networks(c, body, be, &cfg, err);
        if (r < 0)
                return r;
        if (be->check && (r = be->check(be, c, &cfg, err)) < 0)
                return r;
        /* its volumes: made now when they are not there (undone if the create fails) */
        _cleanup_(json_decrefp) json_t *made_vols = NULL;
        if ((r = ross_container_volumes_make(c, &cfg, &made_vols, err)) < 0)
                return r;

        ross_random_hex(id, 32);
        if (!name)
                name = made = make_name();
        /* Kept with the request: the image's config as it was (inspect merges it, as Docker
         * does at create, even after the image is gone), the time with nanoseconds, and the
         * typed config. */
        _cleanup_(json_decrefp) json_t *stored = json_deep_copy(body);
        json_t *img_cfg = json_object_get(ic, "config");
        json_object_set(stored, "RossImageConfig", json_is_object(img_cfg) ? img_cfg : json_null());
        struct timespec now;
        char created[48];
        clock_gettime(CLOCK_REALTIME, &now);
        rfc3339(&now, created, sizeof(created));
        json_object_set_new(stored, "RossCreated", json_string(created));
        json_object_set_new(stored, "RossConfig", ross_container_config_to_json(&cfg));
        _cleanup_free_ char *text = json_dumps(stored, JSON_COMPACT);
        r = ross_db_container_add(c->db, id, name, image_id, image, text, err);
        if (r < 0) {
                ross_container_volumes_undo(c, made_vols);
                return r;
        }
        _cleanup_free_ char *dir = cdir(c, id, NULL);
        if ((r = ross_mkdir_p(dir, 0755, err)) < 0) {
                ross_rm_rf(dir);
                (void)ross_db_container_delete(c->db, id, NULL);
                ross_container_volumes_undo(c, made_vols);
                return r;
        }
        log_debug("container %s (%s) created from %s to run with %s", id, name, image_id,
                  cfg.runtime);
        ross_container_event(c, id, "create", NULL);
        *ret_id = xstrdup(id);
        return 0;
}

int ross_containers_write_etc(RossContainers *c, const char *id, const char *hostname,
                              const RossNetPlan *net, RossError *err)
{
        _cleanup_free_ char *hosts = cdir(c, id, "hosts");
        _cleanup_free_ char *hn = cdir(c, id, "hostname");
        _cleanup_free_ char *resolv = cdir(c, id, "resolv.conf");
        _cleanup_free_ char *n = xasprintf("%s\n", hostname);
        int r;
        if ((r = ross_write_file_replace(hosts, net->hosts, strlen(net->hosts), 0644, err)) < 0 ||
            (r = ross_write_file_replace(hn, n, strlen(n), 0644, err)) < 0)
                return r;
        return ross_write_file_replace(resolv, net->resolv, strlen(net->resolv), 0644, err);
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
        char h[16], w[16];
        snprintf(h, sizeof(h), "%u", rows);
        snprintf(w, sizeof(w), "%u", cols);
        ross_container_event(c, id, "resize", json_pack("{s:s, s:s}", "height", h, "width", w));
        return 0;
}

/* The shim of the container's last run may still be cleaning up after writing the exit
 * status (the backend's cleanup): the next run starts once it is gone. */
static void wait_old_shim(RossContainers *c, const char *id)
{
        _cleanup_free_ char *dir = cdir(c, id, NULL);
        if (!ross_shim_wait_gone(dir, 10000))
                log_warn("the last shim of container %.12s is still there", id);
}

static int start(RossContainers *c, const char *ref, bool by_policy, int *ret_exec_status,
                 RossError *err)
{
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        _cleanup_free_ char *id = NULL;
        int r;

        r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        /* a user's start: its restart count begins again, a pending restart is this one */
        if (!by_policy && !ross_containers_running(c, id))
                ross_restart_user_start(c, id);
        if (ross_containers_running(c, id) && ross_containers_paused(c, id))
                return ross_errx(err, EBUSY,
                                 "cannot start a paused container, try unpause instead");
        /* Docker answers 304 Not Modified: the API turns EALREADY into that */
        if (ross_containers_running(c, id))
                return ross_errx(err, EALREADY, "container %s is already running", ref);
        wait_old_shim(c, id);
        if ((r = ross_db_container_fetch(c->db, id, &row, err)) < 0 ||
            (r = config_of(row, &cfg, err)) < 0)
                return r;
        const RossBackend *be = ross_backend_find(cfg.runtime);
        if (!be)
                return ross_errx(err, EINVAL, "unknown or invalid runtime name: %s", cfg.runtime);
        if (unusable(c, cfg.runtime))
                return ross_errx(err, EINVAL, "%s", unusable(c, cfg.runtime));

        _cleanup_free_ char *dir = cdir(c, id, NULL);
        _cleanup_(ross_net_plan_free) RossNetPlan net = {};
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", id);
        const char *name = json_string_value(json_object_get(row, "Name")) ?: short_id;
        r = ross_container_config_check_binds(&cfg, err);
        if (r >= 0)
                r = ross_container_net_prepare(c, id, name, &cfg, cfg.hostname ?: short_id, &net,
                                               err);
        if (r >= 0) {
                r = be->prepare(be, c, id, dir, &cfg, &net, err);
                /* the image's content into empty volumes, from the root just made */
                if (r >= 0)
                        r = ross_container_volumes_populate(c, dir, &cfg, err);
                if (r < 0)
                        ross_container_net_cleanup(c, id);
        }
        if (r < 0) {
                ross_container_net_unreserve(id);
                return ross_err_prefix(err, "start container %.12s (%s)", id, cfg.runtime);
        }
        /* the host ports the shim holds, as its flags take them */
        size_t nhold = json_array_size(net.hold);
        _cleanup_free_ const char **hold = xcalloc(nhold + 1, sizeof(char *));
        for (size_t i = 0; i < nhold; i++)
                hold[i] = json_string_value(json_array_get(net.hold, i));
        _cleanup_free_ char *nvcfg = xasprintf("%s/aardvark", c->networks->run_dir);

        _cleanup_free_ char *rt_root = xasprintf("%s/%s", c->runtime_root, cfg.runtime);
        _cleanup_free_ char *started = cdir(c, id, "started");
        RossShimArgs a = {
                .shim_path = c->shim_path,
                .id = id,
                .bundle = dir,
                .runtime = cfg.runtime,
                .runtime_root = rt_root,
                .dir = dir,
                .tty = cfg.process.terminal,
                .open_stdin = cfg.open_stdin,
                .stdin_once = cfg.stdin_once,
                .log_max = (uint64_t)cfg.log.max_size,
                .log_files = (unsigned)cfg.log.max_file,
                .no_log = cfg.log.none,
                .attach_wait = attach_waiting(id),
                .netns = net.setup ? net.netns : NULL,
                .net_ready = net.ready,
                .netavark = c->networks->netavark,
                .netavark_config = nvcfg,
                .aardvark = c->networks->aardvark,
                .hold_ports = hold,
        };
        char now[32];
        snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
        (void)ross_write_file_replace(started, now, strlen(now), 0600, NULL);
        unlink_paused(c, id);
        ross_health_reset(c, id);
        pid_t pid = 0;
        r = ross_shim_start(&a, &pid, ret_exec_status, err);
        ross_container_net_unreserve(id);
        attach_wake(id);
        if (r < 0) {
                /* the shim undid what it did; what it never got to is ours */
                if (net.setup)
                        ross_container_net_cleanup(c, id);
                unlink(started); /* never ran: still "created" */
                return ross_err_prefix(err, "start container %.12s (%s)", id, cfg.runtime);
        }
        log_debug("container %s started with %s, pid %d", id, cfg.runtime, (int)pid);
        json_t *b;
        size_t bi;
        json_array_foreach (cfg.binds, bi, b) {
                const char *vol = json_string_value(json_object_get(b, "volume"));
                if (vol)
                        ross_event_emit(
                                "volume", "mount", vol,
                                json_pack("{s:s, s:s, s:s, s:s, s:s}", "driver", "local",
                                          "container", id, "destination",
                                          json_string_value(json_object_get(b, "destination")),
                                          "read/write",
                                          json_is_true(json_object_get(b, "readonly")) ? "false"
                                                                                       : "true",
                                          "propagation", ""));
        }
        ross_container_event(c, id, "start", NULL);
        ross_monitor_watch(c, id);
        ross_health_start(c, id);
        return 0;
}

int ross_containers_start(RossContainers *c, const char *ref, int *ret_exec_status, RossError *err)
{
        return start(c, ref, false, ret_exec_status, err);
}

int ross_containers_start_policy(RossContainers *c, const char *id, int *ret_exec_status,
                                 RossError *err)
{
        return start(c, id, true, ret_exec_status, err);
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
        _cleanup_(json_decrefp) json_t *j = ross_read_json(exitf, ROSS_STATE_JSON_MAX);
        return j ? (int)json_integer_value(json_object_get(j, "ExitCode")) : -1;
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

static int send_signal(RossContainers *c, const char *id, const char *ref, int sig, RossError *err)
{
        _cleanup_free_ char *sock = cdir(c, id, "attach.sock");
        if (!ross_containers_running(c, id))
                return ross_errx(err, EBUSY, "container %s is not running", id);
        int r = ross_shim_signal(sock, sig, err);
        if (r == -ESRCH)
                return ross_errx(err, EBUSY, "container %s is not running", id);
        if (r < 0)
                return ross_err_prefix(err, "kill container %s", ref);
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
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if ((r = ross_db_container_fetch(c->db, id, &row, err)) < 0 ||
            (r = config_of(row, &cfg, err)) < 0)
                return r;
        if (sig == SIGKILL || sig == cfg.stop_signal)
                ross_restart_user_stop(c, id);
        if (!ross_containers_running(c, id))
                return ross_errx(err, EBUSY, "container %s is not running", id);
        /* the event before the signal: the die it may cause comes after it, as Docker's */
        char signum[16];
        snprintf(signum, sizeof(signum), "%d", sig);
        ross_container_event(c, id, "kill", json_pack("{s:s}", "signal", signum));
        r = send_signal(c, id, ref, sig, err);
        if (r < 0)
                return r;
        /* a frozen container gets the signal once thawed: Docker unpauses for the signals
         * that end it */
        if ((sig == SIGKILL || sig == cfg.stop_signal) && ross_containers_paused(c, id))
                (void)ross_containers_pause(c, id, false, NULL);
        /* SIGKILL answers once the container is gone, as Docker's kill: a client sees it
         * exited at once */
        if (sig == SIGKILL) {
                wait_for_exit(c, id);
                ross_monitor_settle(c, id);
        }
        return 0;
}

int ross_containers_stop(RossContainers *c, const char *ref, int timeout, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        /* no restart policy brings it back, and a restart waiting is off */
        ross_restart_user_stop(c, id);
        if (!ross_containers_running(c, id))
                return 0; /* Docker: stopping a stopped container is fine */
        if ((r = ross_db_container_fetch(c->db, id, &row, err)) < 0 ||
            (r = config_of(row, &cfg, err)) < 0)
                return r;
        int sig = cfg.stop_signal;
        if (timeout < 0)
                timeout = cfg.stop_timeout >= 0 ? cfg.stop_timeout : 10;
        char signum[16];
        snprintf(signum, sizeof(signum), "%d", sig);
        ross_container_event(c, id, "kill", json_pack("{s:s}", "signal", signum));
        r = send_signal(c, id, ref, sig, err);
        if (r < 0)
                return ross_containers_running(c, id) ? r : 0;
        if (ross_containers_paused(c, id))
                (void)ross_containers_pause(c, id, false, NULL);
        for (int i = 0; i < timeout * 20 && ross_containers_running(c, id); i++)
                usleep(50000);
        if (ross_containers_running(c, id)) {
                ross_container_event(c, id, "kill", json_pack("{s:s}", "signal", "9"));
                (void)send_signal(c, id, ref, SIGKILL, NULL);
                wait_for_exit(c, id);
        }
        ross_monitor_settle(c, id);
        /* stopped is torn down too: its network is gone when stop returns */
        wait_old_shim(c, id);
        ross_container_event(c, id, "stop", NULL);
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

/* Undo what the backend prepared (its root mounted). A config that cannot be read: every
 * kind of backend's undo, each harmless where it did nothing. */
static void release(RossContainers *c, const char *id)
{
        _cleanup_free_ char *dir = cdir(c, id, NULL);
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        const RossBackend *be = NULL;
        if (ross_db_container_get(c->db, id, &row) == 0 && config_of(row, &cfg, NULL) == 0)
                be = ross_backend_find(cfg.runtime);
        if (be) {
                be->release(be, c, id, dir);
                return;
        }
        for (const RossBackend *const *b = ross_backends(); *b; b++)
                (*b)->release(*b, c, id, dir);
}

/* Must a removal wait for the container's network teardown? When its last run published
 * host ports (a container started right after must find them free) or was on a network
 * other than the default bridge (removing that network must find no endpoint left). */
static bool teardown_matters(RossContainers *c, const char *id)
{
        _cleanup_free_ char *p = cdir(c, id, "net/ports.json");
        _cleanup_free_ char *text = NULL;
        if (ross_read_file(p, ROSS_STATE_JSON_MAX, &text, NULL, NULL) == 0 &&
            strstr(text, "HostPort"))
                return true;
        _cleanup_free_ char *sp = cdir(c, id, "net/0-start.json");
        _cleanup_free_ char *cp = cdir(c, id, "net");
        json_auto_t *start = ross_read_json(sp, ROSS_STATE_JSON_MAX);
        json_t *nets = json_object_get(start, "networks");
        if (json_object_size(nets) > 1 || (nets && !json_object_get(nets, "bridge")))
                return true;
        /* a network connect: net/c-NAME.json */
        _cleanup_(closedirp) DIR *d = opendir(cp);
        struct dirent *de;
        bool more = false;
        while (d && (de = readdir(d)))
                more = more || strncmp(de->d_name, "c-", 2) == 0;
        return more;
}

int ross_containers_remove(RossContainers *c, const char *ref, bool force, bool volumes,
                           RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (ross_containers_running(c, id)) {
                /* the words of Docker 17 to 24, which clients match */
                if (!force && ross_containers_paused(c, id))
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
        ross_monitor_settle(c, id);
        int code = exit_code_of(c, id);
        if (code >= 0)
                remember_exit(id, code);
        /* Its shim tears its network down after the exit, from what it read before (the
         * directory can go). Published ports are waited for: a container started right after
         * must find them free. Then what a shim that died left. */
        if (teardown_matters(c, id))
                wait_old_shim(c, id);
        ross_container_net_cleanup(c, id);
        release(c, id);
        _cleanup_free_ char *dir = cdir(c, id, NULL);
        r = ross_rm_rf(dir);
        if (r < 0)
                return ross_err(err, r, "remove container %s", ref);
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        bool have_cfg = volumes && ross_db_container_get(c->db, id, &row) == 0 &&
                        config_of(row, &cfg, NULL) == 0;
        /* destroy while its row is there: the event carries its name and labels */
        ross_container_event(c, id, "destroy", NULL);
        r = ross_db_container_delete(c->db, id, err);
        if (r < 0)
                return r;
        ross_monitor_forget(c, id);
        ross_restart_forget(c, id);
        if (have_cfg)
                ross_container_volumes_remove_anonymous(c, id, &cfg);
        log_debug("container %s removed", id);
        return 0;
}

#define NEVER "0001-01-01T00:00:00Z" /* Go's zero time, Docker's "not yet" */

/* Where a container is in its life, from its files. */
typedef struct CState {
        const char *status; /* created, running, paused, exited */
        int exit_code;
        bool oom_killed; /* its last run ended by the kernel's OOM killer */
        bool started;    /* ran at least once */
        pid_t pid;
        char started_at[48], finished_at[48];
        double started_t, finished_t; /* Unix time, 0 when never */
} CState;

/* The state from its files, given whether it runs and whether a restart of it is pending
 * (the summary cache's key says both, as they were when it was taken). */
static void cstate_of(RossContainers *c, const char *id, bool running, bool pending, CState *ret)
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
        if (running) {
                s.status = ross_containers_paused(c, id) ? "paused" : "running";
                s.pid = read_pid(pidf);
        } else if (s.started) {
                _cleanup_(json_decrefp) json_t *j = ross_read_json(exitf, ROSS_STATE_JSON_MAX);
                const char *fin = json_string_value(json_object_get(j, "FinishedAt"));
                /* waiting for its restart policy to start it again: Docker's "restarting" */
                s.status = pending ? "restarting" : "exited";
                s.exit_code = j ? (int)json_integer_value(json_object_get(j, "ExitCode")) : 0;
                s.oom_killed = json_is_true(json_object_get(j, "OOMKilled"));
                if (fin && ross_parse_rfc3339(fin) > 0) {
                        snprintf(s.finished_at, sizeof(s.finished_at), "%s", fin);
                        s.finished_t = ross_parse_rfc3339(fin);
                }
        }
        *ret = s;
}

/* The state as it is now. */
static void cstate(RossContainers *c, const char *id, CState *ret)
{
        bool running = ross_containers_running(c, id);
        cstate_of(c, id, running, !running && ross_restart_pending(c, id), ret);
}

/* Docker's State.String() at t (Unix time): "Up 5 seconds", "Up 2 hours (Paused)", "Exited
 * (0) 2 minutes ago", "Created". */
static void status_text(const CState *s, double t, char *buf, size_t n)
{
        char d[64];
        if (STREQ(s->status, "running") || STREQ(s->status, "paused")) {
                ross_human_duration(t - s->started_t, d, sizeof(d));
                snprintf(buf, n, "Up %s%s", d, STREQ(s->status, "paused") ? " (Paused)" : "");
        } else if (STREQ(s->status, "created"))
                snprintf(buf, n, "Created");
        else if (STREQ(s->status, "restarting")) {
                ross_human_duration(t - (s->finished_t > 0 ? s->finished_t : t), d, sizeof(d));
                snprintf(buf, n, "Restarting (%d) %s ago", s->exit_code, d);
        } else if (s->finished_t <= 0)
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
        _cleanup_(json_decrefp) json_t *o = json_object();
        if (json_is_object(a))
                json_object_update(o, a);
        if (json_is_object(b))
                json_object_update(o, b);
        if (null_if_empty && json_object_size(o) == 0)
                return NULL;
        return TAKE_PTR(o);
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
        /* the container's own fields over the image's, as the check runs */
        json_t *hc = json_object_get(img, "Healthcheck");
        json_t *own_hc = json_object_get(body, "Healthcheck");
        json_auto_t *mhc = NULL;
        if (json_is_object(own_hc)) {
                mhc = json_is_object(hc) ? json_deep_copy(hc) : json_object();
                const char *k;
                json_t *v;
                json_object_foreach (own_hc, k, v)
                        if (!json_is_null(v) && !(json_is_integer(v) && !json_integer_value(v)) &&
                            !(json_is_array(v) && !json_array_size(v)))
                                json_object_set(mhc, k, v);
                hc = mhc;
        }
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
/* Mounts from the request alone: a container stored by an older Ross without a typed
 * config. */
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

/* One list entry (Docker's ContainerSummary), with status as its Status. lc: its typed
 * config, NULL when it has none that can be read. */
static json_t *summary_of(RossContainers *c, json_t *row, const CState *s, json_t *cfg,
                          json_t *mounts, const RossContainerConfig *lc, const char *status)
{
        const char *id = json_string_value(json_object_get(row, "Id"));
        json_t *hc = json_object_get(json_object_get(row, "Config"), "HostConfig");
        _cleanup_(json_decrefp) json_t *args = command_of(cfg);
        _cleanup_(ross_buf_free) RossBuf cmd = {};
        json_t *v;
        size_t k;
        json_array_foreach (args, k, v)
                ross_buf_printf(&cmd, "%s%s", k ? " " : "", json_string_value(v));
        _cleanup_free_ char *name =
                xasprintf("/%s", json_string_value(json_object_get(row, "Name")));
        const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
        bool running = STREQ(s->status, "running") || STREQ(s->status, "paused");
        json_t *ports, *nets;
        if (lc) {
                json_auto_t *ns = ross_container_net_settings(
                        c, id, json_string_value(json_object_get(row, "Name")) ?: id, lc, running);
                nets = json_incref(json_object_get(ns, "Networks"));
                ports = ross_container_net_ports_summary(c, id, lc, running);
        } else {
                nets = networks_of(hc);
                ports = json_array();
        }
        json_t *o = json_pack(
                "{s:s, s:[s], s:s, s:s, s:s, s:I, s:o, s:O, s:s, s:s, s:{s:s}, s:{s:o}, s:O}", "Id",
                id, "Names", name, "Image", json_string_value(json_object_get(row, "Image")) ?: "",
                "ImageID", json_string_value(json_object_get(row, "ImageId")) ?: "", "Command",
                cmd.data ? cmd.data : "", "Created",
                json_integer_value(json_object_get(row, "Created")), "Ports", ports, "Labels",
                json_object_get(cfg, "Labels"), "State", s->status, "Status", status, "HostConfig",
                "NetworkMode", STR_EMPTY(net) ? "default" : net, "NetworkSettings", "Networks",
                nets, "Mounts", mounts);
        return o;
}

/* A container's list entry as the summary cache keeps it: what the list filters look at,
 * and its JSON around Status, which changes with the clock ("Up 5 seconds") and is made at
 * each list. */
typedef struct SummaryPart {
        char *name, *image_id, *network, *health;
        json_t *labels, *mounts;
        CState s;
        char *head; /* {"Id":...,"State":"..." */
        char *tail; /* ,"HostConfig":...} */
        size_t head_len, tail_len;
} SummaryPart;

static void summary_part_free(void *data)
{
        SummaryPart *sp = data;
        if (!sp)
                return;
        free(sp->name);
        free(sp->image_id);
        free(sp->network);
        free(sp->health);
        json_decref(sp->labels);
        json_decref(sp->mounts);
        free(sp->head);
        free(sp->tail);
        free(sp);
}

static char *xstrdup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

/* The entry's JSON text cut around its Status (made ""): head and tail, or false. */
static bool split_at_status(json_t *o, SummaryPart *sp)
{
        static const char status[] = ",\"Status\":\"\"";
        json_auto_t *before = json_object();
        const char *k;
        json_t *v;
        json_object_foreach (o, k, v) {
                if (STREQ(k, "Status"))
                        break;
                json_object_set(before, k, v);
        }
        _cleanup_free_ char *all = json_dumps(o, JSON_COMPACT);
        _cleanup_free_ char *head = json_dumps(before, JSON_COMPACT);
        size_t hl = head ? strlen(head) : 0;
        /* all is head without its closing brace, the empty Status, then the rest */
        if (!all || hl < 2 || strncmp(all, head, hl - 1) != 0 ||
            strncmp(all + hl - 1, status, strlen(status)) != 0)
                return false;
        head[hl - 1] = '\0';
        sp->head_len = hl - 1;
        sp->head = TAKE_PTR(head);
        sp->tail = xstrdup(all + hl - 1 + strlen(status));
        sp->tail_len = strlen(sp->tail);
        return true;
}

static SummaryPart *summary_part_make(RossContainers *c, const char *id, json_t *row,
                                      const RossCacheKey *key)
{
        json_t *body = json_object_get(row, "Config");
        json_t *hc = json_object_get(body, "HostConfig");
        SummaryPart *sp = xcalloc(1, sizeof(*sp));
        cstate_of(c, id, key->running, key->pending, &sp->s);
        _cleanup_(json_decrefp) json_t *img = image_config_of(c, row);
        _cleanup_(json_decrefp) json_t *cfg = merged_config(c, id, row, img);
        _cleanup_(ross_container_config_free) RossContainerConfig lc = {};
        bool have_cfg = config_of(row, &lc, NULL) == 0;
        sp->mounts = have_cfg ? ross_container_mounts_inspect(&lc, hc) : mounts_of(hc);
        sp->health = ross_health_status(
                c, id, json_object_get(json_object_get(body, "RossConfig"), "health"));
        sp->name = xstrdup_or_null(json_string_value(json_object_get(row, "Name")));
        sp->image_id = xstrdup_or_null(json_string_value(json_object_get(row, "ImageId")));
        sp->labels = json_incref(json_object_get(cfg, "Labels"));
        sp->network = xstrdup_or_null(have_cfg ? lc.net.mode : network_of(hc));
        json_auto_t *o = summary_of(c, row, &sp->s, cfg, sp->mounts, have_cfg ? &lc : NULL, "");
        /* no JSON of it (a text that is not UTF-8): the filters see it, the list leaves it
         * out */
        if (o && !split_at_status(o, sp))
                log_debug("container %.12s: its list entry cannot be cut at Status", id);
        return sp;
}

/* Docker's State.String() at now (Unix time) with the health as ps shows it: "Up 5 seconds
 * (healthy)". */
static void summary_status(const SummaryPart *sp, double now, char *buf, size_t n)
{
        status_text(&sp->s, now, buf, n);
        if (sp->health && STREQ(sp->s.status, "running")) {
                size_t l = strlen(buf);
                snprintf(buf + l, n - l, STREQ(sp->health, "starting") ? " (health: %s)" : " (%s)",
                         sp->health);
        }
}

/* s as JSON, as jansson writes it; false when it is not UTF-8. */
static bool append_json_string(RossBuf *out, const char *s)
{
        bool plain = true;
        for (const char *p = s; *p && plain; p++)
                plain = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
        if (plain) {
                (void)ross_buf_append(out, "\"", 1);
                (void)ross_buf_append(out, s, strlen(s));
                (void)ross_buf_append(out, "\"", 1);
                return true;
        }
        json_auto_t *j = json_string(s);
        _cleanup_free_ char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
        if (!text)
                return false;
        (void)ross_buf_append(out, text, strlen(text));
        return true;
}

/* The entry, with its Status as of now; nothing when it has no JSON. */
static void append_summary(RossBuf *out, const SummaryPart *sp, double now, bool first)
{
        char status[160];
        if (!sp->head)
                return;
        summary_status(sp, now, status, sizeof(status));
        _cleanup_(ross_buf_free) RossBuf st = {};
        if (!append_json_string(&st, status))
                return;
        if (!first)
                (void)ross_buf_append(out, ",", 1);
        (void)ross_buf_append(out, sp->head, sp->head_len);
        (void)ross_buf_append(out, ",\"Status\":", strlen(",\"Status\":"));
        (void)ross_buf_append(out, st.data, st.len);
        (void)ross_buf_append(out, sp->tail, sp->tail_len);
}

static json_t *inspect_of(RossContainers *c, const char *id, json_t *row, const RossCacheKey *key);

/* Inspect's answer as the summary cache keeps it: the JSON text. */
static void inspect_part_free(void *data)
{
        free(data);
}

static char *inspect_part_make(RossContainers *c, const char *id, json_t *row,
                               const RossCacheKey *key)
{
        json_auto_t *o = inspect_of(c, id, row, key);
        return o ? json_dumps(o, JSON_COMPACT) : NULL;
}

/* The part of kind for container id at row version (-1: unknown): the one kept, or made
 * now (and kept). -ENOENT when its row has gone, -EIO. */
static int part_of(RossContainers *c, const char *id, int64_t version, RossCachedKind kind,
                   RossCached **ret, RossError *err)
{
        RossCached *p = ross_summary_cache_get(c, id, version, kind);
        if (p) {
                *ret = p;
                return 0;
        }
        json_auto_t *row = NULL;
        int r = ross_db_container_fetch(c->db, id, &row, err);
        if (r < 0)
                return r;
        p = ross_cached_new(c, id, json_integer_value(json_object_get(row, "Version")));
        if (kind == ROSS_CACHED_SUMMARY) {
                p->data = summary_part_make(c, id, row, &p->key);
                p->free_data = summary_part_free;
        } else {
                p->data = inspect_part_make(c, id, row, &p->key);
                p->free_data = inspect_part_free;
        }
        /* a container from before Ross kept its image's config: read from the image store,
         * which is none of the key's */
        if (json_is_object(json_object_get(json_object_get(row, "Config"), "RossImageConfig")))
                ross_summary_cache_put(c, id, kind, p);
        *ret = p;
        return 0;
}

int ross_containers_list_text(RossContainers *c, RossContainerPick pick, void *ud, RossBuf *ret,
                              RossError *err)
{
        RossCacheRows *rows = NULL;
        int r = ross_summary_cache_rows(c, &rows, err);
        if (r < 0)
                return r;
        _cleanup_(ross_buf_free) RossBuf out = {};
        bool first = true;
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        double now = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
        (void)ross_buf_append(&out, "[", 1);
        for (size_t i = 0; i < rows->n; i++) {
                const char *id = rows->v[i].id;
                _cleanup_(ross_cached_unrefp) RossCached *p = NULL;
                r = part_of(c, id, rows->v[i].version, ROSS_CACHED_SUMMARY, &p, err);
                if (r == -ENOENT)
                        continue; /* removed since the rows were read */
                if (r < 0)
                        break;
                const SummaryPart *sp = p->data;
                RossContainerInfo ci = {
                        .health = sp->health ? sp->health : "none",
                        .id = id,
                        .name = sp->name,
                        .image_id = sp->image_id,
                        .labels = sp->labels,
                        .state = sp->s.status,
                        .exit_code = sp->s.exit_code,
                        .started = sp->s.started,
                        .mounts = sp->mounts,
                        .network = sp->network,
                };
                bool stop = false;
                if (!pick || pick(ud, &ci, &stop)) {
                        size_t before = out.len;
                        append_summary(&out, sp, now, first);
                        first = first && out.len == before;
                }
                if (stop)
                        break;
        }
        ross_cache_rows_unref(rows);
        if (r < 0 && r != -ENOENT)
                return r;
        (void)ross_buf_append(&out, "]", 1);
        *ret = out;
        out = (RossBuf){};
        return 0;
}

int ross_containers_list(RossContainers *c, RossContainerPick pick, void *ud, json_t **ret,
                         RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf text = {};
        int r = ross_containers_list_text(c, pick, ud, &text, err);
        if (r < 0)
                return r;
        json_t *list = json_loadb(text.data, text.len, 0, NULL);
        if (!json_is_array(list)) {
                json_decref(list);
                return ross_errx(err, EIO, "list containers: the list made is not JSON");
        }
        *ret = list;
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

/* Docker's ContainerInspectResponse of the container of row, in the state key says. */
static json_t *inspect_of(RossContainers *c, const char *id, json_t *row, const RossCacheKey *key)
{
        json_t *body = json_object_get(row, "Config");
        json_t *hc = json_object_get(body, "HostConfig");
        CState s;
        cstate_of(c, id, key->running, key->pending, &s);
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
        _cleanup_(ross_container_config_free) RossContainerConfig rc = {};
        bool have_cfg = config_of(row, &rc, NULL) == 0;
        json_t *o = json_pack(
                "{s:s, s:s, s:o, s:o, s:{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}, "
                "s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:n, s:o, "
                "s:{s:s, s:{s:s, s:s, s:s}}, s:o, s:o}",
                "Id", id, "Created", created, "Path", path, "Args", args, "State", "Status",
                s.status, "Running", STREQ(s.status, "running") || STREQ(s.status, "paused"),
                "Paused", STREQ(s.status, "paused"), "Restarting", STREQ(s.status, "restarting"),
                "OOMKilled", s.oom_killed, "Dead", 0, "Pid", (int)s.pid, "ExitCode", s.exit_code,
                "Error", "", "StartedAt", s.started_at, "FinishedAt", s.finished_at, "Image",
                json_string_value(json_object_get(row, "ImageId")) ?: "", "ResolvConfPath", resolv,
                "HostnamePath", hostname, "HostsPath", hosts, "LogPath",
                have_cfg && rc.log.none ? "" : logp, "Name", name, "RestartCount",
                ross_restart_count(c, id), "Driver", "overlay", "Platform", "linux", "MountLabel",
                "", "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs", "HostConfig",
                host_config_of(c, hc), "GraphDriver", "Name", "overlay", "Data", "UpperDir", upper,
                "WorkDir", work, "MergedDir", merged, "Mounts",
                have_cfg ? ross_container_mounts_inspect(&rc, hc) : mounts_of(hc), "Config", cfg);
        json_t *health = ross_health_state(
                c, id, json_object_get(json_object_get(body, "RossConfig"), "health"));
        if (health)
                json_object_set_new(json_object_get(o, "State"), "Health", health);
        json_t *ns;
        if (have_cfg)
                ns = ross_container_net_settings(
                        c, id, json_string_value(json_object_get(row, "Name")) ?: id, &rc,
                        STREQ(s.status, "running") || STREQ(s.status, "paused"));
        else
                ns = json_pack("{s:{}, s:{}}", "Ports", "Networks");
        json_object_set_new(o, "NetworkSettings", ns);
        return o;
}

int ross_containers_inspect_text(RossContainers *c, const char *ref, RossBuf *ret, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int64_t version;
        int r = ross_summary_cache_resolve(c, ref, &id, &version, err);
        if (r < 0)
                return r;
        _cleanup_(ross_cached_unrefp) RossCached *p = NULL;
        if ((r = part_of(c, id, version, ROSS_CACHED_INSPECT, &p, err)) < 0)
                return r;
        /* what answering with a JSON object that cannot be written gives */
        const char *text = p->data ? p->data : "{}";
        _cleanup_(ross_buf_free) RossBuf out = {};
        (void)ross_buf_append(&out, text, strlen(text));
        *ret = out;
        out = (RossBuf){};
        return 0;
}

int ross_containers_inspect(RossContainers *c, const char *ref, json_t **ret, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf text = {};
        int r = ross_containers_inspect_text(c, ref, &text, err);
        if (r < 0)
                return r;
        json_t *o = json_loadb(text.data, text.len, 0, NULL);
        if (!json_is_object(o)) {
                json_decref(o);
                return ross_errx(err, EIO, "inspect container %s: the answer made is not JSON",
                                 ref);
        }
        *ret = o;
        return 0;
}

void ross_containers_watch_running(RossContainers *c)
{
        _cleanup_(json_decrefp) json_t *rows = NULL;
        if (ross_db_container_list(c->db, &rows, NULL) < 0)
                return;
        json_t *row;
        size_t i;
        json_array_foreach (rows, i, row) {
                const char *id = json_string_value(json_object_get(row, "Id"));
                if (id && ross_containers_running(c, id)) {
                        ross_monitor_watch(c, id);
                        ross_exec_watch_running(c, id);
                        ross_health_start(c, id);
                }
        }
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
                        (void)ross_containers_remove(c, id, true, true, NULL);
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
        const char *old_name = json_string_value(json_object_get(row, "Name")) ?: "";
        if (STREQ(old_name, name))
                return ross_errx(err, EINVAL,
                                 "Renaming a container with the same name as its current name");
        _cleanup_free_ char *was = xasprintf("/%s", old_name);
        if ((r = ross_db_container_rename(c->db, id, name, err)) < 0)
                return r;
        ross_container_event(c, id, "rename", json_pack("{s:s}", "oldName", was));
        return 0;
}

int ross_containers_pause(RossContainers *c, const char *ref, bool pause, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r < 0)
                return r;
        if (!ross_containers_running(c, id))
                return ross_errx(err, EBUSY, "Container %s is not running", id);
        if (pause && ross_containers_paused(c, id))
                return ross_errx(err, EBUSY, "Container %s is already paused", id);
        if (!pause && !ross_containers_paused(c, id))
                return ross_errx(err, EBUSY, "Container %s is not paused", id);
        _cleanup_free_ char *sock = cdir(c, id, "attach.sock");
        _cleanup_free_ char *paused = cdir(c, id, "paused");
        r = ross_shim_pause(sock, pause, err);
        if (r == -ESRCH)
                return ross_errx(err, EBUSY, "Container %s is not running", id);
        if (r < 0)
                return ross_err_prefix(err, "%s container %.12s", pause ? "pause" : "unpause", id);
        if (pause)
                (void)ross_write_file_replace(paused, "1", 1, 0600, NULL);
        else
                unlink(paused);
        ross_health_paused(id);
        ross_container_event(c, id, pause ? "pause" : "unpause", NULL);
        return 0;
}
