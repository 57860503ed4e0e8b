/* events.h: delivers object events from the store's queue to functions.
 *
 * At least once: an event leaves the queue only after a function has run
 * it and answered with a status below 400. Each delivery boots a fresh VM
 * through the dispatch queue with the S3 notification JSON as its event
 * (MF_TRIGGER_OBJECT), the object's bucket, key and size as request
 * headers, the object's body in memory when small (GW_EVENT_INLINE_MAX)
 * and the object hypercalls wired to the store: obj_read reads the very
 * body that triggered the event, obj_write stores an object (one link
 * deeper in the event chain, see ST_EVENT_DEPTH_MAX).
 *
 * A failed delivery is retried after backoff_ms, doubling each time up to
 * backoff_max_ms; after max_attempts failures the event becomes a dead
 * letter (fnctl events --failed, redrive through the admin API). Failures
 * that are not the function's (queue full, shutdown) do not count.
 * Events left running by a crash are pending again at open.
 *
 * Every delivery is recorded in the invocations log with its trigger:
 * {"kind": "object", "bucket", "key" (decoded), "event", "event_id",
 * "attempt"}.
 *
 * Loop thread only, apart from the hypercall callbacks, which run on the
 * worker thread and use that thread's own store handle (bg.h).
 * Errors: gw_events_open returns 0 or a negative errno; delivery problems
 * are logged once each.
 */
#ifndef MAYFLY_GW_EVENTS_H
#define MAYFLY_GW_EVENTS_H

#include <stdint.h>
#include <uv.h>

#include "gateway/dispatch.h"
#include "gateway/invlog.h"
#include "gateway/metrics.h"
#include "gateway/registry.h"
#include "store/store.h"

#define GW_EVENT_INLINE_MAX (256u << 10)

struct gw_events;

struct gw_events_config {
    uv_loop_t *loop;
    struct st *st; /* the loop thread's store */
    struct gw_registry *reg;
    struct gw_dispatch *dispatch;
    struct gw_invlog *invlog;
    struct gw_metrics *metrics;
    unsigned max_attempts;   /* default 5 */
    unsigned backoff_ms;     /* first retry; default 1000 */
    unsigned backoff_max_ms; /* default 300000 */
    unsigned max_inflight;   /* deliveries at once; default 8 */
    unsigned poll_ms;        /* longest wait between looks; 1000 */
};

int gw_events_open(struct gw_events **out, const struct gw_events_config *c);
/* New events may be due: look now (from the loop thread). */
void gw_events_kick(struct gw_events *e);
/* No new deliveries; those in flight still finish (through dispatch). */
void gw_events_stop(struct gw_events *e);
unsigned gw_events_inflight(const struct gw_events *e);
/* After gw_events_stop, with nothing in flight. */
void gw_events_close(struct gw_events *e);

#endif /* MAYFLY_GW_EVENTS_H */
