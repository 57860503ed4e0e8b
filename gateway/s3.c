/* s3.c: the S3 listener: authentication, routing, buckets and errors. */
#include "gateway/s3.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <llhttp.h>

#include "gateway/log.h"
#include "gateway/s3_int.h"
#include "gateway/sigv4.h"
#include "gateway/url.h"

/* Requests other than object uploads carry small XML bodies at most; the
 * part list that completes a multipart upload can hold 10000 parts. */
#define S3_SMALL_BODY (1u << 20)
#define S3_COMPLETE_BODY (4u << 20)
/* aws-chunked framing adds ~90 bytes per chunk (64 KiB at least, except
 * the last): room for it on top of the largest object. */
#define S3_CHUNK_SLACK(n) ((n) / 512 + 65536)

/* Bucket configurations this server never has: reading one gets S3's
 * "there is none" answer, which clients (s3cmd info) expect. */
static const struct {
    const char *sub, *code, *msg;
} bucket_none[] = {
    {"policy", "NoSuchBucketPolicy", "The bucket policy does not exist"},
    {"cors", "NoSuchCORSConfiguration",
     "The CORS configuration does not exist"},
    {"lifecycle", "NoSuchLifecycleConfiguration",
     "The lifecycle configuration does not exist"},
    {"website", "NoSuchWebsiteConfiguration",
     "The specified bucket does not have a website configuration"},
    {"tagging", "NoSuchTagSet", "The TagSet does not exist"},
};

/* Sub-resources this server does not implement. */
static const char *const bucket_unsupported[] = {
    "logging",
    "notification",
    "encryption",
    "replication",
    "object-lock",
    "ownershipControls",
    "publicAccessBlock",
    "accelerate",
    "requestPayment",
    "analytics",
    "inventory",
    "metrics",
    "intelligent-tiering",
    "versions",
    "policyStatus",
};
static const char *const object_unsupported[] = {
    "retention", "legal-hold", "torrent", "restore", "select", "attributes",
};

/* Every bucket and object belongs to the one key, with full control. */
static const char s3_acl[] = S3_XML_HEAD
    "<AccessControlPolicy xmlns=\"" S3_XMLNS "\"><Owner><ID>" S3_OWNER
    "</ID><DisplayName>" S3_OWNER "</DisplayName></Owner>"
    "<AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/"
    "2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>" S3_OWNER
    "</ID><DisplayName>" S3_OWNER "</DisplayName></Grantee><Permission>"
    "FULL_CONTROL</Permission></Grant></AccessControlList>"
    "</AccessControlPolicy>\n";

/* ---- Helpers ------------------------------------------------------------ */

void s3_xml_add(struct gw_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '&')
            gw_buf_adds(b, "&amp;");
        else if (c == '<')
            gw_buf_adds(b, "&lt;");
        else if (c == '>')
            gw_buf_adds(b, "&gt;");
        else if (c == '"')
            gw_buf_adds(b, "&quot;");
        else if (c == '\'')
            gw_buf_adds(b, "&apos;");
        else if (c < 0x20)
            gw_buf_addf(b, "&#x%x;", c);
        else
            gw_buf_addc(b, (char)c);
    }
}

void s3_xml_elem(struct gw_buf *b, const char *name, const char *text)
{
    gw_buf_addf(b, "<%s>", name);
    s3_xml_add(b, text);
    gw_buf_addf(b, "</%s>", name);
}

void s3_xml_key(struct gw_buf *b, const char *name, const char *text, int url)
{
    char *e;

    if (!url) {
        s3_xml_elem(b, name, text);
        return;
    }
    e = gw_url_encode(text, strlen(text), GW_URL_KEEP_SLASH);
    if (!e) {
        b->err = -ENOMEM;
        return;
    }
    s3_xml_elem(b, name, e);
    free(e);
}

int s3_encoding_type(struct s3_op *op, int *url)
{
    char *enc = NULL;
    int bad;

    if (s3_query(op->req, "encoding-type", &enc) < 0) {
        s3_error(op, 500, "InternalError", "out of memory");
        return -1;
    }
    bad = enc && strcmp(enc, "url") != 0;
    *url = enc && !bad;
    free(enc);
    if (bad) {
        s3_error(op, 400, "InvalidArgument",
                 "Invalid Encoding Method specified in Request");
        return -1;
    }
    return 0;
}

