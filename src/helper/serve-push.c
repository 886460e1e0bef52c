/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pull helper's push: the daemon names the image (its manifest, config and layers, all
 * in the content store, which this process sees read-only) and the repository; the helper
 * makes every registry request. Per blob, as Docker's pusher does: skip it when the
 * registry has it, mount it from another repository of the same registry that has it,
 * else upload it. Then the manifest, its stored bytes unchanged. Progress goes to the
 * daemon as Docker's push events ("Preparing", "Pushing", "Pushed", ...).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../ref/reference.h"
#include "../registry/auth.h"
#include "../registry/push.h"
#include "serve.h"

#define PUSH_ATTEMPTS 3
#define SOURCES_MAX   16

/* Docker's distribution/push_v2.go: how many mounts to try by blob size (a small blob is
 * uploaded sooner than many requests would find it elsewhere). */
#define SMALL_BLOB  (100 * 1024)
#define MIDDLE_BLOB (10 * 1024 * 1024)

typedef struct HelperPush {
        const RossHelperOptions *o;
        RossChannel *ch;
        RossRegistry *reg;
        char *domain;
        char *repo; /* the path in the registry: "team/app" */
        /* the blobs the registry has in repo by now (digest -> true) */
        json_t *remote;
        pthread_mutex_t lock;
        atomic_bool gone;   /* the daemon closed the channel */
        atomic_bool cancel; /* a blob failed: the others stop */
} HelperPush;

typedef struct Blob {
        HelperPush *p;
        RossDescriptor d;
        char short_id[13];
        char *from[SOURCES_MAX]; /* other repositories of the registry that have it */
        size_t n_from;
        bool quiet; /* the config: Docker shows no line for it */
        int fd;
        struct timespec last_event;
        uint64_t last_sent;
        RossError src_err; /* what the upload's source or progress ran into */
        RossError err;
        int r;
        bool done;
} Blob;

typedef struct Work {
        Blob **blobs;
        size_t n, next;
        pthread_mutex_t lock;
} Work;

static void emit(HelperPush *p, const Blob *b, const char *status, int64_t cur, int64_t total)
{
        if (b && b->quiet)
                return;
        json_t *m = json_pack("{s:s, s:s, s:I, s:I}", "type", "event", "status", status, "current",
                              (json_int_t)cur, "total", (json_int_t)total);
        if (b)
                json_object_set_new(m, "id", json_string(b->short_id));
        if (ross_channel_send_new(p->ch, m, NULL) < 0)
                atomic_store(&p->gone, true);
}

static bool stopped(HelperPush *p)
{
        return atomic_load(&p->cancel) || atomic_load(&p->gone);
}

static bool remote_has(HelperPush *p, const char *digest)
{
        pthread_mutex_lock(&p->lock);
        bool has = json_object_get(p->remote, digest) != NULL;
        pthread_mutex_unlock(&p->lock);
        return has;
}

static void remote_add(HelperPush *p, const char *digest)
{
        pthread_mutex_lock(&p->lock);
        json_object_set_new(p->remote, digest, json_true());
        pthread_mutex_unlock(&p->lock);
}

/* A repository path the daemon names, checked as a reference of this registry. */
static bool repo_valid(const char *domain, const char *path)
{
        _cleanup_(ross_ref_freep) RossRef ref = {};
        _cleanup_free_ char *s = xasprintf("%s/%s", domain, path ? path : "");
        return path && ross_ref_parse(s, &ref, NULL) == 0 && !ref.digest &&
               STREQ(ref.domain, domain) && STREQ(ref.path, path) && !strchr(path, ':');
}

