/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI backend, the daemon's half (runtimes crun and runc): an overlay rootfs over the
 * image's snapshots and an OCI runtime-spec config.json in the container's directory; an
 * exec's process.json from the container's process.
 */
#include "../basic/jsonfile.h"
#include "../basic/argv.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/spawn.h"
#include "../container/config.h"
#include "../container/containers.h"
#include "../container/network.h"
#include "../container/exec.h"
#include "../container/spec.h"
#include "../daemon/cgroups.h"
#include "../snapshot/snapshots.h"
#include "backend.h"

/* crun and this host's cgroups: fix what can safely be fixed (src/daemon/cgroups.h). */
static char *crun_probe(const RossBackend *b, RossContainers *c)
{
        _cleanup_free_ char *path = ross_find_program("crun");
        if (!path)
                return xstrdup("crun is not installed (apt-get install crun)");
        _cleanup_free_ char *moved = NULL;
        RossError cg = {};
        if (ross_cgroups_prepare_crun("/sys/fs/cgroup", &moved, &cg) < 0)
                return xstrdup(cg.msg);
        if (moved)
                log_warn("moved the cgroup controller(s) %s to v1 hierarchies of their own under "
                         "/sys/fs/cgroup: crun refuses a hybrid layout while the v2 side holds a "
                         "controller",
                         moved);
        return NULL;
}

static char *runc_probe(const RossBackend *b, RossContainers *c)
{
        _cleanup_free_ char *path = ross_find_program("runc");
        return path ? NULL : xstrdup("runc is not installed (apt-get install runc)");
}

static char *oci_program(const RossBackend *b)
{
        return ross_find_program(b->name);
}

/* --init: ross-init (beside ross-shim) bind-mounted read-only as PID 1 of the command. */
#define INIT_IN_CONTAINER "/sbin/ross-init"

static int add_init(RossContainers *c, RossProcessSpec *p, json_t *binds, RossError *err)
{
        _cleanup_free_ char *init = ross_containers_helper(c, "ross-init");
        if (access(init, X_OK) < 0)
                return ross_err(err, errno, "--init: %s", init);
        json_array_append_new(binds, json_pack("{s:s, s:s, s:b}", "source", init, "destination",
                                               INIT_IN_CONTAINER, "readonly", 1));
        json_array_insert_new(p->args, 0, json_string("--"));
        json_array_insert_new(p->args, 0, json_string(INIT_IN_CONTAINER));
        return 0;
}

/* The overlay: the image's snapshots below, the container's upper dir on top. */
static int oci_root(const RossBackend *b, RossContainers *c, const char *id, const char *dir,
                    const RossContainerConfig *cfg, RossError *err)
{
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        _cleanup_free_ char *work = xasprintf("%s/work", dir);
        int r;
        /* the upper dir is the root directory the container sees: 0755 like a real / */
        if ((r = ross_mkdir_p(upper, 0755, err)) < 0 || (r = ross_mkdir_p(work, 0700, err)) < 0 ||
            (r = ross_mkdir_p(rootfs, 0700, err)) < 0)
                return r;
        if (ross_is_mountpoint(rootfs))
                return 0;
        _cleanup_(json_decrefp) json_t *snaps = NULL;
        r = ross_db_image_snapshot_ids(c->db, cfg->image_id, &snaps, err);
        if (r < 0)
                return r;
        return ross_snapshots_mount_rw(c->images->snapshots, snaps, upper, work, rootfs, err);
}

static int oci_prepare(const RossBackend *b, RossContainers *c, const char *id, const char *dir,
                       const RossContainerConfig *cfg, const RossNetPlan *net, RossError *err)
{
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
        int r = oci_root(b, c, id, dir, cfg, err);
        if (r < 0)
                return r;

        /* the user and groups, resolved in the container's own /etc */
        _cleanup_(ross_ids_free) RossIds ids = {};
        if ((r = ross_resolve_ids(rootfs, cfg->process.user, cfg->group_add, &ids, err)) < 0)
                return r;
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", id);
        const char *hostname = cfg->hostname ? cfg->hostname : short_id;
        if ((r = ross_containers_write_etc(c, id, hostname, net, err)) < 0)
                return r;

        _cleanup_(json_decrefp) json_t *binds = json_deep_copy(cfg->binds);
        _cleanup_(ross_process_spec_free) RossProcessSpec p = {
                .args = json_deep_copy(cfg->process.args),
                .env = json_deep_copy(cfg->process.env),
                .cwd = xstrdup(cfg->process.cwd),
                .user = xstrdup(cfg->process.user ?: ""),
                .terminal = cfg->process.terminal,
        };
        if (cfg->init && (r = add_init(c, &p, binds, err)) < 0)
                return r;

        _cleanup_free_ char *hosts = xasprintf("%s/hosts", dir);
        _cleanup_free_ char *hn = xasprintf("%s/hostname", dir);
        _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", dir);
        _cleanup_free_ char *cgroup = xasprintf("/ross/%s", id);
        RossSpecOptions o = {
                .rootfs = rootfs,
                .hostname = hostname,
                .process = &p,
                .ids = &ids,
                .readonly_rootfs = cfg->readonly_rootfs,
                .binds = binds,
                .tmpfs = cfg->tmpfs,
                .memory = cfg->memory,
                .nano_cpus = cfg->nano_cpus,
                .pids_limit = cfg->pids_limit,
                .host_network = net->host,
                .netns = net->netns,
                .etc_hosts = hosts,
                .etc_hostname = hn,
                .etc_resolv = resolv,
                .cgroup_path = cgroup,
        };
        _cleanup_(json_decrefp) json_t *spec = ross_spec_build(&o);
        _cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(2));
        _cleanup_free_ char *config = xasprintf("%s/config.json", dir);
        return ross_write_file_replace(config, text, strlen(text), 0600, err);
}

