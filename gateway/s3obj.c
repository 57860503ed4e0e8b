/* s3obj.c: the S3 object operations: put, copy, get, head, delete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "gateway/checksum.h"
#include "gateway/s3_int.h"
#include "gateway/url.h"

#define S3_DELETE_MAX 1000
#define S3_DEFAULT_TYPE "binary/octet-stream"

/* ---- Checks ------------------------------------------------------------- */

int s3_check_key(struct s3_op *op)
{
    if (strlen(op->key) > ST_KEY_MAX) {
        s3_error(op, 400, "KeyTooLongError", "Your key is too long");
        return -1;
    }
    if (!st_key_valid(op->key)) {
        s3_error(op, 400, "InvalidArgument", "keys must be UTF-8");
        return -1;
    }
    return 0;
}

int s3_check_md5(struct s3_op *op)
{
    const char *want = gw_http_header(op->req, "content-md5");
    unsigned char got[16], dec[20];
    unsigned int n = 0;

    if (!want)
        return 0;
    if (strlen(want) != 24 ||
        EVP_DecodeBlock(dec, (const unsigned char *)want, 24) != 18) {
        s3_error(op, 400, "InvalidDigest",
                 "The Content-MD5 you specified was invalid.");
        return -1;
    }
    EVP_Digest(op->body, op->body_len, got, &n, EVP_md5(), NULL);
    if (memcmp(got, dec, 16) != 0) {
        s3_error(op, 400, "BadDigest",
                 "The Content-MD5 you specified did not match what we "
                 "received.");
        return -1;
    }
    return 0;
}

/* Headers of the x-amz-checksum- family that carry no body checksum. */
static int s3_cksum_other(const char *lname)
{
    return strcmp(lname, "x-amz-checksum-algorithm") == 0 ||
           strcmp(lname, "x-amz-checksum-mode") == 0 ||
           strcmp(lname, "x-amz-checksum-type") == 0;
}

/* Finds the one checksum among packed "name\0value\0" pairs and sets
 * op->cksum_*. Returns 0, or -1 after answering (two checksums, or one of
 * an algorithm this server does not know). */
static int s3_cksum_find(struct s3_op *op, const char *p, size_t len)
{
    const char *end = p + len, *v;
    int alg;

    for (; p && p < end; p = v + strlen(v) + 1) {
        v = p + strlen(p) + 1;
        if (strncmp(p, "x-amz-checksum-", 15) != 0 || s3_cksum_other(p))
            continue;
        alg = gw_cksum_from_header(p);
        if (alg < 0) {
            s3_error(op, 400, "InvalidRequest",
                     "The checksum algorithm is not supported: use CRC32, "
                     "CRC32C, CRC64NVME, SHA1 or SHA256");
            return -1;
        }
        if (op->cksum_alg >= 0) {
            s3_error(op, 400, "InvalidRequest",
                     "Expecting a single x-amz-checksum- header. Multiple "
                     "checksum Types are not allowed.");
            return -1;
        }
        op->cksum_alg = alg;
        op->cksum_b64 = v;
    }
    return 0;
}

int s3_check_checksum(struct s3_op *op)
{
    char msg[96];
    int rc;

    op->cksum_alg = -1;
    if (s3_cksum_find(op, op->req->headers, op->req->headers_len) < 0 ||
        s3_cksum_find(op, op->trailers, op->trailers_len) < 0)
        return -1;
    if (op->cksum_alg < 0)
        return 0;
    rc = gw_cksum_check(op->cksum_alg, op->body ? op->body : "", op->body_len,
                        op->cksum_b64);
    if (rc == 0)
        return 0;
    if (rc == -EINVAL) {
        snprintf(msg, sizeof(msg), "Value for %s header is invalid.",
                 gw_cksum_header(op->cksum_alg));
        s3_error(op, 400, "InvalidRequest", msg);
    } else if (rc == 1) {
        snprintf(msg, sizeof(msg),
                 "The %s you specified did not match the calculated "
                 "checksum.",
                 gw_cksum_name(op->cksum_alg));
        s3_error(op, 400, "BadDigest", msg);
    } else {
        s3_error(op, 500, "InternalError", "cannot compute the checksum");
    }
    return -1;
}

