/* sigv4.c: AWS Signature Version 4 checks for the S3 listener. */
#include "gateway/sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gateway/buf.h"
#include "gateway/url.h"

#define SV_ALGORITHM "AWS4-HMAC-SHA256"
#define SV_CHUNK_ALGORITHM "AWS4-HMAC-SHA256-PAYLOAD"
#define SV_UNSIGNED "UNSIGNED-PAYLOAD"
#define SV_STREAMING "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
#define SV_STREAMING_TRAILER "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
#define SV_STREAMING_SIGNED_TRAILER "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
#define SV_TRAILER_ALGORITHM "AWS4-HMAC-SHA256-TRAILER"
#define SV_TRAILER_SIG "x-amz-trailer-signature"
#define SV_TRAILERS_MAX 8

/* Why an aws-chunked body is refused (besides -1, malformed framing). */
#define SV_BAD_CHUNK_SIG 1
#define SV_BAD_TRAILER_SIG 2
#define SV_BAD_TRAILER 3
#define SV_EMPTY_SHA256                                                        \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SV_HASH_LEN 32
#define SV_HEX_LEN 65

/* What the signature names, from the header or the query. */
struct sv_auth {
    char akid[64];
    char date[9]; /* yyyymmdd of the scope */
    char region[32];
    char service[16];
    char amz_date[17]; /* yyyymmddThhmmssZ */
    char signed_headers[1024];
    char signature[SV_HEX_LEN];
    long expires; /* presigned: seconds; else 0 */
    int presigned;
    time_t t; /* amz_date as a time */
};

/* ---- Small helpers ------------------------------------------------------ */

static int fail(struct gw_sigv4_result *res, enum gw_sigv4_status st,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct gw_sigv4_result *res, enum gw_sigv4_status st,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
    va_end(ap);
    res->status = st;
    return st;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

static int sha256_hex(const void *data, size_t len, char out[SV_HEX_LEN])
{
    unsigned char md[SV_HASH_LEN];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
        return -EIO;
    hex(md, SV_HASH_LEN, out);
    return 0;
}

static int hmac(const void *key, size_t klen, const char *msg, size_t mlen,
                unsigned char out[SV_HASH_LEN])
{
    unsigned int olen = 0;

    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen,
              out, &olen) ||
        olen != SV_HASH_LEN)
        return -EIO;
    return 0;
}

static int is_hex64(const char *s)
{
    size_t i;

    for (i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return s[64] == '\0';
}

/* Copies n bytes of s into dst (size bytes); -1 if it does not fit. */
static int copy_n(char *dst, size_t size, const char *s, size_t n)
{
    if (n >= size)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

/* ---- URI encoding ------------------------------------------------------- */

/* Decodes then encodes again: the canonical form of one URI component. */
static char *canon_component(const char *s, size_t n, int flags)
{
    size_t dlen;
    char *d = gw_url_decode(s, n, 0, &dlen), *e;

    if (!d)
        return NULL;
    e = gw_url_encode(d, dlen, flags);
    free(d);
    return e;
}

/* ---- Query strings ------------------------------------------------------ */

struct sv_pair {
    char *key;
    char *value;
};

static int pair_cmp(const void *a, const void *b)
{
    const struct sv_pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c ? c : strcmp(x->value, y->value);
}

/* Finds parameter `name` in a raw query; copies its decoded value. Returns
 * 1 if found, 0 if not, -1 if it does not fit. */
static int query_get(const char *q, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name), vlen, dlen;
    const char *p, *amp;
    char *d;
    int rc;

    for (p = q; p && *p; p = amp ? amp + 1 : NULL) {
        amp = strchr(p, '&');
        if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
            continue;
        vlen = amp ? (size_t)(amp - p) - nlen - 1 : strlen(p + nlen + 1);
        d = gw_url_decode(p + nlen + 1, vlen, 0, &dlen);
        if (!d)
            return -1;
        rc = copy_n(out, size, d, dlen);
        free(d);
        return rc < 0 ? -1 : 1;
    }
    return 0;
}

static void pairs_free(struct sv_pair *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].value);
    }
    free(v);
}

/* Splits and canonicalizes a raw query, leaving out X-Amz-Signature when
 * `presigned`. */
