/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#include "log.h"

static RossLogLevel min_level = ROSS_LOG_INFO;
static const char *log_prefix = "ross";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int ross_log_parse_level(const char *s, RossLogLevel *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (STREQ(s, level_names[i])) {
                        *ret = (RossLogLevel)i;
                        return 0;
                }
        if (STREQ(s, "warning")) {
                *ret = ROSS_LOG_WARN;
                return 0;
        }
        return -EINVAL;
}

void ross_log_set_level(RossLogLevel level)
{
        min_level = level;
}

void ross_log_from_env(void)
{
        const char *e = getenv("ROSS_LOG");
        RossLogLevel l;
        if (e && ross_log_parse_level(e, &l) == 0)
                min_level = l;
}

void ross_log_set_prefix(const char *prefix)
{
        log_prefix = prefix;
}

bool ross_log_enabled(RossLogLevel level)
{
        return level >= min_level;
}

void ross_log(RossLogLevel level, const char *fmt, ...)
{
        if (level < min_level)
                return;

        int saved = errno;
        struct timespec ts;
        struct tm tm;
        char when[32];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);

        va_list ap;
        va_start(ap, fmt);
        pthread_mutex_lock(&log_lock);
        fprintf(stderr, "%s.%03ldZ %s[%d] %s: ", when, ts.tv_nsec / 1000000L, log_prefix,
                (int)getpid(), level_names[level]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        fflush(stderr);
        pthread_mutex_unlock(&log_lock);
        va_end(ap);
        errno = saved;
}

int ross_log_set_level_arg(const char *s, RossError *err)
{
        RossLogLevel l;
        if (ross_log_parse_level(s, &l) < 0)
                return ross_errx(err, EINVAL,
                                 "--log-level: '%s' is not one of debug, info, warn, error", s);
        ross_log_set_level(l);
        return 0;
}