static int blob_from(HelperPush *p, json_t *e, bool quiet, Blob *b, RossError *err)
{
        const char *digest = json_string_value(json_object_get(e, "digest"));
        json_t *size = json_object_get(e, "size");
        json_t *from = json_object_get(e, "from");
        json_t *v;
        size_t i;

        b->p = p;
        b->fd = -EBADF;
        b->quiet = quiet;
        if (!ross_digest_valid(digest) || !json_is_integer(size) || json_integer_value(size) < 0 ||
            json_integer_value(size) > ROSS_BLOB_MAX)
                return ross_errx(err, EPROTO, "push: a blob without a valid digest and size");
        memcpy(b->d.digest, digest, sizeof(b->d.digest));
        b->d.size = json_integer_value(size);
        snprintf(b->short_id, sizeof(b->short_id), "%.12s", digest + 7);
        json_array_foreach (from, i, v) {
                const char *path = json_string_value(v);
                if (b->n_from >= SOURCES_MAX)
                        break;
                if (!repo_valid(p->domain, path))
                        return ross_errx(err, EPROTO, "push: invalid source repository for %s",
                                         digest);
                if (!STREQ(path, p->repo))
                        b->from[b->n_from++] = xstrdup(path);
        }
        return 0;
}

static void blob_done(Blob *b)
{
        for (size_t i = 0; i < b->n_from; i++)
                free(b->from[i]);
        if (b->fd >= 0)
                close(b->fd);
        b->n_from = 0;
        b->fd = -EBADF;
}

/* The blob's bytes, from the store, for the upload's PUT. */
static ssize_t read_blob(void *ud, uint64_t offset, char *buf, size_t n)
{
        Blob *b = ud;
        if (stopped(b->p))
                return ross_errx(&b->src_err, ECANCELED, "push cancelled");
        ssize_t got;
        do
                got = pread(b->fd, buf, n, (off_t)offset);
        while (got < 0 && errno == EINTR);
        if (got < 0)
                return ross_err(&b->src_err, errno, "read blob %s", b->d.digest);
        return got;
}

/* "Pushing" with the bytes the registry got: at most ten a second, and once a second when
 * they do not move, so the daemon hears from a stalled upload too (and the client that
 * went away is noticed). */
static int on_sent(void *ud, uint64_t sent, uint64_t total)
{
        Blob *b = ud;
        struct timespec now;
        if (stopped(b->p))
                return ross_errx(&b->src_err, ECANCELED, "push cancelled");
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - b->last_event.tv_sec) * 1000 +
                  (now.tv_nsec - b->last_event.tv_nsec) / 1000000;
        if (ms < 100 || (sent == b->last_sent && ms < 1000))
                return 0;
        b->last_event = now;
        b->last_sent = sent;
        emit(b->p, b, "Pushing", (int64_t)sent, (int64_t)total);
        return 0;
}

static int open_blob(HelperPush *p, Blob *b, RossError *err)
{
        _cleanup_free_ char *path =
                xasprintf("%s/blobs/sha256/%s", p->o->data_dir, b->d.digest + 7);
        struct stat st;
        b->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (b->fd < 0)
                return ross_err(err, errno, "open blob %s", b->d.digest);
        if (fstat(b->fd, &st) < 0)
                return ross_err(err, errno, "stat blob %s", b->d.digest);
        if (!S_ISREG(st.st_mode) || st.st_size != b->d.size)
                return ross_errx(err, EIO, "blob %s in the store has %lld bytes, not %lld",
                                 b->d.digest, (long long)st.st_size, (long long)b->d.size);
        return 0;
}

static void wait_seconds(HelperPush *p, int n)
{
        for (int i = 0; i < n * 10 && !stopped(p); i++)
                nanosleep(&(struct timespec){.tv_nsec = 100000000L}, NULL);
}

/* Is it there already? Asked again after a broken connection. */
static int exists(HelperPush *p, Blob *b, RossError *err)
{
        int r;
        for (int attempt = 0;; attempt++) {
                r = ross_registry_blob_exists(p->reg, p->repo, b->d.digest, err);
                if (r >= 0 || !ross_registry_push_retryable(r) || attempt + 1 >= PUSH_ATTEMPTS ||
                    stopped(p))
                        return r;
                log_debug("push: checking %s again: %s", b->d.digest, err ? err->msg : "");
                wait_seconds(p, 1);
        }
}

