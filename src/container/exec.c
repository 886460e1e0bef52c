/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: another process in a running container. Each exec instance has a directory in its
 * container's (<container>/exec/<exec id>/: exec.json, the OCI process.json, and the files of
 * the shim that runs it with `crun|runc exec --detach` and watches it as it watches a
 * container: pipes or a pty, attach socket, exit status). Which container an exec id
 * belongs to is kept in memory, as Docker does: exec ids do not outlive the daemon.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "../basic/jsonfile.h"
#include "../backend/backend.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../shim/shim.h"
#include "container-events.h"
#include "containers.h"
#include "detach.h"
#include "exec.h"
#include "monitor.h"
#include "spec.h"

static json_t *owners; /* exec id -> container id */
static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;

static char *exec_dir(RossContainers *c, const char *cid, const char *eid, const char *file)
{
        return file ? xasprintf("%s/%s/exec/%s/%s", c->dir, cid, eid, file)
                    : xasprintf("%s/%s/exec/%s", c->dir, cid, eid);
}

/* Docker's exec event: "exec_create: CMD ARGS..." (what, "exec_create"), execID. */
static void exec_event(RossContainers *c, const char *cid, const char *eid, const char *what,
                       json_t *cmd)
{
        _cleanup_(ross_buf_free) RossBuf action = {};
        ross_buf_printf(&action, "%s:", what);
        size_t i;
        json_t *v;
        json_array_foreach (cmd, i, v)
                ross_buf_printf(&action, " %s", json_string_value(v) ?: "");
        ross_container_event(c, cid, action.data, json_pack("{s:s}", "execID", eid));
}

/* A pid file of the exec's shim or process: 0 when it is not there, or still empty (the
 * runtime writes its own in place); an error naming it when it holds something else. */
static int read_pid_file(const char *path, pid_t *ret, RossError *err)
{
        _cleanup_free_ char *text = NULL;
        int v = 0;
        if (ross_read_file(path, 64, &text, NULL, NULL) < 0 || !*text) {
                *ret = 0;
                return 0;
        }
        if (ross_parse_int(text, 1, INT32_MAX, &v) < 0)
                return ross_errx(err, EIO, "the pid file '%s' holds '%.32s', not a pid", path,
                                 text);
        *ret = (pid_t)v;
        return 0;
}

/* The container of an exec id (caller frees), or NULL. */
static char *owner_of(const char *eid)
{
        pthread_mutex_lock(&owners_lock);
        const char *cid = json_string_value(json_object_get(owners, eid));
        char *r = cid ? xstrdup(cid) : NULL;
        pthread_mutex_unlock(&owners_lock);
        return r;
}

/* The container an exec id belongs to (caller frees *ret). */
static int exec_owner(const char *eid, char **ret, RossError *err)
{
        char *cid =
                strlen(eid) == 64 && strspn(eid, "0123456789abcdef") == 64 ? owner_of(eid) : NULL;
        if (!cid)
                return ross_errx(err, ENOENT, "No such exec instance: %s", eid);
        *ret = cid;
        return 0;
}

