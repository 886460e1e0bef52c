/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "server.h"

/* system.c */
enum MHD_Result ross_api_ping(RossRequest *req);
/* events.c */
enum MHD_Result ross_api_events(RossRequest *req);
enum MHD_Result ross_api_version(RossRequest *req);
enum MHD_Result ross_api_info(RossRequest *req);
enum MHD_Result ross_api_auth(RossRequest *req);

/* images.c; name is the image name from the path (may contain '/') */
enum MHD_Result ross_api_images_create(RossRequest *req);
enum MHD_Result ross_api_images_list(RossRequest *req);
enum MHD_Result ross_api_image_inspect(RossRequest *req, const char *name);
enum MHD_Result ross_api_image_delete(RossRequest *req, const char *name);
enum MHD_Result ross_api_image_tag(RossRequest *req, const char *name);
enum MHD_Result ross_api_images_prune(RossRequest *req);
/* Ross's own (podman has them too): read-only mounts of an image's filesystem. */
enum MHD_Result ross_api_image_mount(RossRequest *req, const char *name);
enum MHD_Result ross_api_image_unmount(RossRequest *req, const char *name);
/* Ross's own: the image's cached flat rootfs (what a micro-VM boots from). */
enum MHD_Result ross_api_image_rootfs(RossRequest *req, const char *name);
/* images.c too: one line of Docker's progress stream on fd (o stolen), and a progress event
 * as one ({"status", "id", "progressDetail", "progress"}); -EPIPE when the client left. */
int ross_api_stream_line(int fd, json_t *o);
int ross_api_stream_event(int fd, const char *id, const char *status, int64_t cur, int64_t total);
/* commit.c: POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes= */
enum MHD_Result ross_api_commit(RossRequest *req);
/* push.c: POST /images/{name}/push?tag= with X-Registry-Auth, Docker's push stream */
enum MHD_Result ross_api_image_push(RossRequest *req, const char *name);

/* containers.c; ref is an id, id prefix or name */
enum MHD_Result ross_api_containers_create(RossRequest *req);
enum MHD_Result ross_api_containers_list(RossRequest *req);
enum MHD_Result ross_api_container_start(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_wait(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_kill(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_stop(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_delete(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_inspect(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_logs(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_rename(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_pause(RossRequest *req, const char *ref, bool pause);
enum MHD_Result ross_api_container_restart(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_update(RossRequest *req, const char *ref);
/* container-info.c: ps in a container, its filesystem changes */
enum MHD_Result ross_api_container_top(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_changes(RossRequest *req, const char *ref);
/* prune.c: POST /containers/prune */
enum MHD_Result ross_api_containers_prune(RossRequest *req);
/* system-df.c: GET /system/df */
enum MHD_Result ross_api_system_df(RossRequest *req);
/* distribution.c: GET /distribution/{name}/json (name may contain '/') */
enum MHD_Result ross_api_distribution_inspect(RossRequest *req, const char *name);
/* unsupported.c: /build*, /session, /plugins* (segs say which) */
enum MHD_Result ross_api_build(RossRequest *req);
enum MHD_Result ross_api_session(RossRequest *req);
enum MHD_Result ross_api_plugins(RossRequest *req);

/* stats.c: Docker's resource use of a container, streamed or once */
enum MHD_Result ross_api_container_stats(RossRequest *req, const char *ref);

/* volumes.c; name is a volume's name */
enum MHD_Result ross_api_volumes_list(RossRequest *req);
enum MHD_Result ross_api_volumes_create(RossRequest *req);
enum MHD_Result ross_api_volumes_prune(RossRequest *req);
enum MHD_Result ross_api_volume_inspect(RossRequest *req, const char *name);
enum MHD_Result ross_api_volume_delete(RossRequest *req, const char *name);

/* networks.c; ref is a network's id, id prefix or name */
enum MHD_Result ross_api_networks_list(RossRequest *req);
enum MHD_Result ross_api_networks_create(RossRequest *req);
enum MHD_Result ross_api_networks_prune(RossRequest *req);
enum MHD_Result ross_api_network_inspect(RossRequest *req, const char *ref);
enum MHD_Result ross_api_network_delete(RossRequest *req, const char *ref);
enum MHD_Result ross_api_network_connect(RossRequest *req, const char *ref, bool connect);

/* archive.c: docker cp (HEAD, GET, PUT /containers/{id}/archive), export, import
 * (POST /images/create?fromSrc=-, from images_create) */
enum MHD_Result ross_api_container_archive(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_export(RossRequest *req, const char *ref);
enum MHD_Result ross_api_images_import(RossRequest *req);

/* saveload.c: docker save (GET /images/{name}/get, GET /images/get?names=) and load */
enum MHD_Result ross_api_image_get(RossRequest *req, const char *name);
enum MHD_Result ross_api_images_get(RossRequest *req);
/* docker load (POST /images/load, its body streamed) */
enum MHD_Result ross_api_images_load(RossRequest *req);

/* swarm.c: /swarm, /nodes, /services, /tasks, /secrets, /configs (segs[0] says which) */
enum MHD_Result ross_api_swarm(RossRequest *req);

/* attach.c: the hijacked stream joined to the container's shim; the tty's size */
enum MHD_Result ross_api_container_attach(RossRequest *req, const char *ref);
enum MHD_Result ross_api_container_resize(RossRequest *req, const char *ref);
/* attach.c too: exec instances (POST /containers/{id}/exec, /exec/{id}/start|json|resize) */
enum MHD_Result ross_api_exec_create(RossRequest *req, const char *ref);
enum MHD_Result ross_api_exec_start(RossRequest *req, const char *exec_id);
enum MHD_Result ross_api_exec_inspect(RossRequest *req, const char *exec_id);
enum MHD_Result ross_api_exec_resize(RossRequest *req, const char *exec_id);
