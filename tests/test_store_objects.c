/* test_store_objects.c: the object store and the event queue, in a tmp dir. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/multipart.h"
#include "store/objects.h"
#include "store/store.h"
#include "tests/testlib.h"
#include "tests/store_testlib.h"

/* MD5 of "hello" (RFC 1321 test suite style, checked with md5sum). */
#define MD5_HELLO "5d41402abc4b2a76b9719d911017c592"

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int put(struct st *st, const char *bucket, const char *key,
               const char *text, int *events)
{
    struct st_put opt = {.content_type = "text/plain"};

    return st_object_put(st, bucket, key, text, strlen(text), &opt, NULL,
                         events);
}

/* Counts the body files under objects/. */
static int count_bodies(const char *dir)
{
    char cmd[400];
    FILE *p;
    int n = -1;

    snprintf(cmd, sizeof(cmd), "ls -A %s/objects | wc -l", dir);
    p = popen(cmd, "r");
    if (p && fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

static int test_names(void)
{
    int ok = -1;

    CHECK(st_bucket_name_valid("abc"), "abc");
    CHECK(st_bucket_name_valid("my.bucket-1"), "my.bucket-1");
    CHECK(!st_bucket_name_valid("ab"), "too short");
    CHECK(!st_bucket_name_valid("Abc"), "upper case");
    CHECK(!st_bucket_name_valid("a..b"), "two dots");
    CHECK(!st_bucket_name_valid("-ab"), "leading dash");
    CHECK(!st_bucket_name_valid("192.168.1.1"), "IP address");
    CHECK(st_key_valid("a/b c+d.txt"), "plain key");
    CHECK(st_key_valid("caf\xc3\xa9"), "UTF-8 key");
    CHECK(!st_key_valid(""), "empty key");
    CHECK(!st_key_valid("bad\xff"), "0xff byte");
    CHECK(!st_key_valid("\xc0\xaf"), "overlong");
    CHECK(!st_key_valid("\xed\xa0\x80"), "surrogate");
    ok = 0;
out:
    return ok;
}

static int test_buckets(void)
{
    const char *dir = tl_case_dir("buckets");
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_exists(st, "one"), -ENOENT);
    CHECK_RC(st_bucket_create(st, "one"), 0);
    CHECK_RC(st_bucket_create(st, "one"), -EEXIST);
    CHECK_RC(st_bucket_create(st, "No"), -EINVAL);
    CHECK_RC(st_bucket_exists(st, "one"), 0);
    CHECK_RC(put(st, "one", "k", "v", NULL), 0);
    CHECK_RC(st_bucket_delete(st, "one"), -ENOTEMPTY);
    CHECK_RC(st_object_delete(st, "one", "k", NULL), 0);
    CHECK_RC(st_bucket_delete(st, "one"), 0);
    CHECK_RC(st_bucket_delete(st, "one"), -ENOENT);
    CHECK_RC(put(st, "one", "k", "v", NULL), -ENOENT);
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int test_put_get_replace(void)
{
    const char *dir = tl_case_dir("putget");
    struct st_put text = {.content_type = "text/plain"};
    struct st_object o = {0}, p = {0};
    struct st *st = NULL;
    char buf[16] = "";
    int fd = -1, ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_object_put(st, "bkt", "a/b.txt", "hello", 5, &text, &o, NULL),
             0);
    CHECK(strcmp(o.etag, MD5_HELLO) == 0, "etag %s", o.etag);
    CHECK(o.size == 5 && o.seq > 0, "size %llu seq %lld",
          (unsigned long long)o.size, (long long)o.seq);
    CHECK_RC(st_object_open(st, "bkt", "a/b.txt", &p, &fd), 0);
    CHECK(read(fd, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0,
          "body '%s'", buf);
    CHECK(strcmp(p.content_type, "text/plain") == 0, "content type");
    close(fd);
    fd = -1;
    st_object_clear(&p);

    /* A replacement frees the old body; an open descriptor still reads
     * the version it opened. */
    CHECK_RC(st_object_open(st, "bkt", "a/b.txt", &p, &fd), 0);
    CHECK_RC(put(st, "bkt", "a/b.txt", "world!", NULL), 0);
    CHECK(count_bodies(dir) == 1, "%d bodies after replace", count_bodies(dir));
    CHECK(pread(fd, buf, sizeof(buf), 0) == 5, "old version unreadable");
    st_object_clear(&p);
    CHECK_RC(st_object_get(st, "bkt", "a/b.txt", &p), 0);
    CHECK(p.size == 6 && p.seq > o.seq, "replacement size %llu",
          (unsigned long long)p.size);
    CHECK_RC(st_object_get(st, "bkt", "nope", &p), -ENOENT);
    CHECK_RC(st_object_delete(st, "bkt", "a/b.txt", NULL), 0);
    CHECK_RC(st_object_delete(st, "bkt", "a/b.txt", NULL), -ENOENT);
    CHECK(count_bodies(dir) == 0, "%d bodies after delete", count_bodies(dir));
    CHECK_RC(put(st, "bkt", "bad\xff", "x", NULL), -EINVAL);
    ok = 0;
out:
    if (fd >= 0)
        close(fd);
    st_object_clear(&o);
    st_object_clear(&p);
    st_close(st);
    return ok;
}

struct listing {
    char text[512];
};

static int add_item(const struct st_object *obj, const char *cp, void *arg)
{
    struct listing *l = arg;
    size_t n = strlen(l->text);

    snprintf(l->text + n, sizeof(l->text) - n, "%s%s ",
             obj ? "" : "P:", obj ? obj->key : cp);
    return 0;
}

static int list(struct st *st, const char *prefix, const char *delim,
                const char *after, int max, struct listing *l, bool *truncated)
{
    struct st_list_query q = {"bkt", prefix, delim, after, max, false};
    int rc;

    l->text[0] = '\0';
    rc = st_object_list(st, &q, add_item, l);
    *truncated = q.truncated;
    return rc;
}

static int test_list(void)
{
    static const char *const keys[] = {"a.txt", "b/1", "b/2", "b/c/3",
                                       "c",     "d/x", "d/y"};
    const char *dir = tl_case_dir("list");
    struct listing l;
    struct st *st = NULL;
    bool tr = false;
    size_t i;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        CHECK_RC(put(st, "bkt", keys[i], "x", NULL), 0);

    CHECK_RC(list(st, NULL, NULL, NULL, 100, &l, &tr), 7);
    CHECK(!tr, "truncated");
    CHECK_RC(list(st, NULL, "/", NULL, 100, &l, &tr), 4);
    CHECK(strcmp(l.text, "a.txt P:b/ c P:d/ ") == 0, "got '%s'", l.text);
    CHECK_RC(list(st, "b/", "/", NULL, 100, &l, &tr), 3);
    CHECK(strcmp(l.text, "b/1 b/2 P:b/c/ ") == 0, "got '%s'", l.text);
    CHECK_RC(list(st, NULL, "/", NULL, 2, &l, &tr), 2);
    CHECK(tr && strcmp(l.text, "a.txt P:b/ ") == 0, "page 1 '%s'", l.text);
    /* Resuming after a common prefix skips its keys. */
    CHECK_RC(list(st, NULL, "/", "b/", 2, &l, &tr), 2);
    CHECK(!tr && strcmp(l.text, "c P:d/ ") == 0, "page 2 '%s'", l.text);
    CHECK_RC(list(st, "b", NULL, "b/1", 100, &l, &tr), 2);
    CHECK(strcmp(l.text, "b/2 b/c/3 ") == 0, "after '%s'", l.text);
    CHECK_RC(list(st, "zz", NULL, NULL, 100, &l, &tr), 0);
    CHECK_RC(list(st, NULL, NULL, NULL, 0, &l, &tr), 0);
    CHECK(tr, "max 0 not truncated");
    ok = 0;
out:
    st_close(st);
    return ok;
}

struct taken {
    int n;
    int64_t id[8];
    char function[8][64];
    char name[8][64];
    char body[8][ST_BODY_ID];
    int64_t size[8];
};

static int take_cb(const struct st_event *ev, void *arg)
{
    struct taken *t = arg;

    if (t->n == 8)
        return -1;
    t->id[t->n] = ev->id;
    snprintf(t->function[t->n], 64, "%s", ev->function);
    snprintf(t->name[t->n], 64, "%s", ev->name);
    snprintf(t->body[t->n], ST_BODY_ID, "%s", ev->body);
    t->size[t->n] = ev->size;
    t->n++;
    return 0;
}

static int test_events_route(void)
{
    const char *dir = tl_case_dir("route");
    struct st_put deep = {.depth = ST_EVENT_DEPTH_MAX + 1};
    struct taken t = {0};
    struct st *st = NULL;
    int ev = -1, ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "inbox"), 0);
    CHECK_RC(tl_store_deploy(st, "txt",
                             "{\"triggers\":[{\"kind\":\"object\","
                             "\"bucket\":\"inbox\",\"prefix\":\"docs/\","
                             "\"suffix\":\".txt\",\"events\":[\"put\"]}]}"),
             0);
    CHECK_RC(tl_store_deploy(st, "all",
                             "{\"triggers\":[{\"kind\":\"object\","
                             "\"bucket\":\"inbox\",\"events\":[\"put\","
                             "\"delete\"]}]}"),
             0);
    CHECK_RC(tl_store_deploy(st, "other",
                             "{\"triggers\":[{\"kind\":\"object\","
                             "\"bucket\":\"out\"}]}"),
             0);
    CHECK_RC(tl_store_deploy(st, "broken", "not json"), 0);

    CHECK_RC(put(st, "inbox", "docs/a.txt", "hello", &ev), 0);
    CHECK(ev == 2, "%d events for docs/a.txt", ev);
    CHECK_RC(put(st, "inbox", "docs/a.md", "hello", &ev), 0);
    CHECK(ev == 1, "%d events for docs/a.md", ev);
    CHECK_RC(put(st, "inbox", "x.txt", "hello", &ev), 0);
    CHECK(ev == 1, "%d events for x.txt", ev);
    CHECK_RC(st_object_delete(st, "inbox", "docs/a.txt", &ev), 0);
    CHECK(ev == 1, "%d events for the delete", ev);

    /* Too deep a chain enqueues nothing. */
    CHECK_RC(st_object_put(st, "inbox", "deep", "x", 1, &deep, NULL, &ev), 0);
    CHECK(ev == 0, "%d events past the depth limit", ev);

    CHECK_RC(st_events_take(st, now_ms(), 8, take_cb, &t), 5);
    CHECK(t.n == 5, "took %d", t.n);
    CHECK_RC(st_events_take(st, now_ms(), 8, take_cb, &t), 0);
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int test_events_lifecycle(void)
{
    const char *dir = tl_case_dir("lifecycle");
    struct taken t = {0};
    struct st *st = NULL;
    int64_t now = now_ms();
    int ok = -1, fd;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "inbox"), 0);
    CHECK_RC(tl_store_deploy(st, "f",
                             "{\"triggers\":[{\"kind\":\"object\","
                             "\"bucket\":\"inbox\",\"events\":[\"put\"]}]}"),
             0);
    CHECK_RC(put(st, "inbox", "k", "hello", NULL), 0);
    now = now_ms();

    /* The event pins its body past the object's deletion. */
    CHECK_RC(st_events_take(st, now, 1, take_cb, &t), 1);
    CHECK(strcmp(t.name[0], "ObjectCreated:Put") == 0 && t.size[0] == 5,
          "event %s size %lld", t.name[0], (long long)t.size[0]);
    CHECK_RC(st_object_delete(st, "inbox", "k", NULL), 0);
    fd = st_body_open(st, t.body[0]);
    CHECK(fd >= 0, "pinned body gone: %s", strerror(-fd));
    close(fd);

    /* Retry: not due before its time; counted attempts. */
    CHECK_RC(st_event_retry(st, t.id[0], now + 60000, "boom", true), 0);
    CHECK_RC(st_events_take(st, now, 1, take_cb, &t), 0);
    CHECK_RC(st_events_take(st, now + 60000, 1, take_cb, &t), 1);
    CHECK_RC(st_event_dead(st, t.id[1], "boom again"), 0);
    CHECK_RC(st_events_count(st, ST_EVENT_DEAD), 1);
    CHECK_RC(st_events_take(st, now + 120000, 1, take_cb, &t), 0);

    /* Redrive, take, then a crash: recover makes it pending again. */
    CHECK_RC(st_events_redrive(st, 0, "nobody", now), 0);
    CHECK_RC(st_events_redrive(st, 0, "f", now), 1);
    CHECK_RC(st_events_take(st, now, 1, take_cb, &t), 1);
    CHECK_RC(st_events_count(st, ST_EVENT_RUNNING), 1);
    st_close(st);
    st = NULL;
    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_events_recover(st, now), 1);
    CHECK_RC(st_events_take(st, now, 1, take_cb, &t), 1);

    /* Delivered: the row and the body go. */
    CHECK_RC(st_event_done(st, t.id[3]), 0);
    CHECK_RC(st_event_done(st, t.id[3]), -ENOENT);
    CHECK(count_bodies(dir) == 0, "%d bodies left", count_bodies(dir));
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int test_events_enqueue(void)
{
    const char *dir = tl_case_dir("enqueue");
    struct st_event_in in[3] = {
        {"ObjectCreated:Put", "ext", "a b.txt", 3, "abc", "{\"r\":1}"},
        {"ObjectRemoved:Delete", "ext", "a b.txt", -1, "", "{\"r\":2}"},
        {"ObjectCreated:Put", "elsewhere", "k", 1, "", "{}"},
    };
    struct st *st = NULL;
    int queued = -1, ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(tl_store_deploy(st, "f",
                             "{\"triggers\":[{\"kind\":\"object\","
                             "\"bucket\":\"ext\",\"suffix\":\".txt\"}]}"),
             0);
    CHECK_RC(st_events_enqueue(st, in, 3, &queued), 0);
    CHECK(queued == 1, "queued %d, want 1 (puts only by default)", queued);
    CHECK_RC(st_events_count(st, ST_EVENT_PENDING), 1);
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int test_sweep(void)
{
    const char *dir = tl_case_dir("sweep");
    struct st *st = NULL;
    char path[400], sha[ST_SHA_HEX];
    int fd, ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(put(st, "bkt", "k", "kept", NULL), 0);
    snprintf(path, sizeof(path), "%s/objects/%s", dir,
             "0123456789abcdef0123456789abcdef");
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0, "cannot create %s", path);
    close(fd);
    snprintf(path, sizeof(path), "%s/objects/.tmp-1", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0, "cannot create %s", path);
    close(fd);
    /* An image write a crash cut short; a stored image stays. */
    CHECK_RC(st_image_put(st, "elf", 3, sha), 0);
    snprintf(path, sizeof(path), "%s/images/.tmp-2", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0, "cannot create %s", path);
    close(fd);
    CHECK_RC(st_objects_sweep(st), 3);
    CHECK(count_bodies(dir) == 1, "%d bodies after sweep", count_bodies(dir));
    CHECK(access(path, F_OK) != 0, "%s still there", path);
    snprintf(path, sizeof(path), "%s/images/%s", dir, sha);
    CHECK(access(path, F_OK) == 0, "image %s swept", sha);
    ok = 0;
out:
    st_close(st);
    return ok;
}

