/* SPDX-License-Identifier: Apache-2.0 */
#include <fnmatch.h>
#include <regex.h>
#include <time.h>

#include "../basic/buf.h"
#include "../basic/parse.h"
#include "../ref/reference.h"
#include "filters.h"

/* A filters value is a query parameter: a few KiB at most in practice. */
#define FILTERS_MAX (64 * 1024)

/* The values of one key, in either shape, as a set; NULL for anything else. */
static json_t *value_set(json_t *v)
{
        json_auto_t *set = json_object();
        json_t *e;
        if (json_is_array(v)) {
                /* {"label": ["a=b"]}: what clients send today */
                size_t i;
                json_array_foreach (v, i, e) {
                        if (!json_is_string(e))
                                return NULL;
                        json_object_set_new(set, json_string_value(e), json_true());
                }
        } else if (json_is_object(v)) {
                /* {"label": {"a=b": true}}: the older form, still accepted */
                const char *val;
                json_object_foreach (v, val, e) {
                        if (!json_is_boolean(e))
                                return NULL;
                        if (json_is_true(e))
                                json_object_set_new(set, val, json_true());
                }
        } else
                return NULL;
        return TAKE_PTR(set);
}

int ross_filters_parse(const char *text, RossFilters *ret, RossError *err)
{
        json_auto_t *fields = json_object(), *j = NULL;
        const char *key;
        json_t *v;

        if (!STR_EMPTY(text)) {
                if (strlen(text) <= FILTERS_MAX)
                        j = json_loads(text, 0, NULL);
                /* Docker's words for the shape being wrong, whichever part it is */
                if (!json_is_object(j))
                        return ross_errx(err, EINVAL, "invalid filter");
                json_object_foreach (j, key, v) {
                        json_t *set = value_set(v);
                        if (!set)
                                return ross_errx(err, EINVAL, "invalid filter");
                        json_object_set_new(fields, key, set);
                }
        }
        ret->fields = TAKE_PTR(fields);
        return 0;
}

void ross_filters_done(RossFilters *f)
{
        json_decref(f->fields);
        f->fields = NULL;
}

int ross_filters_validate(const RossFilters *f, const char *const *accepted, RossError *err)
{
        const char *key;
        json_t *v;
        json_object_foreach (f->fields, key, v) {
                bool ok = false;
                for (const char *const *a = accepted; *a && !ok; a++)
                        ok = STREQ(*a, key);
                if (!ok)
                        return ross_errx(err, EINVAL, "invalid filter '%s'", key);
        }
        return 0;
}

bool ross_filters_contains(const RossFilters *f, const char *key)
{
        return json_object_get(f->fields, key) != NULL;
}

json_t *ross_filters_values(const RossFilters *f, const char *key)
{
        return json_object_get(f->fields, key);
}

bool ross_filters_exact(const RossFilters *f, const char *key, const char *s)
{
        json_t *set = json_object_get(f->fields, key);
        if (json_object_size(set) == 0)
                return true;
        return s && json_object_get(set, s) != NULL;
}

bool ross_filters_match(const RossFilters *f, const char *key, const char *s)
{
        if (ross_filters_exact(f, key, s))
                return true;
        if (!s)
                return false;
        const char *pattern;
        json_t *v;
        json_object_foreach (json_object_get(f->fields, key), pattern, v) {
                regex_t re;
                if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                        continue; /* as Docker: a value that is no expression matches exactly */
                bool m = regexec(&re, s, 0, NULL, 0) == 0;
                regfree(&re);
                if (m)
                        return true;
        }
        return false;
}

bool ross_filters_match_kv(const RossFilters *f, const char *key, json_t *labels)
{
        json_t *set = json_object_get(f->fields, key), *v;
        const char *want;
        if (json_object_size(set) == 0)
                return true;
        if (json_object_size(labels) == 0)
                return false;
        json_object_foreach (set, want, v) {
                const char *eq = strchr(want, '=');
                _cleanup_free_ char *k = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
                json_t *have = json_object_get(labels, k);
                if (!have)
                        return false;
                if (eq && !STREQ(json_string_value(have) ?: "", eq + 1))
                        return false;
        }
        return true;
}

/* "[a b]", as Go prints a []string. */
static char *values_text(json_t *set)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        const char *v;
        json_t *x;
        ross_buf_printf(&b, "[");
        bool first = true;
        json_object_foreach (set, v, x) {
                ross_buf_printf(&b, "%s%s", first ? "" : " ", v);
                first = false;
        }
        ross_buf_printf(&b, "]");
        return ross_buf_steal(&b);
}

