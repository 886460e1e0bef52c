/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dockerfile instructions as changes to an image config (docker import -c, docker commit
 * --change). The words of an instruction are taken as a Dockerfile's: whitespace apart,
 * quotes group, a backslash escapes; the exec forms of CMD, ENTRYPOINT and VOLUME are JSON
 * arrays. Everything comes from a request: every length is capped.
 */
#include <ctype.h>
#include <strings.h>

#include "../basic/buf.h"
#include "../basic/parse.h"
#include "config-changes.h"

typedef struct Words {
        char **v;
        size_t n;
} Words;

static void words_free(Words *w)
{
        for (size_t i = 0; i < w->n; i++)
                free(w->v[i]);
        free(w->v);
        *w = (Words){};
}

static void words_add(Words *w, RossBuf *b)
{
        w->v = xrealloc(w->v, (w->n + 1) * sizeof(char *));
        w->v[w->n++] = ross_buf_steal(b);
}

/* The value of NAME in an Env list ("NAME=value"), or NULL. */
static const char *env_get(json_t *env, const char *name, size_t n)
{
        json_t *v;
        size_t i;
        json_array_foreach (env, i, v) {
                const char *s = json_string_value(v);
                if (s && strncmp(s, name, n) == 0 && s[n] == '=')
                        return s + n + 1;
        }
        return NULL;
}

/* $NAME or ${NAME} at p (p[0] is '$'): appended to b; returns the characters taken. */
static size_t expand(const char *p, json_t *env, RossBuf *b)
{
        const char *name = p + 1;
        size_t n = 0, taken;
        if (*name == '{') {
                name++;
                while (isalnum((unsigned char)name[n]) || name[n] == '_')
                        n++;
                if (name[n] != '}' || !n) {
                        ross_buf_append(b, "$", 1); /* not a reference: as it is */
                        return 1;
                }
                taken = n + 3;
        } else {
                while (isalnum((unsigned char)name[n]) || name[n] == '_')
                        n++;
                if (!n) {
                        ross_buf_append(b, "$", 1);
                        return 1;
                }
                taken = n + 1;
        }
        const char *v = env_get(env, name, n);
        if (v)
                ross_buf_append(b, v, strlen(v));
        return taken;
}

/*
 * Split s into words as a Dockerfile does: whitespace apart (unless one: s is one word,
 * its blanks kept), '...' literal, "..." grouping with backslash escapes of ", \ and $, a
 * backslash outside quotes escaping the next character; $NAME and ${NAME} replaced from
 * env outside single quotes (env NULL: no replacing).
 */
static int split_words(const char *s, json_t *env, bool one, Words *ret, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        Words w = {};
        bool in_word = false;
        for (const char *p = s; *p;) {
                if (!one && isspace((unsigned char)*p)) {
                        if (in_word)
                                words_add(&w, &b);
                        in_word = false;
                        p++;
                        continue;
                }
                in_word = true;
                if (*p == '\'') {
                        const char *e = strchr(p + 1, '\'');
                        if (!e) {
                                words_free(&w);
                                return ross_errx(err, EINVAL,
                                                 "unexpected end of statement while looking for "
                                                 "matching single-quote");
                        }
                        ross_buf_append(&b, p + 1, (size_t)(e - p - 1));
                        p = e + 1;
                } else if (*p == '"') {
                        p++;
                        while (*p && *p != '"') {
                                if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$')) {
                                        ross_buf_append(&b, p + 1, 1);
                                        p += 2;
                                } else if (*p == '$' && env) {
                                        p += expand(p, env, &b);
                                } else
                                        ross_buf_append(&b, p++, 1);
                        }
                        if (*p != '"') {
                                words_free(&w);
                                return ross_errx(err, EINVAL,
                                                 "unexpected end of statement while looking for "
                                                 "matching double-quote");
                        }
                        p++;
                } else if (*p == '\\' && p[1]) {
                        ross_buf_append(&b, p + 1, 1);
                        p += 2;
                } else if (*p == '$' && env) {
                        p += expand(p, env, &b);
                } else
                        ross_buf_append(&b, p++, 1);
        }
        if (in_word || (one && b.len))
                words_add(&w, &b);
        *ret = w;
        return 0;
}

