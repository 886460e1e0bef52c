/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "../basic/macros.h"
#include "../shim/log.h"
#include "logconfig.h"

/* Where json-file's own checks fail, Docker says so when it starts the driver. */
#define INIT_FAILED "failed to initialize logging driver: "

RossLogConfig ross_log_config_default(void)
{
        return (RossLogConfig){.max_size = ROSS_LOG_MAX_SIZE_DEFAULT,
                               .max_file = ROSS_LOG_MAX_FILE_DEFAULT};
}

/* Docker's json-file options, and the ones every driver has. */
static const char *const json_file_opts[] = {
        "max-size",  "max-file", "compress", "labels",          "labels-regex", "env",
        "env-regex", "tag",      "mode",     "max-buffer-size", NULL,
};

/* Go's decimal float syntax (strconv.ParseFloat without its hex, Inf and NaN forms, which
 * no size ends in): [+-] digits [. digits] [e [+-] digits], or with the digits after the
 * dot only. */
static bool go_float_syntax(const char *s)
{
        const char *p = s;
        bool digits = false;
        if (*p == '+' || *p == '-')
                p++;
        for (; isdigit((unsigned char)*p); p++)
                digits = true;
        if (*p == '.')
                for (p++; isdigit((unsigned char)*p); p++)
                        digits = true;
        if (!digits)
                return false;
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '+' || *p == '-')
                        p++;
                if (!isdigit((unsigned char)*p))
                        return false;
                while (isdigit((unsigned char)*p))
                        p++;
        }
        return *p == '\0';
}

/*
 * go-units' parseSize, as FromHumanSize (decimal: k is 1000) and RAMInBytes (binary: k is
 * 1024) take sizes: the number ends at the last digit, dot or space (one space may stand
 * between it and the suffix); the suffix is nothing, b, or k/m/g/t/p with nothing, "b" or
 * "ib" after it, in any case. Go's words when it is not one.
 */
static int go_size(const char *s, bool binary, int64_t *ret, RossError *err)
{
        const char *sep = NULL;
        for (const char *p = s; *p; p++)
                if (isdigit((unsigned char)*p) || *p == '.' || *p == ' ')
                        sep = p;
        if (!sep)
                return ross_errx(err, EINVAL, "invalid size: '%s'", s);
        _cleanup_free_ char *num = xstrndup(s, (size_t)(sep - s) + (*sep == ' ' ? 0 : 1));
        const char *sfx = sep + 1;
        if (!go_float_syntax(num))
                return ross_errx(err, EINVAL, "strconv.ParseFloat: parsing \"%s\": invalid syntax",
                                 num);
        errno = 0;
        double v = strtod(num, NULL);
        if (errno == ERANGE && fabs(v) > 1)
                return ross_errx(err, EINVAL,
                                 "strconv.ParseFloat: parsing \"%s\": value out of range", num);
        if (v < 0)
                return ross_errx(err, EINVAL, "invalid size: '%s'", s);
        size_t n = strlen(sfx);
        if (n > 3)
                return ross_errx(err, EINVAL, "invalid suffix: '%s'", sfx);
        char low[4] = "";
        for (size_t i = 0; i < n; i++)
                low[i] = (char)tolower((unsigned char)sfx[i]);
        double mul = 1;
        if (n == 0 || (low[0] == 'b' && n == 1))
                mul = 1;
        else {
                const char *units = "kmgtp", *u = low[0] ? strchr(units, low[0]) : NULL;
                if (!u || (n == 2 && low[1] != 'b') || (n == 3 && !STREQ(low + 1, "ib")))
                        return ross_errx(err, EINVAL, "invalid suffix: '%s'", low);
                for (const char *q = units; q <= u; q++)
                        mul *= binary ? 1024 : 1000;
        }
        v *= mul;
        /* Go's int64() of a float past its range is the most negative int64 */
        *ret = v >= 0x1p63 ? INT64_MIN : (int64_t)v;
        return 0;
}

