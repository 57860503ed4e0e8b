/* url.c: percent-encoding and decoding for the S3 listener and its events. */
#include "gateway/url.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/buf.h"

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '~';
}

static void add_encoded(struct gw_buf *b, unsigned char c, int flags)
{
    static const char digits[] = "0123456789ABCDEF";

    if (unreserved(c) || (c == '/' && (flags & GW_URL_KEEP_SLASH))) {
        gw_buf_addc(b, (char)c);
    } else if (c == ' ' && (flags & GW_URL_PLUS)) {
        gw_buf_addc(b, '+');
    } else {
        gw_buf_addc(b, '%');
        gw_buf_addc(b, digits[c >> 4]);
        gw_buf_addc(b, digits[c & 0xf]);
    }
}

char *gw_url_encode(const char *s, size_t n, int flags)
{
    struct gw_buf b = {0};
    size_t i;

    gw_buf_reserve(&b, n + 1);
    for (i = 0; i < n; i++)
        add_encoded(&b, (unsigned char)s[i], flags);
    if (b.err || b.len == 0) {
        int err = b.err;

        gw_buf_free(&b);
        return err ? NULL : strdup("");
    }
    return b.data;
}

int gw_url_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte the escape at s[i] stands for, or -1 if none starts there. */
static int escape_at(const char *s, size_t i, size_t n)
{
    int hi, lo;

    if (s[i] != '%' || i + 2 >= n)
        return -1;
    hi = gw_url_hexval(s[i + 1]);
    lo = gw_url_hexval(s[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

char *gw_url_decode(const char *s, size_t n, int flags, size_t *len)
{
    char *out = malloc(n + 1);
    size_t i, o = 0;
    int c;

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        c = escape_at(s, i, n);
        if (c >= 0) {
            out[o++] = (char)c;
            i += 2;
        } else if (s[i] == '+' && (flags & GW_URL_PLUS)) {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (len)
        *len = o;
    return out;
}
