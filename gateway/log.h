/* log.h: the gateway's one log module: levels and key=value lines on stderr.
 *
 * A line reads `ts=<RFC 3339 UTC> level=<level> msg=<msg> <fields>`. `msg` is
 * a short fixed phrase (quoted when it has spaces); `fields` is a printf
 * format that yields more key=value pairs, with free text in double quotes.
 * Control characters are escaped so that one call is always one line.
 * Thread-safe: each line goes out in a single write(2).
 */
#ifndef MAYFLY_GW_LOG_H
#define MAYFLY_GW_LOG_H

enum gw_log_level {
    GW_LOG_ERROR = 0,
    GW_LOG_WARN = 1,
    GW_LOG_INFO = 2,
    GW_LOG_DEBUG = 3,
};

void gw_log_set_level(enum gw_log_level level);
/* Parses "error", "warn", "info" or "debug"; returns the level or -1. */
int gw_log_parse_level(const char *s);
int gw_log_enabled(enum gw_log_level level);

void gw_log(enum gw_log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As gw_log, and appends error="<strerror(|err|)>"; err may be negative. */
void gw_log_errno(enum gw_log_level level, int err, const char *msg,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define gw_error(msg, ...) gw_log(GW_LOG_ERROR, msg, __VA_ARGS__)
#define gw_warn(msg, ...) gw_log(GW_LOG_WARN, msg, __VA_ARGS__)
#define gw_info(msg, ...) gw_log(GW_LOG_INFO, msg, __VA_ARGS__)
#define gw_debug(msg, ...)                                                     \
    do {                                                                       \
        if (gw_log_enabled(GW_LOG_DEBUG))                                      \
            gw_log(GW_LOG_DEBUG, msg, __VA_ARGS__);                            \
    } while (0)

#endif /* MAYFLY_GW_LOG_H */
