/* s3event.c: S3 notification JSON for functions and from other stores. */
#include "gateway/s3event.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gateway/url.h"

#define EV_REGION "us-east-1"
#define EV_OWNER "mayfly"

/* ---- Keys --------------------------------------------------------------- */

char *gw_s3event_key_encode(const char *key)
{
    return gw_url_encode(key, strlen(key), GW_URL_KEEP_SLASH | GW_URL_PLUS);
}

char *gw_s3event_key_decode(const char *s)
{
    size_t n;
    char *out = gw_url_decode(s, strlen(s), GW_URL_PLUS, &n);

    if (out && strlen(out) != n) { /* a %00 would cut the key short */
        free(out);
        return NULL;
    }
    return out;
}

/* ---- Outgoing ----------------------------------------------------------- */

static void ev_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    char base[24];
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%03dZ", base, (int)(ms % 1000));
}

static json_t *ev_object(const struct st_event *ev, const char *key)
{
    char seq[24];
    json_t *o;

    snprintf(seq, sizeof(seq), "%016llX", (unsigned long long)ev->seq);
    o = json_pack("{s:s, s:s}", "key", key, "sequencer", seq);
    if (o && ev->size >= 0)
        json_object_set_new(o, "size", json_integer(ev->size));
    if (o && ev->etag && ev->etag[0])
        json_object_set_new(o, "eTag", json_string(ev->etag));
    return o;
}

static json_t *ev_record(const struct st_event *ev, const char *key)
{
    char t[32], arn[128], cfg[96], rid[32];

    ev_time(ev->time_ms, t);
    snprintf(arn, sizeof(arn), "arn:aws:s3:::%s", ev->bucket);
    snprintf(cfg, sizeof(cfg), "mayfly-%s", ev->function);
    snprintf(rid, sizeof(rid), "%016llX", (unsigned long long)ev->id);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s},"
        " s:{s:s, s:s, s:{s:s, s:{s:s}, s:s}, s:o}}",
        "eventVersion", "2.1", "eventSource", "aws:s3", "awsRegion", EV_REGION,
        "eventTime", t, "eventName", ev->name, "userIdentity", "principalId",
        EV_OWNER, "requestParameters", "sourceIPAddress", "127.0.0.1",
        "responseElements", "x-amz-request-id", rid, "x-amz-id-2", rid, "s3",
        "s3SchemaVersion", "1.0", "configurationId", cfg, "bucket", "name",
        ev->bucket, "ownerIdentity", "principalId", EV_OWNER, "arn", arn,
        "object", ev_object(ev, key));
}

/* A webhook's record goes on as it came, inside a Records array. */
static char *ev_wrap(const char *record, size_t *len)
{
    char *out;
    int n = asprintf(&out, "{\"Records\":[%s]}", record);

    if (n < 0)
        return NULL;
    if (len)
        *len = (size_t)n;
    return out;
}

char *gw_s3event_json(const struct st_event *ev, size_t *len)
{
    json_t *root, *rec;
    char *key, *out;

    if (ev->record_json)
        return ev_wrap(ev->record_json, len);
    key = gw_s3event_key_encode(ev->key);
    rec = key ? ev_record(ev, key) : NULL;
    free(key);
    root = rec ? json_pack("{s:[o]}", "Records", rec) : NULL;
    out = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (out && len)
        *len = strlen(out);
    return out;
}

/* ---- Incoming ----------------------------------------------------------- */

/* What the records of a batch point into. */
struct ev_owned {
    json_t *root;
    char **strs;
    size_t nstrs;
};

static char *ev_keep(struct ev_owned *o, char *s)
{
    if (s)
        o->strs[o->nstrs++] = s;
    return s;
}