static int query_pairs(const char *q, int presigned, struct sv_pair **out,
                       size_t *count)
{
    size_t n = 0, cap = 1, klen, plen;
    const char *p, *amp, *eq;
    struct sv_pair *v;

    for (p = q; p && *p; p++)
        cap += *p == '&';
    v = calloc(cap, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (p = q; p && *p; p = amp ? amp + 1 : NULL) {
        amp = strchr(p, '&');
        plen = amp ? (size_t)(amp - p) : strlen(p);
        if (plen == 0)
            continue;
        eq = memchr(p, '=', plen);
        klen = eq ? (size_t)(eq - p) : plen;
        if (presigned && klen == 15 && strncmp(p, "X-Amz-Signature", 15) == 0)
            continue;
        v[n].key = canon_component(p, klen, 0);
        v[n].value =
            eq ? canon_component(eq + 1, plen - klen - 1, 0) : strdup("");
        if (!v[n].key || !v[n++].value) {
            pairs_free(v, n);
            return -ENOMEM;
        }
    }
    qsort(v, n, sizeof(*v), pair_cmp);
    *out = v;
    *count = n;
    return 0;
}

static void add_canonical_query(struct gw_buf *b, const char *q, int presigned)
{
    struct sv_pair *v;
    size_t i, n;

    if (query_pairs(q, presigned, &v, &n) < 0) {
        b->err = -ENOMEM;
        return;
    }
    for (i = 0; i < n; i++)
        gw_buf_addf(b, "%s%s=%s", i ? "&" : "", v[i].key, v[i].value);
    pairs_free(v, n);
}

/* ---- Headers ------------------------------------------------------------ */

static const char *header(const struct gw_sigv4_request *req, const char *lname)
{
    const char *p = req->headers, *end = p + req->headers_len;

    while (p && p < end) {
        size_t n = strlen(p);

        if (strcmp(p, lname) == 0)
            return p + n + 1;
        p += n + 1;
        p += strlen(p) + 1;
    }
    return NULL;
}

/* Appends a header value with outer spaces removed and inner runs of
 * spaces made one. */
static void add_trimmed(struct gw_buf *b, const char *v)
{
    int space = 0;

    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') {
            space = 1;
            continue;
        }
        if (space)
            gw_buf_addc(b, ' ');
        space = 0;
        gw_buf_addc(b, *v);
    }
}

/* "name:v1,v2\n" for every value of header `name`; 0 if it has none. */
static int add_header_line(struct gw_buf *b, const struct gw_sigv4_request *req,
                           const char *name)
{
    const char *p = req->headers, *end = p + req->headers_len;
    int count = 0;

    while (p && p < end) {
        const char *v = p + strlen(p) + 1;

        if (strcmp(p, name) == 0) {
            gw_buf_adds(b, count ? "," : name);
            if (!count)
                gw_buf_addc(b, ':');
            add_trimmed(b, v);
            count++;
        }
        p = v + strlen(v) + 1;
    }
    if (count)
        gw_buf_addc(b, '\n');
    return count;
}

/* The canonical headers, in SignedHeaders order. Returns 0, or -1 (with
 * the name in `missing`) if a signed header is absent. */
static int add_canonical_headers(struct gw_buf *b,
                                 const struct gw_sigv4_request *req,
                                 const char *signed_headers, char *missing,
                                 size_t msize)
{
    const char *p = signed_headers, *semi;
    char name[128];

    for (; *p; p = semi ? semi + 1 : p + strlen(p)) {
        semi = strchr(p, ';');
        if (copy_n(name, sizeof(name), p,
                   semi ? (size_t)(semi - p) : strlen(p)) < 0 ||
            !add_header_line(b, req, name)) {
            snprintf(missing, msize, "%.*s",
                     (int)(semi ? semi - p : (long)strlen(p)), p);
            return -1;
        }
    }
    return 0;
}

/* ---- Parsing the credentials ------------------------------------------- */

