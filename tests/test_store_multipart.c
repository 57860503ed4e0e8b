/* test_store_multipart.c: multipart uploads in the store, in a tmp dir. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store/multipart.h"
#include "store/objects.h"
#include "store/store.h"
#include "tests/testlib.h"
#include "tests/store_testlib.h"

#define MIN_PART 8 /* small parts keep the cases fast */

/* Counts the entries of dir/sub (a folder), -1 if it cannot. */
static int count_files(const char *dir, const char *sub)
{
    char cmd[512];
    FILE *p;
    int n = -1;

    snprintf(cmd, sizeof(cmd), "ls -A %s/%s | wc -l", dir, sub);
    p = popen(cmd, "r");
    if (p && fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

static void md5_hex(const void *data, size_t len, char out[33])
{
    unsigned char md[16];
    unsigned int n = 0;
    int i;

    EVP_Digest(data, len, md, &n, EVP_md5(), NULL);
    for (i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* S3's multipart ETag computed here, independently of the store. */
static void multi_etag(const char *const *parts, size_t n, char out[48])
{
    unsigned char all[16 * 8], md[16];
    unsigned int len = 0;
    size_t i;

    for (i = 0; i < n; i++)
        EVP_Digest(parts[i], strlen(parts[i]), all + 16 * i, &len, EVP_md5(),
                   NULL);
    EVP_Digest(all, 16 * n, md, &len, EVP_md5(), NULL);
    for (i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    snprintf(out + 32, 16, "-%zu", n);
}

static int part(struct st *st, const char *id, int n, const char *text,
                struct st_part *out)
{
    return st_part_put(st, "bkt", "big", id, n, text, strlen(text), out);
}

struct names {
    char text[512];
    char first_id[ST_UPLOAD_ID]; /* of the first upload listed */
};

static int event_name(const struct st_event *ev, void *arg)
{
    struct names *t = arg;
    size_t n = strlen(t->text);

    snprintf(t->text + n, sizeof(t->text) - n, "%s:%s:%lld:%s ", ev->key,
             ev->name, (long long)ev->size, ev->etag);
    return 0;
}

static int test_complete(void)
{
    static const char *const texts[] = {"first part", "second part", "end"};
    const char *dir = tl_case_dir("complete");
    char id[ST_UPLOAD_ID], want[48], e[3][33], buf[64] = "";
    struct st_part_ref refs[3] = {{1, e[0]}, {2, e[1]}, {3, e[2]}};
    struct st_complete c = {refs, 3, MIN_PART, NULL, 0};
    struct st_put text = {.content_type = "text/plain",
                          .meta = "x-amz-meta-a: 1\n"};
    struct st_object o = {0};
    struct st_part p;
    struct names t = {0};
    struct st *st = NULL;
    int i, fd = -1, ev = -1, ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(tl_store_deploy(st, "fn",
                             "{\"triggers\":[{\"kind\":\"object\","
                             "\"bucket\":\"bkt\"}]}"),
             0);
    CHECK_RC(st_upload_create(st, "bkt", "big", &text, id), 0);
    CHECK(count_files(dir, "uploads") == 1, "no folder for the upload");
    for (i = 0; i < 3; i++) {
        CHECK_RC(part(st, id, i + 1, texts[i], &p), 0);
        md5_hex(texts[i], strlen(texts[i]), e[i]);
        CHECK(strcmp(p.etag, e[i]) == 0, "part %d etag %s", i + 1, p.etag);
    }
    /* Parts and uploads enqueue no events; the completion one. */
    CHECK_RC(st_events_count(st, ST_EVENT_PENDING), 0);
    CHECK_RC(st_upload_complete(st, "bkt", "big", id, &c, &o, &ev), 0);
    CHECK(ev == 1, "%d events", ev);
    multi_etag(texts, 3, want);
    CHECK(strcmp(o.etag, want) == 0, "etag %s, want %s", o.etag, want);
    CHECK(o.size == strlen("first partsecond partend"), "size %llu",
          (unsigned long long)o.size);
    st_object_clear(&o);

    CHECK_RC(st_object_open(st, "bkt", "big", &o, &fd), 0);
    CHECK(read(fd, buf, sizeof(buf)) == 24, "short body");
    CHECK(strcmp(buf, "first partsecond partend") == 0, "body '%s'", buf);
    CHECK(strcmp(o.etag, want) == 0, "stored etag %s", o.etag);
    CHECK(o.content_type && strcmp(o.content_type, "text/plain") == 0,
          "content type");
    CHECK(o.meta && strcmp(o.meta, text.meta) == 0, "meta '%s'",
          o.meta ? o.meta : "(null)");
    CHECK(count_files(dir, "uploads") == 0, "upload folder left");
    CHECK_RC(st_upload_exists(st, "bkt", "big", id), -ENOENT);
    CHECK_RC(st_events_list(st, ST_EVENT_PENDING, NULL, 8, event_name, &t), 0);
    snprintf(buf, sizeof(buf), "big:ObjectCreated:CompleteMultipartUpload:24:");
    CHECK(strncmp(t.text, buf, strlen(buf)) == 0 && strstr(t.text, want),
          "events '%s'", t.text);
    CHECK_RC(st_upload_complete(st, "bkt", "big", id, &c, NULL, NULL), -ENOENT);
    ok = 0;
out:
    if (fd >= 0)
        close(fd);
    st_object_clear(&o);
    st_close(st);
    return ok;
}

static int test_bad_input(void)
{
    const char *dir = tl_case_dir("bad");
    char id[ST_UPLOAD_ID], other[ST_UPLOAD_ID], e1[33], e2[33];
    struct st_part_ref refs[2] = {{1, e1}, {2, e2}};
    struct st_complete c = {refs, 2, MIN_PART, NULL, 0};
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_bucket_create(st, "bkt2"), 0);
    CHECK_RC(st_upload_create(st, "nob", "big", NULL, id), -ENOENT);
    CHECK_RC(st_upload_create(st, "bkt", "bad\xff", NULL, id), -EINVAL);
    CHECK(count_files(dir, "uploads") == 0, "folder of a refused upload");
    CHECK_RC(st_upload_create(st, "bkt", "big", NULL, id), 0);
    CHECK_RC(st_upload_create(st, "bkt2", "big", NULL, other), 0);

    /* Ids are checked before they name a folder; an upload is found only
     * under its own bucket and key. */
    CHECK_RC(part(st, "../../etc", 1, "x", NULL), -ENOENT);
    CHECK_RC(part(st, "0123456789ABCDEF0123456789ABCDEF", 1, "x", NULL),
             -ENOENT);
    CHECK_RC(part(st, other, 1, "x", NULL), -ENOENT);
    CHECK_RC(st_part_put(st, "bkt", "small", id, 1, "x", 1, NULL), -ENOENT);
    CHECK_RC(part(st, id, 0, "x", NULL), -ERANGE);
    CHECK_RC(part(st, id, ST_PART_MAX + 1, "x", NULL), -ERANGE);
    CHECK_RC(part(st, id, ST_PART_MAX, "x", NULL), 0);

    CHECK_RC(part(st, id, 1, "tiny", NULL), 0);
    CHECK_RC(part(st, id, 2, "last", NULL), 0);
    md5_hex("tiny", 4, e1);
    md5_hex("last", 4, e2);
    CHECK_RC(st_upload_complete(st, "bkt", "big", id, &c, NULL, NULL),
             -EMSGSIZE);
    CHECK(c.bad_part == 1, "bad part %d", c.bad_part);
    CHECK_RC(part(st, id, 1, "big enough", NULL), 0);
    CHECK_RC(st_upload_complete(st, "bkt", "big", id, &c, NULL, NULL), -ENXIO);
    CHECK(c.bad_part == 1, "bad part %d", c.bad_part);
    md5_hex("big enough", 10, e1);
    refs[1].number = 3;
    CHECK_RC(st_upload_complete(st, "bkt", "big", id, &c, NULL, NULL), -ENXIO);
    CHECK(c.bad_part == 3, "bad part %d", c.bad_part);
    refs[1].number = 1;
    CHECK_RC(st_upload_complete(st, "bkt", "big", id, &c, NULL, NULL), -EDOM);
    refs[1].number = 2;
    c.n = 0;
    CHECK_RC(st_upload_complete(st, "bkt", "big", id, &c, NULL, NULL), -EINVAL);
    c.n = 2;
    CHECK_RC(st_upload_complete(st, "bkt", "other", id, &c, NULL, NULL),
             -ENOENT);
    /* Failed completions change nothing. */
    CHECK_RC(st_upload_exists(st, "bkt", "big", id), 0);
    CHECK_RC(st_object_get(st, "bkt", "big", &(struct st_object){0}), -ENOENT);
    CHECK_RC(st_upload_complete(st, "bkt", "big", id, &c, NULL, NULL), 0);
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int add_part(const struct st_part *p, void *arg)
{
    struct names *t = arg;
    size_t n = strlen(t->text);

    snprintf(t->text + n, sizeof(t->text) - n, "%d:%llu ", p->number,
             (unsigned long long)p->size);
    return 0;
}

static int test_replace_abort(void)
{
    const char *dir = tl_case_dir("abort");
    char id[ST_UPLOAD_ID], sub[64];
    struct names t = {0};
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_upload_create(st, "bkt", "big", NULL, id), 0);
    snprintf(sub, sizeof(sub), "uploads/%s", id);
    CHECK_RC(part(st, id, 2, "two", NULL), 0);
    CHECK_RC(part(st, id, 1, "one", NULL), 0);
    CHECK_RC(part(st, id, 1, "one again", NULL), 0);
    CHECK(count_files(dir, sub) == 2, "%d part files", count_files(dir, sub));
    CHECK_RC(st_part_list(st, "bkt", "big", id, 0, add_part, &t), 2);
    CHECK(strcmp(t.text, "1:9 2:3 ") == 0, "parts '%s'", t.text);
    t.text[0] = '\0';
    CHECK_RC(st_part_list(st, "bkt", "big", id, 1, add_part, &t), 1);
    CHECK(strcmp(t.text, "2:3 ") == 0, "parts after 1 '%s'", t.text);

    CHECK_RC(st_upload_abort(st, "bkt", "other", id), -ENOENT);
    CHECK_RC(st_upload_abort(st, "bkt", "big", id), 0);
    CHECK(count_files(dir, "uploads") == 0, "upload folder left");
    CHECK_RC(st_upload_abort(st, "bkt", "big", id), -ENOENT);
    CHECK_RC(st_part_list(st, "bkt", "big", id, 0, add_part, &t), -ENOENT);
    CHECK_RC(part(st, id, 1, "late", NULL), -ENOENT);
    CHECK(count_files(dir, "uploads") == 0, "a late part left a folder");
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int add_upload(const struct st_upload *up, void *arg)
{
    struct names *t = arg;
    size_t n = strlen(t->text);

    snprintf(t->text + n, sizeof(t->text) - n, "%s ", up->key);
    if (n == 0)
        memcpy(t->first_id, up->id, ST_UPLOAD_ID);
    return 0;
}

static int list_uploads(struct st *st, const char *prefix, const char *km,
                        const char *im, struct names *t)
{
    struct st_upload_query q = {"bkt", prefix, km, im};

    t->text[0] = '\0';
    return st_upload_list(st, &q, add_upload, t);
}

static int test_list_and_bucket(void)
{
    const char *dir = tl_case_dir("list");
    char a1[ST_UPLOAD_ID], a2[ST_UPLOAD_ID], b[ST_UPLOAD_ID], c[ST_UPLOAD_ID];
    char first[ST_UPLOAD_ID];
    struct names t;
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_upload_create(st, "bkt", "d/b", NULL, b), 0);
    CHECK_RC(st_upload_create(st, "bkt", "d/a", NULL, a1), 0);
    CHECK_RC(st_upload_create(st, "bkt", "d/a", NULL, a2), 0);
    CHECK_RC(st_upload_create(st, "bkt", "e", NULL, c), 0);
    CHECK_RC(list_uploads(st, NULL, NULL, NULL, &t), 4);
    CHECK(strcmp(t.text, "d/a d/a d/b e ") == 0, "all '%s'", t.text);
    CHECK_RC(list_uploads(st, "d/", NULL, NULL, &t), 3);
    CHECK_RC(list_uploads(st, NULL, "d/a", NULL, &t), 2);
    CHECK(strcmp(t.text, "d/b e ") == 0, "after d/a '%s'", t.text);
    /* Two uploads of d/a, in order of creation (or of id, within one
     * millisecond): after the first comes the second. */
    CHECK_RC(list_uploads(st, "d/a", NULL, NULL, &t), 2);
    memcpy(first, t.first_id, ST_UPLOAD_ID);
    CHECK(strcmp(first, a1) == 0 || strcmp(first, a2) == 0, "first id");
    CHECK_RC(list_uploads(st, NULL, "d/a", first, &t), 3);
    CHECK(strcmp(t.text, "d/a d/b e ") == 0, "after the first '%s'", t.text);
    CHECK(strcmp(t.first_id, first) != 0, "the first again");
    CHECK_RC(list_uploads(st, NULL, "d/a", strcmp(first, a1) ? a1 : a2, &t), 2);
    CHECK_RC(list_uploads(st, NULL, "d/a", "nope", &t), 2);

    /* An object keeps the bucket; unfinished uploads go with it. */
    CHECK_RC(part(st, c, 1, "x", NULL), -ENOENT);
    CHECK_RC(st_part_put(st, "bkt", "e", c, 1, "x", 1, NULL), 0);
    CHECK_RC(st_object_put(st, "bkt", "o", "x", 1, NULL, NULL, NULL), 0);
    CHECK_RC(st_bucket_delete(st, "bkt"), -ENOTEMPTY);
    CHECK(count_files(dir, "uploads") == 4, "uploads went with a refusal");
    CHECK_RC(st_object_delete(st, "bkt", "o", NULL), 0);
    CHECK_RC(st_bucket_delete(st, "bkt"), 0);
    CHECK(count_files(dir, "uploads") == 0, "upload folders left");
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(list_uploads(st, NULL, NULL, NULL, &t), 0);
    CHECK_RC(st_upload_exists(st, "bkt", "e", c), -ENOENT);
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int touch(const char *dir, const char *name)
{
    char path[1024];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int test_sweep(void)
{
    const char *dir = tl_case_dir("sweep");
    char id[ST_UPLOAD_ID], path[400];
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_upload_create(st, "bkt", "big", NULL, id), 0);
    CHECK_RC(part(st, id, 1, "kept", NULL), 0);
    /* Left by a crash: a part file without a row, a temp file, and the
     * folder of an upload that has no row. */
    snprintf(path, sizeof(path), "uploads/%s/%s", id,
             "0123456789abcdef0123456789abcdef");
    CHECK(touch(dir, path) == 0, "cannot create %s", path);
    snprintf(path, sizeof(path), "uploads/%s/.tmp-1", id);
    CHECK(touch(dir, path) == 0, "cannot create %s", path);
    snprintf(path, sizeof(path), "%s/uploads/ffffffffffffffffffffffffffffffff",
             dir);
    CHECK(mkdir(path, 0700) == 0, "cannot create %s", path);
    CHECK(touch(path, "00000000000000000000000000000000") == 0, "part file");
    CHECK_RC(st_objects_sweep(st), 3);
    CHECK(count_files(dir, "uploads") == 1, "%d folders",
          count_files(dir, "uploads"));
    snprintf(path, sizeof(path), "uploads/%s", id);
    CHECK(count_files(dir, path) == 1, "%d part files", count_files(dir, path));
    ok = 0;
out:
    st_close(st);
    return ok;
}

/* A data folder of the schema before multipart uploads (v2) opens, keeps
 * its objects and gains uploads. */
static int test_migrate(void)
{
    const char *dir = tl_case_dir("migrate");
    char err[256], id[ST_UPLOAD_ID];
    struct st_object o = {0};
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    CHECK_RC(st_object_put(st, "bkt", "old", "kept", 4, NULL, NULL, NULL), 0);
    st_close(st);
    st = NULL;
    CHECK(tl_store_sql(dir,
                       "DROP TABLE upload_parts; DROP TABLE uploads;"
                       " DROP TABLE object_tags;"
                       " ALTER TABLE objects DROP COLUMN meta;"
                       " PRAGMA user_version = 2;",
                       err, sizeof(err)) == 0,
          "back to v2: %s", err);

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_object_get(st, "bkt", "old", &o), 0);
    CHECK(o.size == 4, "size %llu", (unsigned long long)o.size);
    CHECK_RC(st_upload_create(st, "bkt", "new", NULL, id), 0);
    CHECK_RC(st_part_put(st, "bkt", "new", id, 1, "x", 1, NULL), 0);
    ok = 0;
out:
    st_object_clear(&o);
    st_close(st);
    return ok;
}

static int test_limit(void)
{
    const char *dir = tl_case_dir("limit");
    char id[ST_UPLOAD_ID];
    struct st *st = NULL;
    int i, ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(st_bucket_create(st, "bkt"), 0);
    for (i = 0; i < ST_UPLOADS_MAX; i++)
        CHECK_RC(st_upload_create(st, "bkt", "k", NULL, id), 0);
    CHECK_RC(st_upload_create(st, "bkt", "k", NULL, id), -EDQUOT);
    CHECK(count_files(dir, "uploads") == ST_UPLOADS_MAX, "%d folders",
          count_files(dir, "uploads"));
    CHECK_RC(st_bucket_delete(st, "bkt"), 0);
    CHECK(count_files(dir, "uploads") == 0, "folders left");
    ok = 0;
out:
    st_close(st);
    return ok;
}

static const struct tl_case cases[] = {
    {"store_multipart_complete", test_complete},
    {"store_multipart_bad_input", test_bad_input},
    {"store_multipart_replace_abort", test_replace_abort},
    {"store_multipart_list_and_bucket", test_list_and_bucket},
    {"store_multipart_sweep", test_sweep},
    {"store_multipart_migrate_v2", test_migrate},
    {"store_multipart_limit", test_limit},
};

int main(void)
{
    int rc;

    if (tl_root_make("multipart") < 0)
        return 1;
    rc = tl_run_all(cases, sizeof(cases) / sizeof(cases[0]));
    tl_root_remove();
    return rc;
}