/* The exec form: a JSON array of strings, or NULL (then it is the shell form). */
static json_t *json_form(const char *args)
{
        if (args[0] != '[')
                return NULL;
        json_t *j = json_loads(args, JSON_REJECT_DUPLICATES, NULL);
        json_t *v;
        size_t i;
        bool ok = json_is_array(j);
        json_array_foreach (j, i, v)
                ok = ok && json_is_string(v);
        if (!ok) {
                json_decref(j);
                return NULL;
        }
        return j;
}

/* CMD and ENTRYPOINT: the exec form as it is, the shell form through /bin/sh -c. */
static json_t *command(const char *args)
{
        json_t *j = json_form(args);
        return j ? j : json_pack("[s, s, s]", "/bin/sh", "-c", args);
}

static void env_set(json_t *cfg, const char *key, const char *value)
{
        json_t *env = json_object_get(cfg, "Env");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(cfg, "Env", env);
        }
        _cleanup_free_ char *kv = xasprintf("%s=%s", key, value);
        size_t n = strlen(key);
        json_t *v;
        size_t i;
        json_array_foreach (env, i, v) {
                const char *s = json_string_value(v);
                if (s && strncmp(s, key, n) == 0 && s[n] == '=') {
                        json_array_set_new(env, i, json_string(kv));
                        return;
                }
        }
        json_array_append_new(env, json_string(kv));
}

static json_t *object_at(json_t *cfg, const char *key)
{
        json_t *o = json_object_get(cfg, key);
        if (!json_is_object(o)) {
                o = json_object();
                json_object_set_new(cfg, key, o);
        }
        return o;
}

/* ENV and LABEL: "k=v k2=v2 ...", or the old "k rest of the line". */
static int name_values(json_t *cfg, const char *instr, const char *args, bool label, RossError *err)
{
        _cleanup_(words_free) Words w = {};
        json_t *env = json_object_get(cfg, "Env");
        int r = split_words(args, env, false, &w, err);
        if (r < 0)
                return r;
        if (w.n == 0)
                return ross_errx(err, EINVAL, "%s requires at least one argument", instr);
        if (!strchr(w.v[0], '=')) {
                /* the old form: one name, then the rest of the line is its value */
                const char *rest = args;
                while (*rest && !isspace((unsigned char)*rest))
                        rest++;
                while (isspace((unsigned char)*rest))
                        rest++;
                if (!*rest)
                        return ross_errx(err, EINVAL, "%s must have two arguments", instr);
                _cleanup_(words_free) Words v = {};
                r = split_words(rest, env, true, &v, err);
                if (r < 0)
                        return r;
                const char *value = v.n ? v.v[0] : "";
                if (label)
                        json_object_set_new(object_at(cfg, "Labels"), w.v[0], json_string(value));
                else
                        env_set(cfg, w.v[0], value);
                return 0;
        }
        for (size_t i = 0; i < w.n; i++) {
                char *eq = strchr(w.v[i], '=');
                if (!eq || eq == w.v[i])
                        return ross_errx(err, EINVAL,
                                         "Syntax error - can't find = in \"%s\". Must be of the "
                                         "form: name=value",
                                         w.v[i]);
                *eq = '\0';
                if (label)
                        json_object_set_new(object_at(cfg, "Labels"), w.v[i], json_string(eq + 1));
                else
                        env_set(cfg, w.v[i], eq + 1);
        }
        return 0;
}