int ross_filters_bool(const RossFilters *f, const char *key, bool def, bool *ret, RossError *err)
{
        json_t *set = json_object_get(f->fields, key);
        if (!set) {
                *ret = def;
                return 0;
        }
        bool is_false = json_object_get(set, "0") || json_object_get(set, "false");
        bool is_true = json_object_get(set, "1") || json_object_get(set, "true");
        if (json_object_size(set) == 0)
                return ross_errx(err, EINVAL, "invalid filter '%s'", key);
        if (is_false == is_true) {
                _cleanup_free_ char *vals = values_text(set);
                return ross_errx(err, EINVAL, "invalid filter '%s=%s'", key, vals);
        }
        *ret = is_true;
        return 0;
}

/* ---- containers ---- */

static const char *const container_keys[] = {
        "ancestor", "before", "exited", "id",      "isolation", "label",   "name",   "status",
        "health",   "since",  "volume", "network", "is-task",   "publish", "expose", NULL,
};

static const char *const states[] = {"created",  "running", "paused", "restarting",
                                     "removing", "exited",  "dead",   NULL};
static const char *const healths[] = {"none", "starting", "healthy", "unhealthy", NULL};

static bool one_of(const char *s, const char *const *set)
{
        for (; *set; set++)
                if (STREQ(s, *set))
                        return true;
        return false;
}

static char *joined(const char *const *set)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        for (const char *const *p = set; *p; p++)
                ross_buf_printf(&b, "%s%s", p == set ? "" : ", ", *p);
        return ross_buf_steal(&b);
}

/* Every value of key must be one of set: Docker's words for the one that is not. */
static int check_values(const RossFilters *f, const char *key, const char *what,
                        const char *const *set, RossError *err)
{
        const char *v;
        json_t *x;
        json_object_foreach (ross_filters_values(f, key), v, x)
                if (!one_of(v, set)) {
                        _cleanup_free_ char *all = joined(set);
                        return ross_errx(err, EINVAL,
                                         "invalid filter '%s=%s': invalid value for %s (%s): must "
                                         "be one of %s",
                                         key, v, what, v, all);
                }
        return 0;
}

/* before/since: the last value wins, as in Docker's walk. */
static int resolve_container(const RossFilters *f, const char *key, const RossFilterResolvers *res,
                             char **ret, RossError *err)
{
        const char *v;
        json_t *x;
        json_object_foreach (ross_filters_values(f, key), v, x) {
                char *id = NULL;
                int r = res->container(res->ud, v, &id, err);
                if (r < 0)
                        return r;
                free(*ret);
                *ret = id;
        }
        return 0;
}

/* publish=X, expose=X: a port, without the host part */
static int check_port(const RossFilters *f, const char *key, RossError *err)
{
        const char *v;
        json_t *x;
        json_object_foreach (ross_filters_values(f, key), v, x)
                if (strchr(v, ':'))
                        return ross_errx(err, EINVAL, "filter for '%s' should not contain ':': %s",
                                         key, v);
        return 0;
}

int ross_container_filter_init(RossContainerFilter *cf, const char *filters, bool all, int limit,
                               const RossFilterResolvers *res, RossError *err)
{
        _cleanup_(ross_container_filter_done) RossContainerFilter c = {.all = all, .limit = limit};
        const char *v;
        json_t *x;
        bool b;
        int r;
        if ((r = ross_filters_parse(filters, &c.f, err)) < 0 ||
            (r = ross_filters_validate(&c.f, container_keys, err)) < 0 ||
            (r = check_values(&c.f, "status", "state", states, err)) < 0 ||
            (r = check_values(&c.f, "health", "health", healths, err)) < 0 ||
            (r = ross_filters_bool(&c.f, "is-task", false, &b, err)) < 0)
                return r;
        json_object_foreach (ross_filters_values(&c.f, "exited"), v, x) {
                int code;
                if (ross_parse_int(v, INT32_MIN, INT32_MAX, &code) < 0)
                        return ross_errx(err, EINVAL, "invalid filter 'exited=%s': not an integer",
                                         v);
                if (!c.exited)
                        c.exited = json_object();
                char k[16];
                snprintf(k, sizeof(k), "%d", code);
                json_object_set_new(c.exited, k, json_true());
        }
        if ((r = check_port(&c.f, "publish", err)) < 0 || (r = check_port(&c.f, "expose", err)) < 0)
                return r;
        /* asking for a status means stopped ones too */
        if (ross_filters_contains(&c.f, "status"))
                c.all = true;
        if ((r = resolve_container(&c.f, "before", res, &c.before_id, err)) < 0 ||
            (r = resolve_container(&c.f, "since", res, &c.since_id, err)) < 0)
                return r;
        if (ross_filters_contains(&c.f, "ancestor")) {
                /* an image that is not there matches nothing (Docker only warns); a database
                 * that cannot tell is an error */
                c.ancestor = true;
                c.ancestor_ids = json_object();
                json_object_foreach (ross_filters_values(&c.f, "ancestor"), v, x) {
                        _cleanup_free_ char *id = NULL;
                        RossError rerr = {};
                        r = res->image(res->ud, v, &id, &rerr);
                        if (r == 0)
                                json_object_set_new(c.ancestor_ids, id, json_true());
                        else if (r != -ENOENT && r != -EINVAL)
                                return ross_errx(err, -r, "filter 'ancestor=%s': %s", v, rerr.msg);
                }
        }
        *cf = c;
        c = (RossContainerFilter){};
        return 0;
}

