/* function.c: the function registry: versions, the active one, deletion. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

/* [a-z0-9][a-z0-9_-]{0,62}: safe in URLs, file names and log fields. */
static bool st_name_valid(const char *name)
{
    size_t i;

    if (!name)
        return false;
    for (i = 0; name[i] != '\0'; i++) {
        char c = name[i];

        if (i >= ST_NAME_MAX)
            return false;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            continue;
        if (i > 0 && (c == '_' || c == '-'))
            continue;
        return false;
    }
    return i > 0;
}

static int64_t st_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fills fn from a row whose columns are in ST_FN_SELECT order. */
static int st_fn_from_row(sqlite3_stmt *s, struct st_function *fn)
{
    const char *config;

    memset(fn, 0, sizeof(*fn));
    st__copy_text(fn->name, sizeof(fn->name), s, 0);
    fn->version = sqlite3_column_int64(s, 1);
    st__copy_text(fn->image_sha, sizeof(fn->image_sha), s, 2);
    fn->memory_mib = (uint32_t)sqlite3_column_int64(s, 3);
    fn->timeout_ms = (uint32_t)sqlite3_column_int64(s, 4);
    fn->created_ms = sqlite3_column_int64(s, 5);
    if (sqlite3_column_type(s, 6) == SQLITE_NULL)
        return 0;
    config = (const char *)sqlite3_column_text(s, 6);
    fn->config_json = config ? strdup(config) : NULL;
    return fn->config_json ? 0 : -ENOMEM;
}

/* Runs a one-off statement with ?1 = name and, if it has one, ?2 = version;
 * *changes gets the number of rows it wrote. */
static int st_run(struct st *st, const char *sql, const char *name,
                  int64_t version, int *changes)
{
    sqlite3_stmt *s;
    int rc;

    rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(s) >= 2)
        sqlite3_bind_int64(s, 2, version);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return st__err(rc);
    *changes = sqlite3_changes(st->db);
    return 0;
}

/* Takes the next version number of name and makes it the active one. */
static int st_head_bump(struct st *st, const char *name, int64_t *version)
{
    sqlite3_stmt *s = st__stmt(st, ST_FN_HEAD_BUMP);
    int rc;

    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int64(s, 0);
    /* With RETURNING the row is written by the first step; reset ends it. */
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : st__err(rc);
}

static int st_fn_insert(struct st *st, const struct st_function *fn,
                        int64_t version, int64_t created_ms)
{
    sqlite3_stmt *s = st__stmt(st, ST_FN_INSERT);

    sqlite3_bind_text(s, 1, fn->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, version);
    sqlite3_bind_text(s, 3, fn->image_sha, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, fn->memory_mib);
    sqlite3_bind_int64(s, 5, fn->timeout_ms);
    sqlite3_bind_int64(s, 6, created_ms);
    if (fn->config_json)
        sqlite3_bind_text(s, 7, fn->config_json, -1, SQLITE_STATIC);
    return st__step_done(s);
}

int st_function_deploy(struct st *st, struct st_function *fn)
{
    int64_t version = 0, now;
    int rc;

    if (!st || !fn)
        return -EINVAL;
    if (!st_name_valid(fn->name) || !st__sha_valid(fn->image_sha))
        return -EINVAL;
    /* A version whose image is missing could never run. */
    rc = st__image_exists(st, fn->image_sha);
    if (rc < 0)
        return rc;

    now = st_now_ms();
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_head_bump(st, fn->name, &version);
    if (rc < 0)
        goto rollback;
    rc = st_fn_insert(st, fn, version, now);
    if (rc < 0)
        goto rollback;
    rc = st__commit(st);
    if (rc < 0)
        return rc;

    fn->version = version;
    fn->created_ms = now;
    return 0;

rollback:
    st__rollback(st);
    return rc;
}

int st_function_get(struct st *st, const char *name, int64_t version,
                    struct st_function *fn)
{
    sqlite3_stmt *s;
    int rc;

