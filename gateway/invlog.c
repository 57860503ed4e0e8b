/* invlog.c: batches invocation records and writes them from a uv_timer. */
#include "gateway/invlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"

struct rec {
    struct st_invocation inv;
    char *error;
    char *trigger;
    char *log;
};

struct gw_invlog {
    uv_loop_t *loop;
    uv_timer_t timer;
    struct st *st;
    struct rec *recs;
    struct st_invocation *batch; /* scratch for st_invocations_add */
    unsigned n;
    unsigned max;
    unsigned interval_ms;
    uint64_t dropped;
};

static void on_timer(uv_timer_t *t)
{
    gw_invlog_flush(t->data);
}

int gw_invlog_open(struct gw_invlog **out, uv_loop_t *loop, struct st *st,
                   unsigned batch, unsigned interval_ms)
{
    struct gw_invlog *l = calloc(1, sizeof(*l));

    if (!l)
        return -ENOMEM;
    l->max = batch ? batch : 256;
    l->recs = calloc(l->max, sizeof(*l->recs));
    l->batch = calloc(l->max, sizeof(*l->batch));
    if (!l->recs || !l->batch) {
        free(l->recs);
        free(l->batch);
        free(l);
        return -ENOMEM;
    }
    l->loop = loop;
    l->st = st;
    l->interval_ms = interval_ms ? interval_ms : 100;
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    *out = l;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void rec_clear(struct rec *r)
{
    free(r->error);
    free(r->trigger);
    free(r->log);
    memset(r, 0, sizeof(*r));
}

void gw_invlog_add(struct gw_invlog *l, const struct st_invocation *inv,
                   const char *log, size_t log_len)
{
    struct rec *r = &l->recs[l->n++];

    r->inv = *inv;
    r->error = dup_or_null(inv->error);
    r->trigger = dup_or_null(inv->trigger_json);
    r->log = log && log_len ? strndup(log, log_len) : NULL;
    r->inv.error = r->error;
    r->inv.trigger_json = r->trigger;
    r->inv.log = r->log;
    if (l->n == l->max)
        gw_invlog_flush(l);
    else if (l->n == 1)
        uv_timer_start(&l->timer, on_timer, l->interval_ms, 0);
}

int gw_invlog_flush(struct gw_invlog *l)
{
    unsigned i, n = l->n;
    int rc;

    uv_timer_stop(&l->timer);
    if (n == 0)
        return 0;
    for (i = 0; i < n; i++)
        l->batch[i] = l->recs[i].inv;
    rc = st_invocations_add(l->st, l->batch, n);
    if (rc < 0) {
        l->dropped += n;
        gw_log_errno(GW_LOG_WARN, rc, "invocation log write failed",
                     "records=%u dropped_total=%llu", n,
                     (unsigned long long)l->dropped);
    }
    for (i = 0; i < n; i++)
        rec_clear(&l->recs[i]);
    l->n = 0;
    return rc < 0 ? rc : 0;
}

uint64_t gw_invlog_dropped(const struct gw_invlog *l)
{
    return l->dropped;
}

static void on_closed(uv_handle_t *h)
{
    struct gw_invlog *l = h->data;

    free(l->recs);
    free(l->batch);
    free(l);
}

void gw_invlog_close(struct gw_invlog *l)
{
    if (!l)
        return;
    gw_invlog_flush(l);
    uv_close((uv_handle_t *)&l->timer, on_closed);
}