void ross_container_filter_done(RossContainerFilter *cf)
{
        ross_filters_done(&cf->f);
        free(cf->before_id);
        free(cf->since_id);
        json_decref(cf->ancestor_ids);
        json_decref(cf->exited);
        memset(cf, 0, sizeof(*cf));
}

/* volume=X: a mount whose destination or source is X. */
static bool has_volume(const RossFilters *f, json_t *mounts)
{
        const char *v;
        json_t *x, *m;
        size_t i;
        json_object_foreach (ross_filters_values(f, "volume"), v, x)
                json_array_foreach (mounts, i, m) {
                        const char *dst = json_string_value(json_object_get(m, "Destination"));
                        const char *src = json_string_value(json_object_get(m, "Source"));
                        if ((dst && STREQ(dst, v)) || (src && STREQ(src, v)))
                                return true;
                }
        return false;
}

bool ross_container_filter_pick(void *ud, const RossContainerInfo *ci, bool *ret_stop)
{
        RossContainerFilter *cf = ud;
        const RossFilters *f = &cf->f;
        bool running = STREQ(ci->state, "running") || STREQ(ci->state, "paused");

        /* newest first: before=X skips until X has gone by, since=X stops at X */
        if (cf->before_id) {
                if (STREQ(ci->id, cf->before_id)) {
                        free(cf->before_id);
                        cf->before_id = NULL;
                }
                return false;
        }
        if (cf->since_id && STREQ(ci->id, cf->since_id)) {
                *ret_stop = true;
                return false;
        }
        if (!running && !cf->all && cf->limit <= 0)
                return false;
        _cleanup_free_ char *slashed = xasprintf("/%s", ci->name);
        if (!ross_filters_match(f, "name", ci->name) && !ross_filters_match(f, "name", slashed))
                return false;
        /* an id filter is a prefix of the id */
        json_t *ids = ross_filters_values(f, "id");
        if (json_object_size(ids) > 0) {
                bool any = false;
                const char *v;
                json_t *x;
                json_object_foreach (ids, v, x)
                        any = any || (*v && strncmp(ci->id, v, strlen(v)) == 0);
                if (!any)
                        return false;
        }
        bool is_task;
        if (ross_filters_bool(f, "is-task", false, &is_task, NULL) == 0 &&
            ross_filters_contains(f, "is-task") && is_task)
                return false; /* no swarm, no tasks */
        if (!ross_filters_match_kv(f, "label", ci->labels))
                return false;
        if (cf->limit > 0 && cf->n >= cf->limit) {
                *ret_stop = true;
                return false;
        }
        if (cf->exited) {
                char k[16];
                snprintf(k, sizeof(k), "%d", ci->exit_code);
                if (running || !ci->started || !json_object_get(cf->exited, k))
                        return false;
        }
        if (!ross_filters_match(f, "status", ci->state))
                return false;
        if (!ross_filters_exact(f, "health", ci->health ? ci->health : "none"))
                return false;
        if (ross_filters_contains(f, "volume") && !has_volume(f, ci->mounts))
                return false;
        if (cf->ancestor && !json_object_get(cf->ancestor_ids, ci->image_id))
                return false;
        if (ross_filters_contains(f, "network")) {
                json_t *nets = ross_filters_values(f, "network");
                if (!ci->network || !json_object_get(nets, ci->network))
                        return false;
        }
        /* no published or exposed ports yet */
        if (json_object_size(ross_filters_values(f, "publish")) > 0 ||
            json_object_size(ross_filters_values(f, "expose")) > 0)
                return false;
        cf->n++;
        return true;
}

