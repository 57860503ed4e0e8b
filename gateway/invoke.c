/* invoke.c: one HTTP request to one function run in a fresh VM, and back. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/buf.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "mayfly_abi.h"

/* One invocation; lives from gw_invoke until its response is written. */
struct inv {
    struct gw_job job; /* first: the job is the invocation */
    struct gw *gw;
    struct gw_http_req *req;
    struct gw_fn *fn;       /* a reference, for its in-flight count */
    struct gw_fnconf *conf; /* a reference: the env the guest reads */
    int admitted;           /* counted in fn->inflight */
    char function[ST_NAME_MAX + 1];
    int64_t version;
    int64_t started_ms;
};

/* What the gateway answers, and why. */
struct outcome {
    int status;
    const char *code; /* error code for the JSON body, NULL on success */
    const char *detail;
};

/* Response headers a guest may not set: framing and the gateway's own. */
static const char *const reserved_headers[] = {
    "content-length",   "transfer-encoding",
    "connection",       "server-timing",
    "x-request-id",     "date",
    "keep-alive",       "upgrade",
    "trailer",          "te",
    "proxy-connection",
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void inv_free(void *arg)
{
    struct inv *inv = arg;

    if (inv->job.ran)
        vmm_result_free(&inv->job.res);
    if (inv->job.img)
        vmm_image_put(inv->job.img);
    gw_fnconf_put(inv->conf);
    gw_fn_put(inv->fn);
    free(inv);
}

/* The function's concurrency slot is free once the VM is done, whether or
 * not the client has read the answer yet. */
static void release_slot(struct inv *inv)
{
    if (inv->admitted)
        inv->fn->inflight--;
    inv->admitted = 0;
}

/* Maps the VMM's verdict (or the gateway's own) to an HTTP answer. */
static struct outcome outcome_of(const struct inv *inv)
{
    const struct gw_job *job = &inv->job;
    const struct vmm_result *res = &job->res;

    if (job->cancelled)
        return (struct outcome){503, "shutting_down",
                                "the gateway stopped before the function "
                                "ran"};
    switch (res->error) {
    case VMM_OK:
        if (res->status < 200 || res->status > 599)
            return (struct outcome){502, "bad_status",
                                    "function answered with a status "
                                    "outside 200..599"};
        return (struct outcome){res->status, NULL, NULL};
    case VMM_ECRASH:
        return (struct outcome){502, "function_crashed", res->reason};
    case VMM_EREQUEST:
        return (struct outcome){413, "request_too_large", res->reason};
    case VMM_ELIMIT:
        return (struct outcome){502, "function_limit", res->reason};
    case VMM_ETIMEOUT:
        return (struct outcome){504, "function_timeout", res->reason};
    case VMM_EHOST:
    default: return (struct outcome){503, "host_error", res->reason};
    }
}

static void add_server_timing(struct inv *inv, uint64_t total)
{
    const struct gw_job *job = &inv->job;
    const struct vmm_timings *t = &job->res.t;
    uint64_t wait = 0;

    if (job->ran)
        wait = job->t_started - job->t_queued + t->wait;
    gw_http_add_headerf(inv->req, "Server-Timing",
                        "wait;dur=%.3f, load;dur=%.3f, boot;dur=%.3f, "
                        "run;dur=%.3f, total;dur=%.3f",
                        ms(wait), ms(t->load),
                        ms(t->load + t->enter + t->start), ms(t->run),
                        ms(total));
}

static void add_guest_headers(struct inv *inv)
{
    const struct vmm_result *res = &inv->job.res;
    const char *p = res->headers, *end, *name, *value;
    size_t i;

    if (!p)
        return;
    end = p + res->headers_len;
    while (p < end) {
        name = p;
        value = name + strnlen(name, (size_t)(end - name)) + 1;
        if (value >= end)
            break;
        p = value + strnlen(value, (size_t)(end - value)) + 1;
        for (i = 0; i < sizeof(reserved_headers) / sizeof(char *); i++)
            if (strcasecmp(name, reserved_headers[i]) == 0)
                break;
        if (i == sizeof(reserved_headers) / sizeof(char *))
            gw_http_add_header(inv->req, name, value);
    }
}

static void record(struct inv *inv, const struct outcome *o, uint64_t total)
{
    const struct gw_job *job = &inv->job;
    const struct vmm_timings *t = &job->res.t;
    struct st_invocation rec = {0};
    char trigger[160];

    snprintf(rec.request_id, sizeof(rec.request_id), "%.39s", inv->req->id);
    snprintf(rec.function, sizeof(rec.function), "%s", inv->function);
    snprintf(trigger, sizeof(trigger), "{\"type\":\"http\",\"method\":\"%s\"}",
             inv->req->method);
    rec.version = inv->version;
    rec.started_ms = inv->started_ms;
    rec.status = o->status;
    rec.error = o->code ? o->detail && *o->detail ? o->detail : o->code : NULL;
    rec.trigger_json = trigger;
    if (job->ran)
        rec.t_wait = job->t_started - job->t_queued + t->wait;
    rec.t_load = t->load;
    rec.t_enter = t->enter;
    rec.t_start = t->start;
    rec.t_run = t->run;
    rec.t_done = t->done;
    rec.t_total = total;
    gw_invlog_add(inv->gw->invlog, &rec, job->ran ? job->res.log : NULL,
                  job->ran ? job->res.log_len : 0);
}

/* Turned away for load (429, or 503 server_busy), not for what it is. */
static int overload(const struct outcome *o)
{
    return o->status == 429 || (o->code && strcmp(o->code, "server_busy") == 0);
}

/* Under overload a line per rejected request would add to the load: the
 * rejections are summed into one warning a second. */
static void warn_overload(struct gw *gw, const char *code)
{
    uint64_t now = uv_now(gw->loop);

    gw->rejected++;
    if (gw->rejected_at && now - gw->rejected_at < 1000)
        return;
    gw_warn("requests rejected", "rejected=%llu queue=%u last=%s",
            (unsigned long long)gw->rejected, gw->cfg.queue, code);
    gw->rejected = 0;
    gw->rejected_at = now;
}

static void observe(struct inv *inv, const struct outcome *o, uint64_t total)
{
    const struct gw_job *job = &inv->job;
    const struct vmm_timings *t = &job->res.t;
    struct gw_metrics *m = inv->gw->metrics;

    gw_metrics_invocation(m, inv->function, o->status);
    gw_metrics_observe(m, inv->function, GW_PHASE_TOTAL, total);
    if (job->ran && job->res.error != VMM_EHOST)
        gw_metrics_observe(m, inv->function, GW_PHASE_BOOT,
                           t->load + t->enter + t->start);
    if (job->ran && job->res.error == VMM_OK)
        gw_metrics_observe(m, inv->function, GW_PHASE_RUN, t->run);
    if (overload(o))
        warn_overload(inv->gw, o->code);
    else if (o->code)
        gw_warn("invocation failed",
                "request_id=%s function=%s version=%lld status=%d error=%s "
                "reason=\"%s\"",
                inv->req->id, inv->function, (long long)inv->version, o->status,
                o->code, o->detail ? o->detail : "");
    if (job->ran && job->res.log_len)
        gw_debug("guest log", "request_id=%s function=%s log=\"%.*s\"",
                 inv->req->id, inv->function, (int)job->res.log_len,
                 job->res.log);
}

/* Answers the request and lets go of the invocation once it is written.
 * `total` is taken here: the response is queued right after. */
static void finish(struct inv *inv)
{
    struct gw_http_req *req = inv->req;
    const struct vmm_result *res = &inv->job.res;
    struct outcome o = outcome_of(inv);
    uint64_t total = uv_hrtime() - req->t_complete;

    release_slot(inv);
    add_server_timing(inv, total);
    record(inv, &o, total);
    observe(inv, &o, total);
    if (o.code) {
        gw_http_error(req, o.status, o.code, o.detail);
        inv_free(inv);
        return;
    }
    add_guest_headers(inv);
    gw_http_respond(req, o.status, res->body, res->body_len, inv_free, inv);
}

static void on_job_done(struct gw_job *job)
{
    finish((struct inv *)job);
}

/* Ends an invocation that never reached a VM. */
static void fail_early(struct inv *inv, int status, const char *code,
                       const char *detail)
{
    struct outcome o = {status, code, detail};
    uint64_t total = uv_hrtime() - inv->req->t_complete;

    release_slot(inv);
    add_server_timing(inv, total);
    if (!overload(&o)) /* turned away: counted in the metrics only */
        record(inv, &o, total);
    observe(inv, &o, total);
    if (status == 429 || status == 503)
        gw_http_add_header(inv->req, "Retry-After", "1");
    gw_http_error(inv->req, status, code, detail);
    inv_free(inv);
}

static void fill_request(struct inv *inv, const struct gw_fn *fn)
{
    struct gw_http_req *req = inv->req;
    struct vmm_request *vr = &inv->job.req;
    const struct gw_fnconf *conf = inv->conf;

    vr->method = req->method;
    vr->path = req->path;
    vr->query = req->query;
    vr->headers.data = req->headers;
    vr->headers.len = req->headers_len;
    vr->headers.count = req->headers_count;
    vr->body = req->body;
    vr->body_len = req->body_len;
    vr->env = (struct vmm_kv){conf->env, conf->env_len, conf->env_count};
    vr->trigger = MF_TRIGGER_HTTP;
    vr->timeout_ms = fn->timeout_ms;
}

/* Admits the invocation under the function's concurrency limit; returns 0,
 * or -1 having answered 429. */
static int admit(struct inv *inv)
{
    struct gw_fn *fn = inv->fn;
    uint32_t limit = inv->conf->concurrency;

    if (limit && fn->inflight >= limit) {
        fail_early(inv, 429, "concurrency_limit",
                   "the function runs as many invocations as it may");
        return -1;
    }
    fn->inflight++;
    inv->admitted = 1;
    return 0;
}

void gw_invoke(struct gw *gw, struct gw_http_req *req, struct gw_fn *fn)
{
    char err[160] = "";
    struct inv *inv;
    int rc;

    if (!fn) {
        gw_http_error(req, 404, "unknown_function", "no such function");
        return;
    }
    inv = calloc(1, sizeof(*inv));
    if (!inv) {
        gw_http_error(req, 503, "host_error", "out of memory");
        return;
    }
    inv->gw = gw;
    inv->req = req;
    inv->fn = fn;
    gw_fn_get(fn);
    inv->conf = fn->conf;
    gw_fnconf_get(fn->conf);
    inv->version = fn->version;
    inv->started_ms = wall_ms();
    snprintf(inv->function, sizeof(inv->function), "%s", fn->name);
    /* Answers count against --body-memory once made, and stay until the
     * client reads them: while they hold half of it no new guest runs.
     * Request bodies already read may still run; new ones are refused
     * once the whole is reached (http.c). */
    if (gw->bodies.max && gw->bodies.answers >= gw->bodies.max / 2) {
        fail_early(inv, 503, "server_busy",
                   "request and response bodies in memory are at their "
                   "limit; retry shortly");
        return;
    }
    if (admit(inv) < 0)
        return;
    rc = gw_registry_image(gw->reg, fn, &inv->job.img, err, sizeof(err));
    if (rc < 0) {
        fail_early(inv, 503, "image_unavailable", err);
        return;
    }
    fill_request(inv, fn);
    inv->job.done = on_job_done;
    rc = gw_dispatch_submit(gw->dispatch, &inv->job);
    if (rc == -EAGAIN)
        fail_early(inv, 429, "overloaded", "all workers busy, queue full");
    else if (rc < 0)
        fail_early(inv, 503, "shutting_down", "the gateway is stopping");
}
