/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A push, the daemon's side. The registry is the pull helper's to talk to (ross-pull push,
 * src/helper/serve-push.c): the daemon finds the image in the database, checks its blobs
 * are in the store, tells the helper where else in the registry each blob is (blob
 * sources, so it can mount rather than upload), relays its progress and records what the
 * registry now has. It writes nothing before the registry took the manifest.
 */
#include "../basic/log.h"
#include "../helper/client.h"
#include "../ref/reference.h"
#include "../registry/manifest.h"
#include "push.h"

typedef struct PushImage {
        char *tag;
        char *id;
        char digest[ROSS_DIGEST_LEN + 1]; /* the manifest's */
        char *media_type;
        size_t size;
        RossManifest m;
        json_t *index;   /* the index it was pulled through ({mediaType, digest, size}), or NULL */
        json_t *digests; /* config and layers: what the registry has once it is pushed */
} PushImage;

struct RossPush {
        RossImages *s;
        RossPushOptions o;
        RossCreds creds; /* the caller's, copied: the push outlives its request */
        RossRef ref;
        char *name;     /* "127.0.0.1:5000/team/app" */
        char *familiar; /* as users see it: "team/app", "127.0.0.1:5000/team/app" */
        char *what;     /* for errors: "127.0.0.1:5000/team/app:latest" or the name */
        PushImage *images;
        size_t n;
        bool held;
        json_t *pushed; /* familiar references pushed */
};

static void emit(RossPush *p, const char *id, const char *status, int64_t cur, int64_t total)
{
        if (p->o.event)
                p->o.event(p->o.userdata, id, status, cur, total);
}

static void aux(RossPush *p, json_t *a)
{
        if (p->o.aux)
                p->o.aux(p->o.userdata, a);
        json_decref(a);
}

static void hold(RossPush *p, bool on)
{
        for (size_t i = 0; i < p->n; i++) {
                json_t *v;
                size_t k;
                json_array_foreach (p->images[i].digests, k, v) {
                        if (on)
                                ross_images_hold(p->s, json_string_value(v));
                        else
                                ross_images_release(p->s, json_string_value(v));
                }
        }
        p->held = on;
}

void ross_push_free(RossPush *p)
{
        if (!p)
                return;
        if (p->held)
                hold(p, false);
        for (size_t i = 0; i < p->n; i++) {
                free(p->images[i].tag);
                free(p->images[i].id);
                free(p->images[i].media_type);
                ross_manifest_free(&p->images[i].m);
                json_decref(p->images[i].index);
                json_decref(p->images[i].digests);
        }
        free(p->images);
        ross_ref_free(&p->ref);
        ross_creds_free(&p->creds);
        free(p->name);
        free(p->familiar);
        free(p->what);
        json_decref(p->pushed);
        free(p);
}

json_t *ross_push_refs(RossPush *p)
{
        return p->pushed;
}

/* Did the user write a tag? ("reg:5000/app" has none, "app:1" has one.) */
static bool has_tag(const char *name)
{
        const char *slash = strrchr(name, '/');
        return strchr(slash ? slash : name, ':') != NULL;
}

/* The blob in the store with this size, or an error naming it. */
static int check_blob(RossPush *p, PushImage *img, const RossDescriptor *d, const char *kind,
                      RossError *err)
{
        if (!ross_content_has(p->s->content, d->digest, d->size))
                return ross_errx(err, ENOENT, "image %.19s: %s %s is not in the store", img->id,
                                 kind, d->digest);
        json_array_append_new(img->digests, json_string(d->digest));
        return 0;
}

/* The manifest (and index) of image id from its blobs, read back and checked. */
static int load_manifest(RossPush *p, PushImage *img, RossError *err)
{
        json_auto_t *blobs = NULL;
        const char *digest = NULL, *db_type = NULL;
        json_t *b;
        size_t i;

        int r = ross_db_image_blobs(p->s->db, img->id, &blobs, err);
        if (r < 0)
                return r;
        json_array_foreach (blobs, i, b) {
                const char *kind = json_string_value(json_object_get(b, "kind"));
                const char *d = json_string_value(json_object_get(b, "digest"));
                const char *mt = json_string_value(json_object_get(b, "mediaType"));
                if (STREQ(kind, "manifest")) {
                        digest = d;
                        db_type = mt;
                } else if (STREQ(kind, "index") && ross_digest_valid(d)) {
                        json_decref(img->index);
                        img->index = json_pack("{s:s, s:s, s:O}", "mediaType",
                                               mt ? mt : ROSS_MT_OCI_INDEX, "digest", d, "size",
                                               json_object_get(b, "size"));
                }
        }
        if (!ross_digest_valid(digest))
                return ross_errx(err, EINVAL,
                                 "image %.19s has no registry manifest to push (it was not "
                                 "pulled from a registry)",
                                 img->id);
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        r = ross_content_read(p->s->content, digest, ROSS_MANIFEST_MAX, &body, &len, err);
        if (r < 0)
                return ross_err_prefix(err, "image %.19s: manifest", img->id);
        r = ross_manifest_parse(body, len, &img->m, err);
        if (r < 0)
                return ross_err_prefix(err, "image %.19s: manifest %s", img->id, digest);
        memcpy(img->digest, digest, sizeof(img->digest));
        img->size = len;
        /* the document's own mediaType is the Content-Type it must go with */
        json_auto_t *doc = json_loadb(body, len, 0, NULL);
        const char *own = json_string_value(json_object_get(doc, "mediaType"));
        img->media_type = xstrdup(own ? own : db_type ? db_type : ROSS_MT_OCI_MANIFEST);
        img->digests = json_array();
        r = check_blob(p, img, &img->m.config, "config", err);
        for (size_t k = 0; k < img->m.n_layers && r == 0; k++)
                r = check_blob(p, img, &img->m.layers[k], "layer", err);
        return r;
}

