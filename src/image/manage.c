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
        /* Checked and removed under the lock: a pull cannot take hold in between. */
        pthread_mutex_lock(&s->busy_lock);
        bool held = json_object_get(s->busy, digest) != NULL;
        json_t *refs = held ? NULL : ross_db_referenced_blobs(s->db);
        if (!held && !json_object_get(refs, digest)) {
                log_debug("removing blob %s", digest);
                ross_content_remove(s->content, digest);
        }
        json_decref(refs);
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

json_t *ross_images_list(RossImages *s)
{
        json_t *rows = ross_db_image_list(s->db), *row, *out = json_array();
        size_t i;

        json_array_foreach (rows, i, row) {
                const char *id = json_string_value(json_object_get(row, "Id"));
                json_t *cfg = load_config(s, id);
                json_t *labels = json_object_get(json_object_get(cfg, "config"), "Labels");
                json_int_t size = json_integer_value(json_object_get(row, "Size"));
                json_t *o = json_pack(
                        "{s:s, s:s, s:O, s:O, s:I, s:I, s:I, s:I, s:o, s:I}", "Id", id, "ParentId",
                        "", "RepoTags", json_object_get(row, "RepoTags"), "RepoDigests",
                        json_object_get(row, "RepoDigests"), "Created",
                        (json_int_t)parse_time(json_string_value(json_object_get(row, "Created"))),
                        "Size", size, "SharedSize", (json_int_t)-1, "VirtualSize", size, "Labels",
                        json_is_object(labels) ? json_incref(labels) : json_object(), "Containers",
                        (json_int_t)ross_db_image_containers(s->db, id));
                json_array_append_new(out, o);
                json_decref(cfg);
        }
        json_decref(rows);
        return out;
}

int ross_images_inspect(RossImages *s, const char *name, json_t **ret, RossError *err)
{
        _cleanup_free_ char *id = NULL;
        int r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        json_t *row = ross_db_image_get(s->db, id);
        if (!row)
                return ross_errx(err, ENOENT, "No such image: %s", name);
        json_t *cfg = load_config(s, id);
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
        if (json_object_get(row, "Variant"))
                json_object_set(o, "Variant", json_object_get(row, "Variant"));
        if (o) {
                /* The snapshot directories, top layer first, as Docker's overlay2 shows them. */
                json_t *ids = ross_db_image_snapshot_ids(s->db, id), *v;
                RossBuf lower = {};
                size_t k;
                for (k = json_array_size(ids); k > 0; k--) {
                        v = json_array_get(ids, k - 1);
                        _cleanup_free_ char *p =
                                ross_snapshots_path(s->snapshots, json_integer_value(v));
                        ross_buf_printf(&lower, "%s%s", lower.len ? ":" : "", p);
                }
                json_object_set_new(o, "GraphDriver",
                                    json_pack("{s:s, s:{s:s}}", "Name", "overlay", "Data",
                                              "LowerDir", lower.data ? lower.data : ""));
                ross_buf_free(&lower);
                json_decref(ids);
        }
        json_decref(cfg);
        json_decref(row);
        if (!o)
                return ross_errx(err, EIO, "inspect %s: cannot build response", name);
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
        json_t *orphans = NULL, *v;
        size_t i;
        int r = ross_db_image_delete(s->db, id, &orphans, err);
        if (r < 0)
                return r;
        json_array_foreach (orphans, i, v)
                ross_images_drop_blob(s, json_string_value(v));
        json_decref(orphans);
        ross_snapshots_gc(s->snapshots);
        ross_images_flat_gc(s, false);
        report(rep, "Deleted", id);
        return 0;
}

