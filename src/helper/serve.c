/* SPDX-License-Identifier: Apache-2.0 */
/* The pull helper's sandbox per subcommand, its login and flat merge, and the probe. */
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "../basic/log.h"
#include "../ref/reference.h"
#include "../sandbox/sandbox.h"
#include "../unpack/rootfs.h"
#include "serve.h"

bool ross_helper_name_valid(const char *name, const char *prefix)
{
        size_t pl = strlen(prefix);
        if (!name || strncmp(name, prefix, pl) != 0 || strlen(name) != pl + 16)
                return false;
        for (const char *c = name + pl; *c; c++)
                if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
                        return false;
        return true;
}

bool ross_helper_tree_valid(const char *rel)
{
        const char *slash = rel ? strchr(rel, '/') : NULL;
        if (!slash || !STREQ(slash, "/fs") || slash == rel)
                return false;
        _cleanup_free_ char *first = xstrndup(rel, (size_t)(slash - rel));
        if (ross_helper_name_valid(first, ".tmp-"))
                return true;
        if (strlen(first) > 19)
                return false;
        for (const char *c = first; *c; c++)
                if (*c < '0' || *c > '9')
                        return false;
        return true;
}

int ross_helper_sandbox(const char *cmd, RossHelperOptions *o, RossError *err)
{
        _cleanup_free_ char *a = NULL, *b = NULL;
        RossSandbox sb = {};

        o->root_fd = -EBADF;
        if (STREQ(cmd, "archive"))
                return ross_helper_archive_sandbox(o, err);
        if (STREQ(cmd, "pull") || STREQ(cmd, "probe") || STREQ(cmd, "import") ||
            STREQ(cmd, "load")) {
                if (!o->data_dir || !ross_helper_name_valid(o->stage, ".stage-"))
                        return ross_errx(err, EINVAL, "%s: --data-dir and a --stage are needed",
                                         cmd);
                /* the stage for blobs, the snapshot area for trees */
                a = xasprintf("%s/ingest/%s", o->data_dir, o->stage);
                b = xasprintf("%s/snapshots", o->data_dir);
                sb.caps = ROSS_SANDBOX_CAPS_UNPACK;
        } else if (STREQ(cmd, "flat")) {
                if (!o->data_dir || !o->target || strncmp(o->target, "flat/", 5) != 0 ||
                    !ross_helper_name_valid(o->target + 5, ".tmp-"))
                        return ross_errx(err, EINVAL, "flat: --data-dir and a --target are needed");
                a = xasprintf("%s/%s", o->data_dir, o->target);
                sb.caps = ROSS_SANDBOX_CAPS_UNPACK;
        } else if (STREQ(cmd, "inspect")) {
                if (!o->data_dir || !ross_helper_name_valid(o->stage, ".stage-"))
                        return ross_errx(err, EINVAL,
                                         "inspect: --data-dir and a --stage are needed");
                /* the stage for the manifest and config, nothing to unpack */
                a = xasprintf("%s/ingest/%s", o->data_dir, o->stage);
                sb.caps = 0;
        } else if (STREQ(cmd, "login")) {
                sb.caps = 0; /* the network, nothing else */
        } else if (STREQ(cmd, "push") || STREQ(cmd, "save")) {
                /* the store to read (and for push the network): no write anywhere, no
                 * capability */
                if (!o->data_dir)
                        return ross_errx(err, EINVAL, "%s: --data-dir is needed", cmd);
                sb.caps = 0;
        } else
                return ross_errx(err, EINVAL, "unknown command '%s'", cmd);
        const char *writable[] = {a, b, NULL};
        sb.writable = writable;
        return ross_sandbox_enter(&sb, err);
}

int ross_helper_serve_login(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        json_auto_t *req = NULL;
        RossRegistry *reg = NULL;
        int r = ross_channel_recv(ch, &req, err);
        if (r < 0)
                return r;
        const char *domain = json_string_value(json_object_get(req, "domain"));
        RossCreds c = {
                .username = (char *)json_string_value(json_object_get(req, "username")),
                .password = (char *)json_string_value(json_object_get(req, "password")),
        };
        if (!STREQ(ross_channel_type(req), "login") || !domain)
                return ross_errx(err, EPROTO, "expected a login request");
        r = ross_registry_new(&o->registry, domain, &c, &reg, err);
        if (r == 0)
                r = ross_registry_login(reg, err);
        ross_registry_free(reg);
        if (r < 0)
                return r;
        return ross_channel_send_new(ch, json_pack("{s:s}", "type", "done"), err);
}