/* "AKID/yyyymmdd/region/service/aws4_request" */
static int parse_credential(const char *s, size_t n, struct sv_auth *a)
{
    const char *parts[5], *end = s + n, *p = s;
    size_t lens[5];
    int i;

    for (i = 0; i < 5; i++) {
        const char *slash = memchr(p, '/', (size_t)(end - p));

        parts[i] = p;
        lens[i] = slash && i < 4 ? (size_t)(slash - p) : (size_t)(end - p);
        if (i < 4 && !slash)
            return -1;
        p = parts[i] + lens[i] + 1;
    }
    if (lens[1] != 8 || lens[4] != 12 ||
        strncmp(parts[4], "aws4_request", 12) != 0)
        return -1;
    if (copy_n(a->akid, sizeof(a->akid), parts[0], lens[0]) < 0 ||
        copy_n(a->date, sizeof(a->date), parts[1], lens[1]) < 0 ||
        copy_n(a->region, sizeof(a->region), parts[2], lens[2]) < 0 ||
        copy_n(a->service, sizeof(a->service), parts[3], lens[3]) < 0)
        return -1;
    return a->akid[0] && a->region[0] ? 0 : -1;
}

/* Takes one "Name=value" element of the Authorization header. */
static int parse_auth_part(const char *p, size_t n, struct sv_auth *a)
{
    if (n > 11 && strncmp(p, "Credential=", 11) == 0)
        return parse_credential(p + 11, n - 11, a);
    if (n > 14 && strncmp(p, "SignedHeaders=", 14) == 0)
        return copy_n(a->signed_headers, sizeof(a->signed_headers), p + 14,
                      n - 14);
    if (n > 10 && strncmp(p, "Signature=", 10) == 0)
        return copy_n(a->signature, sizeof(a->signature), p + 10, n - 10);
    return 0; /* unknown elements are ignored */
}

static int parse_auth_header(const char *v, struct sv_auth *a)
{
    const char *p = v + strlen(SV_ALGORITHM), *end;

    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        end = p + strcspn(p, ", ");
        if (end > p && parse_auth_part(p, (size_t)(end - p), a) < 0)
            return -1;
        p = end;
    }
    return a->akid[0] && a->signed_headers[0] && a->signature[0] ? 0 : -1;
}

/* "yyyymmddThhmmssZ" to a time; -1 if malformed. */
static int parse_amz_date(const char *s, time_t *t)
{
    struct tm tm = {0};
    const char *end;

    if (strlen(s) != 16)
        return -1;
    end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
    if (!end || *end)
        return -1;
    *t = timegm(&tm);
    return 0;
}

/* The request time: x-amz-date, else an RFC 1123 Date header. */
static int header_date(const struct gw_sigv4_request *req, struct sv_auth *a)
{
    const char *v = header(req, "x-amz-date");
    struct tm tm = {0};
    const char *end;

    if (v)
        return copy_n(a->amz_date, sizeof(a->amz_date), v, strlen(v)) < 0
                   ? -1
                   : parse_amz_date(a->amz_date, &a->t);
    v = header(req, "date");
    end = v ? strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    if (!end || *end)
        return -1;
    a->t = timegm(&tm);
    strftime(a->amz_date, sizeof(a->amz_date), "%Y%m%dT%H%M%SZ", &tm);
    return 0;
}

static int from_header(const struct gw_sigv4_request *req, const char *auth,
                       struct sv_auth *a, struct gw_sigv4_result *res)
{
    if (strncmp(auth, SV_ALGORITHM " ", strlen(SV_ALGORITHM) + 1) != 0)
        return fail(res, GW_SIGV4_UNSUPPORTED,
                    "only AWS4-HMAC-SHA256 signatures are supported");
    if (parse_auth_header(auth, a) < 0)
        return fail(res, GW_SIGV4_MALFORMED,
                    "the Authorization header is malformed");
    if (header_date(req, a) < 0)
        return fail(res, GW_SIGV4_MALFORMED,
                    "x-amz-date is missing or malformed");
    return 0;
}

static int from_query(const char *q, struct sv_auth *a,
                      struct gw_sigv4_result *res)
{
    char alg[32] = "", cred[256] = "", exp[16] = "", *end;

