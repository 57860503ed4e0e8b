/* multipart.c: multipart uploads: part files, their rows, and assembly. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store/multipart.h"
#include "store/store_int.h"

#define ST_MD5_LEN 16
#define ST_COPY_BUF (256u << 10)
#define ST_COPY_MAX (1u << 30) /* bytes per copy_file_range call */

#define ST_PART_COLUMNS "number, size, etag, modified_ms, body"

/* ---- Rows --------------------------------------------------------------- */

static int st_prepare1(struct st *st, const char *sql, sqlite3_stmt **s)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

    return rc == SQLITE_OK ? 0 : st__err(rc);
}

/* Runs one-off SQL with text ?1 and ?2 (b may be NULL): 1 if it returns
 * a row, 0 if not, or a negative errno. */
static int st_exec2(struct st *st, const char *sql, const char *a,
                    const char *b)
{
    sqlite3_stmt *s;
    int rc;

    rc = st_prepare1(st, sql, &s);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : st__err(rc);
}

static bool st_text_is(sqlite3_stmt *s, int col, const char *want)
{
    const char *t = (const char *)sqlite3_column_text(s, col);

    return t && strcmp(t, want) == 0;
}

/* Copies text column col (NULL stays NULL) to *out. */
static int st_opt_text(sqlite3_stmt *s, int col, char **out)
{
    const char *t = (const char *)sqlite3_column_text(s, col);

    if (!t)
        return 0;
    *out = strdup(t);
    return *out ? 0 : -ENOMEM;
}

/* What an upload keeps for the object it makes; malloc'd, NULL for
 * none. */
struct st_upload_opts {
    char *content_type;
    char *tags;
    char *meta;
};

static void st_upload_opts_free(struct st_upload_opts *u)
{
    free(u->content_type);
    free(u->tags);
    free(u->meta);
    memset(u, 0, sizeof(*u));
}

/* 0 if upload `id` exists and belongs to bucket/key, else -ENOENT.
 * `opts` (optional) gets what the upload keeps for its object. The id is
 * checked before it is used anywhere: it becomes a folder name. */
static int st_upload_row(struct st *st, const char *bucket, const char *key,
                         const char *id, struct st_upload_opts *opts)
{
    struct st_upload_opts u = {0};
    sqlite3_stmt *s;
    int rc;

    if (opts)
        memset(opts, 0, sizeof(*opts));
    if (!st__id_valid(id))
        return -ENOENT;
    rc = st_prepare1(st,
                     "SELECT bucket, key, content_type, tags, meta"
                     " FROM uploads WHERE id = ?1",
                     &s);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        rc = 0;
        if (!st_text_is(s, 0, bucket) || !st_text_is(s, 1, key))
            rc = -ENOENT;
        else if (opts)
            rc = st_opt_text(s, 2, &u.content_type);
        if (rc == 0 && opts)
            rc = st_opt_text(s, 3, &u.tags);
        if (rc == 0 && opts)
            rc = st_opt_text(s, 4, &u.meta);
        if (rc < 0)
            st_upload_opts_free(&u);
        else if (opts)
            *opts = u;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : st__err(rc);
    }
    sqlite3_finalize(s);
    return rc;
}

/* Prepares the statement st_part_row steps; the caller finalizes it. */
static int st_part_stmt(struct st *st, sqlite3_stmt **s)
{
    return st_prepare1(st,
                       "SELECT " ST_PART_COLUMNS " FROM upload_parts"
                       " WHERE upload = ?1 AND number = ?2",
                       s);
}

static void st_part_from_row(sqlite3_stmt *s, struct st_part *p)
{
    memset(p, 0, sizeof(*p));
    p->number = sqlite3_column_int(s, 0);
    p->size = (uint64_t)sqlite3_column_int64(s, 1);
    st__copy_text(p->etag, sizeof(p->etag), s, 2);
    p->modified_ms = sqlite3_column_int64(s, 3);
}

/* Reads part `number` of upload id into p and its file name into body;
 * -ENOENT if there is none. */