/* The exec's process.json: the container's process with the exec's command, env, user,
 * working directory and terminal. */
static int oci_prepare_exec(const RossBackend *b, RossContainers *c, const char *cid,
                            const char *exec_dir, json_t *cfg, unsigned rows, unsigned cols,
                            char **ret_path, RossError *err)
{
        _cleanup_free_ char *config = xasprintf("%s/%s/config.json", c->dir, cid);
        _cleanup_(json_decrefp) json_t *spec = ross_read_json(config, ROSS_STATE_JSON_MAX);
        _cleanup_(json_decrefp) json_t *proc = json_deep_copy(json_object_get(spec, "process"));
        if (!json_is_object(proc))
                return ross_errx(err, EIO, "exec: container %.12s has no process spec in '%s'", cid,
                                 config);
        json_object_set(proc, "args", json_object_get(cfg, "Cmd"));
        bool tty = json_is_true(json_object_get(cfg, "Tty"));
        json_object_set_new(proc, "terminal", json_boolean(tty));
        if (tty && rows && cols)
                json_object_set_new(proc, "consoleSize",
                                    json_pack("{s:I, s:I}", "height", (json_int_t)rows, "width",
                                              (json_int_t)cols));
        else
                json_object_del(proc, "consoleSize");
        const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
        if (!STR_EMPTY(wd))
                json_object_set_new(proc, "cwd", json_string(wd));
        /* env: the container's, a key given again replaced */
        json_t *env = json_object_get(proc, "env");
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(cfg, "Env"), i, v)
                ross_env_set(env, json_string_value(v));
        const char *user = json_string_value(json_object_get(cfg, "User"));
        if (!STR_EMPTY(user)) {
                _cleanup_free_ char *rootfs = xasprintf("%s/%s/rootfs", c->dir, cid);
                _cleanup_(ross_ids_free) RossIds ids = {};
                int r = ross_resolve_ids(rootfs, user, NULL, &ids, err);
                if (r < 0)
                        return r;
                json_t *groups = json_array();
                for (size_t k = 0; k < ids.n_groups; k++)
                        json_array_append_new(groups, json_integer(ids.groups[k]));
                json_object_set_new(proc, "user",
                                    json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)ids.uid, "gid",
                                              (json_int_t)ids.gid, "additionalGids", groups));
        }
        _cleanup_free_ char *text = json_dumps(proc, JSON_INDENT(2));
        _cleanup_free_ char *path = xasprintf("%s/process.json", exec_dir);
        int r = ross_write_file_replace(path, text, strlen(text), 0600, err);
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* `RUNTIME --root ROOT update --memory ... ID`: the runtime writes the cgroup's limits. */
static int oci_update(const RossBackend *b, RossContainers *c, const char *id,
                      const RossContainerConfig *cfg, unsigned what, RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv a = {};
        ross_argv_add(&a, b->name);
        ross_argv_addf(&a, "--root=%s/%s", c->runtime_root, b->name);
        ross_argv_add(&a, "update");
        /* no limit: -1, as both runtimes take it */
        if (what & ROSS_UPDATE_MEMORY)
                ross_argv_addf(&a, "--memory=%lld",
                               cfg->memory > 0 ? (long long)cfg->memory : -1LL);
        if (what & ROSS_UPDATE_CPUS) {
                ross_argv_add(&a, "--cpu-period=100000");
                ross_argv_addf(&a, "--cpu-quota=%lld",
                               cfg->nano_cpus > 0 ? (long long)(cfg->nano_cpus / 10000) : -1LL);
        }
        if (what & ROSS_UPDATE_PIDS)
                ross_argv_addf(&a, "--pids-limit=%lld",
                               cfg->pids_limit > 0 ? (long long)cfg->pids_limit : -1LL);
        ross_argv_add(&a, id);
        int r = ross_argv_ok(&a);
        if (r < 0)
                return ross_errx(err, -r, "update container %.12s: too many arguments", id);
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        r = ross_spawn_run(ross_argv_get(&a), &o, NULL, err);
        if (r < 0)
                return ross_err_prefix(err, "update container %.12s", id);
        return 0;
}

static void oci_release(const RossBackend *b, RossContainers *c, const char *id, const char *dir)
{
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
        (void)ross_snapshots_unmount(rootfs, NULL);
}

const RossBackend ross_backend_crun = {
        .name = "crun",
        .kind = "oci",
        .fallback = "runc",
        .probe = crun_probe,
        .program = oci_program,
        .prepare = oci_prepare,
        .prepare_exec = oci_prepare_exec,
        .update = oci_update,
        .release = oci_release,
        .root = oci_root,
        .host_mounts = true,
};

const RossBackend ross_backend_runc = {
        .name = "runc",
        .kind = "oci",
        .probe = runc_probe,
        .program = oci_program,
        .prepare = oci_prepare,
        .prepare_exec = oci_prepare_exec,
        .update = oci_update,
        .release = oci_release,
        .root = oci_root,
        .host_mounts = true,
};