static const char *ev_str(json_t *obj, const char *path)
{
    json_t *v = obj;
    char name[32];
    const char *p = path, *dot;

    while (v && p) {
        dot = strchr(p, '.');
        snprintf(name, sizeof(name), "%.*s",
                 (int)(dot ? dot - p : (long)strlen(p)), p);
        v = json_object_get(v, name);
        p = dot ? dot + 1 : NULL;
    }
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Says which record is wrong, for the 400. */
static int ev_fail(char *err, size_t errlen, const char *what, size_t i)
{
    snprintf(err, errlen, "record %zu: %s", i, what);
    return -EINVAL;
}

/* Fills one record; Ceph sends keys as they are, the others encode them. */
static int ev_parse_record(json_t *rec, size_t i, struct ev_owned *o,
                           struct st_event_in *in, char *err, size_t errlen)
{
    const char *name = ev_str(rec, "eventName");
    const char *bucket = ev_str(rec, "s3.bucket.name");
    const char *key = ev_str(rec, "s3.object.key");
    const char *source = ev_str(rec, "eventSource");
    json_t *size = json_object_get(
        json_object_get(json_object_get(rec, "s3"), "object"), "size");

    if (!json_is_object(rec) || !name || !bucket || !key)
        return ev_fail(err, errlen,
                       "eventName, s3.bucket.name and s3.object.key must "
                       "be strings",
                       i);
    in->name = strncmp(name, "s3:", 3) == 0 ? name + 3 : name;
    in->bucket = bucket;
    in->key = source && strncmp(source, "ceph:", 5) == 0
                  ? key
                  : ev_keep(o, gw_s3event_key_decode(key));
    if (!in->key || !*in->key)
        return ev_fail(err, errlen, "the key is empty or not decodable", i);
    in->size = json_is_integer(size) ? json_integer_value(size) : -1;
    in->etag = ev_str(rec, "s3.object.eTag");
    in->record_json = ev_keep(o, json_dumps(rec, JSON_COMPACT));
    return in->record_json ? 0 : -ENOMEM;
}

static int ev_parse_records(json_t *recs, struct gw_s3event_batch *b,
                            struct ev_owned *o, char *err, size_t errlen)
{
    size_t i, n = json_array_size(recs);
    int rc;

    b->in = calloc(n ? n : 1, sizeof(*b->in));
    o->strs = calloc(2 * n + 1, sizeof(char *));
    if (!b->in || !o->strs)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        rc = ev_parse_record(json_array_get(recs, i), i, o, &b->in[i], err,
                             errlen);
        if (rc < 0)
            return rc;
    }
    b->n = n;
    return 0;
}

static int ev_parse_root(json_t *root, struct gw_s3event_batch *b,
                         struct ev_owned *o, char *err, size_t errlen)
{
    json_t *recs = json_object_get(root, "Records");
    const char *event = ev_str(root, "Event");

    if (!json_is_object(root)) {
        snprintf(err, errlen, "the notification is not a JSON object");
        return -EINVAL;
    }
    if (!recs && event && strstr(event, "TestEvent")) {
        b->test = 1;
        return 0;
    }
    if (!json_is_array(recs)) {
        snprintf(err, errlen, "no \"Records\" array and not a test event");
        return -EINVAL;
    }
    return ev_parse_records(recs, b, o, err, errlen);
}

int gw_s3event_parse(const char *body, size_t len, struct gw_s3event_batch *b,
                     char *err, size_t errlen)
{
    struct ev_owned *o = calloc(1, sizeof(*o));
    json_error_t jerr;
    int rc;

    memset(b, 0, sizeof(*b));
    if (!o)
        return -ENOMEM;
    b->owned = o;
    o->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o->root) {
        snprintf(err, errlen, "bad JSON at line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        rc = -EINVAL;
    } else {
        rc = ev_parse_root(o->root, b, o, err, errlen);
    }
    if (rc < 0)
        gw_s3event_batch_free(b);
    return rc;
}

void gw_s3event_batch_free(struct gw_s3event_batch *b)
{
    struct ev_owned *o = b->owned;
    size_t i;

    if (o) {
        for (i = 0; i < o->nstrs; i++)
            free(o->strs[i]);
        free(o->strs);
        json_decref(o->root);
        free(o);
    }
    free(b->in);
    memset(b, 0, sizeof(*b));
}