int ross_exec_create(RossContainers *c, const char *ref, json_t *body, char **ret_id,
                     RossError *err)
{
        _cleanup_free_ char *cid = NULL;
        int r = ross_containers_resolve(c, ref, &cid, err);
        if (r < 0)
                return r;
        if (!ross_containers_running(c, cid))
                return ross_errx(err, EBUSY, "container %s is not running", ref);
        if (ross_containers_paused(c, cid))
                return ross_errx(err, EBUSY,
                                 "Container %s is paused, unpause the container before exec", ref);
        json_t *cmd = json_object_get(body, "Cmd");
        if (!json_is_array(cmd) || json_array_size(cmd) == 0)
                return ross_errx(err, EINVAL, "exec: no command specified");
        size_t i;
        json_t *v;
        json_array_foreach (cmd, i, v)
                if (!json_is_string(v))
                        return ross_errx(err, EINVAL, "exec: Cmd must be strings");
        json_array_foreach (json_object_get(body, "Env"), i, v)
                if (!json_is_string(v) || !strchr(json_string_value(v), '='))
                        return ross_errx(err, EINVAL, "exec: invalid Env entry");
        const char *wd = json_string_value(json_object_get(body, "WorkingDir"));
        if (!STR_EMPTY(wd) && wd[0] != '/')
                return ross_errx(err, EINVAL, "exec: the working directory '%s' is not absolute",
                                 wd);
        /* Docker's words; "" is the default keys */
        json_t *keys = json_object_get(body, "DetachKeys");
        RossDetachKeys dk;
        if (keys && !json_is_null(keys) &&
            (!json_is_string(keys) ||
             (!STR_EMPTY(json_string_value(keys)) &&
              ross_detach_keys_parse(json_string_value(keys), &dk, NULL) < 0)))
                return ross_errx(err, EINVAL, "Invalid escape keys (%s) provided",
                                 json_is_string(keys) ? json_string_value(keys) : "not a string");
        unsigned rows, cols;
        int r0 = ross_exec_console_size(json_object_get(body, "ConsoleSize"), &rows, &cols, err);
        if (r0 < 0)
                return r0;

        char eid[65];
        ross_random_hex(eid, 32);
        _cleanup_free_ char *dir = exec_dir(c, cid, eid, NULL);
        r = ross_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        _cleanup_(json_decrefp) json_t *rec =
                json_pack("{s:s, s:O}", "ContainerID", cid, "Config", body);
        _cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT);
        _cleanup_free_ char *path = exec_dir(c, cid, eid, "exec.json");
        r = ross_write_file_replace(path, text, strlen(text), 0600, err);
        if (r < 0) {
                (void)ross_rm_rf(dir);
                return r;
        }
        pthread_mutex_lock(&owners_lock);
        if (!owners)
                owners = json_object();
        json_object_set_new(owners, eid, json_string(cid));
        pthread_mutex_unlock(&owners_lock);
        log_debug("exec %s created in container %.12s", eid, cid);
        exec_event(c, cid, eid, "exec_create", cmd);
        *ret_id = xstrdup(eid);
        return 0;
}

int ross_exec_console_size(json_t *v, unsigned *ret_rows, unsigned *ret_cols, RossError *err)
{
        *ret_rows = *ret_cols = 0;
        if (!v || json_is_null(v))
                return 0;
        json_t *h = json_array_get(v, 0), *w = json_array_get(v, 1);
        if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(h) ||
            !json_is_integer(w) || json_integer_value(h) < 0 || json_integer_value(h) > 65535 ||
            json_integer_value(w) < 0 || json_integer_value(w) > 65535)
                return ross_errx(err, EINVAL,
                                 "ConsoleSize must be [height, width], numbers from 0 to 65535");
        *ret_rows = (unsigned)json_integer_value(h);
        *ret_cols = (unsigned)json_integer_value(w);
        return 0;
}

/* An exec that could not start has run: its code (126, or 127 for a command that is not
 * there) is its exit status, as Docker records it. */
static void record_failure(RossContainers *c, const char *cid, const char *eid, int code)
{
        _cleanup_free_ char *exitf = exec_dir(c, cid, eid, "exit.json");
        struct stat st;
        if (stat(exitf, &st) == 0)
                return;
        _cleanup_free_ char *text =
                xasprintf("{\"ExitCode\":%d,\"Pid\":0}", code == 127 ? 127 : 126);
        (void)ross_write_file_replace(exitf, text, strlen(text), 0600, NULL);
}

int ross_exec_start(RossContainers *c, const char *eid, bool attached, int *ret_exec_status,
                    RossError *err)
{
        return ross_exec_start_sized(c, eid, attached, 0, 0, ret_exec_status, err);
}

