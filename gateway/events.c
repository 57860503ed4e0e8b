/* events.c: the delivery loop that runs queued object events in fresh VMs. */
#include "gateway/events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gateway/bg.h"
#include "gateway/buf.h"
#include "gateway/fnconf.h"
#include "gateway/log.h"
#include "gateway/s3event.h"
#include "mayfly_abi.h"
#include "store/objects.h"

struct gw_events {
    struct gw_events_config cfg;
    uv_timer_t timer;
    unsigned inflight;
    int stopped;
};

/* One delivery attempt of one event; lives from the take to its done. */
struct delivery {
    struct gw_job job; /* first: the job is the delivery */
    struct gw_events *ev;
    struct delivery *next; /* while being taken */
    int64_t id;
    char function[ST_NAME_MAX + 1];
    int64_t version;
    char *name, *bucket, *key;
    int64_t size;
    char body[ST_BODY_ID];
    int attempts; /* failed deliveries before this one */
    int depth;
    char *json;
    size_t json_len;
    struct gw_fn *fn;       /* a reference, while admitted */
    struct gw_fnconf *conf; /* a reference: the env the guest reads */
    struct gw_buf headers;
    size_t header_count;
    int fd;    /* the pinned body, or -1 */
    void *map; /* the body in memory, when small */
    size_t map_len;
    struct vmm_host_ops ops;
    int64_t started_ms;
    char request_id[40];
};

static int64_t ev_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ev_on_timer(uv_timer_t *t);

/* Why a delivery waits without it counting as a failure. */
static const char EV_BUSY[] = "the function is at its concurrency limit";

/* ---- Hypercalls (worker thread) ----------------------------------------- */

static int64_t ev_obj_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct delivery *d = ctx;
    ssize_t n;

    if (d->fd < 0)
        return -ENOENT;
    if (off > (uint64_t)INT64_MAX)
        return -EINVAL;
    do
        n = pread(d->fd, buf, len, (off_t)off);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

