/* buf.c: growable byte buffer with sticky allocation errors. */
#include "gateway/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int gw_buf_reserve(struct gw_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->err)
        return b->err;
    if (extra > (size_t)-1 / 2 - b->len)
        goto nomem;
    need = b->len + extra + 1; /* room for the trailing NUL */
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        goto nomem;
    b->data = p;
    b->cap = cap;
    return 0;
nomem:
    b->err = -ENOMEM;
    return b->err;
}

int gw_buf_add(struct gw_buf *b, const void *p, size_t n)
{
    if (gw_buf_reserve(b, n))
        return b->err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int gw_buf_addc(struct gw_buf *b, char c)
{
    return gw_buf_add(b, &c, 1);
}

int gw_buf_adds(struct gw_buf *b, const char *s)
{
    return gw_buf_add(b, s, strlen(s));
}

int gw_buf_vaddf(struct gw_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->err = -EINVAL;
        return b->err;
    }
    if (gw_buf_reserve(b, (size_t)n))
        return b->err;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int gw_buf_addf(struct gw_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = gw_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

static void add_json_char(struct gw_buf *b, unsigned char c)
{
    switch (c) {
    case '"': gw_buf_adds(b, "\\\""); break;
    case '\\': gw_buf_adds(b, "\\\\"); break;
    case '\n': gw_buf_adds(b, "\\n"); break;
    case '\r': gw_buf_adds(b, "\\r"); break;
    case '\t': gw_buf_adds(b, "\\t"); break;
    default:
        if (c < 0x20 || c == 0x7f)
            gw_buf_addf(b, "\\u%04x", c);
        else
            gw_buf_addc(b, (char)c);
    }
}

/* Bytes >= 0x80 are copied as they are: callers pass UTF-8 or ASCII. */
int gw_buf_add_json(struct gw_buf *b, const char *s, size_t n)
{
    size_t i;

    gw_buf_addc(b, '"');
    for (i = 0; i < n; i++)
        add_json_char(b, (unsigned char)s[i]);
    return gw_buf_addc(b, '"');
}

void gw_buf_reset(struct gw_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void gw_buf_free(struct gw_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

char *gw_buf_steal(struct gw_buf *b, size_t *len)
{
    char *p = b->data;

    if (len)
        *len = b->len;
    memset(b, 0, sizeof(*b));
    return p;
}

static int read_stream(FILE *f, struct gw_buf *b, size_t max)
{
    char chunk[65536];
    size_t n;

    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b->len + n > max)
            return -EFBIG;
        if (gw_buf_add(b, chunk, n))
            return -ENOMEM;
    }
    return ferror(f) ? -EIO : 0;
}

int gw_buf_read_file(struct gw_buf *b, const char *path, size_t max)
{
    struct stat st;
    FILE *f;
    int rc;

    if (strcmp(path, "-") == 0)
        return read_stream(stdin, b, max);
    f = fopen(path, "rb");
    if (!f)
        return -errno;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return -EISDIR;
    }
    rc = read_stream(f, b, max);
    fclose(f);
    return rc;
}
