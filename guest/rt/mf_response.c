/* mf_response.c: status, headers and body of the response. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../libc/libc_internal.h"
#include "mayfly.h"
#include "mf_internal.h"

/* A byte buffer that starts in a fixed array in .bss and moves to the heap
 * when it outgrows it. Small responses then never touch the heap: on the
 * host, the first touch of each guest page is a costly fault. */
struct mf__buf {
    char *data; /* fixed, or a heap block */
    size_t len;
    size_t cap;
    char *fixed;
};

#define MF__BODY_FIXED 2048
#define MF__HEADERS_FIXED 512
#define MF__BUF_MIN 256

static char mf__body_fixed[MF__BODY_FIXED];
static char mf__headers_fixed[MF__HEADERS_FIXED];
static struct mf__buf mf__body;
static struct mf__buf mf__headers; /* packed "name\0value\0..." */
static uint64_t mf__header_count;
static int mf__code; /* 0 until mf_status() */

MF__BOOT_PATH
static void mf__buf_init(struct mf__buf *b, char *fixed, size_t cap)
{
    b->data = b->fixed = fixed;
    b->len = 0;
    b->cap = cap;
}

MF__BOOT_PATH
void mf__response_init(void)
{
    mf__buf_init(&mf__body, mf__body_fixed, sizeof(mf__body_fixed));
    mf__buf_init(&mf__headers, mf__headers_fixed, sizeof(mf__headers_fixed));
}

/* Makes room for `extra` more bytes; returns 0, or -1 if out of memory. */
static int mf__buf_reserve(struct mf__buf *b, size_t extra)
{
    size_t cap = b->cap != 0 ? b->cap : MF__BUF_MIN;
    char *data;

    if (extra > SIZE_MAX / 2 - b->len)
        return -1;
    if (b->len + extra <= b->cap)
        return 0;
    while (cap < b->len + extra)
        cap *= 2;
    if (b->data != b->fixed)
        data = realloc(b->data, cap);
    else if ((data = malloc(cap)) != NULL && b->len != 0)
        memcpy(data, b->data, b->len);
    if (data == NULL)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static int mf__buf_add(struct mf__buf *b, const void *p, size_t n)
{
    if (mf__buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void mf_status(int code)
{
    if (code < 100 || code > 599) {
        mf_log("mf_status: invalid status %d, using 500", code);
        code = 500;
    }
    mf__code = code;
}

int mf_write(const void *buf, size_t len)
{
    return mf__buf_add(&mf__body, buf, len);
}

int mf_puts(const char *s)
{
    return mf_write(s, strlen(s));
}

/* Formats straight into the body's free room; if that is too small, grows
 * the body to the exact size and formats again. */
int mf_vprintf(const char *fmt, va_list ap)
{
    struct mf__buf *b = &mf__body;
    size_t room = b->cap - b->len;
    va_list again;
    int n;

    va_copy(again, ap);
    n = vsnprintf(room != 0 ? b->data + b->len : NULL, room, fmt, ap);
    if (n >= 0 && (size_t)n >= room) {
        if (mf__buf_reserve(b, (size_t)n + 1) < 0)
            n = -1;
        else
            vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    if (n >= 0)
        b->len += (size_t)n;
    return n;
}

int mf_printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = mf_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

/* RFC 9110 token characters. */
static int mf__is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int mf__header_ok(const char *name, const char *value)
{
    const unsigned char *p;

    if (*name == '\0')
        return 0;
    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if (!mf__is_tchar(*p))
            return 0;
    }
    /* Field values: visible characters, space, tab and obs-text. */
    for (p = (const unsigned char *)value; *p != '\0'; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 0;
    }
    return 1;
}

/* Drops every response header called name (without case). */
static void mf__header_remove(const char *name)
{
    struct mf__buf *b = &mf__headers;
    size_t off = 0, n;
    char *p;

    while (off < b->len) {
        p = b->data + off;
        n = strlen(p) + 1;
        n += strlen(p + n) + 1;
        if (strcasecmp(p, name) != 0) {
            off += n;
            continue;
        }
        memmove(p, p + n, b->len - off - n);
        b->len -= n;
        mf__header_count--;
    }
}

int mf_add_header(const char *name, const char *value)
{
    size_t nlen = strlen(name) + 1, vlen = strlen(value) + 1;

    if (!mf__header_ok(name, value) ||
        mf__buf_reserve(&mf__headers, nlen + vlen) < 0)
        return -1;
    mf__buf_add(&mf__headers, name, nlen);
    mf__buf_add(&mf__headers, value, vlen);
    mf__header_count++;
    return 0;
}

int mf_set_header(const char *name, const char *value)
{
    if (!mf__header_ok(name, value))
        return -1;
    mf__header_remove(name);
    return mf_add_header(name, value);
}

/* An empty buffer is handed over as gpa 0, len 0. */
MF__BOOT_PATH
static struct mf_span mf__buf_span(const struct mf__buf *b)
{
    struct mf_span s = {0, 0};

    if (b->len != 0) {
        s.gpa = mf__gpa(b->data);
        s.len = b->len;
    }
    return s;
}

MF__BOOT_PATH
void mf__response_fill(struct mf_boot *b, int code)
{
    struct mf_span h = mf__buf_span(&mf__headers);

    if (code != 0) {
        mf_log("handler returned %d", code);
        if (mf__code == 0)
            mf__code = 500;
    }
    b->status = mf__code != 0 ? (uint32_t)mf__code : 200u;
    b->resp_headers.gpa = h.gpa;
    b->resp_headers.len = h.len;
    b->resp_headers.count = mf__header_count;
    b->resp_body = mf__buf_span(&mf__body);
}
