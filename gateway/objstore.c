/* objstore.c: starts and stops fnd's object store: S3 listener and events.
 *
 * Start-up, after the dispatch workers: the S3 credentials (made on first
 * start), a sweep of body files left by a crash, the event delivery loop
 * (which first makes events left running by a crash pending again), then
 * the S3 listener. Shutdown: the listener stops accepting and the loop
 * stops taking events at the first signal; deliveries in flight finish
 * through dispatch like any invocation; the timer goes with the loop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/bg.h"
#include "gateway/events.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/s3.h"
#include "gateway/s3cred.h"
#include "store/objects.h"

static void on_s3_events(void *arg)
{
    struct gw *gw = arg;

    if (gw->events)
        gw_events_kick(gw->events);
}

static int open_events(struct gw *gw)
{
    struct gw_events_config ec = {
        .loop = gw->loop,
        .st = gw->st,
        .reg = gw->reg,
        .dispatch = gw->dispatch,
        .invlog = gw->invlog,
        .metrics = gw->metrics,
        .max_attempts = gw->cfg.event_retries,
        .backoff_ms = gw->cfg.event_backoff_ms,
        .max_inflight = gw->cfg.event_inflight,
    };
    int rc = gw_events_open(&gw->events, &ec);

    if (rc < 0)
        gw_log_errno(GW_LOG_ERROR, rc, "cannot start event delivery", "data=%s",
                     gw->cfg.data);
    return rc;
}

static int open_s3(struct gw *gw)
{
    struct gw_s3_config sc = {
        .host = gw->cfg.s3_host,
        .port = gw->cfg.s3_port,
        .max_object = gw->cfg.s3_max_object,
        .domain = gw->cfg.s3_domain,
        .budget = &gw->bodies,
        .max_conns = gw->cfg.max_conns,
        .on_events = on_s3_events,
        .arg = gw,
    };
    int rc;

    rc = gw_s3cred_ensure(gw->cfg.data, &sc.cred);
    if (rc < 0) {
        gw_log_errno(GW_LOG_ERROR, rc, "cannot read or make the S3 keys",
                     "data=%s file=%s", gw->cfg.data, GW_S3CRED_FILE);
        return rc;
    }
    rc = gw_s3_open(&gw->s3, gw->loop, &sc);
    explicit_bzero(&sc.cred, sizeof(sc.cred));
    if (rc < 0)
        gw_error("cannot listen", "s3_listen=%s:%d error=\"%s\"",
                 gw->cfg.s3_host, gw->cfg.s3_port, uv_strerror(rc));
    return rc;
}

int gw_objstore_open(struct gw *gw)
{
    int rc;

    rc = gw_bg_init(gw->cfg.data);
    if (rc < 0)
        return rc;
    rc = st_objects_sweep(gw->st);
    if (rc < 0)
        gw_log_errno(GW_LOG_WARN, rc, "cannot sweep object files", "data=%s",
                     gw->cfg.data);
    else if (rc > 0)
        gw_info("object files swept", "count=%d", rc);
    rc = open_events(gw);
    if (rc < 0 || gw->cfg.s3_port == 0)
        return rc; /* --s3-listen off: events and the webhook only */
    rc = open_s3(gw);
    if (rc == 0)
        gw_info("s3 ready", "s3_listen=%s:%d", gw->cfg.s3_host,
                gw->cfg.s3_port);
    return rc;
}

static void on_s3_closed(void *arg)
{
    struct gw *gw = arg;

    gw->s3 = NULL;
}

void gw_objstore_quiesce(struct gw *gw)
{
    if (gw->events)
        gw_events_stop(gw->events);
    if (gw->s3)
        gw_s3_close(gw->s3, on_s3_closed, gw);
}

void gw_objstore_close_loop(struct gw *gw)
{
    if (gw->events)
        gw_events_close(gw->events);
    gw->events = NULL;
}

void gw_objstore_close(struct gw *gw)
{
    gw_bg_close_stores();
}
