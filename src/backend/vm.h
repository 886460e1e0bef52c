/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../basic/buf.h"
#include "../basic/err.h"
#include "../container/spec.h"

struct RossContainers;
struct RossContainerConfig;
struct RossNetPlan;
struct RossBackend;
struct json_t;

/* The seed's defaults for a VM, and the limits Ross checks. */
#define ROSS_VM_CPUS_DEFAULT   2
#define ROSS_VM_MEMORY_DEFAULT (512LL * 1024 * 1024)
#define ROSS_VM_MEMORY_MIN     (64LL * 1024 * 1024)
#define ROSS_VM_CPUS_MAX       64

/* --cpus as whole vCPUs (rounded up), or the default; --memory, or the default. */
int ross_vm_cpus(const struct RossContainerConfig *cfg);
int64_t ross_vm_memory(const struct RossContainerConfig *cfg);

/* <dir>/rootfs: the container's own clone of the image's flat rootfs, made once (it keeps
 * what the container writes, as an overlay's upper dir does). */
int ross_vm_clone_root(struct RossContainers *c, const char *dir,
                       const struct RossContainerConfig *cfg, RossError *err);
/* The backends' root hook (backend.h): that clone, for docker cp and export. */
int ross_vm_root(const RossBackend *b, struct RossContainers *c, const char *id, const char *dir,
                 const struct RossContainerConfig *cfg, RossError *err);

/* ross-init's config for the container (src/vm/proto.h): the command, env, ids, hostname,
 * terminal, volumes as tags ross.vol<N> in bind order, tmpfs; virtiofs: the root and volumes
 * are virtio-fs shares (else 9p). */
void ross_vm_guest_config(RossBuf *b, const struct RossContainerConfig *cfg, const RossIds *ids,
                          const char *hostname, bool virtiofs, const struct RossNetPlan *net);
void ross_vm_cfg_num(RossBuf *b, const char *key, long long v);
int ross_vm_copy_file(const char *from, const char *to, RossError *err);

/* The sockets of a VM's shim: <run>/runtime/<runtime>/<id16> (short: unix socket paths are). */
char *ross_vm_sockdir(const struct RossBackend *b, struct RossContainers *c, const char *id);
/* RossBackend.prepare_exec and .release of every VM backend: an exec's config for ross-init
 * (the container's process with the exec's command, env, user, cwd, terminal: the keys of
 * proto.h's EXEC); the removal of the shim's socket directory. */
int ross_vm_prepare_exec(const struct RossBackend *b, struct RossContainers *c, const char *cid,
                         const char *exec_dir, struct json_t *e, unsigned rows, unsigned cols,
                         char **ret_path, RossError *err);
void ross_vm_release(const struct RossBackend *b, struct RossContainers *c, const char *id,
                     const char *dir);
/* ross-init's config and the container's hosts, hostname and resolv.conf, in cfgdir (the
 * config share, or a directory in the root): the user and groups resolved in <dir>/rootfs. */
int ross_vm_write_guest_config(struct RossContainers *c, const char *id, const char *dir,
                               const struct RossContainerConfig *cfg, const struct RossNetPlan *net,
                               const char *cfgdir, bool virtiofs, RossError *err);
/* What every VM backend refuses at create: the host's network (network_hint: what to use
 * instead), less than 64 MiB, more vCPUs than ROSS_VM_CPUS_MAX, a file as a volume. */
int ross_vm_check(const struct RossContainerConfig *cfg, const char *runtime,
                  const char *network_hint, RossError *err);
