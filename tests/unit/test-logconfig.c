/* SPDX-License-Identifier: Apache-2.0 */
/* HostConfig.LogConfig checked at create (src/container/logconfig.c): json-file's max-size
 * in go-units' terms, max-file and compress as strconv takes them, Docker's words when they
 * are wrong, and the stored form with its defaults for an older Ross's config. */
#include <jansson.h>

#include "container/logconfig.h"
#include "tap.h"

/* {"LogConfig": {"Type": type, "Config": {k: v, ...}}} from "k=v" pairs (NULL-ended). */
static json_t *hc_of(const char *type, const char *const *opts)
{
        json_t *cfg = json_object();
        for (; opts && *opts; opts++) {
                const char *eq = strchr(*opts, '=');
                char *k = strndup(*opts, (size_t)(eq - *opts));
                json_object_set_new(cfg, k, json_string(eq + 1));
                free(k);
        }
        return json_pack("{s:{s:s, s:o}}", "LogConfig", "Type", type, "Config", cfg);
}

static int parse(const char *type, const char *const *opts, RossLogConfig *c, RossError *err)
{
        json_t *hc = hc_of(type, opts);
        *c = (RossLogConfig){.max_size = -7, .max_file = -7};
        int r = ross_log_config_parse(hc, c, err);
        json_decref(hc);
        return r;
}