/* Tags follow the object: a put sets or clears them, tags_set replaces
 * them, a delete removes them; a copy of the object gets what its put
 * says, and a multipart upload gives its object the tags it was made
 * with. */
static int test_tags(void)
{
    const char *dir = tl_case_dir("tags");
    struct st_put opt = {.tags = "a=1&b=two"}, mp = {.tags = "m=p"};
    struct st_complete c = {0};
    struct st_part_ref ref = {1, NULL};
    struct st_part part;
    char id[ST_UPLOAD_ID], *t = NULL;
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "k", &t), -ENOENT);
    CHECK_RC(st_object_tags_set(st, "bkt", "k", "x=1"), -ENOENT);
    CHECK_RC(st_object_put(st, "bkt", "k", "v", 1, &opt, NULL, NULL), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "k", &t), 0);
    CHECK(strcmp(t, "a=1&b=two") == 0, "tags '%s'", t);
    free(t);
    t = NULL;
    CHECK_RC(st_object_tags_set(st, "bkt", "k", "c=3"), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "k", &t), 0);
    CHECK(strcmp(t, "c=3") == 0, "tags '%s' after set", t);
    free(t);
    t = NULL;
    CHECK_RC(st_object_put(st, "bkt", "k", "w", 1, NULL, NULL, NULL), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "k", &t), 0);
    CHECK(strcmp(t, "") == 0, "tags '%s' after a put without", t);
    free(t);
    t = NULL;
    CHECK_RC(st_object_tags_set(st, "bkt", "k", "d=4"), 0);
    CHECK_RC(st_object_tags_set(st, "bkt", "k", NULL), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "k", &t), 0);
    CHECK(strcmp(t, "") == 0, "tags '%s' after clearing", t);
    free(t);
    t = NULL;
    CHECK_RC(st_object_tags_set(st, "bkt", "k", "e=5"), 0);
    CHECK_RC(st_object_delete(st, "bkt", "k", NULL), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "k", &t), -ENOENT);
    CHECK_RC(st_object_put(st, "bkt", "k", "again", 5, NULL, NULL, NULL), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "k", &t), 0);
    CHECK(strcmp(t, "") == 0, "a deleted object's tags came back: '%s'", t);
    free(t);
    t = NULL;

    CHECK_RC(st_upload_create(st, "bkt", "mp", &mp, id), 0);
    CHECK_RC(st_part_put(st, "bkt", "mp", id, 1, "part", 4, &part), 0);
    ref.etag = part.etag;
    c.parts = &ref;
    c.n = 1;
    CHECK_RC(st_upload_complete(st, "bkt", "mp", id, &c, NULL, NULL), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "mp", &t), 0);
    CHECK(strcmp(t, "m=p") == 0, "upload's tags '%s'", t);
    ok = 0;
