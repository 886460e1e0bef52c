/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "../basic/buf.h"

#include "../basic/log.h"
#include "../ref/reference.h"
#include "../registry/manifest.h"
#include "images.h"

void ross_images_init(RossImages *s)
{
        pthread_mutex_init(&s->busy_lock, NULL);
        s->busy = json_object();
}

void ross_images_done(RossImages *s)
{
        json_decref(s->busy);
        s->busy = NULL;
        pthread_mutex_destroy(&s->busy_lock);
}

void ross_images_hold(RossImages *s, const char *digest)
{
        pthread_mutex_lock(&s->busy_lock);
        json_int_t n = json_integer_value(json_object_get(s->busy, digest));
        json_object_set_new(s->busy, digest, json_integer(n + 1));
        pthread_mutex_unlock(&s->busy_lock);
}

void ross_images_release(RossImages *s, const char *digest)
{
        pthread_mutex_lock(&s->busy_lock);
        json_int_t n = json_integer_value(json_object_get(s->busy, digest));
        if (n <= 1)
                json_object_del(s->busy, digest);
        else
                json_object_set_new(s->busy, digest, json_integer(n - 1));
        pthread_mutex_unlock(&s->busy_lock);
}

void ross_images_drop_blob(RossImages *s, const char *digest)
{
        RossError err = {};
        json_auto_t *refs = NULL;

        /* Checked and removed under the lock: a pull cannot take hold in between. */
        pthread_mutex_lock(&s->busy_lock);
        if (json_object_get(s->busy, digest))
                ; /* a pull needs it */
        else if (ross_db_referenced_blobs(s->db, &refs, &err) < 0)
                log_debug("keeping blob %s: %s", digest, err.msg); /* nobody can tell */
        else if (!json_object_get(refs, digest)) {
                log_debug("removing blob %s", digest);
                ross_content_remove(s->content, digest);
        }
        pthread_mutex_unlock(&s->busy_lock);
}

