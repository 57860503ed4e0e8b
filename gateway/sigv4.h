/* sigv4.h: verifies AWS Signature Version 4 on requests to the S3 listener.
 *
 * Both forms S3 accepts are checked: the Authorization header and the
 * presigned URL (X-Amz-* query parameters). The payload may be signed (its
 * SHA-256 in x-amz-content-sha256, checked against the body), unsigned
 * (UNSIGNED-PAYLOAD), or sent aws-chunked: STREAMING-AWS4-HMAC-SHA256-PAYLOAD
 * (every chunk signed, each signature chained to the previous one),
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (the same, then trailers
 * signed by x-amz-trailer-signature, chained to the last chunk's) or
 * STREAMING-UNSIGNED-PAYLOAD-TRAILER (plain chunks and trailers). Chunked
 * bodies are decoded into result.payload and their trailers, which must be
 * those x-amz-trailer declares, into result.trailers. What a trailer says
 * (a checksum) is left to the caller to check.
 *
 * The canonical URI is the path decoded and encoded again by the SigV4
 * rules (RFC 3986 unreserved characters and '/' kept, the rest %XX; see
 * gateway/url.h); when that fails the path as sent is tried, for clients
 * that sign it verbatim.
 * The region of the credential scope is not checked: this server has one.
 * Hashes and HMAC come from OpenSSL's libcrypto; signatures are compared in
 * constant time.
 *
 * Errors: gw_sigv4_verify returns 0 (GW_SIGV4_OK) or a gw_sigv4_status and
 * a short reason in result.detail; -ENOMEM as -ENOMEM. Nothing is logged.
 * Thread-safe (no shared state).
 */
#ifndef MAYFLY_GW_SIGV4_H
#define MAYFLY_GW_SIGV4_H

#include <stddef.h>
#include <time.h>

#define GW_SIGV4_SKEW_S (15 * 60)   /* allowed clock difference */
#define GW_SIGV4_EXPIRES_MAX 604800 /* presigned URLs: 7 days */

enum gw_sigv4_status {
    GW_SIGV4_OK = 0,
    GW_SIGV4_ANONYMOUS,    /* no signature at all */
    GW_SIGV4_MALFORMED,    /* Authorization header or X-Amz-* unusable */
    GW_SIGV4_UNSUPPORTED,  /* another algorithm (signature V2, ...) */
    GW_SIGV4_UNKNOWN_KEY,  /* access key id not ours */
    GW_SIGV4_MISMATCH,     /* signature wrong */
    GW_SIGV4_SKEWED,       /* request time too far from ours */
    GW_SIGV4_EXPIRED,      /* presigned URL past X-Amz-Expires */
    GW_SIGV4_PAYLOAD_HASH, /* body differs from x-amz-content-sha256 */
    GW_SIGV4_CHUNK,        /* aws-chunked body malformed or badly signed */
    GW_SIGV4_TRAILER,      /* trailers malformed or not as declared */
};

/* The request as received. Headers are packed "name\0value\0" with
 * lower-case names, as struct gw_http_req has them. */
struct gw_sigv4_request {
    const char *method;
    const char *path;  /* raw, still percent-encoded */
    const char *query; /* raw, without '?', or NULL */
    const char *headers;
    size_t headers_len;
    const char *body;
    size_t body_len;
};

struct gw_sigv4_key {
    const char *access_key_id;
    const char *secret;
};

struct gw_sigv4_result {
    enum gw_sigv4_status status;
    char detail[160];
    char access_key_id[64]; /* as the request named it */
    char *payload;          /* decoded aws-chunked body (owned), or NULL:
                               the request body is the payload */
    size_t payload_len;
    char *trailers; /* trailers of an aws-chunked body (owned), packed
                       "name\0value\0" with lower-case names, or NULL */
    size_t trailers_len;
};

/* Verifies req against key at time `now`. Fills res (free with
 * gw_sigv4_result_free) and returns res->status, or -ENOMEM. */
int gw_sigv4_verify(const struct gw_sigv4_request *req,
                    const struct gw_sigv4_key *key, time_t now,
                    struct gw_sigv4_result *res);
void gw_sigv4_result_free(struct gw_sigv4_result *res);

#endif /* MAYFLY_GW_SIGV4_H */
