/* s3multipart.c: the S3 multipart upload operations (store/multipart.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/s3_int.h"
#include "gateway/url.h"
#include "store/multipart.h"

/* S3's smallest part, except the last. */
#define S3_PART_MIN (5u << 20)
#define S3_LIST_MAX 1000
#define S3_ETAG_TEXT_MAX 128 /* longest ETag accepted in a part list */

static const char s3_owner_xml[] =
    "<Initiator><ID>" S3_OWNER "</ID><DisplayName>" S3_OWNER
    "</DisplayName></Initiator><Owner><ID>" S3_OWNER
    "</ID><DisplayName>" S3_OWNER "</DisplayName></Owner>"
    "<StorageClass>STANDARD</StorageClass>";

/* ---- Parameters --------------------------------------------------------- */

/* Query parameter `name` as a decimal in [min, max] (digits only): 1 and
 * *out if present, 0 if absent, -1 if not such a number. */
static int s3_query_int(struct s3_op *op, const char *name, long min, long max,
                        long *out)
{
    char *v = NULL, *end;
    int rc;

    rc = s3_query(op->req, name, &v);
    if (rc <= 0)
        return rc < 0 ? -1 : 0;
    rc = v[0] >= '0' && v[0] <= '9' && strlen(v) <= 9 ? 1 : -1;
    if (rc == 1) {
        *out = strtol(v, &end, 10);
        rc = *end || *out < min || *out > max ? -1 : 1;
    }
    free(v);
    return rc;
}

/* The uploadId parameter (malloc'd), or NULL after answering. The store
 * checks its shape before it names a folder. */
static char *s3_upload_id(struct s3_op *op)
{
    char *id = NULL;

    if (s3_query(op->req, "uploadId", &id) < 0) {
        s3_error(op, 500, "InternalError", "out of memory");
        return NULL;
    }
    return id;
}

/* The partNumber parameter, or 0 after answering. */
static int s3_part_number(struct s3_op *op)
{
    long n = 0;

    if (s3_query_int(op, "partNumber", 1, ST_PART_MAX, &n) <= 0) {
        s3_error(op, 400, "InvalidArgument",
                 "Part number must be an integer between 1 and 10000, "
                 "inclusive");
        return 0;
    }
    return (int)n;
}

static void s3_upload_error(struct s3_op *op, int rc)
{
    if (rc == -ENOENT || rc == -EINVAL)
        s3_not_found(op, op->bucket, "NoSuchUpload");
    else
        s3_store_error(op, rc);
}

/* ---- Create, parts, abort ----------------------------------------------- */

void s3_upload_create(struct s3_op *op)
{
    struct st_put opt = {
        .content_type = gw_http_header(op->req, "content-type"),
    };
    char id[ST_UPLOAD_ID], *tags = NULL, *meta = NULL;
    struct gw_buf b = {0};
    int rc;

    if (s3_check_key(op) < 0 || s3_meta_header(op, &meta) < 0)
        return;
    if (s3_tags_header(op, &tags) < 0) {
        free(meta);
        return;
    }
    opt.tags = tags;
    opt.meta = meta;
    rc = st_upload_create(op->st, op->bucket, op->key, &opt, id);
    free(tags);
    free(meta);
    if (rc == -ENOENT || rc == -EINVAL) {
        s3_error(op, 404, "NoSuchBucket", NULL);
        return;
    }
    if (rc == -EDQUOT) {
        s3_error(op, 400, "InvalidRequest",
                 "Too many unfinished multipart uploads (at most 1000): "
                 "complete or abort some first");
        return;
    }
    if (rc < 0) {
        s3_store_error(op, rc);
        return;
    }
    gw_buf_adds(&b, S3_XML_HEAD
                "<InitiateMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
    s3_xml_elem(&b, "Bucket", op->bucket);
    s3_xml_elem(&b, "Key", op->key);
    s3_xml_elem(&b, "UploadId", id);
    gw_buf_adds(&b, "</InitiateMultipartUploadResult>\n");
    s3_xml_reply(op, 200, &b);
}

void s3_upload_part(struct s3_op *op)
{
    struct st_part p;
    char *id;
    int n, rc;

    n = s3_part_number(op);
    if (n == 0 || s3_check_md5(op) < 0)
        return;
    id = s3_upload_id(op);
    if (!id)
        return;
    rc = st_part_put(op->st, op->bucket, op->key, id, n, op->body, op->body_len,
                     &p);
    free(id);
    if (rc < 0) {
        s3_upload_error(op, rc);
        return;
    }
    gw_reply_header(op->rep, "ETag", "\"%s\"", p.etag);
    s3_checksum_reply(op);
    s3_empty_reply(op, 200);
}

void s3_upload_abort(struct s3_op *op)
{
    char *id = s3_upload_id(op);
    int rc;

    if (!id)
        return;
    rc = st_upload_abort(op->st, op->bucket, op->key, id);
    free(id);
    if (rc < 0)
        s3_upload_error(op, rc);
    else
        s3_empty_reply(op, 204);
}

/* ---- UploadPartCopy ----------------------------------------------------- */

/* Reads 1 to 19 digits from s that end at `stop`; *next is past it. */
static int s3_parse_u64(const char *s, char stop, uint64_t *out,
                        const char **next)
{
    size_t i;

    *out = 0;
    for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i == 19)
            return -1;
        *out = *out * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == 0 || s[i] != stop)
        return -1;
    *next = s + i + (stop != '\0');
    return 0;
}