    if (!st || !name || version < 0 || !fn)
        return -EINVAL;
    if (version == 0) {
        s = st__stmt(st, ST_FN_GET_ACTIVE);
    } else {
        s = st__stmt(st, ST_FN_GET_VERSION);
        sqlite3_bind_int64(s, 2, version);
    }
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);

    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = st_fn_from_row(s, fn);
    else if (rc == SQLITE_DONE)
        rc = -ENOENT;
    else
        rc = st__err(rc);
    /* Reset now: a pending SELECT would hold its read snapshot open. */
    sqlite3_reset(s);
    return rc;
}

int st_function_activate(struct st *st, const char *name, int64_t version)
{
    int changes = 0, rc;

    if (!st || !name || version <= 0)
        return -EINVAL;
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_run(st,
                "UPDATE function_heads SET active_version = ?2"
                " WHERE name = ?1 AND EXISTS (SELECT 1 FROM functions"
                "  WHERE name = ?1 AND version = ?2)",
                name, version, &changes);
    if (rc == 0 && changes == 0)
        rc = -ENOENT;
    if (rc < 0)
        goto rollback;
    return st__commit(st);

rollback:
    st__rollback(st);
    return rc;
}

int st_function_delete(struct st *st, const char *name)
{
    int deleted = 0, changes = 0, rc;

    if (!st || !name)
        return -EINVAL;
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_run(st, "DELETE FROM functions WHERE name = ?1", name, 0, &deleted);
    if (rc == 0 && deleted == 0)
        rc = -ENOENT;
    if (rc < 0)
        goto rollback;
    /* The head stays, with its version counter, so versions never repeat. */
    rc = st_run(st,
                "UPDATE function_heads SET active_version = NULL"
                " WHERE name = ?1",
                name, 0, &changes);
    if (rc < 0)
        goto rollback;
    return st__commit(st);

rollback:
    st__rollback(st);
    return rc;
}

/* A caller's callback and the rows it was given, for st__walk. */
struct st_fn_cb {
    int (*cb)(const struct st_function *fn, void *arg);
    void *arg;
    int rows;
};

static int st_fn_row(sqlite3_stmt *s, void *arg)
{
    struct st_fn_cb *w = arg;
    struct st_function fn;
    int rc;

    rc = st_fn_from_row(s, &fn);
    if (rc < 0)
        return rc;
    rc = w->cb(&fn, w->arg);
    st_function_clear(&fn);
    w->rows++;
    return rc;
}

/* Steps a one-off SELECT in ST_FN_SELECT column order and calls cb per row;
 * *rows counts the rows seen. */
static int st_fn_walk(struct st *st, const char *sql, const char *name,
                      int (*cb)(const struct st_function *fn, void *arg),
                      void *arg, int *rows)
{
    struct st_fn_cb w = {cb, arg, 0};
    sqlite3_stmt *s;
    int rc;

    rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    if (name)
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rc = st__walk(s, st_fn_row, &w);
    *rows = w.rows;
    return rc;
}

int st_function_list(struct st *st,
                     int (*cb)(const struct st_function *fn, void *arg),
                     void *arg)
{
    int rows = 0;

    if (!st || !cb)
        return -EINVAL;
    return st_fn_walk(st,
                      ST_FN_SELECT " JOIN function_heads h"
                                   " ON f.name = h.name"
                                   " AND f.version = h.active_version"
                                   " ORDER BY h.name",
                      NULL, cb, arg, &rows);
}

int st_function_versions(struct st *st, const char *name,
                         int (*cb)(const struct st_function *fn, void *arg),
                         void *arg)
{
    int rows = 0, rc;

    if (!st || !name || !cb)
        return -EINVAL;
    rc = st_fn_walk(st, ST_FN_SELECT " WHERE f.name = ?1 ORDER BY f.version",
                    name, cb, arg, &rows);
    if (rc == 0 && rows == 0)
        return -ENOENT;
    return rc;
}

void st_function_clear(struct st_function *fn)
{
    if (!fn)
        return;
    free(fn->config_json);
    fn->config_json = NULL;
}
