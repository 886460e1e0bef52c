/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's binds and volumes, as Docker takes them: HostConfig.Binds
 * ("SRC:DST[:OPTS]", SRC a host path or a volume's name), HostConfig.Mounts of type bind
 * and volume, and the anonymous volumes of Config.Volumes and the image's Volumes. One
 * list comes out, each entry {"source","destination","readonly"}, a volume's also
 * {"volume": NAME or "" (anonymous, named at create), "nocopy", "labels"}.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "../basic/macros.h"
#include "config.h"
#include "mounts.h"

static json_t *entry(const char *src, const char *dst, bool ro)
{
        return json_pack("{s:s, s:s, s:b}", "source", src, "destination", dst, "readonly", ro);
}

static json_t *volume_entry(const char *name, const char *dst, bool ro, bool nocopy, json_t *labels)
{
        json_t *e = entry("", dst, ro);
        json_object_set_new(e, "volume", json_string(name ? name : ""));
        json_object_set_new(e, "nocopy", json_boolean(nocopy));
        if (json_object_size(labels) > 0)
                json_object_set(e, "labels", labels);
        return e;
}

static int check_destination(const char *spec, const char *dst, RossError *err)
{
        if (!dst || dst[0] != '/')
                return ross_errx(err, EINVAL,
                                 "invalid volume specification: '%s': the container path must "
                                 "be absolute",
                                 spec);
        if (STREQ(dst, "/"))
                return ross_errx(err, EINVAL,
                                 "invalid volume specification: '%s': invalid mount config: "
                                 "destination can't be '/'",
                                 spec);
        return 0;
}

/* "SRC:DST[:ro|rw|z|Z|nocopy,...]" */
static int parse_bind(const char *spec, json_t *out, RossError *err)
{
        _cleanup_free_ char *copy = xstrdup(spec);
        char *dst = strchr(copy, ':');
        char *mode = dst ? strchr(dst + 1, ':') : NULL;
        if (!dst || dst == copy || !dst[1])
                return ross_errx(err, EINVAL, "invalid volume specification: '%s'", spec);
        *dst++ = '\0';
        if (mode)
                *mode++ = '\0';
        bool ro = false, nocopy = false;
        _cleanup_free_ char *modes = xstrdup(mode ? mode : "");
        for (char *save = NULL, *m = strtok_r(modes, ",", &save); m;
             m = strtok_r(NULL, ",", &save)) {
                if (STREQ(m, "ro"))
                        ro = true;
                else if (STREQ(m, "nocopy"))
                        nocopy = true;
                else if (!STREQ(m, "rw") && !STREQ(m, "z") && !STREQ(m, "Z"))
                        return ross_errx(err, EINVAL, "invalid mode: %s", m);
        }
        int r = check_destination(spec, dst, err);
        if (r < 0)
                return r;
        if (copy[0] != '/') {
                /* a named volume: made at create when it is not there */
                json_array_append_new(out, volume_entry(copy, dst, ro, nocopy, NULL));
                return 0;
        }
        if (nocopy)
                return ross_errx(err, EINVAL,
                                 "invalid volume specification: '%s': nocopy is for volumes, "
                                 "not host paths",
                                 spec);
        struct stat st;
        if (stat(copy, &st) < 0)
                return ross_err(err, errno, "bind source path does not exist: %s", copy);
        json_array_append_new(out, entry(copy, dst, ro));
        return 0;
}

/* A Mounts entry of type bind or volume. */
static int parse_mount(json_t *m, json_t *out, RossError *err)
{
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *src = json_string_value(json_object_get(m, "Source"));
        const char *dst = json_string_value(json_object_get(m, "Target"));
        bool ro = json_is_true(json_object_get(m, "ReadOnly"));
        if (!dst || dst[0] != '/')
                return ross_errx(err, EINVAL,
                                 "invalid mount config for type \"%s\": the Target "
                                 "must be an absolute path",
                                 type);
        if (STREQ(dst, "/"))
                return ross_errx(err, EINVAL,
                                 "invalid mount config for type \"%s\": "
                                 "destination can't be '/'",
                                 type);
        if (STREQ(type, "bind")) {
                if (!src || src[0] != '/')
                        return ross_errx(err, EINVAL,
                                         "invalid mount config for type \"bind\": invalid mount "
                                         "path: '%s' mount path must be absolute",
                                         src ? src : "");
                struct stat st;
                if (stat(src, &st) < 0)
                        return ross_err(err, errno,
                                        "invalid mount config for type \"bind\": bind source "
                                        "path does not exist: %s",
                                        src);
                json_array_append_new(out, entry(src, dst, ro));
                return 0;
        }
        json_t *vo = json_object_get(m, "VolumeOptions");
        if (vo && !json_is_null(vo) && !json_is_object(vo))
                return ross_errx(err, EINVAL,
                                 "invalid mount config for type \"volume\": "
                                 "VolumeOptions must be an object");
        json_t *labels = json_object_get(vo, "Labels");
        const char *driver =
                json_string_value(json_object_get(json_object_get(vo, "DriverConfig"), "Name"));
        if (!STR_EMPTY(driver) && !STREQ(driver, "local"))
                return ross_errx(err, EINVAL,
                                 "invalid mount config for type \"volume\": volume driver %s: "
                                 "Ross has the local driver only",
                                 driver);
        if (src && src[0] == '/')
                return ross_errx(err, EINVAL,
                                 "invalid mount config for type \"volume\": invalid volume "
                                 "name '%s': a volume's name, not a path",
                                 src);
        json_array_append_new(out, volume_entry(src, dst, ro,
                                                json_is_true(json_object_get(vo, "NoCopy")),
                                                json_is_object(labels) ? labels : NULL));
        return 0;
}

static bool has_destination(json_t *list, const char *dst)
{
        json_t *v;
        size_t i;
        json_array_foreach (list, i, v)
                if (STREQ(json_string_value(json_object_get(v, "destination")), dst))
                        return true;
        return false;
}

/* Config.Volumes and the image's Volumes: {"/path": {}} */
static int add_anonymous(json_t *volumes, json_t *out, json_t *tmpfs, RossError *err)
{
        const char *path;
        json_t *v;
        if (volumes && !json_is_null(volumes) && !json_is_object(volumes))
                return ross_errx(err, EINVAL, "invalid Volumes: an object of paths is needed");
        json_object_foreach (volumes, path, v) {
                if (path[0] != '/' || STREQ(path, "/"))
                        return ross_errx(err, EINVAL,
                                         "invalid volume '%s': the path must be absolute, not /",
                                         path);
                if (has_destination(out, path))
                        continue;
                /* a --tmpfs at the same path wins, as Docker has it */
                bool in_tmpfs = false;
                json_t *t;
                size_t i;
                json_array_foreach (tmpfs, i, t) {
                        const char *s = json_string_value(t);
                        size_t n = strlen(path);
                        in_tmpfs = in_tmpfs ||
                                   (s && strncmp(s, path, n) == 0 && (s[n] == '\0' || s[n] == ':'));
                }
                if (!in_tmpfs)
                        json_array_append_new(out, volume_entry("", path, false, false, NULL));
        }
        return 0;
}

int ross_container_parse_mounts(json_t *body, json_t *image_config, json_t *tmpfs, json_t **ret,
                                RossError *err)
{
        json_t *hc = json_object_get(body, "HostConfig");
        _cleanup_(json_decrefp) json_t *out = json_array();
        json_t *b;
        size_t i;
        int r;
        json_t *binds = json_object_get(hc, "Binds");
        if (binds && !json_is_null(binds) && !json_is_array(binds))
                return ross_errx(err, EINVAL, "invalid Binds: an array of strings is needed");
        json_array_foreach (binds, i, b) {
                if (!json_is_string(b))
                        return ross_errx(err, EINVAL, "invalid bind: not a string");
                if ((r = parse_bind(json_string_value(b), out, err)) < 0)
                        return r;
        }
        json_array_foreach (json_object_get(hc, "Mounts"), i, b) {
                const char *type = json_string_value(json_object_get(b, "Type"));
                if (!type || STREQ(type, "tmpfs"))
                        continue; /* tmpfs mounts are taken into the tmpfs list */
                if (!STREQ(type, "bind") && !STREQ(type, "volume"))
                        return ross_errx(err, EINVAL,
                                         "invalid mount config: mount type '%s' "
                                         "is not supported (bind, volume and tmpfs are)",
                                         type);
                if ((r = parse_mount(b, out, err)) < 0)
                        return r;
        }
        /* one mount a path */
        json_array_foreach (out, i, b) {
                const char *dst = json_string_value(json_object_get(b, "destination"));
                for (size_t k = 0; k < i; k++)
                        if (STREQ(dst, json_string_value(json_object_get(json_array_get(out, k),
                                                                         "destination"))))
                                return ross_errx(err, EINVAL, "Duplicate mount point: %s", dst);
        }
        if ((r = add_anonymous(json_object_get(body, "Volumes"), out, tmpfs, err)) < 0 ||
            (r = add_anonymous(json_object_get(json_object_get(image_config, "config"), "Volumes"),
                               out, tmpfs, err)) < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

int ross_container_config_check_binds(const RossContainerConfig *cfg, RossError *err)
{
        json_t *v;
        size_t i;
        json_array_foreach (cfg->binds, i, v) {
                const char *src = json_string_value(json_object_get(v, "source"));
                const char *vol = json_string_value(json_object_get(v, "volume"));
                if (vol && (!src || access(src, F_OK) < 0))
                        return ross_errx(err, ENOENT, "volume %s: no such volume", vol);
                if (!src || access(src, F_OK) < 0)
                        return ross_err(err, src ? errno : EINVAL,
                                        "bind source path does not exist: %s", src ? src : "");
        }
        return 0;
}