/* Mount it from another repository: 1 mounted, 0 not (then *session may be an upload
 * session the last attempt started). Refusals are not errors: an upload follows. */
static int mount(HelperPush *p, Blob *b, char **session)
{
        size_t tries = b->d.size > MIDDLE_BLOB ? 4 : b->d.size > SMALL_BLOB ? 3 : 1;
        for (size_t i = 0; i < b->n_from && i < tries && !stopped(p); i++) {
                RossError e = {};
                char *s = NULL;
                int r = ross_registry_blob_mount(p->reg, p->repo, b->d.digest, b->from[i], &s, &e);
                if (r == 1) {
                        _cleanup_free_ char *st = xasprintf("Mounted from %s", b->from[i]);
                        emit(p, b, st, -1, -1);
                        return 1;
                }
                if (r < 0)
                        log_debug("push: mount of %s from %s: %s", b->d.digest, b->from[i], e.msg);
                if (r == 0 && s) {
                        if (*session)
                                ross_registry_upload_cancel(p->reg, p->repo, *session);
                        free(*session);
                        *session = s;
                }
        }
        return 0;
}

static int upload(HelperPush *p, Blob *b, char *session, RossError *err)
{
        _cleanup_free_ char *s = session;
        int r = open_blob(p, b, err);
        if (r < 0)
                return r;
        for (int attempt = 0;; attempt++) {
                emit(p, b, "Pushing", 0, b->d.size);
                ross_err_clear(&b->src_err);
                r = ross_registry_blob_upload(p->reg, p->repo, &b->d, s, read_blob, on_sent, b,
                                              err);
                free(TAKE_PTR(s)); /* a session is good for one attempt */
                if (r < 0 && b->src_err.code) {
                        if (err)
                                *err = b->src_err;
                        r = -b->src_err.code;
                }
                if (r == 0)
                        emit(p, b, "Pushing", b->d.size, b->d.size);
                if (r == 0 || !ross_registry_push_retryable(r) || attempt + 1 >= PUSH_ATTEMPTS ||
                    stopped(p))
                        return r;
                log_debug("push: upload of %s failed (%s), trying again", b->d.digest,
                          err ? err->msg : "");
                int delay = attempt + 1;
                for (int left = delay; left > 0 && !stopped(p); left--) {
                        _cleanup_free_ char *st =
                                xasprintf("Retrying in %d second%s", left, left == 1 ? "" : "s");
                        emit(p, b, st, -1, -1);
                        wait_seconds(p, 1);
                }
        }
}

static void push_blob(HelperPush *p, Blob *b)
{
        _cleanup_free_ char *session = NULL;

        if (remote_has(p, b->d.digest)) {
                emit(p, b, "Layer already exists", -1, -1);
                b->done = true;
                return;
        }
        b->r = exists(p, b, &b->err);
        if (b->r == 1) {
                emit(p, b, "Layer already exists", -1, -1);
                goto pushed;
        }
        if (b->r < 0)
                goto fail;
        if (mount(p, b, &session) == 1)
                goto pushed;
        if (stopped(p)) {
                b->r = ross_errx(&b->err, ECANCELED, "push cancelled");
                goto fail;
        }
        b->r = upload(p, b, TAKE_PTR(session), &b->err);
        if (b->r < 0)
                goto fail;
        emit(p, b, "Pushed", -1, -1);
pushed:
        b->r = 0;
        b->done = true;
        remote_add(p, b->d.digest);
        return;
fail:
        if (session)
                ross_registry_upload_cancel(p->reg, p->repo, session);
        atomic_store(&p->cancel, true);
}

