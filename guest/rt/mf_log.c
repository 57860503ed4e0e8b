/* mf_log.c: the function's log: one bounded buffer, one line per call. */
#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../libc/libc_internal.h"
#include "mayfly.h"
#include "mf_internal.h"

#define MF__LOG_MARK "...[log truncated]\n"
#define MF__LOG_MARK_LEN (sizeof(MF__LOG_MARK) - 1)

/* The log lives in .bss, not on the heap, so that it still works when the
 * heap is exhausted or broken. Its section puts it after all other .bss
 * (see mayfly.ld), so that its pages are touched only by logging. Room for
 * the mark is always kept free; the extra byte takes vsnprintf's NUL. */
__attribute__((
    section(".lbss.mf_log"))) static char mf__log_buf[MF_LOG_MAX + 1];
static size_t mf__log_len;
static int mf__log_full;

/* Cuts trailing newlines, turns the others into spaces; returns the new
 * length. */
static size_t mf__log_flatten(char *line, size_t len)
{
    size_t i;

    while (len > 0 && line[len - 1] == '\n')
        len--;
    for (i = 0; i < len; i++) {
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    }
    return len;
}

void mf_vlog(const char *fmt, va_list ap)
{
    char *line = mf__log_buf + mf__log_len;
    size_t room = MF_LOG_MAX - MF__LOG_MARK_LEN - mf__log_len;
    size_t used;
    int n;

    if (mf__log_full)
        return;
    n = vsnprintf(line, room + 1, fmt, ap);
    used = n < 0 || (size_t)n > room ? room : (size_t)n;
    used = mf__log_flatten(line, used);
    if (n >= 0 && (size_t)n <= room && used < room) {
        line[used] = '\n';
        mf__log_len += used + 1;
        return;
    }
    memcpy(line + used, MF__LOG_MARK, MF__LOG_MARK_LEN);
    mf__log_len += used + MF__LOG_MARK_LEN;
    mf__log_full = 1;
}

void mf_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mf_vlog(fmt, ap);
    va_end(ap);
}

MF__BOOT_PATH
void mf__log_fill(struct mf_boot *b)
{
    b->log.gpa = mf__log_len != 0 ? mf__gpa(mf__log_buf) : 0;
    b->log.len = mf__log_len;
    b->log_truncated = (uint32_t)mf__log_full;
}

void mf__assert_fail(const char *expr, const char *file, int line)
{
    mf_log("assertion failed: %s (%s:%d)", expr, file, line);
    mf__abort("assertion failed");
}