/* Go's strconv.Atoi (a 64-bit int): an optional sign and decimal digits. */
static int go_atoi(const char *s, int64_t *ret, RossError *err)
{
        const char *p = s;
        bool neg = *p == '-';
        if (*p == '+' || *p == '-')
                p++;
        if (!*p)
                return ross_errx(err, EINVAL, "strconv.Atoi: parsing \"%s\": invalid syntax", s);
        uint64_t v = 0;
        bool range = false;
        for (; *p; p++) {
                if (!isdigit((unsigned char)*p))
                        return ross_errx(err, EINVAL,
                                         "strconv.Atoi: parsing \"%s\": invalid syntax", s);
                if (v > (UINT64_MAX - 9) / 10)
                        range = true;
                else
                        v = v * 10 + (uint64_t)(*p - '0');
        }
        if (range || v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
                return ross_errx(err, EINVAL, "strconv.Atoi: parsing \"%s\": value out of range",
                                 s);
        *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
        return 0;
}

/* Go's strconv.ParseBool. */
static int go_bool(const char *s, bool *ret, RossError *err)
{
        static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
        static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (STREQ(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (STREQ(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return ross_errx(err, EINVAL, "strconv.ParseBool: parsing \"%s\": invalid syntax", s);
}

/* The options every driver has (Docker's ValidateLogOpts): mode and max-buffer-size. */
static int check_mode(json_t *cfg, RossError *err)
{
        const char *mode = json_string_value(json_object_get(cfg, "mode")) ?: "";
        if (!STREQ(mode, "") && !STREQ(mode, "blocking") && !STREQ(mode, "non-blocking"))
                return ross_errx(err, EINVAL, "logger: logging mode not supported: %s", mode);
        const char *mbs = json_string_value(json_object_get(cfg, "max-buffer-size"));
        if (!mbs)
                return 0;
        if (!STREQ(mode, "non-blocking"))
                return ross_errx(err, EINVAL,
                                 "logger: max-buffer-size option is only supported with "
                                 "'mode=non-blocking'");
        int64_t n;
        int r = go_size(mbs, true, &n, err);
        if (r < 0)
                return ross_err_prefix(err, "error parsing option max-buffer-size");
        return 0;
}

/* json-file's own: the option names, then what its New() checks. */
static int json_file_of(json_t *cfg, RossLogConfig *c, RossError *err)
{
        const char *k;
        json_t *v;
        json_object_foreach (cfg, k, v) {
                bool known = false;
                for (const char *const *o = json_file_opts; *o && !known; o++)
                        known = STREQ(*o, k);
                if (!known)
                        return ross_errx(err, EINVAL,
                                         "unknown log opt '%s' for json-file log driver", k);
        }
        const char *size = json_string_value(json_object_get(cfg, "max-size"));
        const char *files = json_string_value(json_object_get(cfg, "max-file"));
        const char *compress = json_string_value(json_object_get(cfg, "compress"));
        int r;
        if (size) {
                if ((r = go_size(size, false, &c->max_size, err)) < 0)
                        return ross_err_prefix(err, "failed to initialize logging driver");
                if (c->max_size <= 0)
                        return ross_errx(err, EINVAL,
                                         INIT_FAILED "max-size must be a positive number");
        }
        int64_t n = size ? 1 : ROSS_LOG_MAX_FILE_DEFAULT;
        if (files) {
                if ((r = go_atoi(files, &n, err)) < 0)
                        return ross_err_prefix(err, "failed to initialize logging driver");
                if (n < 1)
                        return ross_errx(err, EINVAL, INIT_FAILED "max-file cannot be less than 1");
                /* a reader holds them all at once */
                if (n > SHIM_LOG_FILES_MAX)
                        return ross_errx(err, EINVAL,
                                         INIT_FAILED "max-file %s: Ross keeps at most %d files",
                                         files, SHIM_LOG_FILES_MAX);
        }
        c->max_file = (int)n;
        bool gz = false;
        if (compress && (r = go_bool(compress, &gz, err)) < 0)
                return ross_err_prefix(err, "failed to initialize logging driver");
        if (gz && (c->max_file == 1 || !size))
                return ross_errx(err, EINVAL,
                                 INIT_FAILED "compress cannot be true when max-file is less than 2 "
                                             "or max-size is not set");
        return 0;
}

int ross_log_config_parse(json_t *hc, RossLogConfig *ret, RossError *err)
{
        RossLogConfig c = ross_log_config_default();
        json_t *lc = json_object_get(hc, "LogConfig");
        if (!lc || json_is_null(lc)) {
                *ret = c;
                return 0;
        }
        json_t *t = json_object_get(lc, "Type"), *cfg = json_object_get(lc, "Config"), *v;
        if (!json_is_object(lc) || (t && !json_is_string(t) && !json_is_null(t)) ||
            (cfg && !json_is_object(cfg) && !json_is_null(cfg)))
                return ross_errx(err, EINVAL,
                                 "invalid LogConfig: Type must be a string and Config an object "
                                 "of strings");
        const char *k;
        json_object_foreach (cfg, k, v)
                if (!json_is_string(v))
                        return ross_errx(err, EINVAL, "log opt '%s': the value must be a string",
                                         k);
        const char *type = json_string_value(t);
        if (STR_EMPTY(type))
                type = "json-file";
        if (STREQ(type, "none")) {
                c.none = true;
                *ret = c;
                return 0;
        }
        if (!STREQ(type, "json-file"))
                return ross_errx(err, EINVAL,
                                 "logger: no log driver named '%s' is registered (Ross has "
                                 "json-file and none)",
                                 type);
        int r;
        if ((r = check_mode(cfg, err)) < 0 || (r = json_file_of(cfg, &c, err)) < 0)
                return r;
        *ret = c;
        return 0;
}

json_t *ross_log_config_to_json(const RossLogConfig *c)
{
        return json_pack("{s:s, s:I, s:i}", "driver", c->none ? "none" : "json-file", "max_size",
                         (json_int_t)c->max_size, "max_file", c->max_file);
}

int ross_log_config_from_json(json_t *j, RossLogConfig *ret, RossError *err)
{
        RossLogConfig c = ross_log_config_default();
        if (!j) {
                *ret = c;
                return 0;
        }
        const char *driver = json_string_value(json_object_get(j, "driver"));
        json_t *size = json_object_get(j, "max_size"), *files = json_object_get(j, "max_file");
        if (!json_is_object(j) || !driver ||
            (!STREQ(driver, "json-file") && !STREQ(driver, "none")) || !json_is_integer(size) ||
            json_integer_value(size) <= 0 || !json_is_integer(files) ||
            json_integer_value(files) < 1 || json_integer_value(files) > INT32_MAX)
                return ross_errx(err, EINVAL, "the stored container config has no valid 'log'");
        c.none = STREQ(driver, "none");
        c.max_size = json_integer_value(size);
        c.max_file = (int)json_integer_value(files);
        *ret = c;
        return 0;
}

int ross_log_default_parse(const char *driver, const char *const *opts, size_t n_opts, json_t **ret,
                           RossError *err)
{
        json_auto_t *cfg = json_object();
        for (size_t i = 0; i < n_opts; i++) {
                const char *eq = strchr(opts[i], '=');
                if (!eq || eq == opts[i])
                        return ross_errx(err, EINVAL, "--log-opt: '%s' is not KEY=VALUE", opts[i]);
                _cleanup_free_ char *k = xstrndup(opts[i], (size_t)(eq - opts[i]));
                json_object_set_new(cfg, k, json_string(eq + 1));
        }
        json_auto_t *lc =
                json_pack("{s:s, s:O}", "Type", driver ? driver : "json-file", "Config", cfg);
        json_auto_t *hc = json_pack("{s:O}", "LogConfig", lc);
        RossLogConfig c;
        int r = ross_log_config_parse(hc, &c, err);
        if (r < 0)
                return ross_err_prefix(err, "--log-driver %s, --log-opt",
                                       driver ? driver : "json-file");
        *ret = json_incref(lc);
        return 0;
}

void ross_log_config_apply_default(json_t *body, json_t *def)
{
        if (!json_is_object(body) || !json_is_object(def))
                return;
        json_t *hc = json_object_get(body, "HostConfig");
        if (!json_is_object(hc)) {
                hc = json_object();
                json_object_set_new(body, "HostConfig", hc);
        }
        json_t *lc = json_object_get(hc, "LogConfig");
        if (!json_is_object(lc)) {
                lc = json_object();
                json_object_set_new(hc, "LogConfig", lc);
        }
        const char *dtype = json_string_value(json_object_get(def, "Type"));
        const char *type = json_string_value(json_object_get(lc, "Type"));
        if (STR_EMPTY(type)) {
                json_object_set_new(lc, "Type", json_string(dtype));
                type = dtype;
        }
        if (!STREQ(type, dtype))
                return;
        json_t *cfg = json_object_get(lc, "Config");
        if (!json_is_object(cfg)) {
                cfg = json_object();
                json_object_set_new(lc, "Config", cfg);
        }
        const char *k;
        json_t *v;
        json_object_foreach (json_object_get(def, "Config"), k, v)
                if (!json_object_get(cfg, k))
                        json_object_set(cfg, k, v);
}