static const char *ev_guess_type(const char *key)
{
    static const struct {
        const char *suffix, *type;
    } types[] = {
        {".json", "application/json"}, {".txt", "text/plain"},
        {".csv", "text/csv"},          {".html", "text/html"},
        {".xml", "application/xml"},
    };
    size_t i, n = strlen(key), s;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        s = strlen(types[i].suffix);
        if (n >= s && strcmp(key + n - s, types[i].suffix) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* The write is one link deeper in the chain than the event. */
static int ev_obj_write(void *ctx, const char *bucket, const char *key,
                        const void *buf, size_t len)
{
    struct delivery *d = ctx;
    struct st_put opt = {.content_type = ev_guess_type(key),
                         .depth = d->depth + 1};
    int err = -EIO, events = 0;
    struct st *st = gw_bg_store(&err);

    if (!st)
        return err;
    /* The events it enqueues are found when this delivery is done. */
    return st_object_put(st, bucket, key, buf, len, &opt, NULL, &events);
}

/* ---- Taking events ------------------------------------------------------ */

static void ev_free(struct delivery *d)
{
    if (d->job.ran)
        vmm_result_free(&d->job.res);
    if (d->job.img)
        vmm_image_put(d->job.img);
    if (d->map)
        munmap(d->map, d->map_len);
    if (d->fd >= 0)
        close(d->fd);
    free(d->name);
    free(d->bucket);
    free(d->key);
    free(d->json);
    if (d->conf)
        gw_fnconf_put(d->conf);
    if (d->fn) {
        d->fn->inflight--;
        gw_fn_put(d->fn);
    }
    gw_buf_free(&d->headers);
    free(d);
}

/* Copies what the delivery needs of ev; runs inside the store's walk. */
static int ev_take_one(const struct st_event *ev, void *arg)
{
    struct delivery **list = arg, *d = calloc(1, sizeof(*d));

    if (!d)
        return -ENOMEM;
    d->fd = -1;
    d->id = ev->id;
    snprintf(d->function, sizeof(d->function), "%s", ev->function);
    snprintf(d->body, sizeof(d->body), "%s", ev->body);
    d->name = strdup(ev->name);
    d->bucket = strdup(ev->bucket);
    d->key = strdup(ev->key);
    d->size = ev->size;
    d->attempts = ev->attempts;
    d->depth = ev->depth;
    d->json = gw_s3event_json(ev, &d->json_len);
    d->next = *list;
    *list = d;
    return d->name && d->bucket && d->key && d->json ? 0 : -ENOMEM;
}

/* ---- Preparing the request ---------------------------------------------- */

static void ev_kv(struct gw_buf *b, size_t *count, const char *name,
                  const char *value)
{
    gw_buf_add(b, name, strlen(name) + 1);
    gw_buf_add(b, value, strlen(value) + 1);
    (*count)++;
}

/* Opens the pinned body; maps it when it is small enough to hand over in
 * memory (a quarter of the guest's memory at most). */
static void ev_body(struct delivery *d, struct st *st, uint32_t memory_mib)
{
    uint64_t inline_max = (uint64_t)memory_mib << 18;

    if (!d->body[0])
        return;
    d->fd = st_body_open(st, d->body);
    if (d->fd < 0 || d->size <= 0 || (uint64_t)d->size > inline_max ||
        d->size > (int64_t)GW_EVENT_INLINE_MAX)
        return;
    d->map = mmap(NULL, (size_t)d->size, PROT_READ, MAP_SHARED, d->fd, 0);
    if (d->map == MAP_FAILED)
        d->map = NULL;
    else
        d->map_len = (size_t)d->size;
}

static void ev_headers(struct delivery *d)
{
    char size[24];

    snprintf(size, sizeof(size), "%lld", (long long)d->size);
    ev_kv(&d->headers, &d->header_count, "x-mayfly-bucket", d->bucket);
    ev_kv(&d->headers, &d->header_count, "x-mayfly-key", d->key);
    ev_kv(&d->headers, &d->header_count, "x-mayfly-event", d->name);
    if (d->size >= 0)
        ev_kv(&d->headers, &d->header_count, "x-mayfly-object-size", size);
    ev_kv(&d->headers, &d->header_count, "x-mayfly-object-inline",
          d->map || (d->fd >= 0 && d->size == 0) ? "1" : "0");
}

static void ev_request(struct delivery *d, const struct gw_fn *fn)
{
    struct vmm_request *r = &d->job.req;

    r->method = "";
    r->path = "";
    r->headers =
        (struct vmm_kv){d->headers.data, d->headers.len, d->header_count};
    r->body = d->map;
    r->body_len = d->map ? d->map_len : 0;
    r->env =
        (struct vmm_kv){d->conf->env, d->conf->env_len, d->conf->env_count};
    r->event = d->json;
    r->event_len = d->json_len;
    r->trigger = MF_TRIGGER_OBJECT;
    r->timeout_ms = fn->timeout_ms;
    d->ops = (struct vmm_host_ops){ev_obj_read, ev_obj_write, d};
    d->job.ops = &d->ops;
}

/* Everything a worker needs; returns NULL or why it cannot run. */
static const char *ev_prepare(struct gw_events *e, struct delivery *d,
                              char *err, size_t errlen)
{
    struct gw_fn *fn = gw_registry_find(e->cfg.reg, d->function);

    if (!fn)
        return "the function no longer exists";
    if (fn->conf->concurrency && fn->inflight >= fn->conf->concurrency)
        return EV_BUSY;
    d->version = fn->version;
    if (gw_registry_image(e->cfg.reg, fn, &d->job.img, err, errlen) < 0)
        return err;
    /* Deliveries count against the function's concurrency limit like
     * HTTP invocations; the slot is held until the delivery is done. */
    d->fn = fn;
    gw_fn_get(fn);
    fn->inflight++;
    d->conf = fn->conf;
    gw_fnconf_get(d->conf);
    ev_body(d, e->cfg.st, fn->memory_mib);
    ev_headers(d);
    if (d->headers.err)
        return "out of memory";
    ev_request(d, fn);
    return NULL;
}

/* ---- Outcomes ----------------------------------------------------------- */

struct ev_outcome {
    int status;        /* as an HTTP status, for the log and metrics */
    const char *error; /* NULL on success */
    int counted;       /* the function's failure: counts as an attempt */
};

static struct ev_outcome ev_outcome_of(const struct delivery *d)
{
    const struct vmm_result *res = &d->job.res;

    if (d->job.cancelled || !d->job.ran)
        return (struct ev_outcome){503, "the gateway stopped first", 0};
    switch (res->error) {
    case VMM_OK:
        if (res->status >= 400)
            return (struct ev_outcome){res->status,
                                       "the function answered with an "
                                       "error status",
                                       1};
        return (struct ev_outcome){res->status, NULL, 0};
    case VMM_ETIMEOUT: return (struct ev_outcome){504, res->reason, 1};
    case VMM_EHOST: return (struct ev_outcome){503, res->reason, 1};
    case VMM_EREQUEST: return (struct ev_outcome){413, res->reason, 1};
    default: return (struct ev_outcome){502, res->reason, 1};
    }
}

static uint64_t ev_backoff(const struct gw_events *e, int attempts)
{
    uint64_t ms = e->cfg.backoff_ms;

    while (--attempts > 0 && ms < e->cfg.backoff_max_ms)
        ms *= 2;
    return ms < e->cfg.backoff_max_ms ? ms : e->cfg.backoff_max_ms;
}

/* Moves the event on in the store: gone, retried or dead. */
static void ev_settle(struct gw_events *e, struct delivery *d,
                      const struct ev_outcome *o)
{
    int attempts = d->attempts + o->counted, rc;
    int64_t now = ev_now_ms();

    if (!o->error) {
        rc = st_event_done(e->cfg.st, d->id);
    } else if (!o->counted) {
        /* Not the function's fault; a short pause keeps a busy function
         * (or a full queue) from being asked again at once. */
        rc = st_event_retry(e->cfg.st, d->id,
                            e->stopped ? now : now + (int64_t)ev_backoff(e, 1),
                            o->error, false);
    } else if ((unsigned)attempts >= e->cfg.max_attempts) {
        rc = st_event_dead(e->cfg.st, d->id, o->error);
        gw_warn("event dead-lettered",
                "event_id=%lld function=%s "
                "attempts=%d error=\"%s\"",
                (long long)d->id, d->function, attempts, o->error);
    } else {
        rc = st_event_retry(e->cfg.st, d->id,
                            now + (int64_t)ev_backoff(e, attempts), o->error,
                            true);
        gw_warn("event delivery failed",
                "event_id=%lld function=%s "
                "attempt=%d error=\"%s\"",
                (long long)d->id, d->function, attempts, o->error);
    }
    if (rc < 0)
        gw_log_errno(GW_LOG_ERROR, rc, "cannot update event", "event_id=%lld",
                     (long long)d->id);
}

static void ev_record(struct gw_events *e, struct delivery *d,
                      const struct ev_outcome *o)
{
    const struct vmm_timings *t = &d->job.res.t;
    struct st_invocation rec = {0};
    json_t *trig;
    char *tj;

    trig = json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "kind", "object",
                     "bucket", d->bucket, "key", d->key, "event", d->name,
                     "event_id", (json_int_t)d->id, "attempt", d->attempts + 1);
    tj = trig ? json_dumps(trig, JSON_COMPACT) : NULL;
    json_decref(trig);
    snprintf(rec.request_id, sizeof(rec.request_id), "%s", d->request_id);
    snprintf(rec.function, sizeof(rec.function), "%s", d->function);
    rec.version = d->version;
    rec.started_ms = d->started_ms;
    rec.status = o->status;
    rec.error = o->error;
    rec.trigger_json = tj;
    if (d->job.ran) {
        rec.t_wait = d->job.t_started - d->job.t_queued + t->wait;
        rec.t_load = t->load;
        rec.t_enter = t->enter;
        rec.t_start = t->start;
        rec.t_run = t->run;
        rec.t_done = t->done;
        rec.t_total = d->job.t_finished - d->job.t_queued;
    }
    gw_invlog_add(e->cfg.invlog, &rec, d->job.ran ? d->job.res.log : NULL,
                  d->job.ran ? d->job.res.log_len : 0);
    gw_metrics_invocation(e->cfg.metrics, d->function, o->status);
    free(tj);
}

/* A delivery that never reached a VM for reasons of the gateway's own
 * (busy, full, stopping) leaves no trace in the invocations log. */
static void ev_finish(struct gw_events *e, struct delivery *d,
                      const struct ev_outcome *o)
{
    if (d->job.ran || o->counted || !o->error)
        ev_record(e, d, o);
    ev_settle(e, d, o);
    ev_free(d);
}

static void ev_done(struct gw_job *job)
{
    struct delivery *d = (struct delivery *)job;
    struct gw_events *e = d->ev;
    struct ev_outcome o = ev_outcome_of(d);

    e->inflight--;
    ev_finish(e, d, &o);
    /* A slot is free, and the function may have enqueued events. */
    gw_events_kick(e);
}

/* ---- The loop ----------------------------------------------------------- */

static void ev_start(struct gw_events *e, struct delivery *d)
{
    char err[160] = "";
    const char *why;
    struct ev_outcome o = {503, NULL, 1};
    int rc;

    d->ev = e;
    d->started_ms = ev_now_ms();
    snprintf(d->request_id, sizeof(d->request_id), "ev%lld-%d",
             (long long)d->id, d->attempts + 1);
    why = ev_prepare(e, d, err, sizeof(err));
    if (why) {
        o.error = why;
        o.counted = why != EV_BUSY;
        ev_finish(e, d, &o);
        return;
    }
    d->job.done = ev_done;
    rc = gw_dispatch_submit(e->cfg.dispatch, &d->job);
    if (rc < 0) {
        o.error = rc == -EAGAIN ? "the dispatch queue is full"
                                : "the gateway is stopping";
        o.counted = 0;
        ev_finish(e, d, &o);
        return;
    }
    e->inflight++;
}

/* Takes due events up to the free slots and starts them. */
static void ev_take(struct gw_events *e)
{
    struct delivery *list = NULL, *d;
    unsigned slots = e->cfg.max_inflight - e->inflight;
    int rc;

    rc = st_events_take(e->cfg.st, ev_now_ms(), (int)slots, ev_take_one, &list);
    if (rc < 0 && rc != -ECANCELED)
        gw_log_errno(GW_LOG_ERROR, rc, "cannot take events", "slots=%u", slots);
    while (list) {
        d = list;
        list = d->next;
        if (rc < 0)
            ev_free(d); /* nothing was taken */
        else
            ev_start(e, d);
    }
}

/* Waits until the next event is due, at most poll_ms. */
static void ev_schedule(struct gw_events *e)
{
    int64_t due = 0, now = ev_now_ms();
    uint64_t wait = e->cfg.poll_ms;

    if (e->inflight < e->cfg.max_inflight &&
        st_events_next_due(e->cfg.st, &due) == 0)
        wait = due <= now ? 0 : (uint64_t)(due - now);
    if (wait > e->cfg.poll_ms)
        wait = e->cfg.poll_ms;
    /* Due now but nothing taken (the store was busy): do not spin. */
    if (wait == 0)
        wait = 10;
    uv_timer_start(&e->timer, ev_on_timer, wait, 0);
}

static void ev_on_timer(uv_timer_t *t)
{
    struct gw_events *e = t->data;

    if (e->stopped)
        return;
    if (e->inflight < e->cfg.max_inflight)
        ev_take(e);
    ev_schedule(e);
}

void gw_events_kick(struct gw_events *e)
{
    if (!e->stopped)
        uv_timer_start(&e->timer, ev_on_timer, 0, 0);
}

static void ev_defaults(struct gw_events_config *c)
{
    if (!c->max_attempts)
        c->max_attempts = 5;
    if (!c->backoff_ms)
        c->backoff_ms = 1000;
    if (!c->backoff_max_ms)
        c->backoff_max_ms = 300000;
    if (c->backoff_max_ms < c->backoff_ms)
        c->backoff_max_ms = c->backoff_ms;
    if (!c->max_inflight)
        c->max_inflight = 8;
    if (!c->poll_ms)
        c->poll_ms = 1000;
}

int gw_events_open(struct gw_events **out, const struct gw_events_config *c)
{
    struct gw_events *e = calloc(1, sizeof(*e));
    int rc;

    if (!e)
        return -ENOMEM;
    e->cfg = *c;
    ev_defaults(&e->cfg);
    rc = st_events_recover(e->cfg.st, ev_now_ms());
    if (rc < 0) {
        free(e);
        return rc;
    }
    if (rc > 0)
        gw_info("events recovered", "count=%d", rc);
    uv_timer_init(e->cfg.loop, &e->timer);
    e->timer.data = e;
    gw_events_kick(e);
    *out = e;
    return 0;
}

void gw_events_stop(struct gw_events *e)
{
    e->stopped = 1;
    uv_timer_stop(&e->timer);
}

unsigned gw_events_inflight(const struct gw_events *e)
{
    return e->inflight;
}

static void ev_closed(uv_handle_t *h)
{
    free(h->data);
}

void gw_events_close(struct gw_events *e)
{
    e->stopped = 1;
    uv_close((uv_handle_t *)&e->timer, ev_closed);
}