void s3_checksum_reply(struct s3_op *op)
{
    if (op->cksum_alg >= 0)
        gw_reply_header(op->rep, gw_cksum_header(op->cksum_alg), "%s",
                        op->cksum_b64);
}

/* ---- Writes ------------------------------------------------------------- */

static void s3_put_result(struct s3_op *op, int rc)
{
    if (rc == -ENOENT || rc == -EINVAL)
        s3_error(op, 404, "NoSuchBucket", NULL);
    else if (rc < 0)
        s3_store_error(op, rc);
}

void s3_object_put(struct s3_op *op)
{
    struct st_put opt = {
        .content_type = gw_http_header(op->req, "content-type"),
    };
    struct st_object obj;
    char *tags = NULL, *meta = NULL;
    int events = 0, rc;

    if (s3_check_key(op) < 0 || s3_check_md5(op) < 0 ||
        s3_meta_header(op, &meta) < 0)
        return;
    if (s3_tags_header(op, &tags) < 0) {
        free(meta);
        return;
    }
    opt.tags = tags;
    opt.meta = meta;
    rc = st_object_put(op->st, op->bucket, op->key, op->body, op->body_len,
                       &opt, &obj, &events);
    free(tags);
    free(meta);
    if (rc < 0) {
        s3_put_result(op, rc);
        return;
    }
    op->rep->events = events;
    gw_reply_header(op->rep, "ETag", "\"%s\"", obj.etag);
    s3_checksum_reply(op);
    st_object_clear(&obj);
    s3_empty_reply(op, 200);
}

