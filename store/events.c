/* events.c: the durable queue of object events, from routing to dead letter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define ST_EV_COLUMNS                                                          \
    "id, function, name, bucket, key, size, etag, seq, body, record_json,"     \
    " time_ms, depth, state, attempts, due_ms, last_error"

/* "put" for ObjectCreated:*, "delete" for ObjectRemoved:*, else NULL: the
 * kinds a trigger's "events" list names. */
static const char *st_event_kind(const char *name)
{
    if (strncmp(name, "ObjectCreated:", 14) == 0)
        return "put";
    if (strncmp(name, "ObjectRemoved:", 14) == 0)
        return "delete";
    return NULL;
}

static void st_bind_text_or_null(sqlite3_stmt *s, int col, const char *t)
{
    if (t && *t)
        sqlite3_bind_text(s, col, t, -1, SQLITE_STATIC);
}

int st__events_route(struct st *st, const struct st_event *ev, int *queued)
{
    const char *kind = st_event_kind(ev->name);
    sqlite3_stmt *s;
    int rc;

    if (!kind)
        return 0; /* no trigger can ask for it */
    s = st__obj_stmt(st, ST_EV_ROUTE);
    if (!s)
        return -EIO;
    sqlite3_bind_text(s, 1, ev->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ev->bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, ev->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, ev->size);
    sqlite3_bind_text(s, 5, ev->etag ? ev->etag : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, ev->seq);
    st_bind_text_or_null(s, 7, ev->body);
    st_bind_text_or_null(s, 8, ev->record_json);
    sqlite3_bind_int64(s, 9, ev->time_ms);
    sqlite3_bind_int(s, 10, ev->depth);
    sqlite3_bind_text(s, 11, kind, -1, SQLITE_STATIC);
    rc = st__step_done(s);
    if (rc == 0)
        *queued += sqlite3_changes(st->db);
    return rc;
}

int st_events_enqueue(struct st *st, const struct st_event_in *in, size_t n,
                      int *queued)
{
    int64_t now = st__now_ms();
    struct st_event ev;
    size_t i;
    int count = 0, rc;

    if (!st || (!in && n > 0))
        return -EINVAL;
    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    for (i = 0; i < n && rc == 0; i++) {
        if (!in[i].name || !in[i].bucket || !in[i].key) {
            rc = -EINVAL;
            break;
        }
        ev = (struct st_event){
            .name = in[i].name,
            .bucket = in[i].bucket,
            .key = in[i].key,
            .size = in[i].size,
            .etag = in[i].etag,
            .record_json = in[i].record_json,
            .time_ms = now,
        };
        rc = st__events_route(st, &ev, &count);
    }
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    rc = st__commit(st);
    if (rc == 0 && queued)
        *queued = count;
    return rc;
}

/* Fills ev from a row in ST_EV_COLUMNS order; strings are lent. */
static void st_ev_from_row(sqlite3_stmt *s, struct st_event *ev)
{
    const char *t;

    memset(ev, 0, sizeof(*ev));
    ev->id = sqlite3_column_int64(s, 0);
    ev->function = (const char *)sqlite3_column_text(s, 1);
    ev->name = (const char *)sqlite3_column_text(s, 2);
    ev->bucket = (const char *)sqlite3_column_text(s, 3);
    ev->key = (const char *)sqlite3_column_text(s, 4);
    ev->size = sqlite3_column_int64(s, 5);
    ev->etag = (const char *)sqlite3_column_text(s, 6);
    ev->seq = sqlite3_column_int64(s, 7);
    t = (const char *)sqlite3_column_text(s, 8);
    ev->body = t ? t : "";
    ev->record_json = (const char *)sqlite3_column_text(s, 9);
    ev->time_ms = sqlite3_column_int64(s, 10);
    ev->depth = sqlite3_column_int(s, 11);
    ev->state = (enum st_event_state)sqlite3_column_int(s, 12);
    ev->attempts = sqlite3_column_int(s, 13);
    ev->due_ms = sqlite3_column_int64(s, 14);
    ev->last_error = (const char *)sqlite3_column_text(s, 15);
    if (!ev->etag)
        ev->etag = "";
}

/* Not durable: an event whose mark is lost in a crash is pending again,
 * and st_events_recover makes running ones pending at start-up. */
int st_events_take(struct st *st, int64_t now_ms, int max,
                   int (*cb)(const struct st_event *ev, void *arg), void *arg)
{
    struct st_event ev;
    sqlite3_stmt *s;
    int n = 0, step, rc;

    if (!st || !cb || max <= 0)
        return -EINVAL;
    s = st__obj_stmt(st, ST_EV_TAKE);
    if (!s)
        return -EIO;
    rc = st__begin(st, false);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int(s, 2, max);
    /* RETURNING: every row is updated by the first step; the rest of the
     * steps hand them out. All of them run before the commit. */
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        st_ev_from_row(s, &ev);
        if (rc == 0 && cb(&ev, arg) == 0)
            n++;
        else
            rc = -ECANCELED;
    }
    sqlite3_reset(s);
    if (step != SQLITE_DONE || rc < 0) {
        st__rollback(st);
        return step != SQLITE_DONE ? st__err(step) : rc;
    }
    rc = st__commit(st);
    return rc < 0 ? rc : n;
}

