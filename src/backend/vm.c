/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the micro-VM backends' daemon halves share (vm.h): the defaults and limits of a VM,
 * the container's own root (a clone of the image's flat rootfs), and ross-init's config.
 */
#include <sys/stat.h>

#include "../basic/buf.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../container/config.h"
#include "../container/containers.h"
#include "../container/network.h"
#include "../image/images.h"
#include "../unpack/clone.h"
#include "../vm/proto.h"
#include "backend.h"
#include "vm.h"

int ross_vm_cpus(const RossContainerConfig *cfg)
{
        if (cfg->nano_cpus <= 0)
                return ROSS_VM_CPUS_DEFAULT;
        /* whole vCPUs, rounded up */
        return (int)((cfg->nano_cpus + 999999999) / 1000000000);
}

int64_t ross_vm_memory(const RossContainerConfig *cfg)
{
        return cfg->memory > 0 ? cfg->memory : ROSS_VM_MEMORY_DEFAULT;
}

/* The container's own root: a clone of the image's flat rootfs, made once (it keeps what
 * the container writes, as an overlay's upper dir does). */
int ross_vm_clone_root(RossContainers *c, const char *dir, const RossContainerConfig *cfg,
                       RossError *err)
{
        _cleanup_free_ char *root = xasprintf("%s/rootfs", dir);
        _cleanup_free_ char *tmp = xasprintf("%s/rootfs.tmp", dir);
        struct stat st;
        if (stat(root, &st) == 0)
                return 0;
        _cleanup_free_ char *flat = NULL;
        int r = ross_images_flat(c->images, cfg->image_id, &flat, err);
        if (r < 0)
                return r;
        (void)ross_rm_rf(tmp);
        RossCloneStats stats = {};
        r = ross_tree_clone(flat, tmp, true, &stats, err);
        if (r < 0) {
                (void)ross_rm_rf(tmp);
                return ross_err_prefix(err, "clone the rootfs");
        }
        if (rename(tmp, root) < 0) {
                r = ross_err(err, errno, "rename '%s' to '%s'", tmp, root);
                (void)ross_rm_rf(tmp);
                return r;
        }
        log_debug("root of the VM: %s (%llu files, %llu reflinked)", root,
                  (unsigned long long)stats.files, (unsigned long long)stats.reflinked);
        return 0;
}

int ross_vm_root(const RossBackend *b, RossContainers *c, const char *id, const char *dir,
                 const RossContainerConfig *cfg, RossError *err)
{
        return ross_vm_clone_root(c, dir, cfg, err);
}

void ross_vm_cfg_num(RossBuf *b, const char *k, long long v)
{
        char s[32];
        snprintf(s, sizeof(s), "%lld", v);
        ross_vm_cfg_add(b, k, s);
}

/* ross-init's config (src/vm/proto.h) */
void ross_vm_guest_config(RossBuf *b, const RossContainerConfig *cfg, const RossIds *ids,
                          const char *hostname, bool virtiofs, const RossNetPlan *net)
{
        json_t *v;
        size_t i;
        json_array_foreach (cfg->process.args, i, v)
                ross_vm_cfg_add(b, "arg", json_string_value(v));
        json_array_foreach (cfg->process.env, i, v)
                ross_vm_cfg_add(b, "env", json_string_value(v));
        ross_vm_cfg_add(b, "cwd", cfg->process.cwd ? cfg->process.cwd : "/");
        ross_vm_cfg_num(b, "uid", ids->uid);
        ross_vm_cfg_num(b, "gid", ids->gid);
        _cleanup_free_ char *groups = ross_ids_groups_string(ids);
        ross_vm_cfg_add(b, "groups", groups);
        ross_vm_cfg_add(b, "hostname", hostname);
        ross_vm_cfg_num(b, "tty", cfg->process.terminal);
        ross_vm_cfg_num(b, "stdin", cfg->open_stdin);
        ross_vm_cfg_num(b, "readonly_root", cfg->readonly_rootfs);
        ross_vm_cfg_add(b, "fs", virtiofs ? "virtiofs" : "9p");
        json_array_foreach (cfg->binds, i, v) {
                _cleanup_free_ char *vol =
                        xasprintf("ross.vol%zu %s %s", i,
                                  json_is_true(json_object_get(v, "readonly")) ? "ro" : "rw",
                                  json_string_value(json_object_get(v, "destination")));
                ross_vm_cfg_add(b, "volume", vol);
        }
        json_array_foreach (cfg->tmpfs, i, v)
                ross_vm_cfg_add(b, "tmpfs", json_string_value(v));
        /* its NIC: "ADDRESS/PREFIX GATEWAY" (the MAC is QEMU's device's) */
        if (net && net->ip) {
                _cleanup_free_ char *n = xasprintf("%s/%u %s", net->ip, net->prefix,
                                                   net->gateway ? net->gateway : "");
                ross_vm_cfg_add(b, "net", n);
        }
}

int ross_vm_copy_file(const char *from, const char *to, RossError *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = ross_read_file(from, 1024 * 1024, &text, &len, err);
        return r < 0 ? r : ross_write_file_replace(to, text, len, 0644, err);
}

char *ross_vm_sockdir(const RossBackend *b, RossContainers *c, const char *id)
{
        return xasprintf("%s/%s/%.16s", c->runtime_root, b->name, id);
}

/* An exec's config for ross-init: the container's process with the exec's command, env,
 * user, working directory and terminal (the keys of proto.h's EXEC). */
