/* invocation.c: the invocations log, added in batches, pruned per function. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define ST_INV_SELECT                                                          \
    "SELECT request_id, function, version, started_ms, status, error,"         \
    " trigger_json, log, t_wait, t_load, t_enter, t_start, t_run, t_done,"     \
    " t_total FROM invocations"

/* The fixed-size name fields may arrive without their NUL; never read past
 * the array. */
#define ST_FIELD_LEN(field) ((int)strnlen((field), sizeof(field)))

static void st_bind_opt(sqlite3_stmt *s, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(s, col, text, -1, SQLITE_STATIC);
}

static int st_inv_insert(struct st *st, const struct st_invocation *inv)
{
    sqlite3_stmt *s = st__stmt(st, ST_INV_INSERT);

    sqlite3_bind_text(s, 1, inv->request_id, ST_FIELD_LEN(inv->request_id),
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 2, inv->function, ST_FIELD_LEN(inv->function),
                      SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, inv->version);
    sqlite3_bind_int64(s, 4, inv->started_ms);
    sqlite3_bind_int(s, 5, inv->status);
    st_bind_opt(s, 6, inv->error);
    st_bind_opt(s, 7, inv->trigger_json);
    st_bind_opt(s, 8, inv->log);
    sqlite3_bind_int64(s, 9, (int64_t)inv->t_wait);
    sqlite3_bind_int64(s, 10, (int64_t)inv->t_load);
    sqlite3_bind_int64(s, 11, (int64_t)inv->t_enter);
    sqlite3_bind_int64(s, 12, (int64_t)inv->t_start);
    sqlite3_bind_int64(s, 13, (int64_t)inv->t_run);
    sqlite3_bind_int64(s, 14, (int64_t)inv->t_done);
    sqlite3_bind_int64(s, 15, (int64_t)inv->t_total);
    return st__step_done(s);
}

static int st_inv_prune(struct st *st, const struct st_invocation *inv)
{
    sqlite3_stmt *s = st__stmt(st, ST_INV_PRUNE);

    sqlite3_bind_text(s, 1, inv->function, ST_FIELD_LEN(inv->function),
                      SQLITE_STATIC);
    sqlite3_bind_int(s, 2, ST_INVOCATIONS_KEEP);
    return st__step_done(s);
}

static int st_inv_cmp(const void *a, const void *b)
{
    const struct st_invocation *x = *(const struct st_invocation *const *)a;
    const struct st_invocation *y = *(const struct st_invocation *const *)b;

    return strncmp(x->function, y->function, sizeof(x->function));
}

/* Prunes each function of the batch once: pruning skips the newest
 * ST_INVOCATIONS_KEEP index entries, too many to walk for every record. */
static int st_inv_prune_batch(struct st *st, const struct st_invocation *inv,
                              size_t n)
{
    const struct st_invocation **by_fn;
    size_t i;
    int rc = 0;

    by_fn = calloc(n, sizeof(*by_fn));
    if (!by_fn)
        return -ENOMEM;
    for (i = 0; i < n; i++)
        by_fn[i] = &inv[i];
    qsort(by_fn, n, sizeof(*by_fn), st_inv_cmp);
    for (i = 0; i < n && rc == 0; i++) {
        if (i > 0 && st_inv_cmp(&by_fn[i - 1], &by_fn[i]) == 0)
            continue;
        rc = st_inv_prune(st, by_fn[i]);
    }
    free(by_fn);
    return rc;
}

int st_invocations_add(struct st *st, const struct st_invocation *inv, size_t n)
{
    size_t i;
    int rc;

    if (!st || (!inv && n > 0))
        return -EINVAL;
    if (n == 0)
        return 0;

    rc = st__begin(st, false);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++) {
        rc = st_inv_insert(st, &inv[i]);
        if (rc < 0)
            goto rollback;
    }
    rc = st_inv_prune_batch(st, inv, n);
    if (rc < 0)
        goto rollback;
    return st__commit(st);

rollback:
    st__rollback(st);
    return rc;
}

/* Fills inv from a row in ST_INV_SELECT order; its strings point into the
 * statement and live until the next step. */
static void st_inv_from_row(sqlite3_stmt *s, struct st_invocation *inv)
{
    memset(inv, 0, sizeof(*inv));
    st__copy_text(inv->request_id, sizeof(inv->request_id), s, 0);
    st__copy_text(inv->function, sizeof(inv->function), s, 1);
    inv->version = sqlite3_column_int64(s, 2);
    inv->started_ms = sqlite3_column_int64(s, 3);
    inv->status = sqlite3_column_int(s, 4);
    inv->error = (const char *)sqlite3_column_text(s, 5);
    inv->trigger_json = (const char *)sqlite3_column_text(s, 6);
    inv->log = (const char *)sqlite3_column_text(s, 7);
    inv->t_wait = (uint64_t)sqlite3_column_int64(s, 8);
    inv->t_load = (uint64_t)sqlite3_column_int64(s, 9);
    inv->t_enter = (uint64_t)sqlite3_column_int64(s, 10);
    inv->t_start = (uint64_t)sqlite3_column_int64(s, 11);
    inv->t_run = (uint64_t)sqlite3_column_int64(s, 12);
    inv->t_done = (uint64_t)sqlite3_column_int64(s, 13);
    inv->t_total = (uint64_t)sqlite3_column_int64(s, 14);
}

/* A caller's callback, for st__walk. */
struct st_inv_cb {
    int (*cb)(const struct st_invocation *inv, void *arg);
    void *arg;
};

static int st_inv_row(sqlite3_stmt *s, void *arg)
{
    const struct st_inv_cb *w = arg;
    struct st_invocation inv;

    st_inv_from_row(s, &inv);
    return w->cb(&inv, w->arg);
}

int st_invocations_recent(struct st *st, const char *function, int limit,
                          int (*cb)(const struct st_invocation *inv, void *arg),
                          void *arg)
{
    struct st_inv_cb w = {cb, arg};
    sqlite3_stmt *s;
    int rc;

    if (!st || !cb || limit < 0)
        return -EINVAL;
    if (limit == 0)
        return 0;

    rc = sqlite3_prepare_v2(st->db,
                            function ? ST_INV_SELECT " WHERE function = ?1"
                                                     " ORDER BY id DESC"
                                                     " LIMIT ?2"
                                     : ST_INV_SELECT " ORDER BY id DESC"
                                                     " LIMIT ?2",
                            -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    if (function)
        sqlite3_bind_text(s, 1, function, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, limit);
    return st__walk(s, st_inv_row, &w);
}