int st_event_done(struct st *st, int64_t id)
{
    char body[ST_BODY_ID] = "";
    sqlite3_stmt *s;
    int rc;

    if (!st)
        return -EINVAL;
    s = st__obj_stmt(st, ST_EV_DONE);
    if (!s)
        return -EIO;
    rc = st__begin(st, false);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        st__copy_text(body, sizeof(body), s, 0);
    sqlite3_reset(s);
    rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : st__err(rc);
    if (rc == 0 && body[0] && st__body_used(st, body) != 0)
        body[0] = '\0';
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    rc = st__commit(st);
    if (rc == 0)
        st__body_unlink(st, body);
    return rc;
}

/* Sets state, due time, error and adds `count` to attempts. */
static int st_ev_update(struct st *st, int64_t id, enum st_event_state state,
                        int64_t due_ms, const char *error, int count,
                        bool durable)
{
    sqlite3_stmt *s = st__obj_stmt(st, ST_EV_RETRY);
    int rc;

    if (!s)
        return -EIO;
    rc = st__begin(st, durable);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, (int)state);
    sqlite3_bind_int64(s, 3, due_ms);
    st_bind_text_or_null(s, 4, error);
    sqlite3_bind_int(s, 5, count);
    rc = st__step_done(s);
    if (rc == 0 && sqlite3_changes(st->db) == 0)
        rc = -ENOENT;
    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    return st__commit(st);
}

int st_event_retry(struct st *st, int64_t id, int64_t due_ms, const char *error,
                   bool counted)
{
    if (!st)
        return -EINVAL;
    return st_ev_update(st, id, ST_EVENT_PENDING, due_ms, error,
                        counted ? 1 : 0, false);
}

/* Durable: a dead letter is what an operator goes looking for. */
int st_event_dead(struct st *st, int64_t id, const char *error)
{
    if (!st)
        return -EINVAL;
    return st_ev_update(st, id, ST_EVENT_DEAD, 0, error, 1, true);
}

/* Runs one-off SQL that changes rows in a transaction; returns how many. */
static int st_ev_change(struct st *st, const char *sql, int64_t a, int64_t b,
                        const char *text, bool durable)
{
    sqlite3_stmt *s;
    int rc, n;

    rc = st__begin(st, durable);
    if (rc < 0)
        return rc;
    rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) {
        st__rollback(st);
        return st__err(rc);
    }
    sqlite3_bind_int64(s, 1, a);
    sqlite3_bind_int64(s, 2, b);
    if (text)
        sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    n = sqlite3_changes(st->db);
    if (rc != SQLITE_DONE) {
        st__rollback(st);
        return st__err(rc);
    }
    rc = st__commit(st);
    return rc < 0 ? rc : n;
}

int st_events_recover(struct st *st, int64_t now_ms)
{
    if (!st)
        return -EINVAL;
    return st_ev_change(st,
                        "UPDATE events SET state = 0, due_ms = ?1"
                        " WHERE state = 1",
                        now_ms, 0, NULL, true);
}

int st_events_redrive(struct st *st, int64_t id, const char *function,
                      int64_t now_ms)
{
    if (!st || id < 0)
        return -EINVAL;
    return st_ev_change(st,
                        "UPDATE events SET state = 0, due_ms = ?1,"
                        " attempts = 0 WHERE state = 2"
                        " AND (?2 = 0 OR id = ?2)"
                        " AND (?3 IS NULL OR function = ?3)",
                        now_ms, id, function, true);
}

/* A caller's callback, for st__walk. */
struct st_ev_cb {
    int (*cb)(const struct st_event *ev, void *arg);
    void *arg;
};

static int st_ev_row(sqlite3_stmt *s, void *arg)
{
    const struct st_ev_cb *w = arg;
    struct st_event ev;

    st_ev_from_row(s, &ev);
    return w->cb(&ev, w->arg);
}

int st_events_list(struct st *st, enum st_event_state state,
                   const char *function, int limit,
                   int (*cb)(const struct st_event *ev, void *arg), void *arg)
{
    struct st_ev_cb w = {cb, arg};
    sqlite3_stmt *s;
    int rc;

    if (!st || !cb || limit < 0)
        return -EINVAL;
    rc = sqlite3_prepare_v2(st->db,
                            "SELECT " ST_EV_COLUMNS " FROM events"
                            " WHERE state = ?1"
                            " AND (?2 IS NULL OR function = ?2)"
                            " ORDER BY id LIMIT ?3",
                            -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    sqlite3_bind_int(s, 1, (int)state);
    if (function)
        sqlite3_bind_text(s, 2, function, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, limit);
    return st__walk(s, st_ev_row, &w);
}

int st_events_count(struct st *st, enum st_event_state state)
{
    sqlite3_stmt *s;
    int rc, n = 0;

    if (!st)
        return -EINVAL;
    rc = sqlite3_prepare_v2(
        st->db, "SELECT count(*) FROM events WHERE state = ?1", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    sqlite3_bind_int(s, 1, (int)state);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? n : st__err(rc);
}

int st_events_next_due(struct st *st, int64_t *due_ms)
{
    sqlite3_stmt *s;
    int rc;

    if (!st || !due_ms)
        return -EINVAL;
    rc = sqlite3_prepare_v2(
        st->db, "SELECT min(due_ms) FROM events WHERE state = 0", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL)
        rc = -ENOENT;
    else if (rc == SQLITE_ROW)
        *due_ms = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc == -ENOENT)
        return rc;
    return rc == SQLITE_ROW ? 0 : st__err(rc);
}
