/* s3.h: the built-in object store's S3-compatible API, on its own listener.
 *
 * Path-style requests (http://host:port/bucket/key), and with a domain
 * configured virtual-hosted-style ones too (http://bucket.domain:port/key:
 * the Host header names the bucket). Every request is
 * authenticated with AWS Signature Version 4 (see sigv4.h) against the one
 * access key of the data folder (see s3cred.h). Implemented operations:
 *   GET /                         ListBuckets
 *   PUT, DELETE, HEAD /b          CreateBucket, DeleteBucket, HeadBucket
 *   GET /b?location, ?versioning  GetBucketLocation, GetBucketVersioning
 *   GET /b?acl, /b/k?acl          GetBucketAcl, GetObjectAcl (the owner has
 *                                 full control of everything)
 *   GET /b?policy, ?cors, ...     404 NoSuchBucketPolicy and the like
 *   GET /b[?list-type=2]          ListObjects (V1) and ListObjectsV2
 *   POST /b?delete                DeleteObjects
 *   PUT /b/k                      PutObject, or CopyObject with
 *                                 x-amz-copy-source
 *   GET, HEAD /b/k                GetObject (one Range), HeadObject
 *   DELETE /b/k                   DeleteObject
 *   GET, PUT, DELETE /b/k?tagging Get/Put/DeleteObjectTagging (and
 *                                 x-amz-tagging on PutObject, CopyObject
 *                                 and CreateMultipartUpload)
 *   POST /b/k?uploads             CreateMultipartUpload
 *   PUT /b/k?partNumber&uploadId  UploadPart, or UploadPartCopy with
 *                                 x-amz-copy-source
 *   POST /b/k?uploadId            CompleteMultipartUpload
 *   DELETE /b/k?uploadId          AbortMultipartUpload
 *   GET /b/k?uploadId             ListParts
 *   GET /b?uploads                ListMultipartUploads
 * Anything else is answered 501 NotImplemented. Errors are S3's XML error
 * documents with S3's codes.
 *
 * The work of a request (signature, files, sqlite) runs on libuv's thread
 * pool (see bg.h); a write is answered only once it is durable, and the
 * object events it enqueued are announced through on_events, on the loop
 * thread.
 */
#ifndef MAYFLY_GW_S3_H
#define MAYFLY_GW_S3_H

#include <stddef.h>
#include <uv.h>

#include "gateway/http.h"
#include "gateway/s3cred.h"

#define GW_S3_MAX_OBJECT_DEFAULT (64u << 20)

struct gw_s3;

struct gw_s3_config {
    const char *host;
    int port;
    size_t max_object;  /* largest object a PUT (or a part) may carry */
    const char *domain; /* Host "<bucket>.<domain>[:port]" names the bucket;
                           NULL: path style only */
    struct gw_http_budget *budget; /* shared cap on request bodies */
    unsigned max_conns;            /* 0: the HTTP server's default */
    struct gw_s3cred cred;
    void (*on_events)(void *arg); /* a write enqueued object events */
    void *arg;
};

/* Starts listening. gw_bg_init must have run. Returns 0 or a negative
 * errno (a libuv code when the address cannot be bound). */
int gw_s3_open(struct gw_s3 **out, uv_loop_t *loop,
               const struct gw_s3_config *cfg);
/* Stops accepting; `done` runs once the last connection is gone, after
 * which the server is freed. */
void gw_s3_close(struct gw_s3 *s3, void (*done)(void *arg), void *arg);

#endif /* MAYFLY_GW_S3_H */
