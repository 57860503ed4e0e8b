/* s3list.c: ListObjects and ListObjectsV2: pages of keys and prefixes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gateway/s3_int.h"
#include "gateway/url.h"

#define S3_LIST_MAX 1000

/* The parameters of one listing, decoded. */
struct s3_list {
    int v2;
    int url;   /* encoding-type=url */
    int owner; /* print <Owner> in <Contents> */
    int max;
    char *prefix, *delimiter, *marker, *token, *start_after;
    char *after; /* where the page starts (exclusive) */
    char *last;  /* the last key or prefix of the page */
    int count;
    struct gw_buf contents, prefixes;
};

static void s3_list_free(struct s3_list *l)
{
    free(l->prefix);
    free(l->delimiter);
    free(l->marker);
    free(l->token);
    free(l->start_after);
    free(l->after);
    free(l->last);
    gw_buf_free(&l->contents);
    gw_buf_free(&l->prefixes);
}

/* ---- Continuation tokens: base64url of the last key or prefix ---------- */

static char *s3_token_encode(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1), *p;

    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    for (p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    while (p > out && p[-1] == '=')
        *--p = '\0';
    return out;
}

static char *s3_token_decode(const char *t)
{
    size_t n = strlen(t), padded = (n + 3) / 4 * 4, i;
    char *in = calloc(1, padded + 1);
    unsigned char *out = malloc(padded / 4 * 3 + 1);
    int len = -1;

    if (in && out && n % 4 != 1) {
        for (i = 0; i < padded; i++)
            in[i] = i >= n ? '=' : t[i] == '-' ? '+' : t[i] == '_' ? '/' : t[i];
        len = EVP_DecodeBlock(out, (unsigned char *)in, (int)padded);
        if (len >= 0)
            len -= (int)(padded - n); /* the '=' padding decoded as 0s */
    }
    free(in);
    if (len <= 0 || memchr(out, '\0', (size_t)len)) {
        free(out);
        return NULL;
    }
    out[len] = '\0';
    return (char *)out;
}

/* ---- Parameters --------------------------------------------------------- */

static int s3_list_max(struct s3_op *op, struct s3_list *l)
{
    char *v = NULL, *end;
    long n;
    int bad;

    l->max = S3_LIST_MAX;
    if (s3_query(op->req, "max-keys", &v) <= 0)
        return 0;
    n = strtol(v, &end, 10);
    bad = end == v || *end || n < 0;
    free(v);
    if (bad) {
        s3_error(op, 400, "InvalidArgument",
                 "max-keys must be a number from 0");
        return -1;
    }
    l->max = n > S3_LIST_MAX ? S3_LIST_MAX : (int)n;
    return 0;
}

static int s3_list_encoding(struct s3_op *op, struct s3_list *l)
{
    char *owner = NULL;

    s3_query(op->req, "fetch-owner", &owner);
    l->owner = !l->v2 || (owner && strcmp(owner, "true") == 0);
    free(owner);
    return s3_encoding_type(op, &l->url);
}

/* Where the page starts: the token, else start-after (V2), the marker
 * (V1). */
static int s3_list_start(struct s3_op *op, struct s3_list *l)
{
    if (l->v2) {
        s3_query(op->req, "continuation-token", &l->token);
        s3_query(op->req, "start-after", &l->start_after);
    } else {
        s3_query(op->req, "marker", &l->marker);
    }
    if (l->token) {
        l->after = s3_token_decode(l->token);
        if (!l->after) {
            s3_error(op, 400, "InvalidArgument",
                     "The continuation token provided is incorrect");
            return -1;
        }
        return 0;
    }
    if (l->start_after || l->marker)
        l->after = strdup(l->start_after ? l->start_after : l->marker);
    return 0;
}

static int s3_list_params(struct s3_op *op, struct s3_list *l)
{
    if (s3_query(op->req, "prefix", &l->prefix) < 0 ||
        s3_query(op->req, "delimiter", &l->delimiter) < 0) {
        s3_error(op, 500, "InternalError", "out of memory");
        return -1;
    }
    if (s3_list_max(op, l) < 0 || s3_list_encoding(op, l) < 0)
        return -1;
    return s3_list_start(op, l);
}