int ross_exec_start_sized(RossContainers *c, const char *eid, bool attached, unsigned rows,
                          unsigned cols, int *ret_exec_status, RossError *err)
{
        _cleanup_free_ char *cid = NULL;
        if (exec_owner(eid, &cid, err) < 0)
                return -ENOENT;
        _cleanup_free_ char *recf = exec_dir(c, cid, eid, "exec.json");
        _cleanup_free_ char *shimf = exec_dir(c, cid, eid, "shim.pid");
        _cleanup_free_ char *exitf = exec_dir(c, cid, eid, "exit.json");
        struct stat st;
        if (stat(shimf, &st) == 0 || stat(exitf, &st) == 0)
                return ross_errx(err, EBUSY, "exec %s has already been started", eid);
        if (!ross_containers_running(c, cid))
                return ross_errx(err, EBUSY, "container %.12s is not running", cid);
        if (ross_containers_paused(c, cid))
                return ross_errx(err, EBUSY,
                                 "Container %s is paused, unpause the container before exec", cid);
        _cleanup_(json_decrefp) json_t *rec = ross_read_json(recf, ROSS_STATE_JSON_MAX);
        if (!rec)
                return ross_errx(err, ENOENT, "No such exec instance: %s", eid);
        json_t *cfg = json_object_get(rec, "Config");
        _cleanup_free_ char *process = NULL;
        int status = 0;
        _cleanup_(json_decrefp) json_t *row = NULL;
        int r = ross_db_container_fetch(c->db, cid, &row, err);
        if (r < 0)
                return r;
        const char *rt = json_string_value(json_object_get(
                json_object_get(json_object_get(row, "Config"), "RossConfig"), "runtime"));
        const RossBackend *be = ross_backend_find(rt);
        if (!be)
                return ross_errx(err, EINVAL, "container %.12s: unknown runtime %s", cid,
                                 rt ?: "(none)");
        /* the terminal's size from its first moment: the start's, else the create's */
        bool tty = json_is_true(json_object_get(cfg, "Tty"));
        if (tty && !(rows && cols))
                (void)ross_exec_console_size(json_object_get(cfg, "ConsoleSize"), &rows, &cols,
                                             NULL);
        _cleanup_free_ char *dir = exec_dir(c, cid, eid, NULL);
        r = be->prepare_exec(be, c, cid, dir, cfg, tty ? rows : 0, tty ? cols : 0, &process, err);
        if (r < 0) {
                record_failure(c, cid, eid, 126);
                return r;
        }
        _cleanup_free_ char *rt_root = xasprintf("%s/%s", c->runtime_root, rt);
        _cleanup_free_ char *bundle = xasprintf("%s/%s", c->dir, cid);
        RossShimArgs a = {
                .shim_path = c->shim_path,
                .id = cid,
                .bundle = bundle,
                .runtime = rt,
                .runtime_root = rt_root,
                .dir = dir,
                .exec_process = process,
                .tty = json_is_true(json_object_get(cfg, "Tty")),
                .open_stdin = json_is_true(json_object_get(cfg, "AttachStdin")),
                .stdin_once = true,
                .attach_wait = attached ? 1 : 0,
        };
        pid_t pid = 0;
        r = ross_shim_start(&a, &pid, &status, err);
        if (r < 0) {
                record_failure(c, cid, eid, status);
                if (ret_exec_status)
                        *ret_exec_status = status;
                ross_err_prefix(err, "exec in container %.12s", cid);
                return r;
        }
        log_debug("exec %s runs in container %.12s as pid %d", eid, cid, (int)pid);
        exec_event(c, cid, eid, "exec_start", json_object_get(cfg, "Cmd"));
        ross_monitor_watch_exec(c, cid, eid);
        return 0;
}