static void *worker(void *ud)
{
        Work *w = ud;
        for (;;) {
                pthread_mutex_lock(&w->lock);
                size_t i = w->next++;
                pthread_mutex_unlock(&w->lock);
                if (i >= w->n || stopped(w->blobs[0]->p))
                        break;
                push_blob(w->blobs[0]->p, w->blobs[i]);
        }
        return NULL;
}

/* Push the layers (max at a time, top layer first, as docker push lists them). */
static int push_layers(HelperPush *p, Blob *layers, size_t n, int max, RossError *err)
{
        _cleanup_free_ Blob **order = xcalloc(n ? n : 1, sizeof(Blob *));
        size_t k = 0;

        /* the same blob twice in an image is pushed once */
        for (size_t i = n; i > 0; i--) {
                bool dup = false;
                for (size_t j = 0; j < k && !dup; j++)
                        dup = STREQ(order[j]->d.digest, layers[i - 1].d.digest);
                if (!dup)
                        order[k++] = &layers[i - 1];
        }
        for (size_t i = 0; i < k; i++)
                emit(p, order[i], "Preparing", -1, -1);
        for (size_t i = (size_t)max; i < k; i++)
                emit(p, order[i], "Waiting", -1, -1);
        if (k == 0)
                return 0;

        Work w = {.blobs = order, .n = k};
        pthread_mutex_init(&w.lock, NULL);
        int nthreads = k < (size_t)max ? (int)k : max;
        pthread_t th[64];
        int started = 0;
        for (int i = 0; i < nthreads; i++) {
                if (pthread_create(&th[i], NULL, worker, &w) != 0)
                        break;
                started++;
        }
        if (started == 0)
                worker(&w);
        for (int i = 0; i < started; i++)
                pthread_join(th[i], NULL);
        pthread_mutex_destroy(&w.lock);

        /* the first real failure is the push's; a cancelled blob only followed it */
        for (size_t i = 0; i < k; i++)
                if (order[i]->r < 0 && order[i]->r != -ECANCELED) {
                        if (err)
                                *err = order[i]->err;
                        return order[i]->r;
                }
        for (size_t i = 0; i < k; i++)
                if (!order[i]->done) {
                        if (atomic_load(&p->gone))
                                return ross_errx(err, ECANCELED, "the daemon went away");
                        if (err)
                                *err = order[i]->err;
                        return order[i]->r < 0 ? order[i]->r : -EIO;
                }
        return 0;
}

static int put_manifest(HelperPush *p, const char *tag, json_t *m, RossError *err)
{
        const char *digest = json_string_value(json_object_get(m, "digest"));
        const char *media_type = json_string_value(json_object_get(m, "media_type"));
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        int r;

        if (!ross_digest_valid(digest) || STR_EMPTY(media_type) || strchr(media_type, '\n') ||
            strchr(media_type, '\r') || !ross_tag_valid(tag))
                return ross_errx(err, EPROTO, "push: invalid manifest or tag");
        _cleanup_free_ char *path = xasprintf("%s/blobs/sha256/%s", p->o->data_dir, digest + 7);
        r = ross_read_file(path, ROSS_MANIFEST_MAX, &body, &len, err);
        if (r < 0)
                return ross_err_prefix(err, "manifest %s", digest);
        char got[ROSS_DIGEST_LEN + 1];
        ross_digest_buf(body, len, got);
        if (!STREQ(got, digest))
                return ross_errx(err, EILSEQ, "manifest %s in the store has digest %s", digest,
                                 got);
        for (int attempt = 0;; attempt++) {
                r = ross_registry_put_manifest(p->reg, p->repo, tag, media_type, body, len, digest,
                                               err);
                if (r == 0 || !ross_registry_push_retryable(r) || attempt + 1 >= PUSH_ATTEMPTS ||
                    stopped(p))
                        break;
                wait_seconds(p, attempt + 1);
        }
        if (r < 0)
                return r;
        return ross_channel_send_new(p->ch,
                                     json_pack("{s:s, s:s, s:s, s:I}", "type", "pushed", "tag", tag,
                                               "digest", digest, "size", (json_int_t)len),
                                     err);
}