/* "80", "80/tcp", "53/udp", "8000-8002": each into ExposedPorts as "PORT/PROTO". */
static int expose(json_t *cfg, const char *args, RossError *err)
{
        _cleanup_(words_free) Words w = {};
        int r = split_words(args, json_object_get(cfg, "Env"), false, &w, err);
        if (r < 0)
                return r;
        if (w.n == 0)
                return ross_errx(err, EINVAL, "EXPOSE requires at least one argument");
        json_t *ports = object_at(cfg, "ExposedPorts");
        for (size_t i = 0; i < w.n; i++) {
                char *proto = strchr(w.v[i], '/');
                if (proto)
                        *proto++ = '\0';
                for (char *c = proto; c && *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                if (proto && !STREQ(proto, "tcp") && !STREQ(proto, "udp") && !STREQ(proto, "sctp"))
                        return ross_errx(err, EINVAL, "invalid proto: %s", proto);
                char *dash = strchr(w.v[i], '-');
                if (dash)
                        *dash++ = '\0';
                int lo, hi;
                if (ross_parse_int(w.v[i], 1, 65535, &lo) < 0 ||
                    ross_parse_int(dash ? dash : w.v[i], lo, 65535, &hi) < 0)
                        return ross_errx(err, EINVAL, "invalid containerPort: %s%s%s", w.v[i],
                                         dash ? "-" : "", dash ? dash : "");
                for (int p = lo; p <= hi; p++) {
                        char key[32];
                        snprintf(key, sizeof(key), "%d/%s", p, proto ? proto : "tcp");
                        json_object_set_new(ports, key, json_object());
                }
        }
        return 0;
}

/* Go's time.ParseDuration, for HEALTHCHECK's options: "30s", "1m30s", "1.5h", "500ms". */
static int parse_duration(const char *s, int64_t *ret)
{
        static const struct {
                const char *unit;
                double ns;
        } units[] = {{"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
                     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
        double total = 0;
        if (!*s)
                return -EINVAL;
        if (STREQ(s, "0")) {
                *ret = 0;
                return 0;
        }
        while (*s) {
                double v;
                const char *rest;
                if (ross_parse_decimal(s, 1e12, &v, &rest) < 0)
                        return -EINVAL;
                size_t best = ELEMENTSOF(units);
                for (size_t i = 0; i < ELEMENTSOF(units); i++)
                        if (strncmp(rest, units[i].unit, strlen(units[i].unit)) == 0 &&
                            (best == ELEMENTSOF(units) ||
                             strlen(units[i].unit) > strlen(units[best].unit)))
                                best = i;
                if (best == ELEMENTSOF(units))
                        return -EINVAL;
                total += v * units[best].ns;
                s = rest + strlen(units[best].unit);
        }
        if (total > 9.2e18)
                return -ERANGE;
        *ret = (int64_t)total;
        return 0;
}

/* HEALTHCHECK NONE | [--interval=D] [--timeout=D] [--start-period=D] [--start-interval=D]
 * [--retries=N] CMD command */
static int healthcheck(json_t *cfg, const char *args, RossError *err)
{
        if (strcasecmp(args, "none") == 0) {
                json_object_set_new(cfg, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
                return 0;
        }
        json_t *hc = json_object();
        const char *p = args;
        while (strncmp(p, "--", 2) == 0) {
                size_t k = strcspn(p, " \t");
                _cleanup_free_ char *opt = xstrndup(p, k);
                char *eq = strchr(opt, '=');
                p += k;
                while (isspace((unsigned char)*p))
                        p++;
                if (!eq) {
                        json_decref(hc);
                        return ross_errx(err, EINVAL, "HEALTHCHECK: option %s needs a value", opt);
                }
                *eq++ = '\0';
                static const struct {
                        const char *opt, *key;
                } durations[] = {{"--interval", "Interval"},
                                 {"--timeout", "Timeout"},
                                 {"--start-period", "StartPeriod"},
                                 {"--start-interval", "StartInterval"}};
                const char *key = NULL;
                for (size_t i = 0; i < ELEMENTSOF(durations); i++)
                        if (STREQ(opt, durations[i].opt))
                                key = durations[i].key;
                int64_t v;
                int n;
                if (key && parse_duration(eq, &v) == 0) {
                        json_object_set_new(hc, key, json_integer(v));
                } else if (STREQ(opt, "--retries") && ross_parse_int(eq, 0, INT32_MAX, &n) == 0) {
                        json_object_set_new(hc, "Retries", json_integer(n));
                } else {
                        json_decref(hc);
                        return ross_errx(err, EINVAL, "HEALTHCHECK: invalid %s '%s'", opt, eq);
                }
        }
        if (strncasecmp(p, "cmd", 3) != 0 || (p[3] && !isspace((unsigned char)p[3]))) {
                json_decref(hc);
                return ross_errx(err, EINVAL, "Unknown type \"%.*s\" in HEALTHCHECK (try CMD)",
                                 (int)strcspn(p, " \t"), p);
        }
        p += 3;
        while (isspace((unsigned char)*p))
                p++;
        if (!*p) {
                json_decref(hc);
                return ross_errx(err, EINVAL, "Missing command after HEALTHCHECK CMD");
        }
        json_t *exec = json_form(p);
        if (exec) {
                json_array_insert_new(exec, 0, json_string("CMD"));
                json_object_set_new(hc, "Test", exec);
        } else
                json_object_set_new(hc, "Test", json_pack("[s, s]", "CMD-SHELL", p));
        json_object_set_new(cfg, "Healthcheck", hc);
        return 0;
}

/* Lexically: "a/../b" is "b"; an absolute path. */
static char *clean_abs(const char *path)
{
        _cleanup_(ross_buf_free) RossBuf b = {};
        for (const char *p = path; *p;) {
                while (*p == '/')
                        p++;
                size_t k = strcspn(p, "/");
                if (!k)
                        break;
                if (k == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = b.data ? memrchr(b.data, '/', b.len) : NULL;
                        b.len = slash ? (size_t)(slash - b.data) : 0;
                        if (b.data)
                                b.data[b.len] = '\0';
                } else if (!(k == 1 && p[0] == '.')) {
                        ross_buf_append(&b, "/", 1);
                        ross_buf_append(&b, p, k);
                }
                p += k;
        }
        return b.len ? ross_buf_steal(&b) : xstrdup("/");
}

/* An instruction that takes exactly one word. */
static int one_word(json_t *cfg, const char *instr, const char *args, char **ret, RossError *err)
{
        _cleanup_(words_free) Words w = {};
        int r = split_words(args, json_object_get(cfg, "Env"), false, &w, err);
        if (r < 0)
                return r;
        if (w.n != 1)
                return ross_errx(err, EINVAL, "%s requires exactly one argument", instr);
        *ret = TAKE_PTR(w.v[0]);
        w.n = 0;
        return 0;
}

typedef struct State {
        bool cmd_set; /* a CMD came in these changes (an ENTRYPOINT then keeps it) */
} State;

static int onbuild(json_t *cfg, const char *args, RossError *err)
{
        size_t k = strcspn(args, " \t");
        _cleanup_free_ char *inner = xstrndup(args, k);
        for (char *c = inner; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        if (!*inner)
                return ross_errx(err, EINVAL, "ONBUILD requires at least one argument");
        if (STREQ(inner, "ONBUILD"))
                return ross_errx(err, EINVAL,
                                 "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (STREQ(inner, "FROM") || STREQ(inner, "MAINTAINER"))
                return ross_errx(err, EINVAL, "%s isn't allowed as an ONBUILD trigger", inner);
        json_t *list = json_object_get(cfg, "OnBuild");
        if (!json_is_array(list)) {
                list = json_array();
                json_object_set_new(cfg, "OnBuild", list);
        }
        const char *rest = args + k;
        while (isspace((unsigned char)*rest))
                rest++;
        _cleanup_free_ char *line = *rest ? xasprintf("%s %s", inner, rest) : xstrdup(inner);
        json_array_append_new(list, json_string(line));
        return 0;
}

static int apply_one(json_t *cfg, State *st, const char *instr, const char *args, RossError *err)
{
        _cleanup_free_ char *word = NULL;
        int r;
        if (strcasecmp(instr, "cmd") == 0) {
                json_object_set_new(cfg, "Cmd", command(args));
                st->cmd_set = true;
                return 0;
        }
        if (strcasecmp(instr, "entrypoint") == 0) {
                json_object_set_new(cfg, "Entrypoint", command(args));
                /* a new entrypoint drops the command it inherited, as a build does */
                if (!st->cmd_set)
                        json_object_set_new(cfg, "Cmd", json_null());
                return 0;
        }
        if (strcasecmp(instr, "env") == 0)
                return name_values(cfg, "ENV", args, false, err);
        if (strcasecmp(instr, "label") == 0)
                return name_values(cfg, "LABEL", args, true, err);
        if (strcasecmp(instr, "expose") == 0)
                return expose(cfg, args, err);
        if (strcasecmp(instr, "healthcheck") == 0)
                return healthcheck(cfg, args, err);
        if (strcasecmp(instr, "onbuild") == 0)
                return onbuild(cfg, args, err);
        if (strcasecmp(instr, "user") == 0 || strcasecmp(instr, "stopsignal") == 0) {
                bool user = strcasecmp(instr, "user") == 0;
                r = one_word(cfg, user ? "USER" : "STOPSIGNAL", args, &word, err);
                if (r < 0)
                        return r;
                json_object_set_new(cfg, user ? "User" : "StopSignal", json_string(word));
                return 0;
        }
        if (strcasecmp(instr, "workdir") == 0) {
                r = one_word(cfg, "WORKDIR", args, &word, err);
                if (r < 0)
                        return r;
                const char *cur = json_string_value(json_object_get(cfg, "WorkingDir"));
                _cleanup_free_ char *joined =
                        word[0] == '/' ? xstrdup(word)
                                       : xasprintf("%s/%s", STR_EMPTY(cur) ? "/" : cur, word);
                _cleanup_free_ char *clean = clean_abs(joined);
                json_object_set_new(cfg, "WorkingDir", json_string(clean));
                return 0;
        }
        if (strcasecmp(instr, "volume") == 0) {
                json_auto_t *list = json_form(args);
                _cleanup_(words_free) Words w = {};
                if (!list) {
                        r = split_words(args, json_object_get(cfg, "Env"), false, &w, err);
                        if (r < 0)
                                return r;
                        list = json_array();
                        for (size_t i = 0; i < w.n; i++)
                                json_array_append_new(list, json_string(w.v[i]));
                }
                if (json_array_size(list) == 0)
                        return ross_errx(err, EINVAL, "VOLUME requires at least one argument");
                json_t *vols = object_at(cfg, "Volumes");
                json_t *v;
                size_t i;
                json_array_foreach (list, i, v) {
                        const char *path = json_string_value(v);
                        if (STR_EMPTY(path))
                                return ross_errx(err, EINVAL,
                                                 "VOLUME specified can not be an empty string");
                        json_object_set_new(vols, path, json_object());
                }
                return 0;
        }
        _cleanup_free_ char *lower = xstrdup(instr);
        for (char *c = lower; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return ross_errx(err, EINVAL, "%s is not a valid change command", lower);
}

/* One instruction, its continuation lines joined. */
static int apply_line(json_t *cfg, State *st, const char *line, RossError *err)
{
        while (isspace((unsigned char)*line))
                line++;
        size_t k = strcspn(line, " \t");
        _cleanup_free_ char *name = xstrndup(line, k);
        const char *args = line + k;
        while (isspace((unsigned char)*args))
                args++;
        return apply_one(cfg, st, name, args, err);
}

int ross_image_config_changes_apply(json_t *config, json_t *changes, RossError *err)
{
        _cleanup_(ross_buf_free) RossBuf text = {.cap = ROSS_CONFIG_CHANGES_MAX_BYTES};
        json_t *v;
        size_t i;
        if (json_array_size(changes) > ROSS_CONFIG_CHANGES_MAX)
                return ross_errx(err, EINVAL, "more than %d changes", ROSS_CONFIG_CHANGES_MAX);
        json_array_foreach (changes, i, v) {
                const char *s = json_string_value(v);
                if (!s)
                        return ross_errx(err, EINVAL, "a change is not a string");
                if (ross_buf_append(&text, s, strlen(s)) < 0 || ross_buf_append(&text, "\n", 1) < 0)
                        return ross_errx(err, EINVAL, "changes larger than %d bytes",
                                         ROSS_CONFIG_CHANGES_MAX_BYTES);
        }
        if (!text.len)
                return 0;
        /* on a copy: a failure leaves the config as it was */
        json_auto_t *cfg = json_deep_copy(config);
        State st = {};
        char *save = NULL;
        _cleanup_(ross_buf_free) RossBuf line = {};
        int r;
        for (char *l = strtok_r(text.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                size_t n = strlen(l);
                while (n && isspace((unsigned char)l[n - 1]))
                        n--;
                const char *start = l;
                while (isspace((unsigned char)*start))
                        start++;
                if (!line.len && (!*start || *start == '#'))
                        continue;
                /* a backslash at the end continues the instruction on the next line */
                bool more = n && l[n - 1] == '\\';
                ross_buf_append(&line, l, more ? n - 1 : n);
                if (more)
                        continue;
                if ((r = apply_line(cfg, &st, line.data, err)) < 0)
                        return r;
                line.len = 0;
        }
        /* a continuation with nothing after it */
        if (line.len && (r = apply_line(cfg, &st, line.data, err)) < 0)
                return r;
        json_object_clear(config);
        json_object_update(config, cfg);
        return 0;
}
