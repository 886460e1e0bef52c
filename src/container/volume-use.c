/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Containers and their volumes: the volumes a create names are made then (anonymous ones
 * get their names), a start copies the image's content into an empty one (Docker's copy on
 * first use), a removal with -v (or --rm) takes the anonymous ones along, and a volume is in
 * use while any container, running or not, names it.
 */
#include <fcntl.h>
#include <unistd.h>

#include "../basic/log.h"
#include "../basic/macros.h"
#include "../store/db.h"
#include "../unpack/resolve.h"
#include "../volume/volumes.h"
#include "config.h"
#include "containers.h"
#include "volume-use.h"

int ross_container_volumes_make(RossContainers *c, RossContainerConfig *cfg, json_t **ret_made,
                                RossError *err)
{
        _cleanup_(json_decrefp) json_t *made = json_array();
        json_t *b;
        size_t i;
        json_array_foreach (cfg->binds, i, b) {
                json_t *vol = json_object_get(b, "volume");
                if (!vol)
                        continue;
                const char *name = json_string_value(vol);
                bool anonymous = STR_EMPTY(name);
                json_auto_t *v = NULL;
                bool created = false;
                int r = ross_volumes_create(c->volumes, anonymous ? NULL : name, NULL,
                                            json_object_get(b, "labels"), NULL, &v, &created, err);
                if (r < 0) {
                        ross_container_volumes_undo(c, made);
                        return r;
                }
                const char *real = json_string_value(json_object_get(v, "Name"));
                json_object_set_new(b, "volume", json_string(real));
                json_object_set_new(
                        b, "source",
                        json_string(json_string_value(json_object_get(v, "Mountpoint"))));
                if (anonymous)
                        json_object_set_new(b, "anonymous", json_true());
                if (created)
                        json_array_append_new(made, json_string(real));
        }
        *ret_made = TAKE_PTR(made);
        return 0;
}

void ross_container_volumes_undo(RossContainers *c, json_t *made)
{
        json_t *v;
        size_t i;
        json_array_foreach (made, i, v)
                (void)ross_volumes_remove(c->volumes, json_string_value(v), NULL);
}

int ross_container_volumes_populate(RossContainers *c, const char *dir,
                                    const RossContainerConfig *cfg, RossError *err)
{
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
        _cleanup_close_ int root = -EBADF;
        json_t *b;
        size_t i;
        json_array_foreach (cfg->binds, i, b) {
                const char *name = json_string_value(json_object_get(b, "volume"));
                if (STR_EMPTY(name) || json_is_true(json_object_get(b, "nocopy")))
                        continue;
                if (root < 0 &&
                    (root = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                        return ross_err(err, errno, "open the container's root '%s'", rootfs);
                /* the image's tree at the path, resolved inside the container's root: a
                 * symlink there never leads out of it */
                _cleanup_free_ char *clean = NULL;
                const char *dst = json_string_value(json_object_get(b, "destination"));
                if (ross_path_clean(dst, &clean, NULL) < 0)
                        continue;
                RossError e = {};
                _cleanup_close_ int src = ross_resolve_dir(root, clean, 0, &e);
                if (src < 0)
                        continue; /* nothing there (or not a directory): nothing to copy */
                int r = ross_volumes_populate(c->volumes, name, src, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

json_t *ross_containers_volume_users(RossContainers *c, const char *name)
{
        json_t *out = json_array();
        _cleanup_(json_decrefp) json_t *rows = NULL;
        if (ross_db_container_list(c->db, &rows, NULL) < 0)
                return out;
        json_t *row;
        size_t i;
        json_array_foreach (rows, i, row) {
                json_t *binds = json_object_get(
                        json_object_get(json_object_get(row, "Config"), "RossConfig"), "binds");
                json_t *b;
                size_t k;
                json_array_foreach (binds, k, b) {
                        /* a bind mount has no volume */
                        const char *vol = json_string_value(json_object_get(b, "volume"));
                        if (vol && STREQ(vol, name)) {
                                json_array_append(out, json_object_get(row, "Id"));
                                break;
                        }
                }
        }
        return out;
}

void ross_container_volumes_remove_anonymous(RossContainers *c, const char *id,
                                             const RossContainerConfig *cfg)
{
        json_t *b;
        size_t i;
        json_array_foreach (cfg->binds, i, b) {
                const char *name = json_string_value(json_object_get(b, "volume"));
                if (STR_EMPTY(name) || !json_is_true(json_object_get(b, "anonymous")))
                        continue;
                /* another container may have it too (--volumes-from in Docker): kept then */
                json_auto_t *users = ross_containers_volume_users(c, name);
                json_t *u;
                size_t k;
                bool other = false;
                json_array_foreach (users, k, u)
                        other = other || !STREQ(json_string_value(u), id);
                RossError err = {};
                if (!other && ross_volumes_remove(c->volumes, name, &err) < 0 && err.code != ENOENT)
                        log_warn("container %.12s: its volume %s: %s", id, name, err.msg);
        }
}

json_t *ross_container_mounts_inspect(const RossContainerConfig *cfg, json_t *hc)
{
        json_t *out = json_array();
        json_t *b;
        size_t i;
        json_array_foreach (cfg->binds, i, b) {
                const char *name = json_string_value(json_object_get(b, "volume"));
                bool ro = json_is_true(json_object_get(b, "readonly"));
                const char *src = json_string_value(json_object_get(b, "source"));
                const char *dst = json_string_value(json_object_get(b, "destination"));
                if (name)
                        json_array_append_new(
                                out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "Type",
                                               "volume", "Name", name, "Source", src ?: "",
                                               "Destination", dst ?: "", "Driver", "local", "Mode",
                                               ro ? "ro" : "z", "RW", !ro, "Propagation", ""));
                else
                        json_array_append_new(out,
                                              json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type",
                                                        "bind", "Source", src ?: "", "Destination",
                                                        dst ?: "", "Mode", ro ? "ro" : "", "RW",
                                                        !ro, "Propagation", "rprivate"));
        }
        /* --mount type=tmpfs (not --tmpfs), as Docker lists them */
        json_array_foreach (json_object_get(hc, "Mounts"), i, b) {
                const char *type = json_string_value(json_object_get(b, "Type"));
                const char *dst = json_string_value(json_object_get(b, "Target"));
                if (type && dst && STREQ(type, "tmpfs"))
                        json_array_append_new(
                                out, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "tmpfs",
                                               "Source", "", "Destination", dst, "Mode", "", "RW",
                                               !json_is_true(json_object_get(b, "ReadOnly")),
                                               "Propagation", ""));
        }
        return out;
}