/* ---- images ---- */

static const char *const image_keys[] = {"dangling",  "label", "before", "since",
                                         "reference", "until", NULL};

/* Each number of a duration, in its unit: far more than any clock's span. */
#define DURATION_MAX 1e12

/* Go's time.ParseDuration for what users type: "10m", "1h30m", "1.5h", "300ms". */
static bool parse_duration(const char *s, double *ret)
{
        static const struct {
                const char *unit;
                double secs;
        } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3},
                     {"s", 1},     {"m", 60},    {"h", 3600}};
        double total = 0;
        const char *p = s;
        if (!*p)
                return false;
        while (*p) {
                double v;
                if (ross_parse_decimal(p, DURATION_MAX, &v, &p) < 0)
                        return false;
                size_t best = 0;
                double mult = 0;
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        size_t n = strlen(units[i].unit);
                        if (strncmp(p, units[i].unit, n) == 0 && n > best) {
                                best = n;
                                mult = units[i].secs;
                        }
                }
                if (!best)
                        return false;
                total += v * mult;
                p += best;
        }
        *ret = total;
        return true;
}

/* Docker's timestamps for until: a duration before now, an RFC 3339 date (or a shorter
 * form of one), or Unix seconds with an optional fraction. */
static int parse_until(const char *s, double now, double *ret)
{
        double d;
        if (parse_duration(s, &d)) {
                *ret = now - d;
                return 0;
        }
        if (strchr(s, '-')) {
                static const char *const forms[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                                                    "%Y-%m-%d"};
                for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
                        struct tm tm = {};
                        const char *rest = strptime(s, forms[i], &tm);
                        if (!rest)
                                continue;
                        double frac = 0;
                        if (*rest == '.' && ross_parse_decimal(rest, 1, &frac, &rest) < 0)
                                continue;
                        if (*rest && !STREQ(rest, "Z"))
                                continue;
                        *ret = (double)timegm(&tm) + frac;
                        return 0;
                }
                return -EINVAL;
        }
        return ross_parse_unix_seconds(s, INT64_MIN / 2, INT64_MAX / 2, ret);
}

int ross_filters_until(const RossFilters *f, double *ret, RossError *err)
{
        json_t *set = ross_filters_values(f, "until");
        if (json_object_size(set) == 0) {
                *ret = -1;
                return 0;
        }
        if (json_object_size(set) > 1)
                return ross_errx(err, EINVAL, "more than one until filter specified");
        const char *v = json_object_iter_key(json_object_iter(set));
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        double t;
        if (parse_until(v, (double)now.tv_sec + (double)now.tv_nsec / 1e9, &t) < 0)
                return ross_errx(err, EINVAL,
                                 "invalid value for 'until' filter: cannot parse '%s' as a "
                                 "timestamp or a duration",
                                 v);
        *ret = t;
        return 0;
}

bool ross_filters_match_labels(const RossFilters *f, json_t *labels)
{
        if (ross_filters_contains(f, "label") && !ross_filters_match_kv(f, "label", labels))
                return false;
        /* Docker's MatchKVList is true for a key without values: label! with none is no
         * filter */
        if (json_object_size(ross_filters_values(f, "label!")) > 0 &&
            ross_filters_match_kv(f, "label!", labels))
                return false;
        return true;
}

static json_t *find_image(json_t *list, const char *id)
{
        json_t *img;
        size_t i;
        json_array_foreach (list, i, img)
                if (STREQ(json_string_value(json_object_get(img, "Id")) ?: "", id))
                        return img;
        return NULL;
}

/* The forms Docker matches a reference pattern against: "busybox:latest", "busybox",
 * "docker.io/library/busybox:latest", "docker.io/library/busybox". */
static bool reference_matches(json_t *patterns, const char *familiar)
{
        RossRef ref = {};
        if (ross_ref_parse(familiar, &ref, NULL) < 0)
                return false;
        _cleanup_free_ char *full_name = ross_ref_name(&ref);
        _cleanup_free_ char *full = ross_ref_string(&ref);
        _cleanup_free_ char *short_name = ross_ref_familiar(full_name);
        ross_ref_free(&ref);
        const char *targets[] = {familiar, short_name, full, full_name};
        const char *p;
        json_t *x;
        json_object_foreach (patterns, p, x)
                for (size_t i = 0; i < ELEMENTSOF(targets); i++)
                        if (fnmatch(p, targets[i], FNM_PATHNAME) == 0)
                                return true;
        return false;
}