int ross_exec_inspect(RossContainers *c, const char *eid, json_t **ret, RossError *err)
{
        _cleanup_free_ char *cid = NULL;
        if (exec_owner(eid, &cid, err) < 0)
                return -ENOENT;
        _cleanup_free_ char *recf = exec_dir(c, cid, eid, "exec.json");
        _cleanup_free_ char *shimf = exec_dir(c, cid, eid, "shim.pid");
        _cleanup_free_ char *exitf = exec_dir(c, cid, eid, "exit.json");
        _cleanup_free_ char *pidf = exec_dir(c, cid, eid, "container.pid");
        _cleanup_(json_decrefp) json_t *rec = ross_read_json(recf, ROSS_STATE_JSON_MAX);
        if (!rec)
                return ross_errx(err, ENOENT, "No such exec instance: %s", eid);
        json_t *cfg = json_object_get(rec, "Config");
        _cleanup_(json_decrefp) json_t *ex = ross_read_json(exitf, ROSS_STATE_JSON_MAX);
        pid_t sp = 0, pid = 0;
        int r = read_pid_file(shimf, &sp, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = exec_dir(c, cid, eid, NULL);
        bool running = !ex && sp > 0 && ross_shim_alive(dir);
        if (running && (r = read_pid_file(pidf, &pid, err)) < 0)
                return r;
        json_t *args = json_deep_copy(json_object_get(cfg, "Cmd"));
        json_t *entry = json_incref(json_array_get(args, 0));
        json_array_remove(args, 0);
        *ret = json_pack("{s:s, s:b, s:o, s:s, s:i, s:b, s:b, s:b, s:b, s:{s:b, s:o, s:o, s:s, "
                         "s:b}}",
                         "ID", eid, "Running", running, "ExitCode",
                         ex ? json_incref(json_object_get(ex, "ExitCode")) : json_null(),
                         "ContainerID", cid, "Pid", running ? pid : 0, "OpenStdin",
                         json_is_true(json_object_get(cfg, "AttachStdin")), "OpenStdout",
                         json_is_true(json_object_get(cfg, "AttachStdout")), "OpenStderr",
                         json_is_true(json_object_get(cfg, "AttachStderr")), "CanRemove", 0,
                         "ProcessConfig", "tty", json_is_true(json_object_get(cfg, "Tty")),
                         "entrypoint", entry ? entry : json_string(""), "arguments", args, "user",
                         json_string_value(json_object_get(cfg, "User")) ?: "", "privileged", 0);
        const char *keys = json_string_value(json_object_get(cfg, "DetachKeys"));
        json_object_set_new(*ret, "DetachKeys", json_string(keys ? keys : ""));
        return 0;
}

int ross_exec_attach_connect(RossContainers *c, const char *eid, RossError *err)
{
        _cleanup_free_ char *cid = NULL;
        if (exec_owner(eid, &cid, err) < 0)
                return -ENOENT;
        _cleanup_free_ char *path = exec_dir(c, cid, eid, "attach.sock");
        int fd = ross_shim_attach(path, true);
        if (fd == -ESRCH)
                return ross_errx(err, ESRCH, "exec %s is not running", eid);
        if (fd < 0)
                return ross_errx(err, -fd, "attach to exec %s: %s", eid, strerror(-fd));
        return fd;
}

int ross_exec_resize(RossContainers *c, const char *eid, unsigned rows, unsigned cols,
                     RossError *err)
{
        _cleanup_free_ char *cid = NULL;
        if (exec_owner(eid, &cid, err) < 0)
                return -ENOENT;
        if (rows > 65535 || cols > 65535)
                return ross_errx(err, EINVAL, "invalid terminal size %ux%u", rows, cols);
        _cleanup_free_ char *path = exec_dir(c, cid, eid, "attach.sock");
        int r = ross_shim_resize(path, rows, cols);
        if (r == -ESRCH)
                return ross_errx(err, EBUSY, "exec %s is not running", eid);
        if (r < 0)
                return ross_errx(err, -r, "resize exec %s: %s", eid, strerror(-r));
        return 0;
}

void ross_exec_watch_running(RossContainers *c, const char *cid)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s/exec", c->dir, cid);
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
                        continue;
                _cleanup_free_ char *shimf = exec_dir(c, cid, de->d_name, "shim.pid");
                _cleanup_free_ char *exitf = exec_dir(c, cid, de->d_name, "exit.json");
                if (access(shimf, F_OK) == 0 && access(exitf, F_OK) < 0)
                        ross_monitor_watch_exec(c, cid, de->d_name);
        }
}

void ross_exec_exited(RossContainers *c, const char *cid, const char *eid, int exit_code)
{
        char code[16];
        snprintf(code, sizeof(code), "%d", exit_code);
        ross_container_event(c, cid, "exec_die",
                             json_pack("{s:s, s:s}", "execID", eid, "exitCode", code));
}

void ross_exec_forget(RossContainers *c, const char *eid)
{
        _cleanup_free_ char *cid = owner_of(eid);
        if (!cid)
                return;
        /* its exit's event before its files go */
        ross_monitor_settle_exec(c, cid, eid);
        _cleanup_free_ char *dir = exec_dir(c, cid, eid, NULL);
        (void)ross_rm_rf(dir);
        pthread_mutex_lock(&owners_lock);
        json_object_del(owners, eid);
        pthread_mutex_unlock(&owners_lock);
}

int ross_exec_kill(RossContainers *c, const char *eid)
{
        _cleanup_free_ char *cid = owner_of(eid);
        if (!cid)
                return -ENOENT;
        _cleanup_free_ char *sock = exec_dir(c, cid, eid, "attach.sock");
        return ross_shim_signal(sock, SIGKILL, NULL);
}