out:
    free(t);
    st_close(st);
    return ok;
}

/* A data folder of the schema before tags (v3) opens, keeps its objects
 * and unfinished uploads, and gains tags. */
static int test_tags_migrate(void)
{
    const char *dir = tl_case_dir("tags-migrate");
    struct st_part_ref ref = {1, NULL};
    struct st_complete c = {.parts = &ref, .n = 1};
    struct st_part part;
    char err[256], id[ST_UPLOAD_ID], *t = NULL;
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_object_put(st, "bkt", "old", "kept", 4, NULL, NULL, NULL), 0);
    CHECK_RC(st_upload_create(st, "bkt", "up", NULL, id), 0);
    CHECK_RC(st_part_put(st, "bkt", "up", id, 1, "part", 4, &part), 0);
    st_close(st);
    st = NULL;
    CHECK(tl_store_sql(dir,
                       "DROP TABLE object_tags;"
                       " ALTER TABLE uploads DROP COLUMN tags;"
                       " ALTER TABLE uploads DROP COLUMN meta;"
                       " ALTER TABLE objects DROP COLUMN meta;"
                       " PRAGMA user_version = 3;",
                       err, sizeof(err)) == 0,
          "back to v3: %s", err);

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_object_tags_get(st, "bkt", "old", &t), 0);
    CHECK(strcmp(t, "") == 0, "tags '%s'", t);
    CHECK_RC(st_object_tags_set(st, "bkt", "old", "now=tagged"), 0);
    free(t);
    t = NULL;
    CHECK_RC(st_object_tags_get(st, "bkt", "old", &t), 0);
    CHECK(strcmp(t, "now=tagged") == 0, "tags '%s'", t);
    ref.etag = part.etag;
    CHECK_RC(st_upload_complete(st, "bkt", "up", id, &c, NULL, NULL), 0);
    ok = 0;