static int load_image(RossPush *p, PushImage *img, const char *tag, bool repo_known, RossError *err)
{
        _cleanup_free_ char *nt = xasprintf("%s:%s", p->name, tag);
        img->tag = xstrdup(tag);
        int r = ross_db_tag_get(p->s->db, nt, &img->id, err);
        if (r == -ENOENT && !repo_known)
                return ross_errx(err, ENOENT, "An image does not exist locally with the tag: %s",
                                 p->familiar);
        if (r == -ENOENT)
                return ross_errx(err, ENOENT, "tag does not exist: %s:%s", p->familiar, tag);
        if (r < 0)
                return r;
        return load_manifest(p, img, err);
}

int ross_push_prepare(RossImages *s, const RossPushOptions *o, RossPush **ret, RossError *err)
{
        RossPush *p = xcalloc(1, sizeof(*p));
        json_auto_t *tags = NULL, *all = NULL;
        int r;

        p->s = s;
        p->o = *o;
        p->o.name = p->o.tag = NULL; /* the request's, gone after this call */
        p->o.creds = NULL;
        if (o->creds) {
                p->creds.username = o->creds->username ? xstrdup(o->creds->username) : NULL;
                p->creds.password = o->creds->password ? xstrdup(o->creds->password) : NULL;
                p->creds.identity_token =
                        o->creds->identity_token ? xstrdup(o->creds->identity_token) : NULL;
        }
        p->pushed = json_array();
        r = ross_ref_parse(o->name, &p->ref, err);
        if (r < 0)
                goto fail;
        if (p->ref.digest) {
                r = ross_errx(err, EINVAL, "cannot push a digest reference");
                goto fail;
        }
        p->name = ross_ref_name(&p->ref);
        p->familiar = ross_ref_familiar(p->name);
        r = ross_db_repo_tags(s->db, p->name, &all, err);
        if (r < 0)
                goto fail;
        if (!STR_EMPTY(o->tag)) {
                if (!ross_tag_valid(o->tag)) {
                        r = ross_errx(err, EINVAL, "invalid tag format: '%s'", o->tag);
                        goto fail;
                }
                tags = json_pack("[s]", o->tag);
        } else if (has_tag(o->name))
                tags = json_pack("[s]", p->ref.tag);
        else
                tags = json_incref(all);
        if (json_array_size(tags) == 0) {
                r = ross_errx(err, ENOENT, "An image does not exist locally with the tag: %s",
                              p->familiar);
                goto fail;
        }
        p->what = json_array_size(tags) == 1 ? xasprintf("%s:%s", p->familiar,
                                                         json_string_value(json_array_get(tags, 0)))
                                             : xstrdup(p->familiar);
        p->images = xcalloc(json_array_size(tags), sizeof(PushImage));
        for (size_t i = 0; i < json_array_size(tags) && r == 0; i++) {
                p->n++;
                r = load_image(p, &p->images[i], json_string_value(json_array_get(tags, i)),
                               json_array_size(all) > 0, err);
        }
        if (r < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        ross_push_free(p);
        return r;
}

/* Where else in this registry the blob is: the paths of other repositories that have it. */
static json_t *sources(RossPush *p, const char *digest)
{
        json_auto_t *all = ross_db_blob_sources(p->s->db, digest);
        json_t *out = json_array(), *v;
        size_t dl = strlen(p->ref.domain), i;
        json_array_foreach (all, i, v) {
                const char *repo = json_string_value(v);
                if (repo && strncmp(repo, p->ref.domain, dl) == 0 && repo[dl] == '/' &&
                    !STREQ(repo + dl + 1, p->ref.path))
                        json_array_append_new(out, json_string(repo + dl + 1));
        }
        return out;
}

static json_t *blob_json(RossPush *p, const RossDescriptor *d)
{
        return json_pack("{s:s, s:I, s:o}", "digest", d->digest, "size", (json_int_t)d->size,
                         "from", sources(p, d->digest));
}

static json_t *request(RossPush *p)
{
        json_t *images = json_array();
        for (size_t i = 0; i < p->n; i++) {
                PushImage *img = &p->images[i];
                json_t *layers = json_array();
                for (size_t k = 0; k < img->m.n_layers; k++)
                        json_array_append_new(layers, blob_json(p, &img->m.layers[k]));
                json_array_append_new(images,
                                      json_pack("{s:s, s:{s:s, s:s}, s:o, s:o}", "tag", img->tag,
                                                "manifest", "digest", img->digest, "media_type",
                                                img->media_type, "config",
                                                blob_json(p, &img->m.config), "layers", layers));
        }
        const RossCreds *c = &p->creds;
        int max = p->s->max_concurrent_uploads > 0 ? p->s->max_concurrent_uploads : 5;
        return json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:o}", "type", "push", "domain",
                         p->ref.domain, "repo", p->ref.path, "creds",
                         json_pack("{s:s?, s:s?, s:s?}", "username", c->username, "password",
                                   c->password, "identity_token", c->identity_token),
                         "tokens", ross_token_cache_export(p->ref.domain), "max_concurrent", max,
                         "images", images);
}