static int read_all(int fd, char *buf, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = read(fd, buf, len);
        if (n <= 0)
            return n == 0 ? -EIO : -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int s3_copy_source(const char *src, char **bucket, char **key)
{
    size_t n = strcspn(src, "?");
    char *s = gw_url_decode(src, n, 0, &n), *p, *slash;

    if (!s)
        return -ENOMEM;
    p = s + (s[0] == '/');
    slash = strchr(p, '/');
    if (!slash || !slash[1] || strlen(s) != n) {
        free(s);
        return -EINVAL;
    }
    *slash = '\0';
    *bucket = strdup(p);
    *key = strdup(slash + 1);
    free(s);
    if (!*bucket || !*key) {
        free(*bucket);
        free(*key);
        return -ENOMEM;
    }
    return 0;
}

/* Reads the whole source object into memory. */
static int s3_copy_read(struct s3_op *op, const char *bucket, const char *key,
                        struct st_object *obj, char **data)
{
    int fd, rc;

    rc = st_object_open(op->st, bucket, key, obj, &fd);
    if (rc < 0)
        return rc;
    if (obj->size > op->s3->cfg.max_object) {
        rc = -EFBIG;
        goto close_fd;
    }
    *data = malloc(obj->size + 1);
    rc = *data ? read_all(fd, *data, obj->size) : -ENOMEM;
    if (rc < 0) {
        free(*data);
        *data = NULL;
    }
close_fd:
    close(fd);
    if (rc < 0)
        st_object_clear(obj);
    return rc;
}

static void s3_copy_reply(struct s3_op *op, const struct st_object *dst)
{
    struct gw_buf b = {0};
    char t[32];

    s3_time_iso(dst->modified_ms, t);
    gw_buf_adds(&b, S3_XML_HEAD "<CopyObjectResult xmlns=\"" S3_XMLNS "\">");
    s3_xml_elem(&b, "LastModified", t);
    gw_buf_addf(&b, "<ETag>&quot;%s&quot;</ETag></CopyObjectResult>\n",
                dst->etag);
    s3_xml_reply(op, 200, &b);
}

/* The copy's tags: the source's, or with x-amz-tagging-directive REPLACE
 * the request's. Returns 0, or -1 after answering. */
static int s3_copy_tags(struct s3_op *op, const char *sb, const char *sk,
                        char **tags)
{
    const char *d = gw_http_header(op->req, "x-amz-tagging-directive");
    int rc;

    if (d && strcasecmp(d, "REPLACE") == 0)
        return s3_tags_header(op, tags);
    rc = st_object_tags_get(op->st, sb, sk, tags);
    if (rc == -ENOENT) {
        *tags = NULL;
        return 0;
    }
    if (rc < 0) {
        s3_store_error(op, rc);
        return -1;
    }
    return 0;
}

/* The copy's content type and metadata in opt: the source's, or with
 * x-amz-metadata-directive REPLACE the request's (then *meta holds them,
 * malloc'd). Returns 0, or -1 after answering. */
static int s3_copy_meta(struct s3_op *op, const struct st_object *src,
                        struct st_put *opt, char **meta)
{
    const char *d = gw_http_header(op->req, "x-amz-metadata-directive");

    *meta = NULL;
    if (!d || strcasecmp(d, "COPY") == 0) {
        opt->content_type = src->content_type;
        opt->meta = src->meta;
        return 0;
    }
    if (strcasecmp(d, "REPLACE") != 0) {
        s3_error(op, 400, "InvalidArgument", "Unknown metadata directive.");
        return -1;
    }
    if (s3_meta_header(op, meta) < 0)
        return -1;
    opt->content_type = gw_http_header(op->req, "content-type");
    opt->meta = *meta;
    return 0;
}

void s3_object_copy(struct s3_op *op, const char *source)
{
    struct st_object src, dst;
    struct st_put opt = {.event = "ObjectCreated:Copy"};
    char *sb = NULL, *sk = NULL, *data = NULL, *tags = NULL, *meta = NULL;
    int events = 0, rc;

    if (s3_check_key(op) < 0)
        return;
    rc = s3_copy_source(source, &sb, &sk);
    if (rc < 0) {
        s3_error(op, 400, "InvalidArgument",
                 "x-amz-copy-source must be bucket/key");
        return;
    }
    rc = s3_copy_read(op, sb, sk, &src, &data);
    if (rc == -ENOENT)
        s3_not_found(op, sb, "NoSuchKey");
    else if (rc == -EFBIG)
        s3_error(op, 400, "EntityTooLarge", NULL);
    else if (rc < 0)
        s3_store_error(op, rc);
    if (rc == 0 && (s3_copy_meta(op, &src, &opt, &meta) < 0 ||
                    s3_copy_tags(op, sb, sk, &tags) < 0)) {
        free(meta);
        free(data);
        st_object_clear(&src);
        rc = -1;
    }
    free(sb);
    free(sk);
    if (rc < 0)
        return;

    opt.tags = tags;
    rc = st_object_put(op->st, op->bucket, op->key, data, src.size, &opt, &dst,
                       &events);
    free(tags);
    free(meta);
    free(data);
    st_object_clear(&src);
    if (rc < 0) {
        s3_put_result(op, rc);
        return;
    }
    op->rep->events = events;
    s3_copy_reply(op, &dst);
    st_object_clear(&dst);
}

/* ---- Reads -------------------------------------------------------------- */

struct s3_range {
    uint64_t first, last; /* inclusive */
    int partial;          /* a Range header applied */
};

/* "bytes=a-b", "bytes=a-" or "bytes=-n". Returns 0, 1 if unsatisfiable,
 * or 0 with no range for forms this server ignores (several ranges). */
static int s3_parse_range(const char *h, uint64_t size, struct s3_range *r)
{
    unsigned long long a, b;
    int n = 0;

    r->first = 0;
    r->last = size ? size - 1 : 0;
    r->partial = 0;
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    h += 6;
    if (sscanf(h, "-%llu%n", &b, &n) == 1 && !h[n]) {
        if (b == 0 || size == 0)
            return 1;
        r->first = b >= size ? 0 : size - b;
    } else if (sscanf(h, "%llu-%n", &a, &n) == 1 && !h[n]) {
        if (a >= size)
            return 1;
        r->first = a;
    } else if (sscanf(h, "%llu-%llu%n", &a, &b, &n) == 2 && !h[n] && a <= b) {
        if (a >= size)
            return 1;
        r->first = a;
        r->last = b < size ? b : size - 1;
    } else {
        return 0;
    }
    r->partial = 1;
    return 0;
}

struct s3_map {
    void *addr;
    size_t len;
};

static void s3_unmap(void *arg)
{
    struct s3_map *m = arg;

    munmap(m->addr, m->len);
    free(m);
}

/* Maps [first, first + len) of the file as the reply body: the loop thread
 * sends it straight from the page cache. */
static int s3_map_body(struct gw_reply *rep, int fd, uint64_t first, size_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t start = first - first % (uint64_t)page;
    struct s3_map *m = malloc(sizeof(*m));

    if (!m)
        return -ENOMEM;
    m->len = (size_t)(first - start) + len;
    m->addr = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, (off_t)start);
    if (m->addr == MAP_FAILED) {
        free(m);
        return -errno;
    }
    rep->body = (char *)m->addr + (first - start);
    rep->len = len;
    rep->release = s3_unmap;
    rep->mapped = 1;
    rep->release_arg = m;
    return 0;
}