/* One tag: its layers, its config, its manifest. */
static int push_image(HelperPush *p, json_t *img, int max, RossError *err)
{
        const char *tag = json_string_value(json_object_get(img, "tag"));
        json_t *list = json_object_get(img, "layers");
        size_t n = json_array_size(list);
        Blob config = {};
        int r = 0;

        if (!json_is_array(list) || n > ROSS_LAYERS_MAX || !tag)
                return ross_errx(err, EPROTO, "push: an image without a tag and layers");
        _cleanup_free_ Blob *layers = xcalloc(n ? n : 1, sizeof(Blob));
        for (size_t i = 0; i < n && r == 0; i++)
                r = blob_from(p, json_array_get(list, i), false, &layers[i], err);
        if (r == 0)
                r = blob_from(p, json_object_get(img, "config"), true, &config, err);
        if (r == 0)
                r = push_layers(p, layers, n, max, err);
        if (r == 0) {
                push_blob(p, &config);
                r = config.r;
                if (r < 0 && err)
                        *err = config.err;
        }
        if (r == 0)
                r = put_manifest(p, tag, json_object_get(img, "manifest"), err);
        for (size_t i = 0; i < n; i++)
                blob_done(&layers[i]);
        blob_done(&config);
        return r;
}

int ross_helper_serve_push(const RossHelperOptions *o, RossChannel *ch, RossError *err)
{
        HelperPush p = {.o = o, .ch = ch, .remote = json_object()};
        json_auto_t *req = NULL;
        RossCreds c = {};
        int r;

        pthread_mutex_init(&p.lock, NULL);
        r = ross_channel_recv(ch, &req, err);
        if (r == 0 && !STREQ(ross_channel_type(req), "push"))
                r = ross_errx(err, EPROTO, "expected a push request, got '%s'",
                              ross_channel_type(req));
        const char *domain = json_string_value(json_object_get(req, "domain"));
        const char *repo = json_string_value(json_object_get(req, "repo"));
        json_t *images = json_object_get(req, "images");
        json_t *creds = json_object_get(req, "creds");
        json_int_t max = json_integer_value(json_object_get(req, "max_concurrent"));
        if (max < 1 || max > 64)
                max = 5;
        if (r == 0 && (!domain || !repo_valid(domain, repo) || !json_is_array(images)))
                r = ross_errx(err, EPROTO, "push: no valid repository or images");
        if (r == 0) {
                p.domain = xstrdup(domain);
                p.repo = xstrdup(repo);
                c.username = (char *)json_string_value(json_object_get(creds, "username"));
                c.password = (char *)json_string_value(json_object_get(creds, "password"));
                c.identity_token =
                        (char *)json_string_value(json_object_get(creds, "identity_token"));
                r = ross_registry_new(&o->registry, domain, &c, &p.reg, err);
        }
        if (r == 0) {
                ross_token_cache_import(json_object_get(req, "tokens"));
                /* one GET /v2/ first: an unreachable registry is named once, and the workers
                 * start knowing how it wants credentials */
                r = ross_registry_ping(p.reg, err);
        }
        json_t *img;
        size_t i;
        json_array_foreach (images, i, img) {
                if (r < 0)
                        break;
                r = push_image(&p, img, (int)max, err);
        }
        if (r == 0)
                r = ross_channel_send_new(ch,
                                          json_pack("{s:s, s:o}", "type", "done", "tokens",
                                                    ross_token_cache_export(p.domain)),
                                          err);
        ross_registry_free(p.reg);
        free(p.domain);
        free(p.repo);
        json_decref(p.remote);
        pthread_mutex_destroy(&p.lock);
        return r;
}