/* x-amz-copy-source-range "bytes=first-last" within an object of `size`
 * bytes; without the header, the whole object. Returns 0, or -1 after
 * answering. */
static int s3_copy_range(struct s3_op *op, uint64_t size, uint64_t *first,
                         uint64_t *len)
{
    const char *h = gw_http_header(op->req, "x-amz-copy-source-range");
    uint64_t a = 0, b = 0;

    *first = 0;
    *len = size;
    if (!h)
        return 0;
    if (strncmp(h, "bytes=", 6) != 0 || s3_parse_u64(&h[6], '-', &a, &h) ||
        s3_parse_u64(h, '\0', &b, &h) || a > b) {
        s3_error(op, 400, "InvalidArgument",
                 "The x-amz-copy-source-range value must be of the form "
                 "bytes=first-last where first and last are the zero-based "
                 "offsets of the first and last bytes to copy");
        return -1;
    }
    if (b >= size) {
        s3_error(op, 400, "InvalidRange",
                 "The requested range is not satisfiable");
        return -1;
    }
    *first = a;
    *len = b - a + 1;
    return 0;
}

static int s3_pread_all(int fd, char *buf, size_t len, uint64_t off)
{
    ssize_t n;

    while (len > 0) {
        n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? -EIO : -errno;
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Reads the chosen range of the source object into *data (malloc'd).
 * Returns 0, or -1 after answering. */
static int s3_copy_part_read(struct s3_op *op, const char *source, char **data,
                             size_t *len)
{
    struct st_object src;
    char *sb = NULL, *sk = NULL;
    uint64_t first, n;
    int fd = -1, rc;

    if (s3_copy_source(source, &sb, &sk) < 0) {
        s3_error(op, 400, "InvalidArgument",
                 "x-amz-copy-source must be bucket/key");
        return -1;
    }
    rc = st_object_open(op->st, sb, sk, &src, &fd);
    if (rc == -ENOENT || rc == -EINVAL)
        s3_not_found(op, sb, "NoSuchKey");
    else if (rc < 0)
        s3_store_error(op, rc);
    free(sb);
    free(sk);
    if (rc < 0)
        return -1;

    rc = s3_copy_range(op, src.size, &first, &n);
    if (rc == 0 && n > op->s3->cfg.max_object) {
        s3_error(op, 400, "EntityTooLarge", NULL);
        rc = -1;
    }
    *data = rc == 0 ? malloc(n + 1) : NULL;
    if (rc == 0 && (!*data || s3_pread_all(fd, *data, n, first) < 0)) {
        free(*data);
        *data = NULL;
        s3_error(op, 500, "InternalError", "cannot read the source");
        rc = -1;
    }
    *len = (size_t)n;
    close(fd);
    st_object_clear(&src);
    return rc;
}

void s3_upload_part_copy(struct s3_op *op, const char *source)
{
    struct gw_buf b = {0};
    struct st_part p;
    char *id, *data = NULL, t[32];
    size_t len = 0;
    int n, rc;

    n = s3_part_number(op);
    if (n == 0)
        return;
    id = s3_upload_id(op);
    if (!id)
        return;
    /* A bad upload id is told before the source is read. */
    rc = st_upload_exists(op->st, op->bucket, op->key, id);
    if (rc == 0)
        rc = s3_copy_part_read(op, source, &data, &len) < 0 ? 1 : 0;
    if (rc == 0)
        rc = st_part_put(op->st, op->bucket, op->key, id, n, data, len, &p);
    free(data);
    free(id);
    if (rc < 0)
        s3_upload_error(op, rc);
    if (rc != 0)
        return;
    s3_time_iso(p.modified_ms, t);
    gw_buf_adds(&b, S3_XML_HEAD "<CopyPartResult xmlns=\"" S3_XMLNS "\">");
    s3_xml_elem(&b, "LastModified", t);
    gw_buf_addf(&b, "<ETag>&quot;%s&quot;</ETag></CopyPartResult>\n", p.etag);
    s3_xml_reply(op, 200, &b);
}

/* ---- Complete ----------------------------------------------------------- */

/* The part list of a CompleteMultipartUpload body. */
struct s3_part_list {
    struct st_part_ref *refs;
    char **etags;
    size_t n;
};

static void s3_part_list_free(struct s3_part_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->etags[i]);
    free(l->etags);
    free(l->refs);
}

/* The text of the one <name> element between p and end, or NULL. */
static const char *s3_xml_find(const char *p, const char *end, const char *name,
                               size_t *len)
{
    char open[32], close[32];
    const char *s, *e;

    snprintf(open, sizeof(open), "<%s>", name);
    snprintf(close, sizeof(close), "</%s>", name);
    s = memmem(p, (size_t)(end - p), open, strlen(open));
    if (!s)
        return NULL;
    s += strlen(open);
    e = memmem(s, (size_t)(end - s), close, strlen(close));
    if (!e)
        return NULL;
    *len = (size_t)(e - s);
    return s;
}

/* One <Part> element, p to end: its number and ETag (quotes dropped). */
static int s3_part_parse(const char *p, const char *end, int *number,
                         char **etag)
{
    const char *num, *tag;
    size_t nlen, tlen, i;
    char *t;

    num = s3_xml_find(p, end, "PartNumber", &nlen);
    tag = s3_xml_find(p, end, "ETag", &tlen);
    if (!num || !tag || nlen == 0 || nlen > 5 || tlen > S3_ETAG_TEXT_MAX)
        return -1;
    *number = 0;
    for (i = 0; i < nlen; i++) {
        if (num[i] < '0' || num[i] > '9')
            return -1;
        *number = *number * 10 + (num[i] - '0');
    }
    t = s3_xml_unescape(tag, tlen);
    if (!t)
        return -1;
    tlen = strlen(t);
    if (tlen >= 2 && t[0] == '"' && t[tlen - 1] == '"') {
        memmove(t, t + 1, tlen - 2);
        t[tlen - 2] = '\0';
    }
    *etag = t;
    return 0;
}

/* Parses the whole body into l. Returns 0, or -1 for a body that is not
 * a CompleteMultipartUpload document of at most ST_PART_MAX parts. */
static int s3_part_list_parse(struct s3_op *op, struct s3_part_list *l)
{
    const char *p = op->body, *end = p + op->body_len, *s, *e;
    size_t cap = 0;
    void *grown;

    if (!memmem(p, op->body_len, "<CompleteMultipartUpload", 24))
        return -1;
    while ((s = memmem(p, (size_t)(end - p), "<Part>", 6))) {
        e = memmem(s, (size_t)(end - s), "</Part>", 7);
        if (!e || l->n == ST_PART_MAX)
            return -1;
        if (l->n == cap) {
            cap = cap ? 2 * cap : 16;
            grown = realloc(l->refs, cap * sizeof(*l->refs));
            if (grown)
                l->refs = grown;
            grown = grown ? realloc(l->etags, cap * sizeof(*l->etags)) : NULL;
            if (!grown)
                return -1;
            l->etags = grown;
        }
        if (s3_part_parse(s + 6, e, &l->refs[l->n].number, &l->etags[l->n]))
            return -1;
        l->refs[l->n].etag = l->etags[l->n];
        l->n++;
        p = e + 7;
    }
    return l->n > 0 ? 0 : -1;
}

static void s3_complete_error(struct s3_op *op, int rc, int part)
{
    char msg[160];

    switch (rc) {
    case -EDOM:
        s3_error(op, 400, "InvalidPartOrder",
                 "The list of parts was not in ascending order. Parts must "
                 "be ordered by part number.");
        return;
    case -ERANGE:
    case -ENXIO:
        snprintf(msg, sizeof(msg),
                 "Part %d could not be found, or its ETag is not the one "
                 "given.",
                 part);
        s3_error(op, 400, "InvalidPart", msg);
        return;
    case -EMSGSIZE:
        snprintf(msg, sizeof(msg),
                 "Your proposed upload is smaller than the minimum allowed "
                 "size: part %d is under 5 MiB and not the last.",
                 part);
        s3_error(op, 400, "EntityTooSmall", msg);
        return;
    case -EAGAIN:
        s3_error(op, 409, "OperationAborted",
                 "A part changed while the object was assembled. Please try "
                 "again.");
        return;
    default: s3_upload_error(op, rc);
    }
}

static void s3_complete_reply(struct s3_op *op, const struct st_object *o)
{
    const char *host = gw_http_header(op->req, "host");
    struct gw_buf b = {0};

    gw_buf_adds(&b,
                S3_XML_HEAD "<CompleteMultipartUploadResult xmlns=\"" S3_XMLNS
                            "\"><Location>http://");
    s3_xml_add(&b, host ? host : "localhost");
    s3_xml_add(&b, op->req->path);
    gw_buf_adds(&b, "</Location>");
    s3_xml_elem(&b, "Bucket", op->bucket);
    s3_xml_elem(&b, "Key", op->key);
    gw_buf_addf(&b, "<ETag>&quot;%s&quot;</ETag>", o->etag);
    gw_buf_adds(&b, "</CompleteMultipartUploadResult>\n");
    s3_xml_reply(op, 200, &b);
}

void s3_upload_complete(struct s3_op *op)
{
    struct s3_part_list l = {0};
    struct st_complete c = {.min_part = S3_PART_MIN};
    struct st_object o;
    int events = 0, rc;
    char *id;

    id = s3_upload_id(op);
    if (!id)
        return;
    if (s3_part_list_parse(op, &l) < 0) {
        s3_error(op, 400, "MalformedXML",
                 "The XML you provided was not well-formed or did not "
                 "validate against our published schema");
        goto out;
    }
    c.parts = l.refs;
    c.n = l.n;
    rc = st_upload_complete(op->st, op->bucket, op->key, id, &c, &o, &events);
    if (rc < 0) {
        s3_complete_error(op, rc, c.bad_part);
        goto out;
    }
    op->rep->events = events;
    s3_complete_reply(op, &o);
    st_object_clear(&o);
out:
    s3_part_list_free(&l);
    free(id);
}

/* ---- ListParts ---------------------------------------------------------- */

struct s3_parts_page {
    int max, count, last;
    int truncated;
    struct gw_buf parts;
};

static int s3_parts_item(const struct st_part *p, void *arg)
{
    struct s3_parts_page *pg = arg;
    char t[32];

    if (pg->count == pg->max) {
        pg->truncated = 1;
        return 1;
    }
    s3_time_iso(p->modified_ms, t);
    gw_buf_addf(&pg->parts, "<Part><PartNumber>%d</PartNumber>", p->number);
    s3_xml_elem(&pg->parts, "LastModified", t);
    gw_buf_addf(&pg->parts,
                "<ETag>&quot;%s&quot;</ETag><Size>%llu</Size></Part>", p->etag,
                (unsigned long long)p->size);
    pg->count++;
    pg->last = p->number;
    return pg->parts.err;
}

void s3_upload_parts(struct s3_op *op)
{
    struct s3_parts_page pg = {0};
    struct gw_buf b = {0};
    long max = S3_LIST_MAX, after = 0;
    char *id;
    int rc;

    if (s3_query_int(op, "max-parts", 0, 0x7fffffff, &max) < 0 ||
        s3_query_int(op, "part-number-marker", 0, 0x7fffffff, &after) < 0) {
        s3_error(op, 400, "InvalidArgument",
                 "max-parts and part-number-marker must be numbers from 0");
        return;
    }
    id = s3_upload_id(op);
    if (!id)
        return;
    pg.max = max > S3_LIST_MAX ? S3_LIST_MAX : (int)max;
    rc = st_part_list(op->st, op->bucket, op->key, id,
                      after > ST_PART_MAX ? ST_PART_MAX : (int)after,
                      s3_parts_item, &pg);
    if (rc < 0) {
        s3_upload_error(op, rc);
        goto out;
    }
    gw_buf_adds(&b, S3_XML_HEAD "<ListPartsResult xmlns=\"" S3_XMLNS "\">");
    s3_xml_elem(&b, "Bucket", op->bucket);
    s3_xml_elem(&b, "Key", op->key);
    s3_xml_elem(&b, "UploadId", id);
    gw_buf_adds(&b, s3_owner_xml);
    gw_buf_addf(&b,
                "<PartNumberMarker>%ld</PartNumberMarker>"
                "<NextPartNumberMarker>%d</NextPartNumberMarker>"
                "<MaxParts>%d</MaxParts><IsTruncated>%s</IsTruncated>",
                after, pg.last, pg.max, pg.truncated ? "true" : "false");
    gw_buf_add(&b, pg.parts.data, pg.parts.len);
    gw_buf_adds(&b, "</ListPartsResult>\n");
    if (pg.parts.err)
        b.err = pg.parts.err;
    s3_xml_reply(op, 200, &b);
out:
    gw_buf_free(&pg.parts);
    free(id);
}

/* ---- ListMultipartUploads ----------------------------------------------- */

struct s3_uploads_page {
    int url; /* encoding-type=url */
    int max, count, truncated;
    char *prefix, *delimiter, *key_marker, *id_marker;
    char *next_key;             /* the last key or common prefix listed */
    char next_id[ST_UPLOAD_ID]; /* the last upload listed, or "" */
    char *cp;                   /* the last common prefix listed */
    struct gw_buf uploads, prefixes;
};

static void s3_uploads_page_free(struct s3_uploads_page *pg)
{
    free(pg->prefix);
    free(pg->delimiter);
    free(pg->key_marker);
    free(pg->id_marker);
    free(pg->next_key);
    free(pg->cp);
    gw_buf_free(&pg->uploads);
    gw_buf_free(&pg->prefixes);
}

/* The common prefix key rolls up into (malloc'd), or NULL if none. */
static char *s3_uploads_rollup(const struct s3_uploads_page *pg,
                               const char *key, int *err)
{
    size_t plen = pg->prefix ? strlen(pg->prefix) : 0;
    const char *d;
    char *cp;

    *err = 0;
    if (!pg->delimiter || !pg->delimiter[0])
        return NULL;
    d = strstr(key + plen, pg->delimiter);
    if (!d)
        return NULL;
    cp = strndup(key, (size_t)(d - key) + strlen(pg->delimiter));
    if (!cp)
        *err = -ENOMEM;
    return cp;
}

static int s3_uploads_emit(struct s3_uploads_page *pg,
                           const struct st_upload *up, char *cp)
{
    char t[32];

    free(pg->next_key);
    pg->next_key = strdup(cp ? cp : up->key);
    pg->next_id[0] = '\0';
    pg->count++;
    if (cp) {
        free(pg->cp);
        pg->cp = cp;
        gw_buf_adds(&pg->prefixes, "<CommonPrefixes>");
        s3_xml_key(&pg->prefixes, "Prefix", cp, pg->url);
        gw_buf_adds(&pg->prefixes, "</CommonPrefixes>");
        return pg->next_key ? pg->prefixes.err : -ENOMEM;
    }
    memcpy(pg->next_id, up->id, ST_UPLOAD_ID);
    s3_time_iso(up->created_ms, t);
    gw_buf_adds(&pg->uploads, "<Upload>");
    s3_xml_key(&pg->uploads, "Key", up->key, pg->url);
    s3_xml_elem(&pg->uploads, "UploadId", up->id);
    gw_buf_adds(&pg->uploads, s3_owner_xml);
    s3_xml_elem(&pg->uploads, "Initiated", t);
    gw_buf_adds(&pg->uploads, "</Upload>");
    return pg->next_key ? pg->uploads.err : -ENOMEM;
}

static int s3_uploads_item(const struct st_upload *up, void *arg)
{
    struct s3_uploads_page *pg = arg;
    int err;
    char *cp = s3_uploads_rollup(pg, up->key, &err);

    if (err)
        return err;
    /* Uploads under a prefix already listed, on this page or (as the
     * key marker) on an earlier one, are rolled up in it. */
    if (cp && ((pg->cp && strcmp(cp, pg->cp) == 0) ||
               (pg->key_marker && strcmp(cp, pg->key_marker) <= 0))) {
        free(cp);
        return 0;
    }
    if (pg->count == pg->max) {
        free(cp);
        pg->truncated = 1;
        return 1;
    }
    return s3_uploads_emit(pg, up, cp);
}

static int s3_uploads_params(struct s3_op *op, struct s3_uploads_page *pg)
{
    long max = S3_LIST_MAX;

    if (s3_query_int(op, "max-uploads", 0, 0x7fffffff, &max) < 0) {
        s3_error(op, 400, "InvalidArgument",
                 "max-uploads must be a number from 0");
        return -1;
    }
    pg->max = max > S3_LIST_MAX ? S3_LIST_MAX : (int)max;
    if (s3_query(op->req, "prefix", &pg->prefix) < 0 ||
        s3_query(op->req, "delimiter", &pg->delimiter) < 0 ||
        s3_query(op->req, "key-marker", &pg->key_marker) < 0 ||
        s3_query(op->req, "upload-id-marker", &pg->id_marker) < 0) {
        s3_error(op, 500, "InternalError", "out of memory");
        return -1;
    }
    return s3_encoding_type(op, &pg->url);
}

static void s3_uploads_head(struct s3_op *op, const struct s3_uploads_page *pg,
                            struct gw_buf *b)
{
    gw_buf_adds(b, S3_XML_HEAD "<ListMultipartUploadsResult xmlns=\"" S3_XMLNS
                               "\">");
    s3_xml_elem(b, "Bucket", op->bucket);
    s3_xml_key(b, "KeyMarker", pg->key_marker ? pg->key_marker : "", pg->url);
    s3_xml_elem(b, "UploadIdMarker", pg->id_marker ? pg->id_marker : "");
    if (pg->truncated && pg->next_key) {
        s3_xml_key(b, "NextKeyMarker", pg->next_key, pg->url);
        s3_xml_elem(b, "NextUploadIdMarker", pg->next_id);
    }
    s3_xml_key(b, "Prefix", pg->prefix ? pg->prefix : "", pg->url);
    if (pg->delimiter)
        s3_xml_key(b, "Delimiter", pg->delimiter, pg->url);
    gw_buf_addf(b, "<MaxUploads>%d</MaxUploads>", pg->max);
    if (pg->url)
        gw_buf_adds(b, "<EncodingType>url</EncodingType>");
    gw_buf_addf(b, "<IsTruncated>%s</IsTruncated>",
                pg->truncated ? "true" : "false");
}

void s3_uploads_list(struct s3_op *op)
{
    struct s3_uploads_page pg = {0};
    struct st_upload_query q = {0};
    struct gw_buf b = {0};
    int rc;

    if (s3_uploads_params(op, &pg) < 0)
        goto out;
    q.bucket = op->bucket;
    q.prefix = pg.prefix;
    q.key_marker = pg.key_marker;
    q.id_marker = pg.id_marker && pg.id_marker[0] ? pg.id_marker : NULL;
    rc = st_upload_list(op->st, &q, s3_uploads_item, &pg);
    if (rc < 0) {
        s3_store_error(op, rc == -EINVAL ? -ENOENT : rc);
        goto out;
    }
    s3_uploads_head(op, &pg, &b);
    gw_buf_add(&b, pg.uploads.data, pg.uploads.len);
    gw_buf_add(&b, pg.prefixes.data, pg.prefixes.len);
    gw_buf_adds(&b, "</ListMultipartUploadsResult>\n");
    if (pg.uploads.err || pg.prefixes.err)
        b.err = -ENOMEM;
    s3_xml_reply(op, 200, &b);
out:
    s3_uploads_page_free(&pg);
}