    a->presigned = 1;
    if (query_get(q, "X-Amz-Algorithm", alg, sizeof(alg)) <= 0 ||
        strcmp(alg, SV_ALGORITHM) != 0)
        return fail(res, GW_SIGV4_UNSUPPORTED,
                    "X-Amz-Algorithm must be AWS4-HMAC-SHA256");
    if (query_get(q, "X-Amz-Credential", cred, sizeof(cred)) <= 0 ||
        parse_credential(cred, strlen(cred), a) < 0 ||
        query_get(q, "X-Amz-Date", a->amz_date, sizeof(a->amz_date)) <= 0 ||
        parse_amz_date(a->amz_date, &a->t) < 0 ||
        query_get(q, "X-Amz-SignedHeaders", a->signed_headers,
                  sizeof(a->signed_headers)) <= 0 ||
        query_get(q, "X-Amz-Signature", a->signature, sizeof(a->signature)) <=
            0 ||
        query_get(q, "X-Amz-Expires", exp, sizeof(exp)) <= 0)
        return fail(res, GW_SIGV4_MALFORMED,
                    "presigned URL parameters are missing or malformed");
    a->expires = strtol(exp, &end, 10);
    if (*end || a->expires < 1 || a->expires > GW_SIGV4_EXPIRES_MAX)
        return fail(res, GW_SIGV4_MALFORMED,
                    "X-Amz-Expires must be from 1 to 604800");
    return 0;
}

/* The scope's date must be the request's; presigned URLs expire. */
static int check_time(const struct sv_auth *a, time_t now,
                      struct gw_sigv4_result *res)
{
    if (strncmp(a->date, a->amz_date, 8) != 0)
        return fail(res, GW_SIGV4_MALFORMED,
                    "the credential date is not the request date");
    if (strcmp(a->service, "s3") != 0)
        return fail(res, GW_SIGV4_MALFORMED,
                    "the credential scope names service '%s', not s3",
                    a->service);
    if (a->presigned && now > a->t + a->expires)
        return fail(res, GW_SIGV4_EXPIRED, "Request has expired");
    if (a->t > now + GW_SIGV4_SKEW_S ||
        (!a->presigned && a->t < now - GW_SIGV4_SKEW_S))
        return fail(res, GW_SIGV4_SKEWED,
                    "the difference between the request time and the "
                    "server's time is too large");
    return 0;
}

/* ---- Signing ------------------------------------------------------------ */

static int signing_key(const struct sv_auth *a, const char *secret,
                       unsigned char key[SV_HASH_LEN])
{
    unsigned char k1[SV_HASH_LEN], k2[SV_HASH_LEN];
    char *seed;
    int rc;

    if (asprintf(&seed, "AWS4%s", secret) < 0)
        return -ENOMEM;
    rc = hmac(seed, strlen(seed), a->date, strlen(a->date), k1);
    OPENSSL_cleanse(seed, strlen(seed));
    free(seed);
    if (rc == 0)
        rc = hmac(k1, SV_HASH_LEN, a->region, strlen(a->region), k2);
    if (rc == 0)
        rc = hmac(k2, SV_HASH_LEN, a->service, strlen(a->service), k1);
    if (rc == 0)
        rc = hmac(k1, SV_HASH_LEN, "aws4_request", 12, key);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    return rc;
}

static void add_scope(struct gw_buf *b, const struct sv_auth *a)
{
    gw_buf_addf(b, "%s/%s/%s/aws4_request", a->date, a->region, a->service);
}

/* HMAC of a string to sign, as hex. */
static int sign(const unsigned char key[SV_HASH_LEN], const struct gw_buf *s,
                char out[SV_HEX_LEN])
{
    unsigned char mac[SV_HASH_LEN];

    if (s->err || hmac(key, SV_HASH_LEN, s->data, s->len, mac) < 0)
        return -ENOMEM;
    hex(mac, SV_HASH_LEN, out);
    return 0;
}

/* Computes the request's signature with canonical URI `uri`. */
static int request_signature(const struct gw_sigv4_request *req,
                             const struct sv_auth *a, const char *uri,
                             const char *payload,
                             const unsigned char key[SV_HASH_LEN],
                             char out[SV_HEX_LEN], char *missing, size_t msize)
{
    struct gw_buf cr = {0}, sts = {0};
    char crhash[SV_HEX_LEN];
    int rc = -ENOMEM;

    gw_buf_addf(&cr, "%s\n%s\n", req->method, uri);
    add_canonical_query(&cr, req->query, a->presigned);
    gw_buf_addc(&cr, '\n');
    if (add_canonical_headers(&cr, req, a->signed_headers, missing, msize) <
        0) {
        rc = -ENOENT;
        goto free_cr;
    }
    gw_buf_addf(&cr, "\n%s\n%s", a->signed_headers, payload);
    if (cr.err || sha256_hex(cr.data, cr.len, crhash) < 0)
        goto free_cr;
    gw_buf_addf(&sts, SV_ALGORITHM "\n%s\n", a->amz_date);
    add_scope(&sts, a);
    gw_buf_addf(&sts, "\n%s", crhash);
    rc = sign(key, &sts, out);
    gw_buf_free(&sts);
free_cr:
    gw_buf_free(&cr);
    return rc;
}