static int st_part_row(sqlite3_stmt *s, const char *id, int number,
                       struct st_part *p, char body[ST_BODY_ID])
{
    int rc;

    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, number);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        st_part_from_row(s, p);
        st__copy_text(body, ST_BODY_ID, s, 4);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : st__err(rc);
    }
    sqlite3_reset(s);
    return rc;
}

/* Inside a write transaction: forgets upload id and its parts' rows. */
static int st_upload_forget(struct st *st, const char *id)
{
    int rc;

    rc = st_exec2(st, "DELETE FROM upload_parts WHERE upload = ?1", id, NULL);
    if (rc == 0)
        rc = st_exec2(st, "DELETE FROM uploads WHERE id = ?1", id, NULL);
    return rc;
}

/* ---- Folders ------------------------------------------------------------ */

static int st_upload_dir(struct st *st, const char *id)
{
    int fd = openat(st->uploads_fd, id,
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
        return errno == ELOOP || errno == ENOTDIR ? -ENOENT : -errno;
    return fd;
}

static int st_unlink_one(int dir, const char *name, void *arg)
{
    return unlinkat(dir, name, 0) == 0;
}

/* Removes upload id's folder and its files once no row names the upload.
 * What cannot go stays for st_objects_sweep. Returns the files removed. */
static int st_upload_rmdir(struct st *st, const char *id)
{
    int fd = st_upload_dir(st, id), n;

    if (fd < 0)
        return 0;
    n = st__dir_each(fd, st_unlink_one, NULL);
    unlinkat(st->uploads_fd, id, AT_REMOVEDIR);
    return n < 0 ? 0 : n;
}

/* ---- Starting and aborting ---------------------------------------------- */

static int st_upload_insert(struct st *st, const char *bucket, const char *key,
                            const struct st_put *opt, const char *id)
{
    sqlite3_stmt *s;
    int rc;

    rc = st_bucket_exists(st, bucket);
    if (rc < 0)
        return rc;
    rc = st_prepare1(st, "SELECT count(*) FROM uploads", &s);
    if (rc < 0)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = sqlite3_column_int(s, 0) >= ST_UPLOADS_MAX ? -EDQUOT : 0;
    else
        rc = st__err(rc);
    sqlite3_finalize(s);
    if (rc < 0)
        return rc;
    rc = st_prepare1(st,
                     "INSERT INTO uploads (id, bucket, key, content_type,"
                     " created_ms, tags, meta)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     &s);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
    if (opt->content_type)
        sqlite3_bind_text(s, 4, opt->content_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, st__now_ms());
    if (opt->tags && opt->tags[0])
        sqlite3_bind_text(s, 6, opt->tags, -1, SQLITE_STATIC);
    if (opt->meta && opt->meta[0])
        sqlite3_bind_text(s, 7, opt->meta, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : st__err(rc);
}

int st_upload_create(struct st *st, const char *bucket, const char *key,
                     const struct st_put *opt, char id[ST_UPLOAD_ID])
{
    static const struct st_put defaults;
    int rc;

    if (!opt)
        opt = &defaults;
    if (!st || !id || !st_bucket_name_valid(bucket) || !st_key_valid(key))
        return -EINVAL;
    if (st__id_new(id) < 0)
        return -EIO;
    if (mkdirat(st->uploads_fd, id, 0700) < 0)
        return -errno;
    /* The folder is on disk before the row that names it. */
    if (fsync(st->uploads_fd) < 0) {
        rc = -errno;
        goto remove_dir;
    }
    rc = st__begin(st, true);
    if (rc < 0)
        goto remove_dir;
    rc = st_upload_insert(st, bucket, key, opt, id);
    if (rc < 0) {
        st__rollback(st);
        goto remove_dir;
    }
    rc = st__commit(st);
    if (rc == 0)
        return 0;

remove_dir:
    unlinkat(st->uploads_fd, id, AT_REMOVEDIR);
    return rc;
}

int st_upload_exists(struct st *st, const char *bucket, const char *key,
                     const char *id)
{
    if (!st || !bucket || !key || !id)
        return -EINVAL;
    return st_upload_row(st, bucket, key, id, NULL);
}

int st_upload_abort(struct st *st, const char *bucket, const char *key,
                    const char *id)
{
    int rc;

    if (!st || !bucket || !key || !id)
        return -EINVAL;
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_upload_row(st, bucket, key, id, NULL);
    if (rc == 0)
        rc = st_upload_forget(st, id);
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    rc = st__commit(st);
    if (rc == 0)
        st_upload_rmdir(st, id);
    return rc;
}

/* ---- Parts -------------------------------------------------------------- */

static int st_part_upsert(struct st *st, const char *id,
                          const struct st_part *p, const char *body)
{
    sqlite3_stmt *s;
    int rc;

    rc = st_prepare1(st,
                     "INSERT INTO upload_parts (upload, " ST_PART_COLUMNS ")"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                     " ON CONFLICT (upload, number) DO UPDATE SET"
                     " size = excluded.size, etag = excluded.etag,"
                     " modified_ms = excluded.modified_ms,"
                     " body = excluded.body",
                     &s);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, p->number);
    sqlite3_bind_int64(s, 3, (int64_t)p->size);
    sqlite3_bind_text(s, 4, p->etag, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, p->modified_ms);
    sqlite3_bind_text(s, 6, body, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : st__err(rc);
}

/* The metadata half of a part: one durable transaction. The file of the
 * part it replaces, if any, goes to prev for an unlink after the commit. */
static int st_part_commit(struct st *st, const char *bucket, const char *key,
                          const char *id, const struct st_part *p,
                          const char *body, char prev[ST_BODY_ID])
{
    struct st_part old;
    sqlite3_stmt *s = NULL;
    int rc;

    prev[0] = '\0';
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_upload_row(st, bucket, key, id, NULL);
    if (rc == 0)
        rc = st_part_stmt(st, &s);
    if (rc == 0) {
        rc = st_part_row(s, id, p->number, &old, prev);
        rc = rc == -ENOENT ? 0 : rc;
    }
    sqlite3_finalize(s);
    if (rc == 0)
        rc = st_part_upsert(st, id, p, body);
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    return st__commit(st);
}

int st_part_put(struct st *st, const char *bucket, const char *key,
                const char *id, int number, const void *data, size_t len,
                struct st_part *out)
{
    struct st_part p = {.number = number, .size = len};
    char body[ST_BODY_ID], prev[ST_BODY_ID];
    int dir, rc;

    if (!st || !bucket || !key || !id || (!data && len > 0))
        return -EINVAL;
    if (number < 1 || number > ST_PART_MAX)
        return -ERANGE;
    /* Checked first too, so that a bad id costs no write. */
    rc = st_upload_row(st, bucket, key, id, NULL);
    if (rc < 0)
        return rc;
    if (st__md5_hex(data ? data : "", len, p.etag) < 0 || st__id_new(body) < 0)
        return -EIO;
    p.modified_ms = st__now_ms();
    dir = st_upload_dir(st, id);
    if (dir < 0)
        return dir;

    rc = st__file_put(dir, body, data ? data : "", len);
    if (rc < 0)
        goto close_dir;
    rc = st_part_commit(st, bucket, key, id, &p, body, prev);
    if (rc < 0) {
        unlinkat(dir, body, 0);
        /* Aborted meanwhile: its folder may have outlived the abort. */
        if (rc == -ENOENT)
            unlinkat(st->uploads_fd, id, AT_REMOVEDIR);
        goto close_dir;
    }
    if (prev[0])
        unlinkat(dir, prev, 0);
    if (out)
        *out = p;

close_dir:
    close(dir);
    return rc;
}

/* A caller's callback, for st__walk. */
struct st_part_cb {
    int (*cb)(const struct st_part *part, void *arg);
    void *arg;
    int count;
};

static int st_part_walk_row(sqlite3_stmt *s, void *arg)
{
    struct st_part_cb *w = arg;
    struct st_part p;

    st_part_from_row(s, &p);
    w->count++;
    return w->cb(&p, w->arg);
}

int st_part_list(struct st *st, const char *bucket, const char *key,
                 const char *id, int after,
                 int (*cb)(const struct st_part *part, void *arg), void *arg)
{
    struct st_part_cb w = {cb, arg, 0};
    sqlite3_stmt *s;
    int rc;

    if (!st || !bucket || !key || !id || !cb)
        return -EINVAL;
    rc = st_upload_row(st, bucket, key, id, NULL);
    if (rc < 0)
        return rc;
    rc = st_prepare1(st,
                     "SELECT " ST_PART_COLUMNS " FROM upload_parts"
                     " WHERE upload = ?1 AND number > ?2 ORDER BY number",
                     &s);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, after);
    rc = st__walk(s, st_part_walk_row, &w);
    return rc < 0 ? rc : w.count;
}

/* ---- Listing uploads ---------------------------------------------------- */

struct st_upload_cb {
    int (*cb)(const struct st_upload *up, void *arg);
    void *arg;
    int count;
};

static int st_upload_walk_row(sqlite3_stmt *s, void *arg)
{
    struct st_upload_cb *w = arg;
    struct st_upload up;

    st__copy_text(up.id, sizeof(up.id), s, 0);
    up.key = (const char *)sqlite3_column_text(s, 1);
    up.content_type = (const char *)sqlite3_column_text(s, 2);
    up.created_ms = sqlite3_column_int64(s, 3);
    if (!up.key)
        return 0;
    w->count++;
    return w->cb(&up, w->arg);
}

int st_upload_list(struct st *st, const struct st_upload_query *q,
                   int (*cb)(const struct st_upload *up, void *arg), void *arg)
{
    struct st_upload_cb w = {cb, arg, 0};
    sqlite3_stmt *s;
    int rc;

    if (!st || !q || !q->bucket || !cb)
        return -EINVAL;
    rc = st_bucket_exists(st, q->bucket);
    if (rc < 0)
        return rc;
    /* Text lengths count characters on both sides, which is enough to
     * compare prefixes. An unknown id marker makes the row value NULL,
     * so only the later keys follow. */
    rc = st_prepare1(st,
                     "SELECT id, key, content_type, created_ms FROM uploads"
                     " WHERE bucket = ?1"
                     "  AND substr(key, 1, length(?2)) = ?2"
                     "  AND (key > ?3 OR (key = ?3 AND (created_ms, id) >"
                     "   (SELECT created_ms, id FROM uploads"
                     "    WHERE id = ?4 AND bucket = ?1)))"
                     " ORDER BY key, created_ms, id",
                     &s);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, q->bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, q->prefix ? q->prefix : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, q->key_marker ? q->key_marker : "", -1,
                      SQLITE_STATIC);
    if (q->id_marker)
        sqlite3_bind_text(s, 4, q->id_marker, -1, SQLITE_STATIC);
    rc = st__walk(s, st_upload_walk_row, &w);
    return rc < 0 ? rc : w.count;
}

/* ---- Completing --------------------------------------------------------- */

/* The parts a completion uses, as resolved from their rows. */
struct st_asm {
    size_t n;
    char (*bodies)[ST_BODY_ID];
    uint64_t *sizes;
    uint64_t total;
    char etag[ST_ETAG_MAX];
};

static void st_asm_free(struct st_asm *a)
{
    free(a->bodies);
    free(a->sizes);
}

static int st_unhex(const char *hex, unsigned char *out, size_t n)
{
    unsigned int v;
    size_t i;

    for (i = 0; i < n; i++) {
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -EIO;
        out[i] = (unsigned char)v;
    }
    return 0;
}

static int st_complete_check_order(struct st_complete *c)
{
    size_t i;

    if (!c->parts || c->n == 0 || c->n > ST_PART_MAX)
        return -EINVAL;
    for (i = 0; i < c->n; i++) {
        c->bad_part = c->parts[i].number;
        if (c->parts[i].number < 1 || c->parts[i].number > ST_PART_MAX ||
            !c->parts[i].etag)
            return -ERANGE;
        if (i > 0 && c->parts[i].number <= c->parts[i - 1].number)
            return -EDOM;
    }
    c->bad_part = 0;
    return 0;
}

/* Reads the row of every chosen part into a, checks ETags and sizes, and
 * computes the object's ETag. */
static int st_asm_resolve(struct st *st, const char *id, struct st_complete *c,
                          struct st_asm *a)
{
    unsigned char md[ST_MD5_LEN], sum[ST_MD5_LEN];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    sqlite3_stmt *s = NULL;
    struct st_part p;
    size_t i;
    int rc;

    a->n = c->n;
    a->bodies = calloc(c->n, sizeof(*a->bodies));
    a->sizes = calloc(c->n, sizeof(*a->sizes));
    rc = ctx && a->bodies && a->sizes ? 0 : -ENOMEM;
    if (rc == 0 && !EVP_DigestInit_ex(ctx, EVP_md5(), NULL))
        rc = -EIO;
    if (rc == 0)
        rc = st_part_stmt(st, &s);
    for (i = 0; rc == 0 && i < c->n; i++) {
        c->bad_part = c->parts[i].number;
        rc = st_part_row(s, id, c->parts[i].number, &p, a->bodies[i]);
        if (rc == -ENOENT || (rc == 0 && strcasecmp(p.etag, c->parts[i].etag)))
            rc = -ENXIO;
        else if (rc == 0 && i + 1 < c->n && p.size < c->min_part)
            rc = -EMSGSIZE;
        if (rc == 0 && (st_unhex(p.etag, md, ST_MD5_LEN) < 0 ||
                        !EVP_DigestUpdate(ctx, md, ST_MD5_LEN)))
            rc = -EIO;
        if (rc == 0) {
            a->sizes[i] = p.size;
            a->total += p.size;
        }
    }
    if (rc == 0 && !EVP_DigestFinal_ex(ctx, sum, NULL))
        rc = -EIO;
    if (rc == 0) {
        c->bad_part = 0;
        st__hex(sum, ST_MD5_LEN, a->etag);
        snprintf(a->etag + 2 * ST_MD5_LEN, ST_ETAG_MAX - 2 * ST_MD5_LEN, "-%zu",
                 c->n);
    }
    sqlite3_finalize(s);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* Copies len bytes from in to out at their file offsets: in the kernel
 * where it can, else through *buf (allocated on first need). */
static int st_copy(int in, int out, uint64_t len, char **buf)
{
    ssize_t n;
    int rc;

    while (len > 0) {
        size_t want = len > ST_COPY_MAX ? ST_COPY_MAX : (size_t)len;

        if (!*buf) {
            n = copy_file_range(in, NULL, out, NULL, want, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
                errno != EOPNOTSUPP)
                return -errno;
            if (n < 0 && !(*buf = malloc(ST_COPY_BUF)))
                return -ENOMEM;
        }
        if (*buf) {
            n = read(in, *buf, want < ST_COPY_BUF ? want : ST_COPY_BUF);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return -errno;
            rc = n > 0 ? st__write_all(out, *buf, (size_t)n) : 0;
            if (rc < 0)
                return rc;
        }
        if (n == 0)
            return -EIO; /* shorter than its row says */
        len -= (uint64_t)n;
    }
    return 0;
}

/* Appends part file `body` of upload folder dir, which must hold exactly
 * `size` bytes, to out. A part replaced meanwhile is gone: -EAGAIN. */
static int st_asm_part(int dir, const char *body, uint64_t size, int out,
                       char **buf)
{
    struct stat sb;
    int fd, rc;

    fd = openat(dir, body, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? -EAGAIN : -errno;
    if (fstat(fd, &sb) < 0)
        rc = -errno;
    else if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != size)
        rc = -EIO;
    else
        rc = st_copy(fd, out, size, buf);
    close(fd);
    return rc;
}

/* Writes the parts, in order, as body file `body` under objects/. */
static int st_asm_write(struct st *st, const char *id, const struct st_asm *a,
                        const char *body)
{
    char tmp[ST_TMP_NAME], *buf = NULL;
    int dir, out, rc = 0;
    size_t i;

    dir = st_upload_dir(st, id);
    if (dir < 0)
        return dir == -ENOENT ? -EAGAIN : dir;
    out = st__tmp_open(st->objects_fd, tmp);
    if (out < 0) {
        rc = out;
        goto close_dir;
    }
    for (i = 0; rc == 0 && i < a->n; i++)
        rc = st_asm_part(dir, a->bodies[i], a->sizes[i], out, &buf);
    if (rc < 0) {
        close(out);
        unlinkat(st->objects_fd, tmp, 0);
        goto free_buf;
    }
    rc = st__tmp_commit(st->objects_fd, out, tmp, body);

free_buf:
    free(buf);
close_dir:
    close(dir);
    return rc;
}

/* Inside the transaction: every chosen part still has the file that was
 * copied. */
static int st_asm_unchanged(struct st *st, const char *id,
                            const struct st_complete *c, const struct st_asm *a)
{
    char body[ST_BODY_ID];
    struct st_part p;
    sqlite3_stmt *s;
    size_t i;
    int rc;

    rc = st_part_stmt(st, &s);
    for (i = 0; rc == 0 && i < a->n; i++) {
        rc = st_part_row(s, id, c->parts[i].number, &p, body);
        if (rc == -ENOENT || (rc == 0 && strcmp(body, a->bodies[i]) != 0))
            rc = -EAGAIN;
    }
    sqlite3_finalize(s);
    return rc;
}

/* The metadata half: one durable transaction makes o (with the upload's
 * tags) the object and forgets the upload. */
static int st_asm_commit(struct st *st, const char *id,
                         const struct st_complete *c, const struct st_asm *a,
                         const char *tags, struct st_object *o, int *events,
                         char drop[ST_BODY_ID])
{
    struct st_put opt = {.event = "ObjectCreated:CompleteMultipartUpload"};
    int rc;

    opt.depth = c->opt ? c->opt->depth : 0;
    opt.tags = tags;
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_upload_row(st, o->bucket, o->key, id, NULL);
    if (rc == 0)
        rc = st_asm_unchanged(st, id, c, a);
    if (rc == 0)
        rc = st__obj_write(st, o, &opt, events, drop);
    if (rc == 0)
        rc = st_upload_forget(st, id);
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    return st__commit(st);
}

/* Fills o for the new object; takes the upload's content type and
 * metadata over. */
static int st_asm_object(struct st_object *o, const char *bucket,
                         const char *key, struct st_upload_opts *u,
                         const struct st_asm *a)
{
    memset(o, 0, sizeof(*o));
    o->content_type = u->content_type;
    o->meta = u->meta;
    u->content_type = NULL;
    u->meta = NULL;
    snprintf(o->bucket, sizeof(o->bucket), "%s", bucket);
    memcpy(o->etag, a->etag, sizeof(o->etag));
    o->size = a->total;
    o->modified_ms = st__now_ms();
    if (st__id_new(o->body) < 0)
        return -EIO;
    o->key = strdup(key);
    return o->key ? 0 : -ENOMEM;
}

int st_upload_complete(struct st *st, const char *bucket, const char *key,
                       const char *id, struct st_complete *c,
                       struct st_object *out, int *events)
{
    char drop[ST_BODY_ID] = "";
    struct st_asm a = {0};
    struct st_object o = {0};
    struct st_upload_opts u;
    int queued = 0, rc;

    if (!st || !bucket || !key || !id || !c)
        return -EINVAL;
    c->bad_part = 0;
    rc = st_upload_row(st, bucket, key, id, &u);
    if (rc < 0)
        return rc;
    rc = st_complete_check_order(c);
    if (rc == 0)
        rc = st_asm_resolve(st, id, c, &a);
    if (rc == 0)
        rc = st_asm_object(&o, bucket, key, &u, &a);
    if (rc < 0)
        goto clear;

    /* The object's body is durable before the row that makes it visible;
     * the parts go only after that commit. */
    rc = st_asm_write(st, id, &a, o.body);
    if (rc < 0)
        goto clear;
    rc = st_asm_commit(st, id, c, &a, u.tags, &o, &queued, drop);
    if (rc < 0) {
        unlinkat(st->objects_fd, o.body, 0);
        goto clear;
    }
    st__body_unlink(st, drop);
    st_upload_rmdir(st, id);
    if (events)
        *events = queued;
    if (out) {
        *out = o;
        st_asm_free(&a);
        st_upload_opts_free(&u);
        return 0;
    }

clear:
    st_object_clear(&o);
    st_asm_free(&a);
    st_upload_opts_free(&u);
    return rc;
}

/* ---- Buckets and sweeping ----------------------------------------------- */

struct st_ids {
    char *ids;
    size_t n, cap;
};

static int st_ids_row(sqlite3_stmt *s, void *arg)
{
    struct st_ids *v = arg;
    char *grown;

    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 16;
        grown = realloc(v->ids, v->cap * ST_UPLOAD_ID);
        if (!grown)
            return -ENOMEM;
        v->ids = grown;
    }
    st__copy_text(v->ids + v->n * ST_UPLOAD_ID, ST_UPLOAD_ID, s, 0);
    v->n++;
    return 0;
}

int st__uploads_drop(struct st *st, const char *bucket, char **ids, size_t *n)
{
    struct st_ids v = {0};
    sqlite3_stmt *s;
    int rc;

    *ids = NULL;
    *n = 0;
    rc = st_exec2(st,
                  "DELETE FROM upload_parts WHERE upload IN"
                  " (SELECT id FROM uploads WHERE bucket = ?1)",
                  bucket, NULL);
    if (rc == 0)
        rc = st_prepare1(st,
                         "DELETE FROM uploads WHERE bucket = ?1"
                         " RETURNING id",
                         &s);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    rc = st__walk(s, st_ids_row, &v);
    if (rc < 0) {
        free(v.ids);
        return rc;
    }
    *ids = v.ids;
    *n = v.n;
    return 0;
}

void st__uploads_remove(struct st *st, char *ids, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        st_upload_rmdir(st, ids + i * ST_UPLOAD_ID);
    free(ids);
}

struct st_sweep_dir {
    struct st *st;
    const char *id;
};

/* One name in the folder of a live upload. */
static int st_sweep_part(int dir, const char *name, void *arg)
{
    const struct st_sweep_dir *w = arg;
    int used;

    if (strncmp(name, ".tmp-", 5) == 0)
        return unlinkat(dir, name, 0) == 0;
    if (!st__id_valid(name))
        return 0;
    used = st_exec2(w->st,
                    "SELECT 1 FROM upload_parts WHERE upload = ?1"
                    " AND body = ?2",
                    w->id, name);
    if (used != 0)
        return used < 0 ? used : 0;
    return unlinkat(dir, name, 0) == 0;
}

/* One name in uploads/. */
static int st_sweep_upload(int dir, const char *name, void *arg)
{
    struct st_sweep_dir w = {arg, name};
    int live, fd;

    if (!st__id_valid(name))
        return 0;
    live = st_exec2(w.st, "SELECT 1 FROM uploads WHERE id = ?1", name, NULL);
    if (live < 0)
        return live;
    if (!live)
        return st_upload_rmdir(w.st, name);
    fd = st_upload_dir(w.st, name);
    return fd < 0 ? 0 : st__dir_each(fd, st_sweep_part, &w);
}

int st__uploads_sweep(struct st *st)
{
    int fd = dup(st->uploads_fd);

    if (fd < 0)
        return -errno;
    return st__dir_each(fd, st_sweep_upload, st);
}
