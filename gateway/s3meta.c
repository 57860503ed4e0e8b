/* s3meta.c: object metadata: what a write sends, what a read returns.
 *
 * An object keeps, besides its Content-Type, the system headers S3 keeps
 * (Cache-Control, Content-Disposition, Content-Encoding, Content-Language,
 * Expires) and its user metadata (x-amz-meta-*). The store holds them as
 * one text, one "name: value\n" line each, names lower-case: the system
 * headers first, then the user metadata in the order the client sent it.
 * Header values hold no CR or LF (the HTTP parser refuses them), so a line
 * is always one header. Several headers of one user metadata name become
 * one, their values joined with ',' as S3 does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/s3_int.h"

#define S3_META_PREFIX "x-amz-meta-"
#define S3_META_PREFIX_LEN (sizeof(S3_META_PREFIX) - 1)
/* S3's limit on user metadata: the bytes of each name (without the
 * prefix) and value, summed. */
#define S3_META_MAX 2048

/* The headers S3 keeps with an object and returns on reads, each with the
 * query parameter that overrides it in a GetObject answer. */
static const struct {
    const char *lname, *name, *query;
} s3_sys_headers[] = {
    {"content-type", "Content-Type", "response-content-type"},
    {"cache-control", "Cache-Control", "response-cache-control"},
    {"content-disposition", "Content-Disposition",
     "response-content-disposition"},
    {"content-encoding", "Content-Encoding", "response-content-encoding"},
    {"content-language", "Content-Language", "response-content-language"},
    {"expires", "Expires", "response-expires"},
};

#define S3_NSYS (sizeof(s3_sys_headers) / sizeof(s3_sys_headers[0]))

/* ---- Writes ------------------------------------------------------------- */

/* Content-Encoding without "aws-chunked", which names the framing of
 * this request's body, not the object's encoding. */
static void s3_add_encoding(struct gw_buf *b, const char *v)
{
    struct gw_buf kept = {0};
    size_t n;

    while (*v) {
        v += strspn(v, " \t,");
        n = strcspn(v, ",");
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n > 0 && !(n == 11 && strncasecmp(v, "aws-chunked", 11) == 0)) {
            if (kept.len > 0)
                gw_buf_addc(&kept, ',');
            gw_buf_add(&kept, v, n);
        }
        v += strcspn(v, ",");
    }
    if (kept.err)
        b->err = kept.err;
    else if (kept.len > 0)
        gw_buf_addf(b, "content-encoding: %s\n", kept.data);
    gw_buf_free(&kept);
}

/* Adds the system headers (but Content-Type, which has its own column). */
static void s3_add_system(struct s3_op *op, struct gw_buf *b)
{
    const char *v;
    size_t i;

    for (i = 1; i < S3_NSYS; i++) {
        v = gw_http_header(op->req, s3_sys_headers[i].lname);
        if (!v)
            continue;
        if (strcmp(s3_sys_headers[i].lname, "content-encoding") == 0) {
            s3_add_encoding(b, v);
            continue;
        }
        gw_buf_addf(b, "%s: %s\n", s3_sys_headers[i].lname, v);
    }
}

/* 1 if user metadata header `name` appears among the packed headers
 * before `end`. */
static int s3_meta_seen(const char *p, const char *end, const char *name)
{
    for (; p < end; p += strlen(p) + 1, p += strlen(p) + 1)
        if (strcmp(p, name) == 0)
            return 1;
    return 0;
}

/* Adds every user metadata header, the values of one name joined; returns
 * S3's count of their size. */
static size_t s3_add_user(struct s3_op *op, struct gw_buf *b)
{
    const char *start = op->req->headers, *end = start + op->req->headers_len;
    const char *p, *v, *q;
    size_t size = 0, vstart;

    for (p = start; p && p < end; p = v + strlen(v) + 1) {
        v = p + strlen(p) + 1;
        if (strncmp(p, S3_META_PREFIX, S3_META_PREFIX_LEN) != 0 ||
            !p[S3_META_PREFIX_LEN] || s3_meta_seen(start, p, p))
            continue;
        gw_buf_addf(b, "%s: ", p);
        vstart = b->len;
        gw_buf_adds(b, v);
        for (q = v + strlen(v) + 1; q < end; q += strlen(q) + 1) {
            if (strcmp(q, p) == 0)
                gw_buf_addf(b, ",%s", q + strlen(q) + 1);
            q += strlen(q) + 1;
        }
        size += strlen(p) - S3_META_PREFIX_LEN + (b->len - vstart);
        gw_buf_addc(b, '\n');
    }
    return size;
}