/* Returns 0, or -1 after answering. */
static int s3_object_headers(struct s3_op *op, const struct st_object *o)
{
    char t[40];

    if (s3_meta_reply(op, o->content_type, o->meta, S3_DEFAULT_TYPE) < 0)
        return -1;
    s3_time_http(o->modified_ms, t);
    gw_reply_header(op->rep, "ETag", "\"%s\"", o->etag);
    gw_reply_header(op->rep, "Last-Modified", "%s", t);
    gw_reply_header(op->rep, "Accept-Ranges", "bytes");
    return 0;
}

static void s3_send_body(struct s3_op *op, int fd, const struct st_object *o,
                         const struct s3_range *r)
{
    size_t len = o->size ? (size_t)(r->last - r->first + 1) : 0;
    int rc;

    if (s3_object_headers(op, o) < 0)
        return;
    if (r->partial)
        gw_reply_header(op->rep, "Content-Range", "bytes %llu-%llu/%llu",
                        (unsigned long long)r->first,
                        (unsigned long long)r->last,
                        (unsigned long long)o->size);
    op->rep->status = r->partial ? 206 : 200;
    op->rep->len = len;
    if (op->req->head || len == 0)
        return; /* HEAD: Content-Length says the size, nothing is sent */
    rc = s3_map_body(op->rep, fd, r->first, len);
    if (rc < 0)
        s3_store_error(op, rc);
}

void s3_object_get(struct s3_op *op)
{
    struct st_object o;
    struct s3_range r;
    int fd, rc;

    rc = st_object_open(op->st, op->bucket, op->key, &o, &fd);
    if (rc == -ENOENT || rc == -EINVAL) {
        s3_not_found(op, op->bucket, "NoSuchKey");
        return;
    }
    if (rc < 0) {
        s3_store_error(op, rc);
        return;
    }
    if (s3_parse_range(gw_http_header(op->req, "range"), o.size, &r)) {
        gw_reply_header(op->rep, "Content-Range", "bytes */%llu",
                        (unsigned long long)o.size);
        s3_error(op, 416, "InvalidRange",
                 "The requested range is not satisfiable");
    } else {
        s3_send_body(op, fd, &o, &r);
    }
    close(fd);
    st_object_clear(&o);
}

/* The ACL of an object that exists. */
void s3_object_acl(struct s3_op *op, const char *xml)
{
    struct st_object o;
    struct gw_buf b = {0};
    int rc = st_object_get(op->st, op->bucket, op->key, &o);

    if (rc == -ENOENT || rc == -EINVAL) {
        s3_not_found(op, op->bucket, "NoSuchKey");
        return;
    }
    if (rc < 0) {
        s3_store_error(op, rc);
        return;
    }
    st_object_clear(&o);
    gw_buf_adds(&b, xml);
    s3_xml_reply(op, 200, &b);
}

/* ---- Deletes ------------------------------------------------------------ */

void s3_object_delete(struct s3_op *op)
{
    int events = 0, rc;

    rc = st_object_delete(op->st, op->bucket, op->key, &events);
    if (rc == -ENOENT && st_bucket_exists(op->st, op->bucket) == -ENOENT) {
        s3_error(op, 404, "NoSuchBucket", NULL);
        return;
    }
    if (rc < 0 && rc != -ENOENT) {
        s3_store_error(op, rc);
        return;
    }
    op->rep->events = events;
    s3_empty_reply(op, 204);
}

