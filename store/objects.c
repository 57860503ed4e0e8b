/* objects.c: buckets and objects: metadata rows, body files, listings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store/store_int.h"

#define ST_MD5_LEN 16
#define ST_LIST_BATCH 256
#define ST_OPEN_TRIES 4

#define ST_OBJ_COLUMNS                                                         \
    "bucket, key, body, size, etag, content_type, modified_ms, seq, meta"

static const char *const st_obj_sql[ST_OBJ_NSTMT] = {
    [ST_OBJ_BUCKET_GET] = "SELECT created_ms FROM buckets WHERE name = ?1",
    [ST_OBJ_SEQ_NEXT] =
        "UPDATE counters SET value = value + 1 WHERE name = 'object_seq'"
        " RETURNING value",
    [ST_OBJ_GET] = "SELECT " ST_OBJ_COLUMNS " FROM objects"
                   " WHERE bucket = ?1 AND key = ?2",
    [ST_OBJ_UPSERT] =
        "INSERT INTO objects (" ST_OBJ_COLUMNS ")"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        " ON CONFLICT (bucket, key) DO UPDATE SET body = excluded.body,"
        " size = excluded.size, etag = excluded.etag,"
        " content_type = excluded.content_type,"
        " modified_ms = excluded.modified_ms, seq = excluded.seq,"
        " meta = excluded.meta",
    [ST_OBJ_DELETE] = "DELETE FROM objects WHERE bucket = ?1 AND key = ?2",
    [ST_OBJ_BODY_USED] = "SELECT EXISTS (SELECT 1 FROM objects WHERE body = ?1)"
                         " OR EXISTS (SELECT 1 FROM events WHERE body = ?1)",
    /* ?2 is an exclusive lower bound, ?3 an inclusive one. */
    [ST_OBJ_LIST] = "SELECT " ST_OBJ_COLUMNS " FROM objects"
                    " WHERE bucket = ?1 AND key > ?2 AND key >= ?3"
                    " ORDER BY key LIMIT ?4",
    /* One row per active function with a matching object trigger; see
     * store/objects.h for the shape of a trigger. Text lengths count
     * characters on both sides, which is enough to compare prefixes. */
    /* No row: no object; a NULL tags column: an object without tags. */
    [ST_TAGS_GET] = "SELECT t.tags FROM objects o LEFT JOIN object_tags t"
                    " ON t.bucket = o.bucket AND t.key = o.key"
                    " WHERE o.bucket = ?1 AND o.key = ?2",
    [ST_TAGS_DEL] = "DELETE FROM object_tags WHERE bucket = ?1 AND key = ?2",
    [ST_TAGS_PUT] =
        "INSERT INTO object_tags (bucket, key, tags) VALUES (?1, ?2, ?3)",
    [ST_EV_ROUTE] =
        "INSERT INTO events (function, name, bucket, key, size, etag, seq,"
        " body, record_json, time_ms, depth, state, attempts, due_ms)"
        " SELECT DISTINCT f.name, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " 0, 0, ?9"
        " FROM function_heads h JOIN functions f"
        "  ON f.name = h.name AND f.version = h.active_version,"
        "  json_each(CASE WHEN json_valid(f.config_json)"
        "   THEN f.config_json END, '$.triggers') t"
        " WHERE json_extract(t.value, '$.kind') = 'object'"
        "  AND json_extract(t.value, '$.bucket') = ?2"
        "  AND substr(?3, 1,"
        "   length(coalesce(json_extract(t.value, '$.prefix'), '')))"
        "   = coalesce(json_extract(t.value, '$.prefix'), '')"
        "  AND (coalesce(json_extract(t.value, '$.suffix'), '') = ''"
        "   OR substr(?3, -length(json_extract(t.value, '$.suffix')))"
        "   = json_extract(t.value, '$.suffix'))"
        "  AND ((json_type(t.value, '$.events') IS NULL AND ?11 = 'put')"
        "   OR EXISTS (SELECT 1 FROM json_each(t.value, '$.events') e"
        "    WHERE e.value = ?11))",
    [ST_EV_TAKE] =
        "UPDATE events SET state = 1 WHERE id IN (SELECT id FROM events"
        " WHERE state = 0 AND due_ms <= ?1 ORDER BY due_ms, id LIMIT ?2)"
        " RETURNING id, function, name, bucket, key, size, etag, seq, body,"
        " record_json, time_ms, depth, state, attempts, due_ms,"
        " last_error",
    [ST_EV_DONE] = "DELETE FROM events WHERE id = ?1 RETURNING body",
    [ST_EV_RETRY] =
        "UPDATE events SET state = ?2, due_ms = ?3, last_error = ?4,"
        " attempts = attempts + ?5 WHERE id = ?1",
};

