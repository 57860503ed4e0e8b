/* test_s3event.c: S3 notification JSON, outgoing and from the webhook. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/s3event.h"
#include "tests/testlib.h"

static int test_keys(void)
{
    static const char *const keys[] = {"a b+c.txt", "dir/caf\xc3\xa9 (1)",
                                       "%41~_-.", "x"};
    char *e, *d;
    size_t i;
    int rc = 0;

    e = gw_s3event_key_encode("dir/a b+c&d");
    if (!e || strcmp(e, "dir/a+b%2Bc%26d") != 0)
        rc = tl_failf("encode: %s", e ? e : "NULL");
    free(e);
    for (i = 0; rc == 0 && i < sizeof(keys) / sizeof(keys[0]); i++) {
        e = gw_s3event_key_encode(keys[i]);
        d = e ? gw_s3event_key_decode(e) : NULL;
        if (!d || strcmp(d, keys[i]) != 0)
            rc = tl_failf("round trip of '%s' gave '%s'", keys[i], d ? d : "");
        free(e);
        free(d);
    }
    d = gw_s3event_key_decode("cut%00short");
    if (rc == 0 && d)
        rc = tl_failf("a %%00 key decoded");
    free(d);
    return rc;
}

static int test_outgoing(void)
{
    struct st_event ev = {
        .id = 7,
        .function = "fn",
        .name = "ObjectCreated:Put",
        .bucket = "in",
        .key = "a b.txt",
        .size = 12,
        .etag = "0123456789abcdef0123456789abcdef",
        .seq = 255,
        .time_ms = 1700000000123LL,
    };
    json_t *j, *o;
    char *s;
    int rc = 0;

    s = gw_s3event_json(&ev, NULL);
    j = s ? json_loads(s, 0, NULL) : NULL;
    o = json_object_get(
        json_object_get(
            json_object_get(json_array_get(json_object_get(j, "Records"), 0),
                            "s3"),
            "object"),
        "key");
    if (!o || strcmp(json_string_value(o), "a+b.txt") != 0)
        rc = tl_failf("record: %s", s ? s : "NULL");
    else if (!strstr(s, "\"sequencer\":\"00000000000000FF\"") ||
             !strstr(s, "\"eventTime\":\"2023-11-14T22:13:20.123Z\"") ||
             !strstr(s, "\"size\":12"))
        rc = tl_failf("fields: %s", s);
    json_decref(j);
    free(s);
    ev.size = -1;
    ev.etag = "";
    ev.name = "ObjectRemoved:Delete";
    s = gw_s3event_json(&ev, NULL);
    if (rc == 0 && (!s || strstr(s, "\"size\"") || strstr(s, "eTag")))
        rc = tl_failf("a delete has size or eTag: %s", s ? s : "NULL");
    free(s);
    ev.record_json = "{\"x\":1}";
    s = gw_s3event_json(&ev, NULL);
    if (rc == 0 && (!s || strcmp(s, "{\"Records\":[{\"x\":1}]}") != 0))
        rc = tl_failf("webhook record not passed on: %s", s ? s : "NULL");
    free(s);
    return rc;
}

static int parse(const char *json, struct gw_s3event_batch *b, char *err)
{
    return gw_s3event_parse(json, strlen(json), b, err, 200);
}

static int test_incoming(void)
{
    static const char minio[] =
        "{\"EventName\":\"s3:ObjectCreated:Put\",\"Key\":\"b/x+y%2Bz\","
        "\"Records\":[{\"eventName\":\"s3:ObjectCreated:Put\","
        "\"eventSource\":\"minio:s3\",\"s3\":{\"bucket\":{\"name\":\"b\"},"
        "\"object\":{\"key\":\"x+y%2Bz\",\"size\":5,\"eTag\":\"e\"}}},"
        "{\"eventName\":\"ObjectRemoved:Delete\",\"eventSource\":\"ceph:s3\","
        "\"s3\":{\"bucket\":{\"name\":\"c\"},\"object\":{\"key\":\"raw+k "
        "%41\"}}}]}";
    struct gw_s3event_batch b;
    char err[200] = "";
    int rc;

    rc = parse(minio, &b, err);
    if (rc < 0)
        return tl_failf("minio + ceph: %s", err);
    if (b.n != 2 || strcmp(b.in[0].name, "ObjectCreated:Put") != 0 ||
        strcmp(b.in[0].key, "x y+z") != 0 || b.in[0].size != 5 ||
        strcmp(b.in[1].key, "raw+k %41") != 0 || b.in[1].size != -1 ||
        strcmp(b.in[1].bucket, "c") != 0)
        rc = tl_failf("records: %zu, '%s', '%s'", b.n, b.in[0].key,
                      b.n > 1 ? b.in[1].key : "");
    gw_s3event_batch_free(&b);
    return rc;
}

static int test_test_and_bad(void)
{
    static const char *const bad[] = {
        "{\"Records\": [",
        "[]",
        "{\"hello\": 1}",
        "{\"Records\": [{\"eventName\": \"x\"}]}",
        "{\"Records\": [{\"eventName\": \"ObjectCreated:Put\", \"s3\": "
        "{\"bucket\": {\"name\": \"b\"}, \"object\": {\"key\": \"\"}}}]}",
    };
    struct gw_s3event_batch b;
    char err[200] = "";
    size_t i;

    if (parse("{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\"}", &b,
              err) < 0 ||
        !b.test || b.n != 0)
        return tl_failf("test event: %s", err);
    gw_s3event_batch_free(&b);
    if (parse("{\"Records\": []}", &b, err) < 0 || b.n != 0)
        return tl_failf("no records: %s", err);
    gw_s3event_batch_free(&b);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (parse(bad[i], &b, err) != -EINVAL || !err[0])
            return tl_failf("accepted '%s'", bad[i]);
    }
    return 0;
}

static const struct tl_case cases[] = {
    {"s3event_keys", test_keys},
    {"s3event_outgoing", test_outgoing},
    {"s3event_incoming", test_incoming},
    {"s3event_test_and_bad", test_test_and_bad},
};

int main(void)
{
    return tl_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}