/* True if `name` is one of the ';'-separated names of `list`. */
static int has_token(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p;

    for (p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ';') && (p[n] == ';' || p[n] == '\0'))
            return 1;
    return 0;
}

static int sig_equal(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && CRYPTO_memcmp(a, b, strlen(a)) == 0;
}

/* Tries the canonical URI, then the path as sent. */
static int check_signature(const struct gw_sigv4_request *req,
                           const struct sv_auth *a, const char *payload,
                           const unsigned char key[SV_HASH_LEN],
                           struct gw_sigv4_result *res)
{
    char sig[SV_HEX_LEN], missing[128] = "";
    char *uri =
        canon_component(req->path, strlen(req->path), GW_URL_KEEP_SLASH);
    int rc;

    if (!uri)
        return -ENOMEM;
    rc = request_signature(req, a, uri, payload, key, sig, missing,
                           sizeof(missing));
    if (rc == 0 && !sig_equal(sig, a->signature) && strcmp(uri, req->path) != 0)
        rc = request_signature(req, a, req->path, payload, key, sig, missing,
                               sizeof(missing));
    free(uri);
    if (rc == -ENOENT)
        return fail(res, GW_SIGV4_MALFORMED,
                    "signed header '%s' is not in the request", missing);
    if (rc < 0)
        return rc;
    if (!sig_equal(sig, a->signature))
        return fail(res, GW_SIGV4_MISMATCH,
                    "The request signature we calculated does not match "
                    "the signature you provided");
    return 0;
}

/* ---- aws-chunked payloads ----------------------------------------------- */

struct sv_chunks {
    const char *p, *end;
    const struct sv_auth *a;
    const unsigned char *key; /* NULL: chunks are not signed */
    char prev[SV_HEX_LEN];    /* previous signature, the seed first */
    const char *declared;     /* x-amz-trailer, or NULL */
    int trailer_signed;       /* the trailer carries x-amz-trailer-signature */
    int ntrailers;
    struct gw_buf out;
    struct gw_buf trailers; /* packed "name\0value\0", names lower-case */
};

/* Checks one chunk's signature, chained to the previous one. */
static int chunk_verify(struct sv_chunks *c, const char *data, size_t n,
                        const char *sig)
{
    struct gw_buf sts = {0};
    char h[SV_HEX_LEN], mine[SV_HEX_LEN];
    int rc;

    if (sha256_hex(data, n, h) < 0)
        return -ENOMEM;
    gw_buf_addf(&sts, SV_CHUNK_ALGORITHM "\n%s\n", c->a->amz_date);
    add_scope(&sts, c->a);
    gw_buf_addf(&sts, "\n%s\n" SV_EMPTY_SHA256 "\n%s", c->prev, h);
    rc = sign(c->key, &sts, mine);
    gw_buf_free(&sts);
    if (rc < 0)
        return rc;
    if (!sig_equal(mine, sig))
        return 1;
    memcpy(c->prev, mine, SV_HEX_LEN);
    return 0;
}

/* Reads "<hex size>[;chunk-signature=<sig>]\r\n". */
static int chunk_header(struct sv_chunks *c, size_t *size, char *sig)
{
    const char *nl = memmem(c->p, (size_t)(c->end - c->p), "\r\n", 2);
    const char *semi, *q;
    size_t v = 0;

    if (!nl || nl == c->p)
        return -1;
    semi = memchr(c->p, ';', (size_t)(nl - c->p));
    for (q = c->p; q < (semi ? semi : nl); q++) {
        if (gw_url_hexval(*q) < 0 || v > (SIZE_MAX >> 4))
            return -1;
        v = v << 4 | (size_t)gw_url_hexval(*q);
    }
    sig[0] = '\0';
    if (semi && (size_t)(nl - semi) == 17 + 64 &&
        strncmp(semi, ";chunk-signature=", 17) == 0)
        copy_n(sig, SV_HEX_LEN, semi + 17, 64);
    if (c->key && !sig[0])
        return -1;
    *size = v;
    c->p = nl + 2;
    return 0;
}

