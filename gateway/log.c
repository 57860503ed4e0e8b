/* log.c: leveled key=value log lines on stderr, one write(2) per line. */
#include "gateway/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

static enum gw_log_level log_level = GW_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void gw_log_set_level(enum gw_log_level level)
{
    log_level = level;
}

int gw_log_parse_level(const char *s)
{
    int i;

    for (i = 0; i <= GW_LOG_DEBUG; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    if (strcmp(s, "warning") == 0)
        return GW_LOG_WARN;
    return -1;
}

int gw_log_enabled(enum gw_log_level level)
{
    return level <= log_level;
}

static size_t put_prefix(char *p, size_t n, enum gw_log_level level,
                         const char *msg)
{
    struct timespec ts;
    struct tm tm;
    const char *q = strchr(msg, ' ') ? "\"" : "";
    int len;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    len = snprintf(p, n,
                   "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s "
                   "msg=%s%s%s",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                   level_names[level], q, msg, q);
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

/* Appends `s` with control characters escaped; returns the new length. */
static size_t put_escaped(char *line, size_t len, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c;

    for (; *s && len + 4 < cap; s++) {
        c = (unsigned char)*s;
        if (c >= 0x20 && c != 0x7f) {
            line[len++] = (char)c;
            continue;
        }
        line[len++] = '\\';
        if (c == '\n' || c == '\t' || c == '\r') {
            line[len++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        } else {
            line[len++] = 'x';
            line[len++] = hex[c >> 4];
            line[len++] = hex[c & 15];
        }
    }
    return len;
}

static void log_line(enum gw_log_level level, int err, const char *msg,
                     const char *fmt, va_list ap)
{
    char line[LINE_MAX_BYTES], fields[LINE_MAX_BYTES];
    size_t len;
    ssize_t rc;

    len = put_prefix(line, sizeof(line), level, msg);
    if (fmt && *fmt) {
        vsnprintf(fields, sizeof(fields), fmt, ap);
        line[len++] = ' ';
        len = put_escaped(line, len, sizeof(line), fields);
    }
    if (err) {
        snprintf(fields, sizeof(fields), " error=\"%s\"",
                 strerror(err < 0 ? -err : err));
        len = put_escaped(line, len, sizeof(line), fields);
    }
    line[len++] = '\n';
    rc = write(STDERR_FILENO, line, len);
    (void)rc; /* nowhere left to report a failed log write */
}

void gw_log(enum gw_log_level level, const char *msg, const char *fmt, ...)
{
    va_list ap;

    if (!gw_log_enabled(level))
        return;
    va_start(ap, fmt);
    log_line(level, 0, msg, fmt, ap);
    va_end(ap);
}

void gw_log_errno(enum gw_log_level level, int err, const char *msg,
                  const char *fmt, ...)
{
    va_list ap;

    if (!gw_log_enabled(level))
        return;
    va_start(ap, fmt);
    log_line(level, err, msg, fmt, ap);
    va_end(ap);
}