/* RFC 3339 to Unix seconds; 0 when unparsable. */
static int64_t parse_time(const char *s)
{
        struct tm tm = {};
        if (STR_EMPTY(s) || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (int64_t)timegm(&tm);
}

static json_t *load_config(RossImages *s, const char *id)
{
        _cleanup_free_ char *body = NULL;
        size_t len;
        if (ross_content_read(s->content, id, ROSS_CONFIG_MAX, &body, &len, NULL) < 0)
                return NULL;
        return json_loadb(body, len, 0, NULL);
}

int ross_images_list(RossImages *s, json_t **ret, RossError *err)
{
        json_auto_t *rows = NULL, *out = json_array();
        json_t *row;
        size_t i;
        int r = ross_db_image_list(s->db, &rows, err);
        if (r < 0)
                return r;

        json_array_foreach (rows, i, row) {
                const char *id = json_string_value(json_object_get(row, "Id"));
                int users = ross_db_image_containers(s->db, id, err);
                if (users < 0)
                        return users;
                json_auto_t *cfg = load_config(s, id);
                json_t *labels = json_object_get(json_object_get(cfg, "config"), "Labels");
                json_int_t size = json_integer_value(json_object_get(row, "Size"));
                json_t *o = json_pack(
                        "{s:s, s:s, s:O, s:O, s:I, s:I, s:I, s:I, s:o, s:I}", "Id", id, "ParentId",
                        "", "RepoTags", json_object_get(row, "RepoTags"), "RepoDigests",
                        json_object_get(row, "RepoDigests"), "Created",
                        (json_int_t)parse_time(json_string_value(json_object_get(row, "Created"))),
                        "Size", size, "SharedSize", (json_int_t)-1, "VirtualSize", size, "Labels",
                        json_is_object(labels) ? json_incref(labels) : json_object(), "Containers",
                        (json_int_t)users);
                json_array_append_new(out, o);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int ross_images_inspect(RossImages *s, const char *name, json_t **ret, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        json_auto_t *row = NULL, *ids = NULL, *cfg = NULL;
        int r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        r = ross_db_image_get(s->db, id, &row, err);
        if (r == -ENOENT)
                return ross_errx(err, ENOENT, "No such image: %s", name);
        if (r < 0)
                return r;
        r = ross_db_image_snapshot_ids(s->db, id, &ids, err);
        if (r < 0)
                return r;
        cfg = load_config(s, id);
        json_t *rootfs = json_object_get(cfg, "rootfs");
        json_t *c = json_object_get(cfg, "config");
        const char *created = json_string_value(json_object_get(row, "Created"));
        json_t *o = json_pack(
                "{s:s, s:O, s:O, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:s, s:I, s:I, s:{s:s, "
                "s:{}}, s:{s:s, s:o}, s:{s:s}}",
                "Id", id, "RepoTags", json_object_get(row, "RepoTags"), "RepoDigests",
                json_object_get(row, "RepoDigests"), "Parent", "", "Comment",
                json_string_value(json_object_get(cfg, "comment")) ?: "", "Created",
                created ? created : "", "DockerVersion",
                json_string_value(json_object_get(cfg, "docker_version")) ?: "", "Author",
                json_string_value(json_object_get(cfg, "author")) ?: "", "Config",
                json_is_object(c) ? c : json_null(), "ContainerConfig",
                json_is_object(c) ? c : json_null(), "Architecture",
                json_string_value(json_object_get(row, "Architecture")) ?: "", "Os",
                json_string_value(json_object_get(row, "Os")) ?: "", "Size",
                json_integer_value(json_object_get(row, "Size")), "VirtualSize",
                json_integer_value(json_object_get(row, "Size")), "GraphDriver", "Name", "ross",
                "Data", "RootFS", "Type", "layers", "Layers",
                json_is_array(json_object_get(rootfs, "diff_ids"))
                        ? json_incref(json_object_get(rootfs, "diff_ids"))
                        : json_array(),
                "Metadata", "LastTagTime", "0001-01-01T00:00:00Z");
        if (!o)
                return ross_errx(err, EIO, "inspect %s: cannot build response", name);
        if (json_object_get(row, "Variant"))
                json_object_set(o, "Variant", json_object_get(row, "Variant"));
        /* The snapshot directories, top layer first, as Docker's overlay2 shows them. */
        _cleanup_(ross_buf_free) RossBuf lower = {};
        for (size_t k = json_array_size(ids); k > 0; k--) {
                _cleanup_free_ char *p = ross_snapshots_path(
                        s->snapshots, json_integer_value(json_array_get(ids, k - 1)));
                ross_buf_printf(&lower, "%s%s", lower.len ? ":" : "", p);
        }
        json_object_set_new(o, "GraphDriver",
                            json_pack("{s:s, s:{s:s}}", "Name", "overlay", "Data", "LowerDir",
                                      lower.data ? lower.data : ""));
        *ret = o;
        return 0;
}

static char *mount_path(RossImages *s, const char *id)
{
        return xasprintf("%s/%s", s->mounts_dir, id + 7);
}

static bool image_mounted(RossImages *s, const char *id)
{
        _cleanup_free_ char *path = mount_path(s, id);
        return ross_is_mountpoint(path);
}

static void report(json_t *rep, const char *key, const char *value)
{
        json_array_append_new(rep, json_pack("{s:s}", key, value));
}

static int delete_image(RossImages *s, const char *id, json_t *rep, RossError *err)
{
        json_auto_t *orphans = NULL;
        json_t *v;
        size_t i;
        int r = ross_db_image_delete(s->db, id, &orphans, err);
        if (r < 0)
                return r;
        json_array_foreach (orphans, i, v)
                ross_images_drop_blob(s, json_string_value(v));
        ross_snapshots_gc(s->snapshots);
        ross_images_flat_gc(s, false);
        report(rep, "Deleted", id);
        return 0;
}

/* rmi -f of an image containers use: untag it, keep it for them (as Docker does). */
static int untag_all(RossImages *s, json_t *tags, json_t *rep, RossError *err)
{
        json_t *t;
        size_t k;
        json_array_foreach (tags, k, t) {
                _cleanup_(ross_ref_freep) RossRef tr = {};
                if (ross_ref_parse(json_string_value(t), &tr, NULL) < 0)
                        continue;
                _cleanup_free_ char *full = ross_ref_string(&tr);
                int r = ross_db_tag_remove(s->db, full, err);
                if (r == 0)
                        report(rep, "Untagged", json_string_value(t));
                else if (r != -ENOENT)
                        return r; /* gone meanwhile: fine; the database failing: not */
        }
        return 0;
}

int ross_images_remove(RossImages *s, const char *name, bool force, json_t **ret_report,
                       RossError *err)
{
        _cleanup_free_ char *id = NULL, *nt = NULL;
        _cleanup_(ross_ref_freep) RossRef ref = {};
        json_auto_t *rep = json_array(), *row = NULL;
        int r;

        r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        r = ross_db_image_get(s->db, id, &row, err);
        if (r == -ENOENT)
                return ross_errx(err, ENOENT, "No such image: %s", name);
        if (r < 0)
                return r;
        json_t *tags = json_object_get(row, "RepoTags");
        size_t ntags = json_array_size(tags);

        /* Removing by tag only untags, unless it was the image's last tag. */
        bool by_tag = false;
        if (ross_ref_parse(name, &ref, NULL) == 0 && !ref.digest) {
                _cleanup_free_ char *tid = NULL;
                nt = ross_ref_string(&ref);
                r = ross_db_tag_get(s->db, nt, &tid, err);
                if (r < 0 && r != -ENOENT)
                        return r;
                by_tag = r == 0 && STREQ(tid, id);
        }
        if (!by_tag && ntags > 1 && !force)
                return ross_errx(err, EBUSY,
                                 "conflict: unable to delete %.12s (must be forced) - image is "
                                 "referenced in multiple repositories",
                                 id + 7);
        bool deletes = !(by_tag && ntags > 1);
        /* A container's rootfs stands on the image's snapshots: never delete those. */
        int users = deletes ? ross_db_image_containers(s->db, id, err) : 0;
        if (users < 0)
                return users;
        if (users > 0 && !force)
                return ross_errx(err, EBUSY,
                                 "conflict: unable to remove image %.12s (must force) - %d "
                                 "container%s use%s it",
                                 id + 7, users, users == 1 ? "" : "s", users == 1 ? "s" : "");
        if (users > 0) {
                r = untag_all(s, tags, rep, err);
                if (r < 0)
                        return r;
                *ret_report = TAKE_PTR(rep);
                return 0;
        }
        /* Decide about a mount before changing anything. */
        if (deletes && image_mounted(s, id)) {
                _cleanup_free_ char *path = mount_path(s, id);
                if (!force)
                        return ross_errx(err, EBUSY,
                                         "image %.12s is mounted at %s: unmount it first (or -f)",
                                         id + 7, path);
                r = ross_snapshots_unmount(path, err);
                if (r < 0)
                        return r;
                rmdir(path);
        }
        if (by_tag) {
                r = ross_db_tag_remove(s->db, nt, err);
                if (r < 0)
                        return r;
                _cleanup_free_ char *fam = ross_ref_familiar(nt);
                report(rep, "Untagged", fam);
                if (!deletes) {
                        *ret_report = TAKE_PTR(rep);
                        return 0; /* other tags keep it */
                }
                json_decref(TAKE_PTR(row));
                r = ross_db_image_get(s->db, id, &row, err);
                if (r < 0)
                        return r;
                tags = json_object_get(row, "RepoTags");
        }
        json_t *t, *dg;
        size_t i;
        json_array_foreach (tags, i, t)
                report(rep, "Untagged", json_string_value(t));
        json_array_foreach (json_object_get(row, "RepoDigests"), i, dg)
                report(rep, "Untagged", json_string_value(dg));
        r = delete_image(s, id, rep, err);
        if (r < 0)
                return r;
        *ret_report = TAKE_PTR(rep);
        return 0;
}

int ross_images_tag(RossImages *s, const char *name, const char *repo, const char *tag,
                    RossError *err)
{
        _cleanup_free_ char *id = NULL, *target = NULL, *nt = NULL;
        _cleanup_(ross_ref_freep) RossRef ref = {};
        int r;

        r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        target = STR_EMPTY(tag) ? xstrdup(repo) : xasprintf("%s:%s", repo, tag);
        r = ross_ref_parse(target, &ref, err);
        if (r < 0)
                return r;
        if (ref.digest)
                return ross_errx(err, EINVAL, "refusing to create a tag with a digest reference");
        nt = ross_ref_string(&ref);
        return ross_db_tag_set(s->db, nt, id, err);
}

int64_t ross_images_gc(RossImages *s, bool at_start, RossError *err)
{
        const char *dir = ross_content_blobs_dir(s->content);
        json_auto_t *refs = NULL;
        struct dirent *de;
        int64_t freed = 0;

        ross_content_clean_ingest(s->content);
        DIR *d = opendir(dir);
        if (!d)
                return ross_err(err, errno, "open blob directory '%s'", dir);
        pthread_mutex_lock(&s->busy_lock);
        /* a failure to tell what images use removes nothing */
        int r = ross_db_referenced_blobs(s->db, &refs, err);
        while (r == 0 && (de = readdir(d))) {
                _cleanup_free_ char *digest = xasprintf("sha256:%s", de->d_name);
                struct stat st;
                if (!ross_digest_valid(digest) || json_object_get(refs, digest) ||
                    json_object_get(s->busy, digest))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        freed += st.st_size;
                log_debug("gc: removing unreferenced blob %s", digest);
                ross_content_remove(s->content, digest);
        }
        pthread_mutex_unlock(&s->busy_lock);
        closedir(d);
        if (r < 0)
                return r;
        ross_images_flat_gc(s, at_start);
        return freed + ross_snapshots_gc(s->snapshots);
}

int ross_images_prune(RossImages *s, bool all, RossImagePrunePick pick, void *ud,
                      json_t **ret_report, RossError *err)
{
        json_auto_t *list = NULL, *deleted = json_array();
        json_t *img;
        size_t i;
        int r = ross_images_list(s, &list, err);
        if (r < 0)
                return r;

        json_array_foreach (list, i, img) {
                const char *id = json_string_value(json_object_get(img, "Id"));
                if (!all && json_array_size(json_object_get(img, "RepoTags")) > 0)
                        continue;
                if (pick && !pick(ud, img))
                        continue;
                if (image_mounted(s, id))
                        continue; /* in use */
                int users = ross_db_image_containers(s->db, id, err);
                if (users < 0)
                        return users;
                if (users > 0)
                        continue; /* in use */
                json_t *t;
                size_t k;
                json_array_foreach (json_object_get(img, "RepoTags"), k, t)
                        report(deleted, "Untagged", json_string_value(t));
                r = delete_image(s, id, deleted, err);
                if (r < 0)
                        return r;
        }
        int64_t freed = ross_images_gc(s, false, err);
        if (freed < 0)
                return (int)freed;
        *ret_report = json_pack("{s:o, s:I}", "ImagesDeleted", TAKE_PTR(deleted), "SpaceReclaimed",
                                (json_int_t)freed);
        return 0;
}