/* Decodes every chunk into c->out; returns 0, 1 for a bad signature, -1
 * for a malformed body, or -ENOMEM. */
static int chunks_decode(struct sv_chunks *c)
{
    char sig[SV_HEX_LEN];
    size_t n;
    int rc;

    for (;;) {
        if (chunk_header(c, &n, sig) < 0)
            return -1;
        if (n > (size_t)(c->end - c->p))
            return -1;
        if (c->key) {
            rc = chunk_verify(c, c->p, n, sig);
            if (rc != 0)
                return rc;
        }
        if (n == 0)
            return 0;
        gw_buf_add(&c->out, c->p, n);
        c->p += n;
        if (c->end - c->p < 2 || memcmp(c->p, "\r\n", 2) != 0)
            return -1;
        c->p += 2;
    }
}

/* The next name of the comma-separated list at *p (x-amz-trailer), blanks
 * trimmed, with its length in *len; NULL at the end. */
static const char *list_next(const char **p, size_t *len)
{
    const char *s = *p, *end;

    if (!s)
        return NULL;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (!*s)
        return NULL;
    end = s + strcspn(s, ",");
    *len = (size_t)(end - s);
    while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
        (*len)--;
    *p = end;
    return s;
}

/* True if the comma-separated x-amz-trailer list names `name`. */
static int trailer_declared(const char *list, const char *name, size_t n)
{
    const char *item;
    size_t len;

    while ((item = list_next(&list, &len)))
        if (len == n && strncasecmp(item, name, n) == 0)
            return 1;
    return 0;
}

/* One trailer line "Name:value" (CRLF removed): the name lower-cased and
 * the value trimmed go to c->trailers, the signature to sig. Returns 0 or
 * -1 if malformed or not declared in x-amz-trailer. */
