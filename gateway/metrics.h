/* metrics.h: the gateway's counters and histograms in Prometheus text form.
 *
 * Loop thread only. Gauges that live elsewhere (VMM, dispatch queue) are
 * passed in when rendering.
 */
#ifndef MAYFLY_GW_METRICS_H
#define MAYFLY_GW_METRICS_H

#include <stdint.h>

#include "gateway/buf.h"
#include "vmm/vmm.h"

struct gw_metrics;

enum gw_phase {
    GW_PHASE_BOOT = 0,  /* load + enter + start */
    GW_PHASE_RUN = 1,   /* the function: main to done */
    GW_PHASE_TOTAL = 2, /* request complete to response queued */
    GW_PHASE_COUNT
};

/* Values read at render time. */
struct gw_gauges {
    struct vmm_stats vmm;
    unsigned queue_depth;
    unsigned inflight;
    unsigned connections;
    uint64_t invlog_dropped;
    uint64_t inline_answered, inline_handed;
    uint64_t body_bytes; /* request and response bodies held */
};

int gw_metrics_open(struct gw_metrics **out);
void gw_metrics_close(struct gw_metrics *m);
/* Counts one invocation of `function` answered with `status`. */
void gw_metrics_invocation(struct gw_metrics *m, const char *function,
                           int status);
/* Adds one duration of `phase` to `function`'s histogram. */
void gw_metrics_observe(struct gw_metrics *m, const char *function,
                        enum gw_phase phase, uint64_t ns);
/* Appends the whole exposition to `out`. */
void gw_metrics_render(struct gw_metrics *m, const struct gw_gauges *g,
                       struct gw_buf *out);

#endif /* MAYFLY_GW_METRICS_H */