int ross_images_remove(RossImages *s, const char *name, bool force, json_t **ret_report,
                       RossError *err)
{
        _cleanup_free_ char *id = NULL, *nt = NULL;
        json_t *rep = json_array();
        RossRef ref = {};
        int r;

        r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                goto out;

        json_t *row = ross_db_image_get(s->db, id);
        json_t *tags = json_object_get(row, "RepoTags");
        size_t ntags = json_array_size(tags);

        /* Removing by tag only untags, unless it was the image's last tag. */
        bool by_tag = false;
        if (ross_ref_parse(name, &ref, NULL) == 0 && !ref.digest) {
                _cleanup_free_ char *tid = NULL;
                nt = ross_ref_string(&ref);
                by_tag = ross_db_tag_get(s->db, nt, &tid) == 0 && STREQ(tid, id);
        }
        if (!by_tag && ntags > 1 && !force) {
                char short_id[13];
                snprintf(short_id, sizeof(short_id), "%.12s", id + 7);
                r = ross_errx(err, EBUSY,
                              "conflict: unable to delete %s (must be forced) - image is "
                              "referenced in multiple repositories",
                              short_id);
                json_decref(row);
                goto out;
        }
        bool deletes = !(by_tag && ntags > 1);
        /* A container's rootfs stands on the image's snapshots: never delete those. */
        int users = deletes ? ross_db_image_containers(s->db, id) : 0;
        if (users > 0 && !force) {
                r = ross_errx(err, EBUSY,
                              "conflict: unable to remove image %.12s (must force) - %d "
                              "container%s use%s it",
                              id + 7, users, users == 1 ? "" : "s", users == 1 ? "s" : "");
                json_decref(row);
                goto out;
        }
        if (users > 0) {
                /* -f: untag, keep the image for its containers (as Docker does) */
                json_t *t;
                size_t k;
                json_array_foreach (tags, k, t) {
                        RossRef tr = {};
                        if (ross_ref_parse(json_string_value(t), &tr, NULL) == 0) {
                                _cleanup_free_ char *full = ross_ref_string(&tr);
                                if (ross_db_tag_remove(s->db, full, NULL) == 0)
                                        report(rep, "Untagged", json_string_value(t));
                        }
                        ross_ref_free(&tr);
                }
                json_decref(row);
                goto done;
        }
        /* Decide about a mount before changing anything. */
        if (deletes && image_mounted(s, id)) {
                _cleanup_free_ char *path = mount_path(s, id);
                if (!force) {
                        r = ross_errx(err, EBUSY,
                                      "image %.12s is mounted at %s: unmount it first (or -f)",
                                      id + 7, path);
                        json_decref(row);
                        goto out;
                }
                r = ross_snapshots_unmount(path, err);
                if (r < 0) {
                        json_decref(row);
                        goto out;
                }
                rmdir(path);
        }
        if (by_tag) {
                r = ross_db_tag_remove(s->db, nt, err);
                if (r < 0) {
                        json_decref(row);
                        goto out;
                }
                _cleanup_free_ char *fam = ross_ref_familiar(nt);
                report(rep, "Untagged", fam);
                if (!deletes) {
                        json_decref(row);
                        goto done; /* other tags keep it */
                }
                json_decref(row);
                row = ross_db_image_get(s->db, id);
                tags = json_object_get(row, "RepoTags");
        }
        json_t *t, *dg;
        size_t i;
        json_array_foreach (tags, i, t)
                report(rep, "Untagged", json_string_value(t));
        json_array_foreach (json_object_get(row, "RepoDigests"), i, dg)
                report(rep, "Untagged", json_string_value(dg));
        json_decref(row);
        r = delete_image(s, id, rep, err);
        if (r < 0)
                goto out;
done:
        *ret_report = rep;
        rep = NULL;
        r = 0;
out:
        ross_ref_free(&ref);
        json_decref(rep);
        return r;
}

int ross_images_tag(RossImages *s, const char *name, const char *repo, const char *tag,
                    RossError *err)
{
        _cleanup_free_ char *id = NULL, *target = NULL, *nt = NULL;
        RossRef ref = {};
        int r;

        r = ross_db_image_resolve(s->db, name, &id, err);
        if (r < 0)
                return r;
        target = STR_EMPTY(tag) ? xstrdup(repo) : xasprintf("%s:%s", repo, tag);
        r = ross_ref_parse(target, &ref, err);
        if (r < 0)
                return r;
        if (ref.digest) {
                ross_ref_free(&ref);
                return ross_errx(err, EINVAL, "refusing to create a tag with a digest reference");
        }
        nt = ross_ref_string(&ref);
        ross_ref_free(&ref);
        return ross_db_tag_set(s->db, nt, id, err);
}

int64_t ross_images_gc(RossImages *s, bool at_start, RossError *err)
{
        const char *dir = ross_content_blobs_dir(s->content);
        DIR *d = opendir(dir);
        struct dirent *de;
        int64_t freed = 0;

        ross_content_clean_ingest(s->content);
        if (!d)
                return ross_err(err, errno, "open blob directory '%s'", dir);
        pthread_mutex_lock(&s->busy_lock);
        json_t *refs = ross_db_referenced_blobs(s->db);
        while ((de = readdir(d))) {
                char digest[ROSS_DIGEST_LEN + 8];
                struct stat st;
                snprintf(digest, sizeof(digest), "sha256:%s", de->d_name);
                if (!ross_digest_valid(digest) || json_object_get(refs, digest) ||
                    json_object_get(s->busy, digest))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        freed += st.st_size;
                log_debug("gc: removing unreferenced blob %s", digest);
                ross_content_remove(s->content, digest);
        }
        json_decref(refs);
        pthread_mutex_unlock(&s->busy_lock);
        closedir(d);
        ross_images_flat_gc(s, at_start);
        return freed + ross_snapshots_gc(s->snapshots);
}

int ross_images_prune(RossImages *s, bool all, json_t **ret_report, RossError *err)
{
        json_t *list = ross_db_image_list(s->db), *img;
        json_t *deleted = json_array();
        size_t i;
        int r = 0;

        json_array_foreach (list, i, img) {
                const char *id = json_string_value(json_object_get(img, "Id"));
                if (!all && json_array_size(json_object_get(img, "RepoTags")) > 0)
                        continue;
                if (image_mounted(s, id) || ross_db_image_containers(s->db, id) > 0)
                        continue; /* in use */
                json_t *t;
                size_t k;
                json_array_foreach (json_object_get(img, "RepoTags"), k, t)
                        report(deleted, "Untagged", json_string_value(t));
                r = delete_image(s, id, deleted, err);
                if (r < 0)
                        break;
        }
        json_decref(list);
        if (r < 0) {
                json_decref(deleted);
                return r;
        }
        int64_t freed = ross_images_gc(s, false, err);
        if (freed < 0) {
                json_decref(deleted);
                return (int)freed;
        }
        *ret_report = json_pack("{s:o, s:I}", "ImagesDeleted", deleted, "SpaceReclaimed",
                                (json_int_t)freed);
        return 0;
}