int s3_meta_header(struct s3_op *op, char **meta)
{
    struct gw_buf b = {0};
    size_t user;

    *meta = NULL;
    s3_add_system(op, &b);
    user = s3_add_user(op, &b);
    if (b.err) {
        gw_buf_free(&b);
        s3_error(op, 500, "InternalError", "out of memory");
        return -1;
    }
    if (user > S3_META_MAX) {
        gw_buf_free(&b);
        s3_error(op, 400, "MetadataTooLarge",
                 "Your metadata headers exceed the maximum allowed metadata "
                 "size.");
        return -1;
    }
    if (b.len > 0)
        *meta = gw_buf_steal(&b, NULL);
    return 0;
}

/* ---- Reads -------------------------------------------------------------- */

/* The stored value of header `lname` in meta: a pointer to it and its
 * length in *len, or NULL. */
static const char *s3_meta_find(const char *meta, const char *lname,
                                size_t *len)
{
    size_t n = strlen(lname);
    const char *p;

    for (p = meta; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, lname, n) == 0 && p[n] == ':' && p[n + 1] == ' ') {
            p += n + 2;
            *len = strcspn(p, "\n");
            return p;
        }
    }
    return NULL;
}

/* Adds one system header: the request's override, else the stored value,
 * else `dflt` (may be NULL). Returns 0, or -1 after answering an override
 * that cannot be a header value. */
static int s3_reply_system(struct s3_op *op, size_t i, const char *stored,
                           size_t len, const char *dflt)
{
    char *over = NULL;
    int rc = s3_query(op->req, s3_sys_headers[i].query, &over);

    if (rc < 0) {
        s3_error(op, 500, "InternalError", "out of memory");
        return -1;
    }
    if (over && strpbrk(over, "\r\n")) {
        free(over);
        s3_error(op, 400, "InvalidArgument",
                 "A response header override holds a line break");
        return -1;
    }
    if (over)
        gw_reply_header(op->rep, s3_sys_headers[i].name, "%s", over);
    else if (stored)
        gw_reply_header(op->rep, s3_sys_headers[i].name, "%.*s", (int)len,
                        stored);
    else if (dflt)
        gw_reply_header(op->rep, s3_sys_headers[i].name, "%s", dflt);
    free(over);
    return 0;
}

/* Adds the user metadata lines of meta. */
static void s3_reply_user(struct s3_op *op, const char *meta)
{
    const char *p, *colon, *v;
    char *name;
    size_t n;

    for (p = meta; p && *p; p += n + (p[n] == '\n')) {
        n = strcspn(p, "\n");
        colon = memchr(p, ':', n);
        if (!colon || strncmp(p, S3_META_PREFIX, S3_META_PREFIX_LEN) != 0)
            continue;
        name = strndup(p, (size_t)(colon - p));
        if (!name) {
            op->rep->headers.err = -ENOMEM; /* the answer becomes a 503 */
            return;
        }
        v = colon + 1 + (colon[1] == ' ');
        gw_reply_header(op->rep, name, "%.*s", (int)(p + n - v), v);
        free(name);
    }
}

int s3_meta_reply(struct s3_op *op, const char *content_type, const char *meta,
                  const char *default_type)
{
    const char *v;
    size_t i, len = 0;

    for (i = 0; i < S3_NSYS; i++) {
        if (i == 0) {
            v = content_type;
            len = v ? strlen(v) : 0;
        } else {
            v = s3_meta_find(meta, s3_sys_headers[i].lname, &len);
        }
        if (s3_reply_system(op, i, v, len, i == 0 ? default_type : NULL) < 0)
            return -1;
    }
    s3_reply_user(op, meta);
    return 0;
}