static int trailer_line(struct sv_chunks *c, const char *p, size_t n,
                        char sig[SV_HEX_LEN])
{
    const char *colon = memchr(p, ':', n), *v;
    size_t nlen, vlen, i;

    if (!colon || colon == p)
        return -1;
    nlen = (size_t)(colon - p);
    v = colon + 1;
    vlen = n - nlen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    if (nlen == strlen(SV_TRAILER_SIG) &&
        strncasecmp(p, SV_TRAILER_SIG, nlen) == 0)
        return sig[0] || copy_n(sig, SV_HEX_LEN, v, vlen) < 0 ? -1 : 0;
    if (sig[0] || !c->declared || !trailer_declared(c->declared, p, nlen) ||
        memchr(v, '\0', vlen) || ++c->ntrailers > SV_TRAILERS_MAX)
        return -1;
    for (i = 0; i < nlen; i++)
        gw_buf_addc(&c->trailers, (char)tolower((unsigned char)p[i]));
    gw_buf_addc(&c->trailers, '\0');
    gw_buf_add(&c->trailers, v, vlen);
    gw_buf_addc(&c->trailers, '\0');
    return 0;
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The trailer signature: the trailers as canonical headers (sorted
 * "name:value\n"), hashed and signed, chained to the last chunk's
 * signature. Returns 0, 1 if it does not match, or -ENOMEM. */
static int trailer_verify(struct sv_chunks *c, const char *sig)
{
    const char *names[SV_TRAILERS_MAX], *p = c->trailers.data;
    const char *end = p + c->trailers.len;
    struct gw_buf canon = {0}, sts = {0};
    char h[SV_HEX_LEN], mine[SV_HEX_LEN];
    size_t n = 0, i;
    int rc = -ENOMEM;

    for (; p && p < end && n < SV_TRAILERS_MAX; n++) {
        names[n] = p;
        p += strlen(p) + 1;
        p += strlen(p) + 1;
    }
    qsort(names, n, sizeof(names[0]), line_cmp);
    for (i = 0; i < n; i++)
        gw_buf_addf(&canon, "%s:%s\n", names[i],
                    names[i] + strlen(names[i]) + 1);
    if (canon.err || sha256_hex(canon.data ? canon.data : "", canon.len, h) < 0)
        goto free_canon;
    gw_buf_addf(&sts, SV_TRAILER_ALGORITHM "\n%s\n", c->a->amz_date);
    add_scope(&sts, c->a);
    gw_buf_addf(&sts, "\n%s\n%s", c->prev, h);
    rc = sign(c->key, &sts, mine);
    if (rc == 0)
        rc = sig_equal(mine, sig) ? 0 : 1;
    gw_buf_free(&sts);
free_canon:
    gw_buf_free(&canon);
    return rc;
}

/* True if every name x-amz-trailer declares came as a trailer. */
static int trailers_complete(const struct sv_chunks *c)
{
    const char *p = c->declared, *item, *t, *tend;
    size_t len;
    int found;

    while ((item = list_next(&p, &len))) {
        found = len == 0;
        tend = c->trailers.data + c->trailers.len;
        for (t = c->trailers.data; t && t < tend && !found;
             t += strlen(t) + 1, t += strlen(t) + 1)
            found = strlen(t) == len && strncasecmp(t, item, len) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

/* What may follow the last chunk: nothing, an empty line, or trailer
 * lines and an empty line. Every trailer must be one x-amz-trailer
 * declared, and every declared one must come. Returns 0, 1 for a bad
 * trailer signature, -1 for a malformed trailer, or -ENOMEM. */
static int chunks_trailer(struct sv_chunks *c)
{
    char sig[SV_HEX_LEN] = "";
    const char *nl;

    while (c->p < c->end) {
        nl = memmem(c->p, (size_t)(c->end - c->p), "\r\n", 2);
        if (!nl)
            return -1;
        if (nl == c->p) {
            if (c->p + 2 != c->end)
                return -1;
            break;
        }
        if (trailer_line(c, c->p, (size_t)(nl - c->p), sig) < 0)
            return -1;
        c->p = nl + 2;
    }
    if (c->trailers.err)
        return -ENOMEM;
    if (!trailers_complete(c))
        return -1;
    if (!c->trailer_signed)
        return sig[0] ? -1 : 0;
    if (!sig[0])
        return -1;
    return trailer_verify(c, sig);
}

static int chunked_fail(struct gw_sigv4_result *res, int rc)
{
    switch (rc) {
    case -ENOMEM: return rc;
    case SV_BAD_CHUNK_SIG:
        return fail(res, GW_SIGV4_CHUNK, "a chunk signature does not match");
    case SV_BAD_TRAILER_SIG:
        return fail(res, GW_SIGV4_CHUNK,
                    "the trailer signature does not match");
    case SV_BAD_TRAILER:
        return fail(res, GW_SIGV4_TRAILER,
                    "the trailer is malformed or is not what x-amz-trailer "
                    "declares");
    default:
        return fail(res, GW_SIGV4_CHUNK, "the aws-chunked body is malformed");
    }
}

/* Decodes an aws-chunked body into res->payload and its trailers into
 * res->trailers. `key` NULL: the chunks are not signed; `trailer`: the
 * body ends in trailers, signed if key is set. */
static int decode_chunked(const struct gw_sigv4_request *req,
                          const struct sv_auth *a, const unsigned char *key,
                          int trailer, struct gw_sigv4_result *res)
{
    struct sv_chunks c = {.p = req->body,
                          .end = req->body + req->body_len,
                          .a = a,
                          .key = key,
                          .declared =
                              trailer ? header(req, "x-amz-trailer") : NULL,
                          .trailer_signed = trailer && key};
    const char *declen = header(req, "x-amz-decoded-content-length");
    int rc;

    memcpy(c.prev, a->signature, SV_HEX_LEN);
    rc = chunks_decode(&c);
    if (rc == 1)
        rc = SV_BAD_CHUNK_SIG;
    if (rc == 0) {
        rc = chunks_trailer(&c);
        rc = rc == 1 ? SV_BAD_TRAILER_SIG : rc == -1 ? SV_BAD_TRAILER : rc;
    }
    if (rc == 0 && c.out.err)
        rc = -ENOMEM;
    if (rc == 0 && declen && strtoull(declen, NULL, 10) != c.out.len)
        rc = -1;
    if (rc != 0) {
        gw_buf_free(&c.out);
        gw_buf_free(&c.trailers);
        return chunked_fail(res, rc);
    }
    res->payload = c.out.data ? c.out.data : strdup("");
    res->payload_len = c.out.len;
    res->trailers = c.trailers.data;
    res->trailers_len = c.trailers.len;
    return res->payload ? 0 : -ENOMEM;
}

/* After the signature: the body must be what the payload hash says. */
static int check_payload(const struct gw_sigv4_request *req,
                         const struct sv_auth *a, const char *payload,
                         const unsigned char *key, struct gw_sigv4_result *res)
{
    char h[SV_HEX_LEN];

    if (strcmp(payload, SV_UNSIGNED) == 0)
        return 0;
    if (strcmp(payload, SV_STREAMING) == 0)
        return decode_chunked(req, a, key, 0, res);
    if (strcmp(payload, SV_STREAMING_SIGNED_TRAILER) == 0)
        return decode_chunked(req, a, key, 1, res);
    if (strcmp(payload, SV_STREAMING_TRAILER) == 0)
        return decode_chunked(req, a, NULL, 1, res);
    if (sha256_hex(req->body ? req->body : "", req->body_len, h) < 0)
        return -ENOMEM;
    if (strcasecmp(h, payload) != 0)
        return fail(res, GW_SIGV4_PAYLOAD_HASH,
                    "The provided 'x-amz-content-sha256' header does not "
                    "match what was computed.");
    return 0;
}

/* The payload hash the signature covers. */
static int payload_of(const struct gw_sigv4_request *req,
                      const struct sv_auth *a, const char **out,
                      struct gw_sigv4_result *res)
{
    const char *p = header(req, "x-amz-content-sha256");

    if (!p && a->presigned) {
        *out = SV_UNSIGNED;
        return 0;
    }
    if (!p)
        return fail(res, GW_SIGV4_MALFORMED,
                    "Missing required header for this request: "
                    "x-amz-content-sha256");
    if (!is_hex64(p) && strcmp(p, SV_UNSIGNED) != 0 &&
        strcmp(p, SV_STREAMING) != 0 && strcmp(p, SV_STREAMING_TRAILER) != 0 &&
        strcmp(p, SV_STREAMING_SIGNED_TRAILER) != 0)
        return fail(res, GW_SIGV4_MALFORMED,
                    "x-amz-content-sha256 '%.40s' is not supported", p);
    *out = p;
    return 0;
}

static int parse_auth(const struct gw_sigv4_request *req, struct sv_auth *a,
                      struct gw_sigv4_result *res)
{
    const char *auth = header(req, "authorization");
    char probe[8];

    if (auth)
        return from_header(req, auth, a, res);
    if (query_get(req->query, "X-Amz-Algorithm", probe, sizeof(probe)) != 0)
        return from_query(req->query, a, res);
    if (query_get(req->query, "Signature", probe, sizeof(probe)) != 0)
        return fail(res, GW_SIGV4_UNSUPPORTED,
                    "only AWS4-HMAC-SHA256 signatures are supported");
    return fail(res, GW_SIGV4_ANONYMOUS, "Access Denied");
}

int gw_sigv4_verify(const struct gw_sigv4_request *req,
                    const struct gw_sigv4_key *key, time_t now,
                    struct gw_sigv4_result *res)
{
    unsigned char skey[SV_HASH_LEN];
    struct sv_auth a;
    const char *payload = NULL;
    int rc;

    memset(res, 0, sizeof(*res));
    memset(&a, 0, sizeof(a));
    rc = parse_auth(req, &a, res);
    snprintf(res->access_key_id, sizeof(res->access_key_id), "%s", a.akid);
    if (rc == 0 && !sig_equal(a.akid, key->access_key_id))
        rc = fail(res, GW_SIGV4_UNKNOWN_KEY,
                  "The AWS Access Key Id you provided does not exist in "
                  "our records.");
    if (rc == 0)
        rc = check_time(&a, now, res);
    if (rc == 0 && !has_token(a.signed_headers, "host"))
        rc = fail(res, GW_SIGV4_MALFORMED, "'host' must be a signed header");
    if (rc == 0)
        rc = payload_of(req, &a, &payload, res);
    if (rc != 0)
        return rc;
    rc = signing_key(&a, key->secret, skey);
    if (rc == 0)
        rc = check_signature(req, &a, payload, skey, res);
    if (rc == 0)
        rc = check_payload(req, &a, payload, skey, res);
    OPENSSL_cleanse(skey, sizeof(skey));
    return rc;
}

void gw_sigv4_result_free(struct gw_sigv4_result *res)
{
    if (!res)
        return;
    free(res->payload);
    free(res->trailers);
    res->payload = NULL;
    res->payload_len = 0;
    res->trailers = NULL;
    res->trailers_len = 0;
}