static void s3_tm(int64_t ms, struct tm *tm)
{
    time_t t = (time_t)(ms / 1000);

    gmtime_r(&t, tm);
}

void s3_time_iso(int64_t ms, char out[32])
{
    struct tm tm;
    char base[24];

    s3_tm(ms, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%03dZ", base, (int)(ms % 1000));
}

void s3_time_http(int64_t ms, char out[40])
{
    struct tm tm;

    s3_tm(ms, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Decodes a query value: %XX escapes, and '+' as a space (form
 * encoding, which some clients use in S3 query strings). */
/* Query values are form-encoded: '+' is a space, "%2B" a plus. */
static char *s3_query_decode(const char *s, size_t n)
{
    return gw_url_decode(s, n, GW_URL_PLUS, NULL);
}

int s3_query(const struct gw_http_req *req, const char *name, char **out)
{
    size_t nlen = strlen(name), plen;
    const char *p, *amp;

    for (p = req->query; p && *p; p = amp ? amp + 1 : NULL) {
        amp = strchr(p, '&');
        plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen < nlen || strncmp(p, name, nlen) != 0 ||
            (plen > nlen && p[nlen] != '='))
            continue;
        *out = plen > nlen ? s3_query_decode(p + nlen + 1, plen - nlen - 1)
                           : strdup("");
        return *out ? 1 : -ENOMEM;
    }
    *out = NULL;
    return 0;
}

int s3_query_has(const struct gw_http_req *req, const char *name)
{
    char *v = NULL;
    int rc = s3_query(req, name, &v);

    free(v);
    return rc != 0;
}

static int s3_query_any(const struct gw_http_req *req, const char *const *names,
                        size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s3_query_has(req, names[i]))
            return 1;
    return 0;
}

/* ---- Answers ------------------------------------------------------------ */

static const char *s3_default_message(const char *code)
{
    static const struct {
        const char *code, *msg;
    } msgs[] = {
        {"NoSuchBucket", "The specified bucket does not exist"},
        {"NoSuchKey", "The specified key does not exist."},
        {"BucketNotEmpty", "The bucket you tried to delete is not empty"},
        {"BucketAlreadyOwnedByYou",
         "Your previous request to create the named bucket succeeded and "
         "you already own it."},
        {"InvalidBucketName", "The specified bucket is not valid."},
        {"NotImplemented", "A header or query you provided implies "
                           "functionality that is not implemented."},
        {"InternalError", "We encountered an internal error. Please try "
                          "again."},
        {"AccessDenied", "Access Denied"},
        {"NoSuchUpload", "The specified upload does not exist. The upload "
                         "ID may be invalid, or the upload may have been "
                         "aborted or completed."},
    };
    size_t i;

    for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
        if (strcmp(code, msgs[i].code) == 0)
            return msgs[i].msg;
    return code;
}

void s3_xml_reply(struct s3_op *op, int status, struct gw_buf *xml)
{
    struct gw_reply *rep = op->rep;

    if (xml->err) {
        gw_buf_free(xml);
        s3_error(op, 500, "InternalError", "out of memory");
        return;
    }
    rep->status = status;
    rep->body = gw_buf_steal(xml, &rep->len);
    gw_reply_header(rep, "Content-Type", "application/xml");
}

void s3_empty_reply(struct s3_op *op, int status)
{
    op->rep->status = status;
    op->rep->body = NULL;
    op->rep->len = 0;
}

void s3_error(struct s3_op *op, int status, const char *code,
              const char *message)
{
    struct gw_buf b = {0};

    free(op->rep->body);
    op->rep->body = NULL;
    gw_buf_adds(&b, S3_XML_HEAD "<Error>");
    s3_xml_elem(&b, "Code", code);
    s3_xml_elem(&b, "Message", message ? message : s3_default_message(code));
    if (op->bucket[0])
        s3_xml_elem(&b, "BucketName", op->bucket);
    if (op->key)
        s3_xml_elem(&b, "Key", op->key);
    s3_xml_elem(&b, "Resource", op->req->path);
    s3_xml_elem(&b, "RequestId", op->req->id);
    gw_buf_adds(&b, "</Error>\n");
    if (b.err) {
        gw_buf_free(&b);
        s3_empty_reply(op, 500);
        return;
    }
    op->rep->status = status;
    op->rep->body = gw_buf_steal(&b, &op->rep->len);
    gw_reply_header(op->rep, "Content-Type", "application/xml");
}

void s3_not_found(struct s3_op *op, const char *bucket, const char *code)
{
    s3_error(op, 404,
             st_bucket_exists(op->st, bucket) == -ENOENT ? "NoSuchBucket"
                                                         : code,
             NULL);
}

void s3_store_error(struct s3_op *op, int rc)
{
    char msg[96];

    switch (rc) {
    case -ENOENT: s3_error(op, 404, "NoSuchBucket", NULL); return;
    case -EBUSY:
        s3_error(op, 503, "SlowDown", "Please reduce your request rate.");
        return;
    case -ENOSPC:
        s3_error(op, 507, "InternalError", "no space left on the server");
        return;
    default:
        snprintf(msg, sizeof(msg), "store: %s", strerror(-rc));
        s3_error(op, 500, "InternalError", msg);
    }
}

/* ---- Authentication ----------------------------------------------------- */

static void s3_auth_error(struct s3_op *op, const struct gw_sigv4_result *r)
{
    const char *query_code = gw_http_header(op->req, "authorization")
                                 ? "AuthorizationHeaderMalformed"
                                 : "AuthorizationQueryParametersError";

    switch (r->status) {
    case GW_SIGV4_ANONYMOUS:
    case GW_SIGV4_EXPIRED: s3_error(op, 403, "AccessDenied", r->detail); return;
    case GW_SIGV4_UNKNOWN_KEY:
        s3_error(op, 403, "InvalidAccessKeyId", r->detail);
        return;
    case GW_SIGV4_MISMATCH:
        s3_error(op, 403, "SignatureDoesNotMatch", r->detail);
        return;
    case GW_SIGV4_SKEWED:
        s3_error(op, 403, "RequestTimeTooSkewed", r->detail);
        return;
    case GW_SIGV4_PAYLOAD_HASH:
        s3_error(op, 400, "XAmzContentSHA256Mismatch", r->detail);
        return;
    case GW_SIGV4_CHUNK:
        s3_error(op, strstr(r->detail, "signature") ? 403 : 400,
                 strstr(r->detail, "signature") ? "SignatureDoesNotMatch"
                                                : "IncompleteBody",
                 r->detail);
        return;
    case GW_SIGV4_TRAILER:
        s3_error(op, 400, "MalformedTrailerError", r->detail);
        return;
    case GW_SIGV4_UNSUPPORTED:
        s3_error(op, 400, "InvalidRequest", r->detail);
        return;
    default: s3_error(op, 400, query_code, r->detail);
    }
}

/* Returns 0 if the request is signed by our key; else answers it. The
 * decoded payload, if any, stays in *res for the operation. */
static int s3_authenticate(struct s3_op *op, struct gw_sigv4_result *res)
{
    const struct gw_http_req *req = op->req;
    struct gw_sigv4_request sr = {
        .method = req->method,
        .path = req->path,
        .query = req->query,
        .headers = req->headers,
        .headers_len = req->headers_len,
        .body = req->body,
        .body_len = req->body_len,
    };
    struct gw_sigv4_key key = {op->s3->cfg.cred.access_key_id,
                               op->s3->cfg.cred.secret};
    int rc = gw_sigv4_verify(&sr, &key, time(NULL), res);

    if (rc == -ENOMEM) {
        s3_error(op, 500, "InternalError", "out of memory");
        return -1;
    }
    if (rc != GW_SIGV4_OK) {
        s3_auth_error(op, res);
        return -1;
    }
    op->body = res->payload ? res->payload : req->body;
    op->body_len = res->payload ? res->payload_len : req->body_len;
    op->trailers = res->trailers;
    op->trailers_len = res->trailers_len;
    return 0;
}

/* ---- Buckets ------------------------------------------------------------ */

static int s3_add_bucket(const char *name, int64_t created_ms, void *arg)
{
    struct gw_buf *b = arg;
    char t[32];

    s3_time_iso(created_ms, t);
    gw_buf_adds(b, "<Bucket>");
    s3_xml_elem(b, "Name", name);
    s3_xml_elem(b, "CreationDate", t);
    gw_buf_adds(b, "</Bucket>");
    return b->err;
}

static void s3_list_buckets(struct s3_op *op)
{
    struct gw_buf b = {0};
    int rc;

    gw_buf_adds(&b, S3_XML_HEAD "<ListAllMyBucketsResult xmlns=\"" S3_XMLNS
                                "\"><Owner><ID>" S3_OWNER
                                "</ID><DisplayName>" S3_OWNER
                                "</DisplayName></Owner><Buckets>");
    rc = st_bucket_list(op->st, s3_add_bucket, &b);
    if (rc < 0) {
        gw_buf_free(&b);
        s3_store_error(op, rc);
        return;
    }
    gw_buf_adds(&b, "</Buckets></ListAllMyBucketsResult>\n");
    s3_xml_reply(op, 200, &b);
}

static void s3_bucket_create(struct s3_op *op)
{
    int rc;

    if (!st_bucket_name_valid(op->bucket)) {
        s3_error(op, 400, "InvalidBucketName", NULL);
        return;
    }
    rc = st_bucket_create(op->st, op->bucket);
    if (rc == -EEXIST) {
        s3_error(op, 409, "BucketAlreadyOwnedByYou", NULL);
        return;
    }
    if (rc < 0) {
        s3_store_error(op, rc);
        return;
    }
    gw_reply_header(op->rep, "Location", "/%s", op->bucket);
    s3_empty_reply(op, 200);
}

static void s3_bucket_delete(struct s3_op *op)
{
    int rc = st_bucket_delete(op->st, op->bucket);

    if (rc == -ENOTEMPTY)
        s3_error(op, 409, "BucketNotEmpty", NULL);
    else if (rc < 0)
        s3_store_error(op, rc);
    else
        s3_empty_reply(op, 204);
}

/* A bucket read that only needs the bucket to exist. */
static void s3_bucket_fixed(struct s3_op *op, const char *xml)
{
    struct gw_buf b = {0};
    int rc = st_bucket_exists(op->st, op->bucket);

    if (rc < 0) {
        s3_store_error(op, rc);
        return;
    }
    gw_reply_header(op->rep, "x-amz-bucket-region", S3_REGION);
    if (!xml) {
        s3_empty_reply(op, 200);
        return;
    }
    gw_buf_adds(&b, xml);
    s3_xml_reply(op, 200, &b);
}

/* Answers a read of a configuration no bucket here has; 0 if the query
 * names none of them. */
static int s3_bucket_none(struct s3_op *op)
{
    size_t i;

    for (i = 0; i < sizeof(bucket_none) / sizeof(bucket_none[0]); i++) {
        if (!s3_query_has(op->req, bucket_none[i].sub))
            continue;
        if (st_bucket_exists(op->st, op->bucket) < 0)
            s3_error(op, 404, "NoSuchBucket", NULL);
        else
            s3_error(op, 404, bucket_none[i].code, bucket_none[i].msg);
        return 1;
    }
    return 0;
}

static void s3_bucket_get(struct s3_op *op)
{
    char *lt = NULL;
    int v2;

    if (s3_query_has(op->req, "acl")) {
        s3_bucket_fixed(op, s3_acl);
        return;
    }
    if (s3_bucket_none(op))
        return;

    if (s3_query_has(op->req, "location")) {
        s3_bucket_fixed(op, S3_XML_HEAD "<LocationConstraint xmlns=\"" S3_XMLNS
                                        "\"/>\n");
        return;
    }
    if (s3_query_has(op->req, "versioning")) {
        s3_bucket_fixed(op, S3_XML_HEAD
                        "<VersioningConfiguration xmlns=\"" S3_XMLNS "\"/>\n");
        return;
    }
    if (s3_query(op->req, "list-type", &lt) < 0) {
        s3_error(op, 500, "InternalError", "out of memory");
        return;
    }
    v2 = lt && strcmp(lt, "2") == 0;
    free(lt);
    s3_list_objects(op, v2);
}

static int s3_bucket_none_named(const struct gw_http_req *req)
{
    size_t i;

    for (i = 0; i < sizeof(bucket_none) / sizeof(bucket_none[0]); i++)
        if (s3_query_has(req, bucket_none[i].sub))
            return 1;
    return 0;
}

static void s3_route_bucket(struct s3_op *op)
{
    int m = op->req->method_id;

    if (s3_query_has(op->req, "uploads") && m == HTTP_GET)
        s3_uploads_list(op);
    else if (s3_query_has(op->req, "uploads"))
        s3_error(op, 405, "MethodNotAllowed",
                 "The specified method is not allowed against this "
                 "resource.");
    else if (s3_query_any(op->req, bucket_unsupported,
                          sizeof(bucket_unsupported) / sizeof(char *)) ||
             (m != HTTP_GET &&
              (s3_query_has(op->req, "acl") || s3_bucket_none_named(op->req))))
        s3_error(op, 501, "NotImplemented", NULL);
    else if (m == HTTP_GET)
        s3_bucket_get(op);
    else if (m == HTTP_HEAD)
        s3_bucket_fixed(op, NULL);
    else if (m == HTTP_PUT)
        s3_bucket_create(op);
    else if (m == HTTP_DELETE)
        s3_bucket_delete(op);
    else if (m == HTTP_POST && s3_query_has(op->req, "delete"))
        s3_objects_delete(op);
    else
        s3_error(op, 405, "MethodNotAllowed",
                 "The specified method is not allowed against this "
                 "resource.");
}

/* Requests that name an upload (uploadId) or a part (partNumber). */
static void s3_route_upload(struct s3_op *op, const char *copy)
{
    int m = op->req->method_id;
    int id = s3_query_has(op->req, "uploadId");
    int part = s3_query_has(op->req, "partNumber");

    if (m == HTTP_PUT && id && part && copy)
        s3_upload_part_copy(op, copy);
    else if (m == HTTP_PUT && id && part)
        s3_upload_part(op);
    else if (m == HTTP_PUT)
        s3_error(op, 400, "InvalidRequest",
                 "UploadPart needs both partNumber and uploadId");
    else if (m == HTTP_POST && id)
        s3_upload_complete(op);
    else if (m == HTTP_DELETE && id)
        s3_upload_abort(op);
    else if (m == HTTP_GET && id && !part)
        s3_upload_parts(op);
    else if ((m == HTTP_GET || m == HTTP_HEAD) && !id)
        s3_error(op, 501, "NotImplemented",
                 "Reading one part of an object (partNumber) is not "
                 "implemented; use a Range");
    else
        s3_error(op, 405, "MethodNotAllowed",
                 "The specified method is not allowed against this "
                 "resource.");
}

static void s3_route_object(struct s3_op *op)
{
    int m = op->req->method_id;
    const char *copy = gw_http_header(op->req, "x-amz-copy-source");

    if (s3_query_any(op->req, object_unsupported,
                     sizeof(object_unsupported) / sizeof(char *)) ||
        (s3_query_has(op->req, "acl") && m != HTTP_GET))
        s3_error(op, 501, "NotImplemented", NULL);
    else if (s3_query_has(op->req, "tagging"))
        s3_object_tagging(op);
    else if (m == HTTP_POST && s3_query_has(op->req, "uploads"))
        s3_upload_create(op);
    else if (s3_query_has(op->req, "uploadId") ||
             s3_query_has(op->req, "partNumber"))
        s3_route_upload(op, copy);
    else if (m == HTTP_GET && s3_query_has(op->req, "acl"))
        s3_object_acl(op, s3_acl);
    else if (m == HTTP_GET || m == HTTP_HEAD)
        s3_object_get(op);
    else if (m == HTTP_PUT && copy)
        s3_object_copy(op, copy);
    else if (m == HTTP_PUT)
        s3_object_put(op);
    else if (m == HTTP_DELETE)
        s3_object_delete(op);
    else
        s3_error(op, 405, "MethodNotAllowed",
                 "The specified method is not allowed against this "
                 "resource.");
}

/* Sets op->bucket to the n bytes at b. Returns 0, or -1 after answering
 * a name that cannot be one. */
static int s3_set_bucket(struct s3_op *op, const char *b, size_t n)
{
    if (n >= sizeof(op->bucket) || memchr(b, '\0', n)) {
        s3_error(op, 400, "InvalidBucketName", NULL);
        return -1;
    }
    memcpy(op->bucket, b, n);
    op->bucket[n] = '\0';
    return 0;
}

/* Decodes the key at p (the path after the bucket's '/'); an empty one
 * leaves op->key NULL. Returns 0, or -1 after answering. */
static int s3_parse_key(struct s3_op *op, const char *p)
{
    size_t klen;

    if (!p[0])
        return 0;
    op->key = gw_url_decode(p, strlen(p), 0, &klen);
    if (!op->key || strlen(op->key) != klen) {
        s3_error(op, 400, "InvalidArgument", "the key holds a NUL byte");
        return -1;
    }
    return 0;
}

/* "/bucket[/key]": splits and decodes the path. Returns 0, or -1 after
 * answering a malformed one. */
static int s3_parse_path(struct s3_op *op)
{
    const char *p = op->req->path + 1, *slash = strchr(p, '/');
    size_t blen = slash ? (size_t)(slash - p) : strlen(p);
    char *b;
    int rc;

    b = gw_url_decode(p, blen, 0, &blen);
    if (!b) {
        s3_error(op, 400, "InvalidBucketName", NULL);
        return -1;
    }
    rc = s3_set_bucket(op, b, blen);
    free(b);
    if (rc < 0 || !slash)
        return rc;
    return s3_parse_key(op, slash + 1);
}

/* With a domain configured, "Host: bucket.domain[:port]" names the bucket
 * (virtual-hosted style): its length, *bucket pointing at it in the
 * header. 0 for any other host: the request is path style. */
static size_t s3_host_bucket(const struct s3_op *op, const char **bucket)
{
    const char *domain = op->s3->cfg.domain;
    const char *host = gw_http_header(op->req, "host"), *colon;
    size_t hlen, dlen;

    if (!domain || !host)
        return 0;
    colon = strrchr(host, ':');
    hlen = colon ? (size_t)(colon - host) : strlen(host);
    dlen = strlen(domain);
    if (hlen < dlen + 2 || host[hlen - dlen - 1] != '.' ||
        strncasecmp(host + hlen - dlen, domain, dlen) != 0)
        return 0;
    *bucket = host;
    return hlen - dlen - 1;
}

/* Finds the bucket and key: from the host and the path, or from the path
 * alone. Returns 0, or -1 after answering. */
static int s3_parse_target(struct s3_op *op, const char *vbucket, size_t vlen)
{
    if (op->req->path[0] != '/') {
        s3_error(op, 400, "InvalidURI", "Couldn't parse the URI.");
        return -1;
    }
    if (vlen == 0)
        return s3_parse_path(op);
    if (s3_set_bucket(op, vbucket, vlen) < 0)
        return -1;
    return s3_parse_key(op, op->req->path + 1);
}

static void s3_route(struct s3_op *op)
{
    const char *vbucket = NULL;
    size_t vlen = s3_host_bucket(op, &vbucket);

    if (vlen == 0 && strcmp(op->req->path, "/") == 0) {
        if (op->req->method_id == HTTP_GET)
            s3_list_buckets(op);
        else
            s3_error(op, 405, "MethodNotAllowed",
                     "The specified method is not allowed against this "
                     "resource.");
        return;
    }
    if (s3_parse_target(op, vbucket, vlen) < 0)
        return;
    /* A checksum on CompleteMultipartUpload is the whole object's, made
     * of its parts' checksums, not one of the request's body. */
    if (!(op->req->method_id == HTTP_POST &&
          s3_query_has(op->req, "uploadId")) &&
        s3_check_checksum(op) < 0)
        return;
    if (op->key)
        s3_route_object(op);
    else
        s3_route_bucket(op);
}

/* ---- Requests ----------------------------------------------------------- */

static void s3_work(struct gw_http_req *req, void *arg, struct gw_reply *rep)
{
    struct s3_op op = {.s3 = arg, .req = req, .rep = rep, .cksum_alg = -1};
    struct gw_sigv4_result auth;
    int err = 0;

    gw_reply_header(rep, "x-amz-request-id", "%s", req->id);
    gw_reply_header(rep, "x-amz-id-2", "%s", req->id);
    gw_reply_header(rep, "Server", "Mayfly");
    if (s3_authenticate(&op, &auth) < 0)
        goto done;
    op.st = gw_bg_store(&err);
    if (!op.st) {
        s3_store_error(&op, err);
        goto done;
    }
    s3_route(&op);
done:
    free(op.key);
    gw_sigv4_result_free(&auth);
}

static void s3_after(struct gw_http_req *req, void *arg, struct gw_reply *rep)
{
    struct gw_s3 *s3 = arg;

    if (rep->events > 0 && s3->cfg.on_events)
        s3->cfg.on_events(s3->cfg.arg);
    if (rep->status >= 500 && rep->status != 501)
        gw_warn("s3 request failed",
                "request_id=%s method=%s path=\"%s\" "
                "status=%d",
                req->id, req->method, req->path, rep->status);
    else
        gw_debug("s3 request",
                 "request_id=%s method=%s path=\"%s\" "
                 "status=%d events=%d",
                 req->id, req->method, req->path, rep->status, rep->events);
}

/* Request ids: 16 hex digits from a random start, unique per process. */
static void s3_set_id(struct gw_http_req *req)
{
    static uint64_t seq;

    if (seq == 0 && getrandom(&seq, sizeof(seq), 0) != sizeof(seq))
        seq = (uint64_t)time(NULL) << 20;
    snprintf(req->id, sizeof(req->id), "%016llX", (unsigned long long)++seq);
}

static void s3_on_request(struct gw_http_req *req, void *arg)
{
    struct gw_s3 *s3 = arg;
    int rc;

    s3_set_id(req);
    rc = gw_bg_submit(s3->loop, req, s3_work, s3_after, s3);
    if (rc < 0) {
        gw_log_errno(GW_LOG_WARN, rc, "s3 request not queued", "request_id=%s",
                     req->id);
        gw_http_error(req, 503, "host_error", "cannot queue the request");
    }
}

static size_t s3_body_limit(const struct gw_http_req *req, void *arg)
{
    struct gw_s3 *s3 = arg;
    size_t max = s3->cfg.max_object;

    if (req->method_id == HTTP_PUT)
        return max + S3_CHUNK_SLACK(max);
    if (req->method_id == HTTP_POST && s3_query_has(req, "uploadId"))
        return S3_COMPLETE_BODY;
    return S3_SMALL_BODY;
}

int gw_s3_open(struct gw_s3 **out, uv_loop_t *loop,
               const struct gw_s3_config *cfg)
{
    struct gw_http_config hc = {0};
    struct gw_s3 *s3 = calloc(1, sizeof(*s3));
    int rc;

    if (!s3)
        return -ENOMEM;
    s3->loop = loop;
    s3->cfg = *cfg;
    if (!s3->cfg.max_object)
        s3->cfg.max_object = GW_S3_MAX_OBJECT_DEFAULT;
    hc.on_request = s3_on_request;
    hc.body_limit = s3_body_limit;
    hc.budget = cfg->budget;
    hc.max_conns = cfg->max_conns;
    hc.arg = s3;
    rc = gw_http_listen(loop, cfg->host, cfg->port, &hc, &s3->http);
    if (rc < 0) {
        free(s3);
        return rc;
    }
    *out = s3;
    return 0;
}

static void s3_closed(void *arg)
{
    struct gw_s3 *s3 = arg;

    if (s3->close_done)
        s3->close_done(s3->close_arg);
    explicit_bzero(&s3->cfg.cred, sizeof(s3->cfg.cred));
    free(s3);
}

void gw_s3_close(struct gw_s3 *s3, void (*done)(void *arg), void *arg)
{
    s3->close_done = done;
    s3->close_arg = arg;
    gw_http_close(s3->http, s3_closed, s3);
}