static void free_layers(RossRootfsLayer *layers, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free((char *)layers[i].path);
                free((char *)layers[i].diff_id);
        }
        free(layers);
}

int ross_helper_serve_flat(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        json_auto_t *req = NULL;
        int r = ross_channel_recv(ch, &req, err);
        if (r < 0)
                return r;
        json_t *list = json_object_get(req, "layers");
        if (!STREQ(ross_channel_type(req), "flat") || !json_is_array(list) ||
            json_array_size(list) > ROSS_LAYERS_MAX)
                return ross_errx(err, EPROTO, "expected a flat request");
        size_t n = json_array_size(list);
        RossRootfsLayer *layers = xcalloc(n + 1, sizeof(RossRootfsLayer));
        for (size_t i = 0; i < n && r == 0; i++) {
                json_t *e = json_array_get(list, i);
                const char *digest = json_string_value(json_object_get(e, "digest"));
                const char *diff_id = json_string_value(json_object_get(e, "diff_id"));
                if (!ross_digest_valid(digest) || !ross_digest_valid(diff_id)) {
                        r = ross_errx(err, EPROTO, "flat: layer %zu: invalid digest", i + 1);
                        break;
                }
                layers[i].path = xasprintf("%s/blobs/sha256/%s", o->data_dir, digest + 7);
                layers[i].diff_id = xstrdup(diff_id);
                _cleanup_close_ int fd = open(layers[i].path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || ross_layer_detect_compression(fd, &layers[i].compression) < 0)
                        r = ross_err(err, errno, "open layer %s", digest);
        }
        RossSpaceReserve reserve = {
                .bytes = (uint64_t)json_integer_value(json_object_get(req, "reserve_bytes")),
                .percent = (unsigned)json_integer_value(json_object_get(req, "reserve_percent")),
        };
        if (reserve.percent > 100)
                reserve.percent = 100;
        uint64_t max = (uint64_t)json_integer_value(json_object_get(req, "max_layer_bytes"));
        _cleanup_free_ char *target = xasprintf("%s/%s", o->data_dir, o->target);
        if (r == 0)
                r = ross_rootfs_prepare(target, layers, n, max, &reserve, err);
        free_layers(layers, n);
        if (r < 0)
                return r;
        return ross_channel_send_new(ch, json_pack("{s:s}", "type", "done"), err);
}

static void probe_line(const char *what, int r)
{
        printf("%s: %s\n", what, r == 0 ? "ok" : strerror(-r));
}

static int probe_write(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        close(fd);
        unlink(path);
        return 0;
}

int ross_helper_probe(const RossHelperOptions *o)
{
        _cleanup_free_ char *stage = xasprintf("%s/ingest/%s/probe", o->data_dir, o->stage);
        _cleanup_free_ char *snap = xasprintf("%s/snapshots/probe", o->data_dir);
        _cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256/probe", o->data_dir);
        _cleanup_free_ char *data = xasprintf("%s/probe", o->data_dir);
        probe_line("write stage", probe_write(stage));
        probe_line("write snapshots", probe_write(snap));
        probe_line("write blobs", probe_write(blobs));
        probe_line("write data dir", probe_write(data));
        probe_line("write /etc", probe_write("/etc/ross-probe"));
        probe_line("write /tmp", probe_write("/tmp/ross-probe"));
        probe_line("mount", mount("none", "/tmp", "tmpfs", 0, NULL) < 0 ? -errno : 0);
        probe_line("unshare", unshare(CLONE_NEWNS) < 0 ? -errno : 0);
        printf("no-new-privs: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        printf("capabilities: 0x%llx\n", (unsigned long long)ross_sandbox_effective_caps());
        printf("unpack capabilities: 0x%llx\n", (unsigned long long)ROSS_SANDBOX_CAPS_UNPACK);
        fflush(stdout);
        return 0;
}