/* The references of key ("RepoTags", "RepoDigests") that the patterns match. */
static json_t *matching_refs(json_t *img, const char *key, json_t *patterns)
{
        json_t *out = json_array(), *v;
        size_t i;
        json_array_foreach (json_object_get(img, key), i, v) {
                const char *s = json_string_value(v);
                if (!s)
                        continue;
                /* a digest reference is matched by its name, as Docker's name@digest */
                _cleanup_free_ char *name = NULL;
                const char *at = strchr(s, '@');
                if (at)
                        name = xstrndup(s, (size_t)(at - s));
                if (reference_matches(patterns, name ? name : s))
                        json_array_append(out, v);
        }
        return out;
}

static int image_bound(const RossFilters *f, const char *key, json_t *list,
                       const RossFilterResolvers *res, bool oldest, double *bound, RossError *err)
{
        const char *v;
        json_t *x;
        json_object_foreach (ross_filters_values(f, key), v, x) {
                _cleanup_free_ char *id = NULL;
                int r = res->image(res->ud, v, &id, err);
                if (r < 0)
                        return r;
                json_t *img = find_image(list, id);
                if (!img)
                        continue;
                double t = (double)json_integer_value(json_object_get(img, "Created"));
                if (*bound < 0 || (oldest ? t < *bound : t > *bound))
                        *bound = t;
        }
        return 0;
}

int ross_filter_images(const char *filters, json_t *list, const RossFilterResolvers *res,
                       json_t **ret, RossError *err)
{
        _cleanup_(ross_filters_done) RossFilters f = {};
        json_auto_t *all = list;
        bool dangling_only = false;
        double before = -1, since = -1;
        int r;
        if ((r = ross_filters_parse(filters, &f, err)) < 0 ||
            (r = ross_filters_validate(&f, image_keys, err)) < 0 ||
            (r = ross_filters_bool(&f, "dangling", false, &dangling_only, err)) < 0 ||
            (r = image_bound(&f, "before", all, res, true, &before, err)) < 0 ||
            (r = image_bound(&f, "since", all, res, false, &since, err)) < 0)
                return r;
        const char *v;
        json_t *x;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        json_object_foreach (ross_filters_values(&f, "until"), v, x) {
                double t;
                if (parse_until(v, (double)now.tv_sec + (double)now.tv_nsec / 1e9, &t) < 0)
                        return ross_errx(err, EINVAL,
                                         "invalid value for 'until' filter: cannot parse '%s' as "
                                         "a timestamp or a duration",
                                         v);
                if (before < 0 || t < before)
                        before = t;
        }

        json_t *out = json_array(), *img;
        json_t *patterns = ross_filters_values(&f, "reference");
        size_t i;
        json_array_foreach (all, i, img) {
                double created = (double)json_integer_value(json_object_get(img, "Created"));
                if (before >= 0 && !(created < before))
                        continue;
                if (since >= 0 && !(created > since))
                        continue;
                json_t *labels = json_object_get(img, "Labels");
                if (ross_filters_contains(&f, "label") &&
                    !ross_filters_match_kv(&f, "label", labels))
                        continue;
                json_auto_t *tags = NULL, *digests = NULL;
                if (patterns) {
                        tags = matching_refs(img, "RepoTags", patterns);
                        digests = matching_refs(img, "RepoDigests", patterns);
                } else {
                        json_t *t = json_object_get(img, "RepoTags");
                        json_t *d = json_object_get(img, "RepoDigests");
                        tags = t ? json_incref(t) : json_array();
                        digests = d ? json_incref(d) : json_array();
                }
                bool untagged = json_array_size(json_object_get(img, "RepoTags")) == 0 &&
                                json_array_size(json_object_get(img, "RepoDigests")) == 0;
                if (patterns && json_array_size(tags) == 0 && json_array_size(digests) == 0)
                        continue;
                if (untagged && ross_filters_contains(&f, "dangling") && !dangling_only)
                        continue; /* dangling=false */
                if (dangling_only && json_array_size(json_object_get(img, "RepoTags")) > 0)
                        continue;
                json_t *copy = json_copy(img);
                json_object_set(copy, "RepoTags", tags);
                json_object_set(copy, "RepoDigests", digests);
                json_array_append_new(out, copy);
        }
        *ret = out;
        return 0;
}