out:
    free(t);
    st_close(st);
    return ok;
}

/* A listing's callback: appends each object's metadata to arg. */
static int list_meta(const struct st_object *obj, const char *common_prefix,
                     void *arg)
{
    char *seen = arg;
    size_t n = strlen(seen);

    if (obj && obj->meta)
        snprintf(seen + n, 128 - n, "%s", obj->meta);
    return 0;
}

/* "(null)" for NULL, for messages. */
static const char *str(const char *s)
{
    return s ? s : "(null)";
}

/* Metadata follows the object: a put stores it or none, a get and a
 * listing return it, a delete takes it; an upload gives its object the
 * metadata it was started with. */
static int test_meta(void)
{
    const char *dir = tl_case_dir("meta");
    struct st_put opt = {.content_type = "text/plain",
                         .meta = "cache-control: no-cache\n"
                                 "x-amz-meta-a: 1\n"};
    struct st_list_query q = {.bucket = "bkt", .max = 10};
    struct st_object o = {0};
    char seen[128] = "";
    int ok = -1;
    struct st *st = NULL;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_object_put(st, "bkt", "k", "v", 1, &opt, &o, NULL), 0);
    CHECK(o.meta && strcmp(o.meta, opt.meta) == 0, "put's meta '%s'",
          str(o.meta));
    st_object_clear(&o);
    CHECK_RC(st_object_get(st, "bkt", "k", &o), 0);
    CHECK(o.meta && strcmp(o.meta, opt.meta) == 0, "meta '%s'", str(o.meta));
    st_object_clear(&o);
    CHECK_RC(st_object_list(st, &q, list_meta, seen), 1);
    CHECK(strcmp(seen, opt.meta) == 0, "listed meta '%s'", seen);

    opt.meta = "";
    CHECK_RC(st_object_put(st, "bkt", "k", "w", 1, &opt, NULL, NULL), 0);
    CHECK_RC(st_object_get(st, "bkt", "k", &o), 0);
    CHECK(o.meta == NULL, "meta '%s' after a put without", str(o.meta));
    st_object_clear(&o);
    opt.meta = "x-amz-meta-b: 2\n";
    CHECK_RC(st_object_put(st, "bkt", "k", "x", 1, &opt, NULL, NULL), 0);
    CHECK_RC(st_object_delete(st, "bkt", "k", NULL), 0);
    CHECK_RC(st_object_put(st, "bkt", "k", "y", 1, NULL, NULL, NULL), 0);
    CHECK_RC(st_object_get(st, "bkt", "k", &o), 0);
    CHECK(o.meta == NULL && o.content_type == NULL,
          "a deleted object's meta came back: '%s'", str(o.meta));
    ok = 0;
