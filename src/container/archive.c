/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker cp and export: the daemon decides which view of a container's files the helper
 * gets and hands it the data; the helper (src/helper/serve-archive.c) does the walking.
 */
#include <sys/stat.h>

#include "../backend/backend.h"
#include "../basic/argv.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../helper/client.h"
#include "archive.h"
#include "config.h"
#include "container-events.h"
#include "containers.h"
#include "spec.h"

struct RossContainerArchive {
        RossHelper *h;
        int fd; /* our end of the data */
        char *id;
        char *what;
};

typedef enum Op { OP_STAT, OP_GET, OP_PUT, OP_EXPORT } Op;

/* The first process of a running container, from its pid file (0: none). */
static long long container_pid(RossContainers *c, const char *id)
{
        _cleanup_free_ char *pidf = ross_containers_path(c, id, "container.pid");
        _cleanup_free_ char *text = NULL;
        int v;
        if (ross_read_file(pidf, 64, &text, NULL, NULL) < 0 ||
            ross_parse_int(text, 1, INT32_MAX, &v) < 0)
                return 0;
        return v;
}

static void add_bind(json_t *binds, const char *src, const char *dst, bool ro)
{
        json_array_append_new(binds, json_pack("{s:s, s:s, s:b}", "source", src, "destination", dst,
                                               "readonly", ro));
}

/*
 * The view of the container's files the helper opens (serve-archive.c): its root on the
 * host; the pid of its first process when it runs in a mount namespace of this host; else
 * the volumes and binds to mount over the root (for an export, none: Docker's export has
 * the root alone).
 */
static json_t *view_of(RossContainers *c, const char *id, const RossBackend *be,
                       const RossContainerConfig *cfg, Op op, bool running)
{
        _cleanup_free_ char *dir = ross_containers_path(c, id, NULL);
        json_t *v = json_pack("{s:s+, s:b, s:b}", "root", dir, "/rootfs", "write", op == OP_PUT,
                              "readonly_root", cfg->readonly_rootfs);
        if (op == OP_EXPORT)
                return v;
        long long pid = running && be->host_mounts ? container_pid(c, id) : 0;
        if (pid > 0) {
                json_object_set_new(v, "pid", json_integer(pid));
                return v;
        }
        json_t *binds = json_array();
        json_t *b;
        size_t i;
        json_array_foreach (cfg->binds, i, b)
                if (!STR_EMPTY(json_string_value(json_object_get(b, "source"))))
                        json_array_append(binds, b);
        if (be->host_mounts) {
                /* the runtime binds these over the root at each start */
                static const char *const etc[][2] = {
                        {"hosts", "/etc/hosts"},
                        {"hostname", "/etc/hostname"},
                        {"resolv.conf", "/etc/resolv.conf"},
                };
                for (size_t k = 0; k < ELEMENTSOF(etc); k++) {
                        _cleanup_free_ char *src = ross_containers_path(c, id, etc[k][0]);
                        struct stat st;
                        if (stat(src, &st) == 0 && S_ISREG(st.st_mode))
                                add_bind(binds, src, etc[k][1], false);
                }
        }
        json_object_set_new(v, "binds", binds);
        return v;
}

/* The container's user as the owner of what a copy with copyUIDGID brings (Docker's rule:
 * only when the container has a user); *ret_owner NULL otherwise. */
static int owner_of(RossContainers *c, const char *id, const RossContainerConfig *cfg,
                    json_t **ret_owner, RossError *err)
{
        *ret_owner = NULL;
        if (STR_EMPTY(cfg->process.user))
                return 0;
        _cleanup_free_ char *rootfs = ross_containers_path(c, id, "rootfs");
        _cleanup_(ross_ids_free) RossIds ids = {};
        int r = ross_resolve_ids(rootfs, cfg->process.user, NULL, &ids, err);
        if (r < 0)
                return r;
        *ret_owner = json_pack("[I, I]", (json_int_t)ids.uid, (json_int_t)ids.gid);
        return 0;
}