static void test_sizes(void)
{
        static const struct {
                const char *v;
                int64_t want;
        } good[] = {
                {"10k", 10000},
                {"10m", 10000000},
                {"1g", 1000000000},
                {"500", 500},
                {"500b", 500},
                {"10KB", 10000},
                {"10kib", 10000}, /* FromHumanSize is decimal, its KiB too */
                {"1.5m", 1500000},
                {"10 m", 10000000},
                {".5k", 500},
                {"1e3", 1000},
                {"2P", 2000000000000000},
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                const char *opts[] = {NULL, NULL};
                char *o = xasprintf("max-size=%s", good[i].v);
                opts[0] = o;
                RossLogConfig c;
                RossError err = {};
                int r = parse("json-file", opts, &c, &err);
                ok(r == 0 && c.max_size == good[i].want && c.max_file == 1 && !c.none,
                   "max-size=%s: %lld bytes, one file", good[i].v, (long long)good[i].want);
                if (r < 0)
                        printf("#   %s\n", err.msg);
                free(o);
        }
        static const struct {
                const char *v, *msg;
        } bad[] = {
                {"abc", "failed to initialize logging driver: invalid size: 'abc'"},
                {"", "failed to initialize logging driver: invalid size: ''"},
                {"10x", "failed to initialize logging driver: invalid suffix: 'x'"},
                {"10kx", "failed to initialize logging driver: invalid suffix: 'kx'"},
                {"10KIBB", "failed to initialize logging driver: invalid suffix: 'KIBB'"},
                {"10bb", "failed to initialize logging driver: invalid suffix: 'bb'"},
                {"-5m", "failed to initialize logging driver: invalid size: '-5m'"},
                {"1.2.3m", "failed to initialize logging driver: strconv.ParseFloat: parsing "
                           "\"1.2.3\": invalid syntax"},
                {"m10", "failed to initialize logging driver: strconv.ParseFloat: parsing "
                        "\"m10\": invalid syntax"},
                {"0x10", "failed to initialize logging driver: strconv.ParseFloat: parsing "
                         "\"0x10\": invalid syntax"},
                {"1e400", "failed to initialize logging driver: strconv.ParseFloat: parsing "
                          "\"1e400\": value out of range"},
                {"0", "failed to initialize logging driver: max-size must be a positive number"},
                {"0.4", "failed to initialize logging driver: max-size must be a positive number"},
                {"20000p", "failed to initialize logging driver: max-size must be a positive "
                           "number"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *o = xasprintf("max-size=%s", bad[i].v);
                const char *opts[] = {o, NULL};
                RossLogConfig c;
                RossError err = {};
                int r = parse("json-file", opts, &c, &err);
                ok(r == -EINVAL && STREQ(err.msg, bad[i].msg) && c.max_size == -7,
                   "max-size=%s: refused, in Docker's words", bad[i].v);
                if (r != -EINVAL || !STREQ(err.msg, bad[i].msg))
                        printf("#   got %d '%s'\n", r, err.msg);
                free(o);
        }
}

static void test_files(void)
{
        RossLogConfig c;
        RossError err = {};
        ok(parse("json-file", NULL, &c, &err) == 0 && c.max_size == ROSS_LOG_MAX_SIZE_DEFAULT &&
                   c.max_file == ROSS_LOG_MAX_FILE_DEFAULT,
           "no options: Ross's 10 MiB and 2 files (Docker: unlimited)");
        const char *three[] = {"max-size=10k", "max-file=3", NULL};
        ok(parse("json-file", three, &c, &err) == 0 && c.max_size == 10000 && c.max_file == 3,
           "max-size=10k max-file=3");
        const char *only_files[] = {"max-file=5", NULL};
        ok(parse("json-file", only_files, &c, &err) == 0 &&
                   c.max_size == ROSS_LOG_MAX_SIZE_DEFAULT && c.max_file == 5,
           "max-file without max-size: Ross's size, that many files");
        const char *plus[] = {"max-size=1m", "max-file=+2", NULL};
        ok(parse("json-file", plus, &c, &err) == 0 && c.max_file == 2, "max-file=+2, as Atoi");
        static const struct {
                const char *opt, *msg;
        } bad[] = {
                {"max-file=0",
                 "failed to initialize logging driver: max-file cannot be less than 1"},
                {"max-file=-1",
                 "failed to initialize logging driver: max-file cannot be less than 1"},
                {"max-file=x", "failed to initialize logging driver: strconv.Atoi: parsing \"x\": "
                               "invalid syntax"},
                {"max-file=", "failed to initialize logging driver: strconv.Atoi: parsing \"\": "
                              "invalid syntax"},
                {"max-file=1.5", "failed to initialize logging driver: strconv.Atoi: parsing "
                                 "\"1.5\": invalid syntax"},
                {"max-file=99999999999999999999",
                 "failed to initialize logging driver: strconv.Atoi: parsing "
                 "\"99999999999999999999\": value out of range"},
                {"max-file=101",
                 "failed to initialize logging driver: max-file 101: Ross keeps at most 100 files"},
                {"compress=maybe", "failed to initialize logging driver: strconv.ParseBool: "
                                   "parsing \"maybe\": invalid syntax"},
                {"compress=true", "failed to initialize logging driver: compress cannot be true "
                                  "when max-file is less than 2 or max-size is not set"},
                {"mode=fast", "logger: logging mode not supported: fast"},
                {"max-buffer-size=1m",
                 "logger: max-buffer-size option is only supported with 'mode=non-blocking'"},
                {"colour=red", "unknown log opt 'colour' for json-file log driver"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *opts[] = {bad[i].opt, NULL};
                err = (RossError){};
                int r = parse("json-file", opts, &c, &err);
                ok(r == -EINVAL && STREQ(err.msg, bad[i].msg), "%s: refused", bad[i].opt);
                if (r != -EINVAL || !STREQ(err.msg, bad[i].msg))
                        printf("#   got %d '%s'\n", r, err.msg);
        }
        const char *gz[] = {"max-size=1m", "max-file=3", "compress=true", NULL};
        ok(parse("json-file", gz, &c, &err) == 0 && c.max_file == 3,
           "compress with max-size and max-file 3: taken (kept uncompressed)");
        const char *nb[] = {"mode=non-blocking", "max-buffer-size=4m", NULL};
        ok(parse("json-file", nb, &c, &err) == 0, "mode=non-blocking with max-buffer-size");
        const char *nbad[] = {"mode=non-blocking", "max-buffer-size=lots", NULL};
        ok(parse("json-file", nbad, &c, &err) == -EINVAL &&
                   STREQ(err.msg, "error parsing option max-buffer-size: invalid size: 'lots'"),
           "a bad max-buffer-size: %s", err.msg);
}

static void test_drivers(void)
{
        RossLogConfig c;
        RossError err = {};
        const char *any[] = {"max-size=whatever", NULL};
        ok(parse("none", any, &c, &err) == 0 && c.none, "none: its options are not looked at");
        ok(parse("", NULL, &c, &err) == 0 && !c.none, "\"\" is json-file");
        ok(parse("syslog", NULL, &c, &err) == -EINVAL && strstr(err.msg, "no log driver named "
                                                                         "'syslog'"),
           "another driver: refused");
        json_t *hc = json_pack("{s:{s:s, s:{s:i}}}", "LogConfig", "Type", "json-file", "Config",
                               "max-file", 3);
        ok(ross_log_config_parse(hc, &c, &err) == -EINVAL, "a value that is not a string");
        json_decref(hc);
        hc = json_object();
        ok(ross_log_config_parse(hc, &c, &err) == 0 && c.max_size == ROSS_LOG_MAX_SIZE_DEFAULT,
           "no LogConfig: the defaults");
        json_decref(hc);
}

static void test_stored(void)
{
        RossLogConfig c = {.none = false, .max_size = 10000, .max_file = 3}, back;
        RossError err = {};
        json_t *j = ross_log_config_to_json(&c);
        ok(ross_log_config_from_json(j, &back, &err) == 0 && back.max_size == 10000 &&
                   back.max_file == 3 && !back.none,
           "stored and read back");
        json_decref(j);
        c.none = true;
        j = ross_log_config_to_json(&c);
        ok(ross_log_config_from_json(j, &back, &err) == 0 && back.none, "none, stored");
        json_decref(j);
        ok(ross_log_config_from_json(NULL, &back, &err) == 0 && !back.none &&
                   back.max_size == ROSS_LOG_MAX_SIZE_DEFAULT &&
                   back.max_file == ROSS_LOG_MAX_FILE_DEFAULT,
           "an older Ross's config (no 'log'): the defaults");
        j = json_pack("{s:s, s:I, s:i}", "driver", "json-file", "max_size", (json_int_t)0,
                      "max_file", 1);
        ok(ross_log_config_from_json(j, &back, &err) == -EINVAL, "a stored size of 0: refused");
        json_decref(j);
        j = json_pack("{s:s, s:I, s:i}", "driver", "syslog", "max_size", (json_int_t)10, "max_file",
                      1);
        ok(ross_log_config_from_json(j, &back, &err) == -EINVAL, "a stored other driver: refused");
        json_decref(j);
}

int main(void)
{
        test_sizes();
        test_files();
        test_drivers();
        test_stored();
        return tap_done();
}