out:
    st_object_clear(&o);
    st_close(st);
    return ok;
}

/* A data folder of the schema before metadata (v4) opens, keeps its
 * objects and unfinished uploads (which complete without metadata), and
 * gains metadata. */
static int test_meta_migrate(void)
{
    const char *dir = tl_case_dir("meta-migrate");
    struct st_put opt = {.content_type = "a/b", .tags = "t=1"};
    struct st_part_ref ref = {1, NULL};
    struct st_complete c = {.parts = &ref, .n = 1};
    struct st_object o = {0};
    struct st_part part;
    char err[256], id[ST_UPLOAD_ID], *t = NULL;
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_object_put(st, "bkt", "old", "kept", 4, &opt, NULL, NULL), 0);
    CHECK_RC(st_upload_create(st, "bkt", "up", &opt, id), 0);
    CHECK_RC(st_part_put(st, "bkt", "up", id, 1, "part", 4, &part), 0);
    st_close(st);
    st = NULL;
    CHECK(tl_store_sql(dir,
                       "ALTER TABLE objects DROP COLUMN meta;"
                       " ALTER TABLE uploads DROP COLUMN meta;"
                       " PRAGMA user_version = 4;",
                       err, sizeof(err)) == 0,
          "back to v4: %s", err);

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_object_get(st, "bkt", "old", &o), 0);
    CHECK(o.size == 4 && o.meta == NULL && strcmp(o.content_type, "a/b") == 0,
          "old object: size %llu, meta '%s'", (unsigned long long)o.size,
          str(o.meta));
    st_object_clear(&o);
    ref.etag = part.etag;
    CHECK_RC(st_upload_complete(st, "bkt", "up", id, &c, &o, NULL), 0);
    CHECK(o.meta == NULL && strcmp(o.content_type, "a/b") == 0,
          "old upload's meta '%s'", str(o.meta));
    st_object_clear(&o);
    CHECK_RC(st_object_tags_get(st, "bkt", "up", &t), 0);
    CHECK(strcmp(t, "t=1") == 0, "old upload's tags '%s'", t);
    opt.meta = "x-amz-meta-new: yes\n";
    CHECK_RC(st_object_put(st, "bkt", "old", "new", 3, &opt, NULL, NULL), 0);
    CHECK_RC(st_object_get(st, "bkt", "old", &o), 0);
    CHECK(o.meta && strcmp(o.meta, opt.meta) == 0, "meta '%s'", str(o.meta));
    ok = 0;
out:
    free(t);
    st_object_clear(&o);
    st_close(st);
    return ok;
}

static const struct tl_case cases[] = {
    {"store_objects_names", test_names},
    {"store_objects_buckets", test_buckets},
    {"store_objects_put_get_replace", test_put_get_replace},
    {"store_objects_list", test_list},
    {"store_objects_events_route", test_events_route},
    {"store_objects_events_lifecycle", test_events_lifecycle},
    {"store_objects_events_enqueue", test_events_enqueue},
    {"store_objects_sweep", test_sweep},
    {"store_objects_tags", test_tags},
    {"store_objects_tags_migrate_v3", test_tags_migrate},
    {"store_objects_meta", test_meta},
    {"store_objects_meta_migrate_v4", test_meta_migrate},
};

int main(void)
{
    int rc;

    if (tl_root_make("objects") < 0)
        return 1;
    rc = tl_run_all(cases, sizeof(cases) / sizeof(cases[0]));
    tl_root_remove();
    return rc;
}