sqlite3_stmt *st__obj_stmt(struct st *st, enum st_obj_stmt id)
{
    sqlite3_stmt *s = st->obj_stmt[id];

    if (!s) {
        if (sqlite3_prepare_v3(st->db, st_obj_sql[id], -1,
                               SQLITE_PREPARE_PERSISTENT, &s,
                               NULL) != SQLITE_OK)
            return NULL;
        st->obj_stmt[id] = s;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

void st__obj_finalize(struct st *st)
{
    int i;

    for (i = 0; i < ST_OBJ_NSTMT; i++) {
        sqlite3_finalize(st->obj_stmt[i]);
        st->obj_stmt[i] = NULL;
    }
}

int64_t st__now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Names -------------------------------------------------------------- */

static bool st_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* S3's rules for new buckets: 3 to 63 of [a-z0-9.-], a letter or digit at
 * both ends, no "..", and not shaped like an IP address. */
bool st_bucket_name_valid(const char *name)
{
    size_t i, n, dots = 0;
    bool digits_dots = true;

    if (!name)
        return false;
    n = strlen(name);
    if (n < 3 || n > ST_BUCKET_MAX)
        return false;
    if (!st_alnum_lower(name[0]) || !st_alnum_lower(name[n - 1]))
        return false;
    for (i = 0; i < n; i++) {
        char c = name[i];

        if (c == '.' && name[i + 1] == '.')
            return false;
        if (c == '.')
            dots++;
        else if (c < '0' || c > '9')
            digits_dots = false;
        if (!st_alnum_lower(c) && c != '.' && c != '-')
            return false;
    }
    return !(digits_dots && dots == 3);
}

/* Length of the UTF-8 sequence that starts with byte c, 0 if c cannot
 * start one. Overlong forms and surrogates are caught by the caller. */
static int st_utf8_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

static bool st_utf8_valid(const unsigned char *s)
{
    int n, i;

    while (*s) {
        n = st_utf8_len(*s);
        if (n == 0)
            return false;
        for (i = 1; i < n; i++)
            if ((s[i] & 0xc0) != 0x80)
                return false;
        if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
            (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
            return false;
        s += n;
    }
    return true;
}

/* Keys: 1 to 1024 bytes of UTF-8. Listings rely on valid UTF-8: no key
 * holds a 0xff byte, so "prefix\xff" is past every key that starts with
 * prefix. */
bool st_key_valid(const char *key)
{
    size_t n;

    if (!key)
        return false;
    n = strnlen(key, ST_KEY_MAX + 1);
    return n > 0 && n <= ST_KEY_MAX && st_utf8_valid((const void *)key);
}

bool st__id_valid(const char *s)
{
    int i;

    for (i = 0; i < ST_BODY_ID - 1; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[i] == '\0';
}

/* ---- Buckets ------------------------------------------------------------ */

int st_bucket_exists(struct st *st, const char *name)
{
    sqlite3_stmt *s = st__obj_stmt(st, ST_OBJ_BUCKET_GET);
    int rc;

    if (!s)
        return -EIO;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -ENOENT : st__err(rc);
}

/* Runs one-off SQL with text parameters ?1 and ?2 (b may be NULL);
 * *changes gets the rows written, or 1 if a query returned a row. */
static int st_run2(struct st *st, const char *sql, const char *a, const char *b,
                   int *changes)
{
    sqlite3_stmt *s;
    int rc, readonly;

    rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
    readonly = sqlite3_stmt_readonly(s);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return st__err(rc);
    if (changes)
        *changes = rc == SQLITE_ROW ? 1
                   : readonly       ? 0
                                    : sqlite3_changes(st->db);
    return 0;
}

int st_bucket_create(struct st *st, const char *name)
{
    char now[24];
    int rc;

    if (!st || !st_bucket_name_valid(name))
        return -EINVAL;
    snprintf(now, sizeof(now), "%lld", (long long)st__now_ms());
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_run2(st,
                 "INSERT INTO buckets (name, created_ms) VALUES (?1,"
                 " CAST(?2 AS INTEGER))",
                 name, now, NULL);
    if (rc < 0) {
        st__rollback(st);
        return rc; /* -EEXIST from the primary key */
    }
    return st__commit(st);
}

/* Unfinished multipart uploads do not keep a bucket: they go with it. */
int st_bucket_delete(struct st *st, const char *name)
{
    int any = 0, changes = 0, rc;
    char *uploads = NULL;
    size_t n = 0;

    if (!st || !name)
        return -EINVAL;
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_run2(st, "SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1", name,
                 NULL, &any);
    if (rc == 0 && any)
        rc = -ENOTEMPTY;
    if (rc == 0)
        rc = st_run2(st, "DELETE FROM buckets WHERE name = ?1", name, NULL,
                     &changes);
    if (rc == 0 && changes == 0)
        rc = -ENOENT;
    if (rc == 0)
        rc = st__uploads_drop(st, name, &uploads, &n);
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    rc = st__commit(st);
    if (rc < 0)
        n = 0;
    st__uploads_remove(st, uploads, n);
    return rc;
}

/* A caller's callback, for st__walk. */
struct st_bucket_cb {
    int (*cb)(const char *name, int64_t created_ms, void *arg);
    void *arg;
};

static int st_bucket_row(sqlite3_stmt *s, void *arg)
{
    const struct st_bucket_cb *w = arg;

    return w->cb((const char *)sqlite3_column_text(s, 0),
                 sqlite3_column_int64(s, 1), w->arg);
}

int st_bucket_list(struct st *st,
                   int (*cb)(const char *name, int64_t created_ms, void *arg),
                   void *arg)
{
    struct st_bucket_cb w = {cb, arg};
    sqlite3_stmt *s;
    int rc;

    if (!st || !cb)
        return -EINVAL;
    rc = sqlite3_prepare_v2(st->db,
                            "SELECT name, created_ms FROM buckets"
                            " ORDER BY name",
                            -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    return st__walk(s, st_bucket_row, &w);
}

/* ---- Body files --------------------------------------------------------- */

int st__id_new(char id[ST_BODY_ID])
{
    unsigned char r[(ST_BODY_ID - 1) / 2];

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return -EIO;
    st__hex(r, sizeof(r), id);
    return 0;
}

int st_body_open(struct st *st, const char *body)
{
    int fd;

    if (!st || !body || !st__id_valid(body))
        return -EINVAL;
    fd = openat(st->objects_fd, body, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ELOOP ? -ENOENT : -errno;
    return fd;
}

int st__body_used(struct st *st, const char *body)
{
    sqlite3_stmt *s = st__obj_stmt(st, ST_OBJ_BODY_USED);
    int rc, used;

    if (!s)
        return -EIO;
    sqlite3_bind_text(s, 1, body, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    used = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? used != 0 : st__err(rc);
}

/* A failed unlink leaves an orphan for st_objects_sweep. Once a body has
 * no reference nothing can refer to it again (ids are never reused), so
 * the check made inside the transaction still holds here. */
void st__body_unlink(struct st *st, const char *body)
{
    if (body[0] && st__id_valid(body))
        unlinkat(st->objects_fd, body, 0);
}

int st__md5_hex(const void *data, size_t len, char out[ST_ETAG_HEX])
{
    unsigned char md[ST_MD5_LEN];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) ||
        mdlen != ST_MD5_LEN)
        return -EIO;
    st__hex(md, ST_MD5_LEN, out);
    return 0;
}

/* ---- Object rows -------------------------------------------------------- */

static void st_bind_obj_key(sqlite3_stmt *s, const char *bucket,
                            const char *key)
{
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
}

/* Fills obj from a row in ST_OBJ_COLUMNS order; strings are lent from the
 * statement unless `copy`. */
static int st_obj_from_row(sqlite3_stmt *s, struct st_object *obj, bool copy)
{
    const char *key = (const char *)sqlite3_column_text(s, 1);
    const char *ct = (const char *)sqlite3_column_text(s, 5);
    const char *meta = (const char *)sqlite3_column_text(s, 8);

    memset(obj, 0, sizeof(*obj));
    st__copy_text(obj->bucket, sizeof(obj->bucket), s, 0);
    st__copy_text(obj->body, sizeof(obj->body), s, 2);
    obj->size = (uint64_t)sqlite3_column_int64(s, 3);
    st__copy_text(obj->etag, sizeof(obj->etag), s, 4);
    obj->modified_ms = sqlite3_column_int64(s, 6);
    obj->seq = sqlite3_column_int64(s, 7);
    if (!copy) {
        obj->key = (char *)key;
        obj->content_type = (char *)ct;
        obj->meta = (char *)meta;
        return 0;
    }
    obj->key = strdup(key ? key : "");
    obj->content_type = ct ? strdup(ct) : NULL;
    obj->meta = meta ? strdup(meta) : NULL;
    if (!obj->key || (ct && !obj->content_type) || (meta && !obj->meta)) {
        st_object_clear(obj);
        return -ENOMEM;
    }
    return 0;
}

void st_object_clear(struct st_object *obj)
{
    if (!obj)
        return;
    free(obj->key);
    free(obj->content_type);
    free(obj->meta);
    obj->key = NULL;
    obj->content_type = NULL;
    obj->meta = NULL;
}

/* Reads the row of bucket/key; -ENOENT if there is none. */
static int st_obj_read(struct st *st, const char *bucket, const char *key,
                       struct st_object *out)
{
    sqlite3_stmt *s = st__obj_stmt(st, ST_OBJ_GET);
    int rc;

    if (!s)
        return -EIO;
    st_bind_obj_key(s, bucket, key);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = st_obj_from_row(s, out, true);
    else
        rc = rc == SQLITE_DONE ? -ENOENT : st__err(rc);
    sqlite3_reset(s);
    return rc;
}

int st_object_get(struct st *st, const char *bucket, const char *key,
                  struct st_object *out)
{
    if (!st || !bucket || !key || !out)
        return -EINVAL;
    return st_obj_read(st, bucket, key, out);
}

/* The body of the version just read can vanish when another writer
 * replaces the object before the open; read the row again then. */
int st_object_open(struct st *st, const char *bucket, const char *key,
                   struct st_object *out, int *fd)
{
    int tries, rc = -ENOENT;

    if (!st || !bucket || !key || !out || !fd)
        return -EINVAL;
    for (tries = 0; tries < ST_OPEN_TRIES; tries++) {
        rc = st_obj_read(st, bucket, key, out);
        if (rc < 0)
            return rc;
        *fd = st_body_open(st, out->body);
        if (*fd >= 0)
            return 0;
        rc = *fd;
        st_object_clear(out);
        if (rc != -ENOENT)
            break;
    }
    return rc == -ENOENT ? -EIO : rc;
}

static int st_seq_next(struct st *st, int64_t *seq)
{
    sqlite3_stmt *s = st__obj_stmt(st, ST_OBJ_SEQ_NEXT);
    int rc;

    if (!s)
        return -EIO;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *seq = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : st__err(rc);
}

static int st_obj_upsert(struct st *st, const struct st_object *o)
{
    sqlite3_stmt *s = st__obj_stmt(st, ST_OBJ_UPSERT);

    if (!s)
        return -EIO;
    st_bind_obj_key(s, o->bucket, o->key);
    sqlite3_bind_text(s, 3, o->body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, (int64_t)o->size);
    sqlite3_bind_text(s, 5, o->etag, -1, SQLITE_STATIC);
    if (o->content_type)
        sqlite3_bind_text(s, 6, o->content_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, o->modified_ms);
    sqlite3_bind_int64(s, 8, o->seq);
    if (o->meta)
        sqlite3_bind_text(s, 9, o->meta, -1, SQLITE_STATIC);
    return st__step_done(s);
}

/* Enqueues the events of one local write or delete of `o`. */
static int st_obj_route(struct st *st, const struct st_object *o,
                        const char *name, int depth, int *queued)
{
    struct st_event ev = {
        .name = name,
        .bucket = o->bucket,
        .key = o->key,
        .size = o->body[0] ? (int64_t)o->size : -1,
        .etag = o->body[0] ? o->etag : "",
        .seq = o->seq,
        .body = o->body,
        .time_ms = o->modified_ms,
        .depth = depth,
    };

    if (depth > ST_EVENT_DEPTH_MAX)
        return 0;
    return st__events_route(st, &ev, queued);
}

/* Inside the write transaction: the previous version's body, if any and
 * no longer used, goes to `drop` for an unlink after the commit. */
static int st_obj_prev(struct st *st, const char *bucket, const char *key,
                       char drop[ST_BODY_ID])
{
    struct st_object prev;
    int rc;

    drop[0] = '\0';
    rc = st_obj_read(st, bucket, key, &prev);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    memcpy(drop, prev.body, ST_BODY_ID);
    st_object_clear(&prev);
    return 0;
}

static int st_drop_if_unused(struct st *st, char drop[ST_BODY_ID])
{
    int used;

    if (!drop[0])
        return 0;
    used = st__body_used(st, drop);
    if (used < 0)
        return used;
    if (used)
        drop[0] = '\0';
    return 0;
}

/* Inside a write transaction: bucket/key's tags become `tags`. */
static int st_tags_write(struct st *st, const char *bucket, const char *key,
                         const char *tags)
{
    sqlite3_stmt *s = st__obj_stmt(st, ST_TAGS_DEL);
    int rc;

    if (!s)
        return -EIO;
    st_bind_obj_key(s, bucket, key);
    rc = st__step_done(s);
    if (rc < 0 || !tags || !tags[0])
        return rc;
    s = st__obj_stmt(st, ST_TAGS_PUT);
    if (!s)
        return -EIO;
    st_bind_obj_key(s, bucket, key);
    sqlite3_bind_text(s, 3, tags, -1, SQLITE_STATIC);
    return st__step_done(s);
}

int st__obj_write(struct st *st, struct st_object *o, const struct st_put *opt,
                  int *events, char drop[ST_BODY_ID])
{
    int rc;

    rc = st_bucket_exists(st, o->bucket);
    if (rc == 0)
        rc = st_obj_prev(st, o->bucket, o->key, drop);
    if (rc == 0)
        rc = st_seq_next(st, &o->seq);
    if (rc == 0)
        rc = st_obj_upsert(st, o);
    if (rc == 0)
        rc = st_tags_write(st, o->bucket, o->key, opt->tags);
    if (rc == 0)
        rc = st_obj_route(st, o, opt->event ? opt->event : "ObjectCreated:Put",
                          opt->depth, events);
    if (rc == 0)
        rc = st_drop_if_unused(st, drop);
    return rc;
}

/* The metadata half of a put: one durable transaction. */
static int st_obj_commit(struct st *st, struct st_object *o,
                         const struct st_put *opt, int *events,
                         char drop[ST_BODY_ID])
{
    int rc;

    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st__obj_write(st, o, opt, events, drop);
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    return st__commit(st);
}

static int st_obj_fill(struct st_object *o, const char *bucket, const char *key,
                       const void *data, size_t len, const struct st_put *opt)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->bucket, sizeof(o->bucket), "%s", bucket);
    o->size = len;
    o->modified_ms = st__now_ms();
    if (st__md5_hex(data ? data : "", len, o->etag) < 0 ||
        st__id_new(o->body) < 0)
        return -EIO;
    o->key = strdup(key);
    o->content_type = opt->content_type ? strdup(opt->content_type) : NULL;
    o->meta = opt->meta && opt->meta[0] ? strdup(opt->meta) : NULL;
    if (!o->key || (opt->content_type && !o->content_type) ||
        (opt->meta && opt->meta[0] && !o->meta)) {
        st_object_clear(o);
        return -ENOMEM;
    }
    return 0;
}

int st_object_put(struct st *st, const char *bucket, const char *key,
                  const void *data, size_t len, const struct st_put *opt,
                  struct st_object *out, int *events)
{
    static const struct st_put defaults;
    char drop[ST_BODY_ID] = "";
    struct st_object o;
    int queued = 0, rc;

    if (!st || (!data && len > 0))
        return -EINVAL;
    if (!st_bucket_name_valid(bucket) || !st_key_valid(key))
        return -EINVAL;
    if (!opt)
        opt = &defaults;
    rc = st_obj_fill(&o, bucket, key, data, len, opt);
    if (rc < 0)
        return rc;

    /* The body is durable before the row that makes it visible. */
    rc = st__file_put(st->objects_fd, o.body, data, len);
    if (rc < 0)
        goto clear;
    rc = st_obj_commit(st, &o, opt, &queued, drop);
    if (rc < 0) {
        unlinkat(st->objects_fd, o.body, 0);
        goto clear;
    }
    st__body_unlink(st, drop);

    if (events)
        *events = queued;
    if (out) {
        *out = o;
        return 0;
    }

clear:
    st_object_clear(&o);
    return rc;
}

static int st_obj_remove(struct st *st, struct st_object *o, int *queued,
                         char drop[ST_BODY_ID])
{
    sqlite3_stmt *s;
    int rc;

    s = st__obj_stmt(st, ST_OBJ_DELETE);
    if (!s)
        return -EIO;
    st_bind_obj_key(s, o->bucket, o->key);
    rc = st__step_done(s);
    if (rc == 0)
        rc = st_tags_write(st, o->bucket, o->key, NULL);
    if (rc < 0)
        return rc;
    memcpy(drop, o->body, ST_BODY_ID);
    rc = st_seq_next(st, &o->seq);
    if (rc < 0)
        return rc;
    /* A delete event carries no body: there is nothing left to read. */
    o->body[0] = '\0';
    o->modified_ms = st__now_ms();
    rc = st_obj_route(st, o, "ObjectRemoved:Delete", 0, queued);
    if (rc < 0)
        return rc;
    return st_drop_if_unused(st, drop);
}

int st_object_delete(struct st *st, const char *bucket, const char *key,
                     int *events)
{
    char drop[ST_BODY_ID] = "";
    struct st_object o;
    int queued = 0, rc;

    if (!st || !bucket || !key)
        return -EINVAL;
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_bucket_exists(st, bucket);
    if (rc == 0)
        rc = st_obj_read(st, bucket, key, &o);
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    rc = st_obj_remove(st, &o, &queued, drop);
    st_object_clear(&o);
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    rc = st__commit(st);
    if (rc < 0)
        return rc;
    st__body_unlink(st, drop);
    if (events)
        *events = queued;
    return 0;
}

/* ---- Tags --------------------------------------------------------------- */

int st_object_tags_get(struct st *st, const char *bucket, const char *key,
                       char **tags)
{
    sqlite3_stmt *s;
    const char *t;
    int rc;

    if (!st || !bucket || !key || !tags)
        return -EINVAL;
    s = st__obj_stmt(st, ST_TAGS_GET);
    if (!s)
        return -EIO;
    st_bind_obj_key(s, bucket, key);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        t = (const char *)sqlite3_column_text(s, 0);
        *tags = strdup(t ? t : "");
        rc = *tags ? 0 : -ENOMEM;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : st__err(rc);
    }
    sqlite3_reset(s);
    return rc;
}

int st_object_tags_set(struct st *st, const char *bucket, const char *key,
                       const char *tags)
{
    struct st_object o;
    int rc;

    if (!st || !bucket || !key)
        return -EINVAL;
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_obj_read(st, bucket, key, &o);
    if (rc == 0) {
        st_object_clear(&o);
        rc = st_tags_write(st, bucket, key, tags);
    }
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    return st__commit(st);
}

/* ---- Listings ----------------------------------------------------------- */

struct st_lister {
    struct st_list_query *q;
    int (*cb)(const struct st_object *, const char *, void *);
    void *arg;
    size_t plen;
    char *cursor; /* exclusive lower bound for the next batch */
    size_t cursor_len;
    int count;
    bool done;
};

static int st_cursor_set(struct st_lister *l, const char *s, size_t n,
                         bool past)
{
    char *c = realloc(l->cursor, n + 2);

    if (!c)
        return -ENOMEM;
    memcpy(c, s, n);
    /* "cp\xff" sorts after every key that starts with cp. */
    if (past)
        c[n++] = '\xff';
    c[n] = '\0';
    l->cursor = c;
    l->cursor_len = n;
    return 0;
}

/* Emits one item, or notes that one more exists past q->max. */
static int st_list_emit(struct st_lister *l, const struct st_object *obj,
                        const char *cp)
{
    int rc;

    if (l->count == l->q->max) {
        l->q->truncated = true;
        l->done = true;
        return 0;
    }
    rc = l->cb(obj, cp, l->arg);
    l->count++;
    if (rc != 0)
        l->done = true;
    return rc;
}

/* Handles one row; a common prefix moves the cursor past its keys and
 * ends the batch (*restart). */
static int st_list_row(struct st_lister *l, const struct st_object *obj,
                       bool *restart)
{
    const struct st_list_query *q = l->q;
    const char *rest, *d;
    char *cp;
    size_t n;
    int rc;

    if (strncmp(obj->key, q->prefix, l->plen) != 0) {
        l->done = true; /* past the keys with this prefix */
        return 0;
    }
    rest = obj->key + l->plen;
    d = q->delimiter && *q->delimiter ? strstr(rest, q->delimiter) : NULL;
    if (!d) {
        rc = st_list_emit(l, obj, NULL);
        return rc < 0 ? rc
                      : st_cursor_set(l, obj->key, strlen(obj->key), false);
    }
    n = (size_t)(d - obj->key) + strlen(q->delimiter);
    cp = strndup(obj->key, n);
    if (!cp)
        return -ENOMEM;
    /* A listing that resumes after a common prefix must not repeat it. */
    rc = q->after && strcmp(cp, q->after) <= 0 ? 0 : st_list_emit(l, NULL, cp);
    if (rc == 0)
        rc = st_cursor_set(l, cp, n, true);
    free(cp);
    *restart = true;
    return rc;
}

static int st_list_batch(struct st *st, struct st_lister *l)
{
    struct st_object obj;
    sqlite3_stmt *s;
    bool restart = false;
    int rows = 0, step, rc = 0;

    step = sqlite3_prepare_v2(st->db, st_obj_sql[ST_OBJ_LIST], -1, &s, NULL);
    if (step != SQLITE_OK)
        return st__err(step);
    sqlite3_bind_text(s, 1, l->q->bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, l->cursor, (int)l->cursor_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, l->q->prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, ST_LIST_BATCH);
    while (rc == 0 && !l->done && !restart &&
           (step = sqlite3_step(s)) == SQLITE_ROW) {
        rows++;
        st_obj_from_row(s, &obj, false);
        rc = st_list_row(l, &obj, &restart);
    }
    sqlite3_finalize(s);
    if (rc != 0)
        return rc;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return st__err(step);
    if (!restart && rows < ST_LIST_BATCH)
        l->done = true;
    return 0;
}

int st_object_list(struct st *st, struct st_list_query *q,
                   int (*cb)(const struct st_object *obj,
                             const char *common_prefix, void *arg),
                   void *arg)
{
    struct st_lister l = {.q = q, .cb = cb, .arg = arg};
    int rc;

    if (!st || !q || !q->bucket || !cb || q->max < 0)
        return -EINVAL;
    if (!q->prefix)
        q->prefix = "";
    q->truncated = false;
    l.plen = strlen(q->prefix);
    rc = st_bucket_exists(st, q->bucket);
    if (rc < 0)
        return rc;
    rc = st_cursor_set(&l, q->after ? q->after : "",
                       q->after ? strlen(q->after) : 0, false);
    /* Reading in batches without a transaction: a listing is not a
     * snapshot in S3 either. */
    while (rc == 0 && !l.done)
        rc = st_list_batch(st, &l);
    free(l.cursor);
    return rc < 0 ? rc : l.count;
}

/* ---- Sweeping ----------------------------------------------------------- */

static int st_sweep_one(int dir, const char *name, void *arg)
{
    struct st *st = arg;
    int used;

    (void)dir;
    if (strncmp(name, ".tmp-", 5) == 0)
        return unlinkat(st->objects_fd, name, 0) == 0;
    if (!st__id_valid(name))
        return 0;
    used = st__body_used(st, name);
    if (used != 0)
        return used < 0 ? used : 0;
    return unlinkat(st->objects_fd, name, 0) == 0;
}

int st_objects_sweep(struct st *st)
{
    int fd, n, rc;

    if (!st)
        return -EINVAL;
    fd = dup(st->objects_fd);
    if (fd < 0)
        return -errno;
    rc = n = st__dir_each(fd, st_sweep_one, st);
    if (rc < 0)
        return rc;
    rc = st__uploads_sweep(st);
    if (rc >= 0) {
        n += rc;
        rc = st__images_sweep(st);
    }
    return rc < 0 ? rc : n + rc;
}