char *s3_xml_unescape(const char *s, size_t n)
{
    static const char *const ent[][2] = {{"&amp;", "&"},
                                         {"&lt;", "<"},
                                         {"&gt;", ">"},
                                         {"&quot;", "\""},
                                         {"&apos;", "'"}};
    struct gw_buf b = {0};
    size_t i, k;
    unsigned long cp;
    char *end;

    for (i = 0; i < n; i++) {
        for (k = 0; s[i] == '&' && k < 5; k++)
            if (strncmp(s + i, ent[k][0], strlen(ent[k][0])) == 0)
                break;
        if (s[i] == '&' && k < 5) {
            gw_buf_adds(&b, ent[k][1]);
            i += strlen(ent[k][0]) - 1;
        } else if (s[i] == '&' && s[i + 1] == '#' &&
                   (cp = strtoul(s + i + 2 + (s[i + 2] == 'x'), &end,
                                 s[i + 2] == 'x' ? 16 : 10)) > 0 &&
                   cp < 0x80 && *end == ';') {
            gw_buf_addc(&b, (char)cp);
            i = (size_t)(end - s);
        } else {
            gw_buf_addc(&b, s[i]);
        }
    }
    if (b.err) {
        gw_buf_free(&b);
        return NULL;
    }
    return b.data ? b.data : strdup("");
}

/* Deletes one key of a DeleteObjects request and reports it. */
static void s3_delete_one(struct s3_op *op, const char *key, int quiet,
                          struct gw_buf *out)
{
    int events = 0, rc = st_object_delete(op->st, op->bucket, key, &events);

    op->rep->events += events;
    if (rc == 0 || rc == -ENOENT) {
        if (!quiet) {
            gw_buf_adds(out, "<Deleted>");
            s3_xml_elem(out, "Key", key);
            gw_buf_adds(out, "</Deleted>");
        }
        return;
    }
    gw_buf_adds(out, "<Error>");
    s3_xml_elem(out, "Key", key);
    s3_xml_elem(out, "Code", "InternalError");
    s3_xml_elem(out, "Message", strerror(-rc));
    gw_buf_adds(out, "</Error>");
}

/* Walks the <Key> elements of the request body, deleting each unless
 * `dry`. Returns the number of keys, or -1 for a body that is not a
 * Delete document. */
static int s3_delete_keys(struct s3_op *op, int quiet, int dry,
                          struct gw_buf *out)
{
    const char *p = op->body, *end = p + op->body_len, *k, *e;
    char *key;
    int n = 0;

    if (!memmem(p, op->body_len, "<Delete", 7))
        return -1;
    while ((k = memmem(p, (size_t)(end - p), "<Key>", 5))) {
        k += 5;
        e = memmem(k, (size_t)(end - k), "</Key>", 6);
        if (!e || ++n > S3_DELETE_MAX)
            return -1;
        key = s3_xml_unescape(k, (size_t)(e - k));
        if (!key)
            return -1;
        if (!dry)
            s3_delete_one(op, key, quiet, out);
        free(key);
        p = e + 6;
    }
    return n;
}

void s3_objects_delete(struct s3_op *op)
{
    struct gw_buf b = {0};
    int quiet, rc;

    rc = st_bucket_exists(op->st, op->bucket);
    if (rc < 0) {
        s3_store_error(op, rc);
        return;
    }
    if (s3_check_md5(op) < 0)
        return;
    quiet = memmem(op->body, op->body_len, "<Quiet>true</Quiet>", 19) != 0;
    gw_buf_adds(&b, S3_XML_HEAD "<DeleteResult xmlns=\"" S3_XMLNS "\">");
    /* The whole document is checked before the first key goes. */
    if (s3_delete_keys(op, quiet, 1, &b) <= 0) {
        gw_buf_free(&b);
        s3_error(op, 400, "MalformedXML",
                 "The XML you provided was not well-formed or did not "
                 "validate against our published schema");
        return;
    }
    s3_delete_keys(op, quiet, 0, &b);
    gw_buf_adds(&b, "</DeleteResult>\n");
    s3_xml_reply(op, 200, &b);
}