/* ---- The page ----------------------------------------------------------- */

static int s3_list_item(const struct st_object *obj, const char *cp, void *arg)
{
    struct s3_list *l = arg;
    char t[32];

    free(l->last);
    l->last = strdup(obj ? obj->key : cp);
    l->count++;
    if (cp) {
        gw_buf_adds(&l->prefixes, "<CommonPrefixes>");
        s3_xml_key(&l->prefixes, "Prefix", cp, l->url);
        gw_buf_adds(&l->prefixes, "</CommonPrefixes>");
        return l->prefixes.err;
    }
    s3_time_iso(obj->modified_ms, t);
    gw_buf_adds(&l->contents, "<Contents>");
    s3_xml_key(&l->contents, "Key", obj->key, l->url);
    s3_xml_elem(&l->contents, "LastModified", t);
    gw_buf_addf(&l->contents, "<ETag>&quot;%s&quot;</ETag><Size>%llu</Size>",
                obj->etag, (unsigned long long)obj->size);
    if (l->owner)
        gw_buf_adds(&l->contents, "<Owner><ID>" S3_OWNER "</ID>"
                                  "<DisplayName>" S3_OWNER "</DisplayName>"
                                  "</Owner>");
    gw_buf_adds(&l->contents, "<StorageClass>STANDARD</StorageClass>"
                              "</Contents>");
    return l->last ? l->contents.err : -ENOMEM;
}

static void s3_list_head(struct s3_op *op, const struct s3_list *l,
                         struct gw_buf *b, int truncated)
{
    char *next;

    gw_buf_adds(b, S3_XML_HEAD "<ListBucketResult xmlns=\"" S3_XMLNS "\">");
    s3_xml_elem(b, "Name", op->bucket);
    s3_xml_key(b, "Prefix", l->prefix ? l->prefix : "", l->url);
    if (l->delimiter)
        s3_xml_key(b, "Delimiter", l->delimiter, l->url);
    gw_buf_addf(b, "<MaxKeys>%d</MaxKeys>", l->max);
    if (l->url)
        gw_buf_adds(b, "<EncodingType>url</EncodingType>");
    gw_buf_addf(b, "<IsTruncated>%s</IsTruncated>",
                truncated ? "true" : "false");
    if (!l->v2) {
        s3_xml_key(b, "Marker", l->marker ? l->marker : "", l->url);
        if (truncated && l->last)
            s3_xml_key(b, "NextMarker", l->last, l->url);
        return;
    }
    gw_buf_addf(b, "<KeyCount>%d</KeyCount>", l->count);
    if (l->token)
        s3_xml_elem(b, "ContinuationToken", l->token);
    if (l->start_after)
        s3_xml_key(b, "StartAfter", l->start_after, l->url);
    if (!truncated || !l->last)
        return;
    next = s3_token_encode(l->last);
    if (!next)
        b->err = -ENOMEM;
    else
        s3_xml_elem(b, "NextContinuationToken", next);
    free(next);
}

void s3_list_objects(struct s3_op *op, int v2)
{
    struct s3_list l = {.v2 = v2};
    struct st_list_query q = {0};
    struct gw_buf b = {0};
    int rc;

    if (s3_list_params(op, &l) < 0)
        goto out;
    q.bucket = op->bucket;
    q.prefix = l.prefix;
    q.delimiter = l.delimiter;
    q.after = l.after;
    q.max = l.max;
    rc = st_object_list(op->st, &q, s3_list_item, &l);
    if (rc < 0) {
        s3_store_error(op, rc == -EINVAL ? -ENOENT : rc);
        goto out;
    }
    s3_list_head(op, &l, &b, q.truncated);
    gw_buf_add(&b, l.contents.data, l.contents.len);
    gw_buf_add(&b, l.prefixes.data, l.prefixes.len);
    gw_buf_adds(&b, "</ListBucketResult>\n");
    if (l.contents.err || l.prefixes.err)
        b.err = -ENOMEM;
    s3_xml_reply(op, 200, &b);
out:
    s3_list_free(&l);
}