static void archive_free(RossContainerArchive *a)
{
        if (!a)
                return;
        safe_close(a->fd);
        ross_helper_free(a->h);
        free(a->id);
        free(a->what);
        free(a);
}

static void archive_freep(RossContainerArchive **a)
{
        archive_free(*a);
}

/*
 * Start the helper for op on container ref: in_fd and out_fd are its stdin and stdout (-1:
 * none). *ret_owner (PUT with copyUIDGID) the owner to give. The caller sends the request.
 */
static int start(RossContainers *c, const char *ref, Op op, const RossArchivePut *put, int in_fd,
                 int out_fd, RossContainerArchive **ret, json_t **ret_owner, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        _cleanup_(ross_argv_free) RossArgv argv = {};
        int r = ross_containers_resolve(c, ref, &id, err);
        if (r == 0)
                r = ross_containers_config_load(c, id, &row, &cfg, err);
        if (r < 0)
                return r;
        const RossBackend *be = ross_backend_find(cfg.runtime);
        if (!be)
                return ross_errx(err, EINVAL, "unknown or invalid runtime name: %s", cfg.runtime);
        _cleanup_free_ char *dir = ross_containers_path(c, id, NULL);
        _cleanup_free_ char *rootfs = ross_containers_path(c, id, "rootfs");
        bool running = ross_containers_running(c, id);
        struct stat st;
        /* a running container's root is there; a stopped one's may have to be made again */
        if (be->root && (!running || stat(rootfs, &st) < 0) &&
            (r = be->root(be, c, id, dir, &cfg, err)) < 0)
                return ross_err_prefix(err, "the root of container %.12s", id);
        if (ret_owner && put && put->copy_uid_gid &&
            (r = owner_of(c, id, &cfg, ret_owner, err)) < 0)
                return r;

        json_auto_t *view = view_of(c, id, be, &cfg, op, running);
        _cleanup_free_ char *view_text = json_dumps(view, JSON_COMPACT);
        ross_helper_argv(&argv, c->images->helper_path, "archive", c->images->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, c->images->data_dir);
        ross_argv_add(&argv, "--view");
        ross_argv_add(&argv, view_text);
        _cleanup_(archive_freep) RossContainerArchive *a = xcalloc(1, sizeof(*a));
        a->fd = -EBADF;
        a->id = xstrdup(id);
        a->what = xasprintf("container %.12s", id);
        r = ross_helper_start_io(&argv, c->images->registry, in_fd, out_fd, &a->h, err);
        if (r < 0)
                return r;
        log_debug("archive: %s of %s, %s",
                  op == OP_STAT  ? "stat"
                  : op == OP_GET ? "copy out"
                  : op == OP_PUT ? "copy in"
                                 : "export",
                  a->what, running ? "running" : "not running");
        *ret = TAKE_PTR(a);
        return 0;
}

/* The helper's next message that is not progress. */
static int recv_msg(RossContainerArchive *a, json_t **ret, RossError *err)
{
        for (;;) {
                json_t *m = NULL;
                int r = ross_helper_recv(a->h, &m, err);
                if (r < 0)
                        return r;
                if (!STREQ(ross_channel_type(m), "event")) {
                        *ret = m;
                        return 0;
                }
                json_decref(m);
        }
}

/* Send the request, wait for the stat (OP_STAT, OP_GET). */
static int request_stat(RossContainerArchive *a, const char *type, const char *ref,
                        const char *path, json_t **ret_stat, RossError *err)
{
        json_auto_t *msg = NULL;
        int r = ross_helper_send(
                a->h, json_pack("{s:s, s:s, s:s}", "type", type, "path", path, "ref", ref), err);
        if (r == 0)
                r = recv_msg(a, &msg, err);
        if (r < 0)
                return r;
        if (!STREQ(ross_channel_type(msg), "stat"))
                return ross_errx(err, EPROTO, "the archive helper answered '%s' to %s",
                                 ross_channel_type(msg), type);
        json_object_del(msg, "type");
        *ret_stat = TAKE_PTR(msg);
        return 0;
}

