/* metrics.c: invocation counters and latency histograms for /metrics. */
#include "gateway/metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define NBUCKETS 256
#define MAX_SERIES 4096 /* past this, new functions count as "_other" */
#define MAX_HISTS 1024  /* functions with histograms of their own */

static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                1,      2.5,     5,      10,    30,     60};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static const char *const phase_names[GW_PHASE_COUNT] = {"boot", "run", "total"};

struct series {
    struct series *next;
    char function[ST_NAME_MAX + 1];
    int status;
    uint64_t count;
};

struct histogram {
    uint64_t buckets[NBOUNDS]; /* not cumulative; summed when rendered */
    uint64_t count;
    double sum;
};

/* One function's latency histograms. */
struct fn_hists {
    struct fn_hists *next;
    char function[ST_NAME_MAX + 1];
    struct histogram hist[GW_PHASE_COUNT];
};

struct gw_metrics {
    struct series *table[NBUCKETS];
    unsigned nseries;
    struct fn_hists *hists[NBUCKETS];
    unsigned nhists;
};

int gw_metrics_open(struct gw_metrics **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void gw_metrics_close(struct gw_metrics *m)
{
    struct series *s, *next;
    struct fn_hists *h, *hnext;
    unsigned i;

    if (!m)
        return;
    for (i = 0; i < NBUCKETS; i++) {
        for (s = m->table[i]; s; s = next) {
            next = s->next;
            free(s);
        }
        for (h = m->hists[i]; h; h = hnext) {
            hnext = h->next;
            free(h);
        }
    }
    free(m);
}

static unsigned hash(const char *name, int status)
{
    unsigned h = 2166136261u;

    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return (h ^ (unsigned)status) % NBUCKETS;
}

static struct series *series_get(struct gw_metrics *m, const char *function,
                                 int status)
{
    unsigned h = hash(function, status);
    struct series *s;

    for (s = m->table[h]; s; s = s->next)
        if (s->status == status && strcmp(s->function, function) == 0)
            return s;
    if (m->nseries >= MAX_SERIES && strcmp(function, "_other") != 0)
        return series_get(m, "_other", status);
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    strncpy(s->function, function, ST_NAME_MAX);
    s->status = status;
    s->next = m->table[h];
    m->table[h] = s;
    m->nseries++;
    return s;
}

void gw_metrics_invocation(struct gw_metrics *m, const char *function,
                           int status)
{
    struct series *s = series_get(m, function, status);

    if (s)
        s->count++;
}

static struct fn_hists *hists_get(struct gw_metrics *m, const char *function)
{
    unsigned h = hash(function, 0);
    struct fn_hists *fh;

    for (fh = m->hists[h]; fh; fh = fh->next)
        if (strcmp(fh->function, function) == 0)
            return fh;
    if (m->nhists >= MAX_HISTS && strcmp(function, "_other") != 0)
        return hists_get(m, "_other");
    fh = calloc(1, sizeof(*fh));
    if (!fh)
        return NULL;
    strncpy(fh->function, function, ST_NAME_MAX);
    fh->next = m->hists[h];
    m->hists[h] = fh;
    m->nhists++;
    return fh;
}

void gw_metrics_observe(struct gw_metrics *m, const char *function,
                        enum gw_phase phase, uint64_t ns)
{
    struct fn_hists *fh = hists_get(m, function);
    double sec = (double)ns / 1e9;
    struct histogram *h;
    size_t i;

    if (!fh)
        return;
    h = &fh->hist[phase];
    for (i = 0; i < NBOUNDS && sec > bounds[i]; i++)
        ;
    if (i < NBOUNDS)
        h->buckets[i]++;
    h->count++;
    h->sum += sec;
}

static void render_counter(struct gw_buf *b, const char *name, const char *help,
                           const char *type, uint64_t v)
{
    gw_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
                type, name, (unsigned long long)v);
}

