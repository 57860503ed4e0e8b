/* hooks.c: POST /hooks/s3: bucket notifications from other object stores.
 *
 * AWS S3 (through whatever forwards its notifications), MinIO's webhook
 * target and Ceph RGW's HTTP endpoint post the same JSON shape (see
 * s3event.h). Every record is routed through the functions' object
 * triggers exactly like a write to the built-in store, in one durable
 * transaction, before the answer: 200 {"records": N, "queued": M}. A test
 * event gets 200 and queues nothing; JSON that is not a notification gets
 * 400 with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <llhttp.h>

#include "gateway/bg.h"
#include "gateway/events.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/s3event.h"
#include "store/objects.h"

static void hook_json(struct gw_reply *rep, int status, json_t *j)
{
    rep->status = status;
    rep->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    rep->len = rep->body ? strlen(rep->body) : 0;
    json_decref(j);
    gw_reply_header(rep, "Content-Type", "application/json");
}

static void hook_error(struct gw_reply *rep, int status, const char *code,
                       const char *detail)
{
    hook_json(rep, status,
              json_pack("{s:s, s:s}", "error", code, "detail", detail));
}

/* Pool thread: parse, route, commit. */
static void hook_work(struct gw_http_req *req, void *arg, struct gw_reply *rep)
{
    struct gw_s3event_batch b;
    char err[200] = "";
    int queued = 0, rc;
    struct st *st;

    rc = gw_s3event_parse(req->body, req->body_len, &b, err, sizeof(err));
    if (rc == -EINVAL) {
        hook_error(rep, 400, "bad_notification", err);
        return;
    }
    if (rc < 0) {
        hook_error(rep, 503, "host_error", strerror(-rc));
        return;
    }
    st = b.n ? gw_bg_store(&rc) : NULL;
    if (b.n && !st)
        rc = rc < 0 ? rc : -EIO;
    else if (b.n)
        rc = st_events_enqueue(st, b.in, b.n, &queued);
    if (rc < 0)
        hook_error(rep, 503, "store_error", strerror(-rc));
    else
        hook_json(rep, 200,
                  json_pack("{s:I, s:i, s:b}", "records", (json_int_t)b.n,
                            "queued", queued, "test", b.test));
    rep->events = queued;
    gw_s3event_batch_free(&b);
}

static void hook_after(struct gw_http_req *req, void *arg, struct gw_reply *rep)
{
    struct gw *gw = arg;

    if (rep->events > 0 && gw->events)
        gw_events_kick(gw->events);
    gw_info("webhook", "request_id=%s status=%d queued=%d", req->id,
            rep->status, rep->events);
}

void gw_hook_s3(struct gw *gw, struct gw_http_req *req)
{
    int rc;

    if (req->method_id != HTTP_POST) {
        gw_http_add_header(req, "Allow", "POST");
        gw_http_error(req, 405, NULL, "POST a bucket notification here");
        return;
    }
    rc = gw_bg_submit(gw->loop, req, hook_work, hook_after, gw);
    if (rc < 0)
        gw_http_error(req, 503, "host_error", "cannot queue the request");
}