int ross_container_path_stat(RossContainers *c, const char *ref, const char *path, json_t **ret,
                             RossError *err)
{
        _cleanup_(archive_freep) RossContainerArchive *a = NULL;
        int r = start(c, ref, OP_STAT, NULL, -1, -1, &a, NULL, err);
        if (r == 0)
                r = request_stat(a, "stat", ref, path, ret, err);
        if (r == 0)
                (void)ross_helper_finish(a->h, NULL);
        return r;
}

int ross_container_archive_get(RossContainers *c, const char *ref, const char *path,
                               json_t **ret_stat, int *ret_fd, RossContainerArchive **ret,
                               RossError *err)
{
        _cleanup_(archive_freep) RossContainerArchive *a = NULL;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ross_err(err, errno, "pipe");
        int r = start(c, ref, OP_GET, NULL, -1, p[1], &a, NULL, err);
        close(p[1]);
        if (r < 0) {
                close(p[0]);
                return r;
        }
        a->fd = p[0];
        r = request_stat(a, "get", ref, path, ret_stat, err);
        if (r < 0)
                return r;
        ross_container_event(c, a->id, "archive-path", NULL); /* Docker's, as the copy starts */
        *ret_fd = a->fd;
        *ret = TAKE_PTR(a);
        return 0;
}

int ross_container_export(RossContainers *c, const char *ref, int *ret_fd,
                          RossContainerArchive **ret, RossError *err)
{
        _cleanup_(archive_freep) RossContainerArchive *a = NULL;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ross_err(err, errno, "pipe");
        int r = start(c, ref, OP_EXPORT, NULL, -1, p[1], &a, NULL, err);
        close(p[1]);
        if (r < 0) {
                close(p[0]);
                return r;
        }
        a->fd = p[0];
        r = ross_helper_send(a->h, json_pack("{s:s}", "type", "export"), err);
        if (r < 0)
                return r;
        ross_container_event(c, a->id, "export", NULL);
        *ret_fd = a->fd;
        *ret = TAKE_PTR(a);
        return 0;
}

void ross_container_archive_end(RossContainerArchive *a)
{
        if (!a)
                return;
        /* the reader is done: a helper still writing gets EPIPE and ends */
        a->fd = safe_close(a->fd);
        json_auto_t *msg = NULL;
        RossError err = {};
        if (recv_msg(a, &msg, &err) < 0)
                log_debug("archive of %s: %s", a->what, err.msg);
        if (ross_helper_finish(a->h, &err) < 0)
                log_debug("archive of %s: %s", a->what, err.msg);
        archive_free(a);
}

int ross_container_archive_put(RossContainers *c, const char *ref, const RossArchivePut *o, int fd,
                               RossError *err)
{
        _cleanup_(archive_freep) RossContainerArchive *a = NULL;
        json_auto_t *owner = NULL, *msg = NULL;
        int r = start(c, ref, OP_PUT, o, fd, -1, &a, &owner, err);
        if (r < 0)
                return r;
        r = ross_helper_send(a->h,
                             json_pack("{s:s, s:s, s:s, s:b, s:O?}", "type", "put", "path", o->path,
                                       "ref", ref, "no_overwrite_dir_non_dir", o->no_overwrite_dir,
                                       "owner", owner),
                             err);
        if (r == 0)
                r = recv_msg(a, &msg, err);
        if (r < 0)
                return r;
        if (!STREQ(ross_channel_type(msg), "done"))
                return ross_errx(err, EPROTO, "the archive helper answered '%s' to a copy",
                                 ross_channel_type(msg));
        ross_container_event(c, a->id, "extract-to-dir", NULL);
        return ross_helper_finish(a->h, err);
}
