/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "macros.h"

typedef enum RossLogLevel {
        ROSS_LOG_DEBUG = 0,
        ROSS_LOG_INFO,
        ROSS_LOG_WARN,
        ROSS_LOG_ERROR,
} RossLogLevel;

/* Parse "debug", "info", "warn"/"warning", "error"; -EINVAL otherwise. */
int ross_log_parse_level(const char *s, RossLogLevel *ret);
void ross_log_set_level(RossLogLevel level);
/* A --log-level flag's value: set the level, or -EINVAL with a message naming the value. */
int ross_log_set_level_arg(const char *s, RossError *err);
/* Read ROSS_LOG; silently keeps the current level when unset or invalid. */
void ross_log_from_env(void);
void ross_log_set_prefix(const char *prefix);
bool ross_log_enabled(RossLogLevel level);
void ross_log(RossLogLevel level, const char *fmt, ...) _printf_(2, 3);

#define log_debug(...) ross_log(ROSS_LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  ross_log(ROSS_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  ross_log(ROSS_LOG_WARN, __VA_ARGS__)
#define log_error(...) ross_log(ROSS_LOG_ERROR, __VA_ARGS__)