/* The registry took image i's manifest: say so as Docker does, and record it. */
static int pushed(RossPush *p, size_t i, json_t *msg, RossError *err)
{
        PushImage *img = &p->images[i];
        const char *tag = json_string_value(json_object_get(msg, "tag"));
        const char *digest = json_string_value(json_object_get(msg, "digest"));
        if (!tag || !digest || !STREQ(tag, img->tag) || !STREQ(digest, img->digest))
                return ross_errx(err, EPROTO, "the pull helper reported a push of %s:%s, not %s",
                                 tag ? tag : "?", digest ? digest : "?", img->tag);
        int r = ross_db_push_record(p->s->db, img->id, p->name, img->digest, img->digests, err);
        if (r < 0)
                return r;
        if (img->index)
                aux(p, json_pack("{s:b, s:O, s:{s:s, s:s, s:I}}", "manifestPushedInsteadOfIndex", 1,
                                 "originalIndex", img->index, "selectedManifest", "mediaType",
                                 img->media_type, "digest", img->digest, "size",
                                 (json_int_t)img->size));
        _cleanup_free_ char *line =
                xasprintf("%s: digest: %s size: %zu", img->tag, img->digest, img->size);
        emit(p, NULL, line, -1, -1);
        aux(p, json_pack("{s:s, s:s, s:I}", "Tag", img->tag, "Digest", img->digest, "Size",
                         (json_int_t)img->size));
        _cleanup_free_ char *ref = xasprintf("%s:%s", p->familiar, img->tag);
        json_array_append_new(p->pushed, json_string(ref));
        log_debug("push %s: %s", ref, img->digest);
        return 0;
}

/* Relay the helper's progress; record each tag as the registry takes it. */
static int follow(RossPush *p, RossHelper *h, RossError *err)
{
        size_t next = 0;
        for (;;) {
                json_auto_t *msg = NULL;
                int r = ross_helper_recv(h, &msg, err);
                if (r < 0)
                        return r;
                const char *type = ross_channel_type(msg);
                if (STREQ(type, "event")) {
                        const char *status = json_string_value(json_object_get(msg, "status"));
                        if (status)
                                emit(p, json_string_value(json_object_get(msg, "id")), status,
                                     json_integer_value(json_object_get(msg, "current")),
                                     json_integer_value(json_object_get(msg, "total")));
                } else if (STREQ(type, "pushed") && next < p->n) {
                        r = pushed(p, next++, msg, err);
                        if (r < 0)
                                return r;
                } else if (STREQ(type, "done") && next == p->n) {
                        ross_token_cache_import(json_object_get(msg, "tokens"));
                        return 0;
                } else
                        return ross_errx(err, EPROTO, "the pull helper sent '%s' during a push",
                                         type);
                /* after the message: what the registry took is recorded even so */
                if (p->o.gone && p->o.gone(p->o.userdata))
                        return ross_errx(err, ECANCELED, "cancelled: the client went away");
        }
}

int ross_push_run(RossPush *p, RossError *err)
{
        RossImages *s = p->s;
        _cleanup_(ross_argv_free) RossArgv argv = {};
        _cleanup_(ross_helper_freep) RossHelper *h = NULL;
        _cleanup_free_ char *line = xasprintf("The push refers to repository [%s]", p->name);

        emit(p, NULL, line, -1, -1);
        /* what it pushes stays in the store until it is done, whatever rmi does meanwhile */
        hold(p, true);
        ross_helper_argv(&argv, s->helper_path, "push", s->registry);
        ross_argv_add(&argv, "--data-dir");
        ross_argv_add(&argv, s->data_dir);
        int r = ross_helper_start(&argv, s->registry, &h, err);
        if (r == 0) {
                /* a client gone away stops the push even while no event comes */
                h->cancelled = p->o.gone;
                h->cancel_userdata = p->o.userdata;
                r = ross_helper_send(h, request(p), err);
        }
        if (r == 0)
                r = follow(p, h, err);
        if (r == 0) {
                RossError ferr = {};
                if (ross_helper_finish(h, &ferr) < 0)
                        log_debug("push %s: %s", p->what, ferr.msg);
        }
        hold(p, false);
        if (r < 0)
                ross_err_prefix(err, "push %s", p->what);
        return r;
}
