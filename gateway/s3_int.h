/* s3_int.h: what the S3 listener's files (s3.c, s3obj.c, s3list.c,
 * s3multipart.c, s3tags.c, s3meta.c) share.
 *
 * An operation runs on a pool thread (see bg.h) with a struct s3_op: the
 * request, the reply it fills, and this thread's store. Each handler
 * answers exactly once, through s3_xml_reply, s3_error or by filling the
 * reply itself.
 */
#ifndef MAYFLY_GW_S3_INT_H
#define MAYFLY_GW_S3_INT_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/bg.h"
#include "gateway/buf.h"
#include "gateway/http.h"
#include "gateway/s3.h"
#include "store/objects.h"
#include "store/store.h"

#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"
#define S3_XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define S3_OWNER "mayfly"
#define S3_REGION "us-east-1"

struct gw_s3 {
    uv_loop_t *loop;
    struct gw_http_server *http;
    struct gw_s3_config cfg;
    void (*close_done)(void *arg);
    void *close_arg;
};

struct s3_op {
    struct gw_s3 *s3;
    struct gw_http_req *req;
    struct gw_reply *rep;
    struct st *st;
    char bucket[ST_BUCKET_MAX + 8]; /* decoded; may be invalid (checked) */
    char *key;                      /* decoded, or NULL for bucket ops */
    const char *body;               /* the payload (aws-chunked decoded) */
    size_t body_len;
    const char *trailers; /* of an aws-chunked body, see sigv4.h */
    size_t trailers_len;
    int cksum_alg;         /* the body's checksum (checksum.h), or -1 */
    const char *cksum_b64; /* its value as sent, checked */
};

/* ---- Answers (s3.c) ---- */
/* An S3 error document; `message` NULL takes the code's usual one. */
void s3_error(struct s3_op *op, int status, const char *code,
              const char *message);
/* Maps a store errno to an S3 error (NoSuchBucket, InternalError, ...). */
void s3_store_error(struct s3_op *op, int rc);
/* 404: NoSuchBucket if `bucket` is missing, else `code` (NoSuchKey,
 * NoSuchUpload): what -ENOENT from the store meant. */
void s3_not_found(struct s3_op *op, const char *bucket, const char *code);
/* Sends xml (taken over; its errors become a 500) as application/xml. */
void s3_xml_reply(struct s3_op *op, int status, struct gw_buf *xml);
void s3_empty_reply(struct s3_op *op, int status);

/* ---- Helpers (s3.c) ---- */
/* Appends s with XML's special characters escaped. */
void s3_xml_add(struct gw_buf *b, const char *s);
/* <name>escaped text</name> */
void s3_xml_elem(struct gw_buf *b, const char *name, const char *text);
/* The same for a key or prefix in a listing, URL-encoded first when the
 * client asked for encoding-type=url. */
void s3_xml_key(struct gw_buf *b, const char *name, const char *text, int url);
/* Reads encoding-type into *url; returns 0, or -1 having answered the
 * request with S3's error for anything but "url". */
int s3_encoding_type(struct s3_op *op, int *url);
/* Times: "2026-12-04T15:53:39.000Z" and "Fri, 04 Dec 2026 15:53:39 GMT". */
void s3_time_iso(int64_t ms, char out[32]);
void s3_time_http(int64_t ms, char out[40]);
/* The decoded value of query parameter `name` (malloc'd) in *out; returns
 * 1 if present, 0 if not, -ENOMEM. A parameter without '=' has value "". */
int s3_query(const struct gw_http_req *req, const char *name, char **out);
int s3_query_has(const struct gw_http_req *req, const char *name);

/* ---- Objects (s3obj.c) ---- */
/* Checks that answer the request and return -1 when they fail: the key
 * can be stored; Content-MD5, when sent, is the body's. */
int s3_check_key(struct s3_op *op);
int s3_check_md5(struct s3_op *op);
/* The body's x-amz-checksum-* (one, as a header or a trailer), when sent,
 * is the body's; it is kept in op->cksum_* for s3_checksum_reply. */
int s3_check_checksum(struct s3_op *op);
/* Answers with the checksum header the client sent, as S3 does. */
void s3_checksum_reply(struct s3_op *op);
/* x-amz-copy-source "[/]bucket/key[?versionId=...]", URL-encoded, into
 * bucket and key (malloc'd). -EINVAL if malformed, -ENOMEM. */
int s3_copy_source(const char *src, char **bucket, char **key);
/* n bytes of XML text with its five entities and numeric character
 * references replaced (malloc'd), or NULL without memory. */
char *s3_xml_unescape(const char *s, size_t n);

void s3_object_put(struct s3_op *op);
void s3_object_copy(struct s3_op *op, const char *source);
void s3_object_get(struct s3_op *op);
void s3_object_acl(struct s3_op *op, const char *xml);
void s3_object_delete(struct s3_op *op);
void s3_objects_delete(struct s3_op *op);

/* ---- Tags (s3tags.c) ---- */
/* The x-amz-tagging header, checked, in the stored form (malloc'd) in
 * *tags, NULL without the header. Returns 0, or -1 after answering. */
int s3_tags_header(struct s3_op *op, char **tags);
/* GET, PUT and DELETE /b/k?tagging. */
void s3_object_tagging(struct s3_op *op);

/* ---- Metadata (s3meta.c) ---- */
/* The request's metadata (x-amz-meta-* and the system headers S3 keeps,
 * but Content-Type) in the stored form (malloc'd) in *meta, NULL if it
 * has none. Returns 0, or -1 after answering (MetadataTooLarge past S3's
 * 2 KB of user metadata). */
int s3_meta_header(struct s3_op *op, char **meta);
/* Adds an object's Content-Type (default_type if it has none) and its
 * metadata to the reply; response-* query parameters override the system
 * headers, as on S3's GetObject. Returns 0, or -1 after answering. */
int s3_meta_reply(struct s3_op *op, const char *content_type, const char *meta,
                  const char *default_type);

/* ---- Listings (s3list.c) ---- */
void s3_list_objects(struct s3_op *op, int v2);

/* ---- Multipart uploads (s3multipart.c) ---- */
void s3_upload_create(struct s3_op *op);
void s3_upload_part(struct s3_op *op);
void s3_upload_part_copy(struct s3_op *op, const char *source);
void s3_upload_complete(struct s3_op *op);
void s3_upload_abort(struct s3_op *op);
void s3_upload_parts(struct s3_op *op);
void s3_uploads_list(struct s3_op *op);

#endif /* MAYFLY_GW_S3_INT_H */