static void render_invocations(struct gw_metrics *m, struct gw_buf *b)
{
    struct series *s;
    unsigned i;

    gw_buf_adds(b, "# HELP mayfly_invocations_total Function invocations "
                   "by function and HTTP status.\n"
                   "# TYPE mayfly_invocations_total counter\n");
    for (i = 0; i < NBUCKETS; i++)
        for (s = m->table[i]; s; s = s->next)
            gw_buf_addf(b,
                        "mayfly_invocations_total{function=\"%s\","
                        "status=\"%d\"} %llu\n",
                        s->function, s->status, (unsigned long long)s->count);
}

static void render_histogram(struct gw_buf *b, const char *fn,
                             const char *phase, const struct histogram *h)
{
    const char *n = "mayfly_invocation_duration_seconds";
    uint64_t cum;
    size_t i;

    for (cum = 0, i = 0; i < NBOUNDS; i++) {
        cum += h->buckets[i];
        gw_buf_addf(b,
                    "%s_bucket{function=\"%s\",phase=\"%s\",le=\"%g\"} "
                    "%llu\n",
                    n, fn, phase, bounds[i], (unsigned long long)cum);
    }
    gw_buf_addf(b,
                "%s_bucket{function=\"%s\",phase=\"%s\",le=\"+Inf\"} "
                "%llu\n",
                n, fn, phase, (unsigned long long)h->count);
    gw_buf_addf(b, "%s_sum{function=\"%s\",phase=\"%s\"} %.9f\n", n, fn, phase,
                h->sum);
    gw_buf_addf(b, "%s_count{function=\"%s\",phase=\"%s\"} %llu\n", n, fn,
                phase, (unsigned long long)h->count);
}

static void render_histograms(struct gw_metrics *m, struct gw_buf *b)
{
    const char *n = "mayfly_invocation_duration_seconds";
    struct fn_hists *fh;
    unsigned i;
    size_t p;

    gw_buf_addf(b,
                "# HELP %s Invocation latency by function: boot (load, "
                "enter, start), run (the function) and total (request read "
                "to response queued).\n"
                "# TYPE %s histogram\n",
                n, n);
    for (i = 0; i < NBUCKETS; i++)
        for (fh = m->hists[i]; fh; fh = fh->next)
            for (p = 0; p < GW_PHASE_COUNT; p++)
                if (fh->hist[p].count)
                    render_histogram(b, fh->function, phase_names[p],
                                     &fh->hist[p]);
}

void gw_metrics_render(struct gw_metrics *m, const struct gw_gauges *g,
                       struct gw_buf *b)
{
    render_counter(b, "mayfly_vms_created_total", "VMs created.", "counter",
                   g->vmm.vms_created);
    render_counter(b, "mayfly_vms_destroyed_total", "VMs destroyed.", "counter",
                   g->vmm.vms_destroyed);
    render_counter(b, "mayfly_vm_crashes_total", "Guests that crashed.",
                   "counter", g->vmm.crashes);
    render_counter(b, "mayfly_vm_timeouts_total",
                   "Guests stopped at their "
                   "time limit.",
                   "counter", g->vmm.timeouts);
    render_invocations(m, b);
    render_counter(b, "mayfly_pool_depth", "Blank VMs ready.", "gauge",
                   g->vmm.pool_depth);
    render_counter(b, "mayfly_queue_depth",
                   "Invocations waiting for a "
                   "worker.",
                   "gauge", g->queue_depth);
    render_counter(b, "mayfly_inflight", "Invocations running in a VM.",
                   "gauge", g->inflight);
    render_counter(b, "mayfly_inline_answered_total",
                   "Invocations answered within their first time slice on "
                   "the event loop, with no worker hand-off.",
                   "counter", g->inline_answered);
    render_counter(b, "mayfly_inline_handed_on_total",
                   "Invocations begun on the event loop that outlived their "
                   "first time slice and went on on a worker.",
                   "counter", g->inline_handed);
    render_counter(b, "mayfly_http_connections", "Open HTTP connections.",
                   "gauge", g->connections);
    render_counter(b, "mayfly_body_bytes",
                   "Memory held by request and response bodies, every "
                   "listener (--body-memory caps it).",
                   "gauge", g->body_bytes);
    render_counter(b, "mayfly_invocation_log_dropped_total",
                   "Invocation "
                   "records lost because the store failed.",
                   "counter", g->invlog_dropped);
    render_histograms(m, b);
}
