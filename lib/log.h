/* Logging to stderr for progress and debugging.  Library code logs only at
 * debug/info level; errors travel in struct box_err to the CLI.
 * The level comes from -v (repeatable) or BOX_LOG_LEVEL (error, warn, info,
 * debug, or 0-3). */
#pragma once

#include "lib/macro.h"

enum box_log_level { BOX_LOG_ERROR = 0, BOX_LOG_WARN = 1, BOX_LOG_INFO = 2, BOX_LOG_DEBUG = 3 };

extern int box_log_level;

void box_log_init(void);
int box_log_parse_level(const char *s);
void box_log(int level, const char *fmt, ...) _printf_(2, 3);

#define log_debug(...) box_log(BOX_LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  box_log(BOX_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  box_log(BOX_LOG_WARN, __VA_ARGS__)