int ross_vm_prepare_exec(const RossBackend *b, RossContainers *c, const char *cid,
                         const char *exec_dir, json_t *e, unsigned rows, unsigned cols,
                         char **ret_path, RossError *err)
{
        _cleanup_(json_decrefp) json_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        int r = ross_db_container_fetch(c->db, cid, &row, err);
        if (r < 0 ||
            (r = ross_container_config_from_json(
                     json_object_get(json_object_get(row, "Config"), "RossConfig"), &cfg, err)) < 0)
                return r;
        const char *user = json_string_value(json_object_get(e, "User"));
        if (STR_EMPTY(user))
                user = cfg.process.user;
        _cleanup_free_ char *root = xasprintf("%s/%s/rootfs", c->dir, cid);
        _cleanup_(ross_ids_free) RossIds ids = {};
        if ((r = ross_resolve_ids(root, user, NULL, &ids, err)) < 0)
                return r;
        _cleanup_(ross_buf_free) RossBuf out = {};
        json_t *v;
        size_t i;
        json_array_foreach (json_object_get(e, "Cmd"), i, v)
                ross_vm_cfg_add(&out, "arg", json_string_value(v));
        /* env: the container's, a key the exec gives again replaced */
        _cleanup_(json_decrefp) json_t *env = json_deep_copy(cfg.process.env);
        json_array_foreach (json_object_get(e, "Env"), i, v)
                ross_env_set(env, json_string_value(v));
        json_array_foreach (env, i, v)
                ross_vm_cfg_add(&out, "env", json_string_value(v));
        const char *wd = json_string_value(json_object_get(e, "WorkingDir"));
        ross_vm_cfg_add(&out, "cwd", !STR_EMPTY(wd) ? wd : cfg.process.cwd);
        ross_vm_cfg_num(&out, "uid", ids.uid);
        ross_vm_cfg_num(&out, "gid", ids.gid);
        _cleanup_free_ char *groups = ross_ids_groups_string(&ids);
        ross_vm_cfg_add(&out, "groups", groups);
        bool tty = json_is_true(json_object_get(e, "Tty"));
        ross_vm_cfg_num(&out, "tty", tty);
        ross_vm_cfg_num(&out, "stdin", json_is_true(json_object_get(e, "AttachStdin")));
        if (tty && rows && cols) {
                ross_vm_cfg_num(&out, "rows", rows);
                ross_vm_cfg_num(&out, "cols", cols);
        }
        _cleanup_free_ char *path = xasprintf("%s/exec.cfg", exec_dir);
        if ((r = ross_write_file_replace(path, out.data, out.len, 0600, err)) < 0)
                return r;
        *ret_path = TAKE_PTR(path);
        return 0;
}

void ross_vm_release(const RossBackend *b, RossContainers *c, const char *id, const char *dir)
{
        _cleanup_free_ char *sockdir = ross_vm_sockdir(b, c, id);
        (void)ross_rm_rf(sockdir);
}

int ross_vm_write_guest_config(RossContainers *c, const char *id, const char *dir,
                               const RossContainerConfig *cfg, const RossNetPlan *net,
                               const char *cfgdir, bool virtiofs, RossError *err)
{
        _cleanup_free_ char *root = xasprintf("%s/rootfs", dir);
        _cleanup_(ross_ids_free) RossIds ids = {};
        int r;
        if ((r = ross_resolve_ids(root, cfg->process.user, cfg->group_add, &ids, err)) < 0)
                return r;
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", id);
        const char *hostname = cfg->hostname ? cfg->hostname : short_id;
        if ((r = ross_containers_write_etc(c, id, hostname, net, err)) < 0 ||
            (r = ross_mkdir_p(cfgdir, 0755, err)) < 0)
                return r;
        static const char *const etc[] = {"hosts", "hostname", "resolv.conf"};
        for (size_t k = 0; k < ELEMENTSOF(etc); k++) {
                _cleanup_free_ char *from = xasprintf("%s/%s", dir, etc[k]);
                _cleanup_free_ char *to = xasprintf("%s/%s", cfgdir, etc[k]);
                if ((r = ross_vm_copy_file(from, to, err)) < 0)
                        return r;
        }
        _cleanup_(ross_buf_free) RossBuf gc = {};
        ross_vm_guest_config(&gc, cfg, &ids, hostname, virtiofs, net);
        _cleanup_free_ char *path = xasprintf("%s/config", cfgdir);
        return ross_write_file_replace(path, gc.data, gc.len, 0644, err);
}

int ross_vm_check(const RossContainerConfig *cfg, const char *runtime, const char *network_hint,
                  RossError *err)
{
        if (ross_net_mode_container(cfg->net.mode))
                return ross_errx(err, EINVAL,
                                 "network mode %s is not supported by the %s runtime: a VM has "
                                 "its own kernel and network stack (%s)",
                                 cfg->net.mode, runtime, network_hint);
        if (STREQ(cfg->net.mode, "host"))
                return ross_errx(err, EINVAL,
                                 "network mode host is not supported by the %s runtime: a VM "
                                 "has its own kernel (%s)",
                                 runtime, network_hint);
        if (cfg->memory > 0 && cfg->memory < ROSS_VM_MEMORY_MIN)
                return ross_errx(err, EINVAL,
                                 "--memory: a VM needs at least 64 MiB (the %s runtime's "
                                 "default is 512 MiB)",
                                 runtime);
        if (ross_vm_cpus(cfg) > ROSS_VM_CPUS_MAX)
                return ross_errx(err, EINVAL, "--cpus: at most %d vCPUs for a VM",
                                 ROSS_VM_CPUS_MAX);
        json_t *v;
        size_t i;
        json_array_foreach (cfg->binds, i, v) {
                const char *src = json_string_value(json_object_get(v, "source"));
                struct stat st;
                if (stat(src, &st) == 0 && !S_ISDIR(st.st_mode))
                        return ross_errx(err, EINVAL,
                                         "volume '%s': the %s runtime shares directories, not "
                                         "files",
                                         src, runtime);
        }
        return 0;
}
