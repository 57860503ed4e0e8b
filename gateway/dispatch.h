/* dispatch.h: a bounded queue of invocations and the worker threads that
 * run them in fresh VMs.
 *
 * The loop thread submits jobs; a worker takes each, calls vmm_invoke()
 * (which blocks in KVM_RUN), and hands the job back to the loop thread
 * through a uv_async, where job->done runs. Nothing else of the job is
 * touched by a worker, so the memory a job points to (request, image) must
 * stay valid until done runs. When a worker is idle and a VM is ready, the
 * guest's first 200 us run on the loop thread itself (in the idle worker's
 * stead), and a guest that answers in that time has job->done called
 * before submit returns.
 *
 * Call order: gw_dispatch_open, gw_dispatch_submit..., gw_dispatch_quiesce
 * (refuse new jobs), wait until gw_dispatch_pending() is 0 (optionally
 * gw_dispatch_cancel_queued), gw_dispatch_close.
 */
#ifndef MAYFLY_GW_DISPATCH_H
#define MAYFLY_GW_DISPATCH_H

#include <stdint.h>
#include <uv.h>

#include "vmm/vmm.h"

struct gw_dispatch;

struct gw_job {
    struct gw_job *next;
    struct vmm_image *img; /* caller holds a reference */
    struct vmm_request req;
    struct vmm_result res; /* valid in done when `ran` */
    int ran;               /* vmm_invoke was called */
    int cancelled;         /* dropped from the queue at shutdown */
    uint64_t t_queued;     /* uv_hrtime() stamps */
    uint64_t t_started;
    uint64_t t_finished;
    void (*done)(struct gw_job *job); /* on the loop thread */
    void *arg;
    /* Object hypercalls for vmm_invoke (NULL: none); valid until done. */
    const struct vmm_host_ops *ops;
    struct vmm_call *call; /* begun on the loop thread, for a worker */
};

/* Starts `workers` threads; at most `queue_max` jobs wait for one.
 * Returns 0 or a negative errno. */
int gw_dispatch_open(struct gw_dispatch **out, uv_loop_t *loop, struct vmm *vmm,
                     unsigned workers, unsigned queue_max);
/* Runs or queues a job. Returns 0 (done may already have run), -EAGAIN
 * when the queue is full, or -ESHUTDOWN after gw_dispatch_quiesce. On
 * error the job is not queued. */
int gw_dispatch_submit(struct gw_dispatch *d, struct gw_job *job);
/* Jobs waiting, jobs running in a VM now, and all jobs not yet done. */
unsigned gw_dispatch_queued(struct gw_dispatch *d);
unsigned gw_dispatch_running(struct gw_dispatch *d);
unsigned gw_dispatch_pending(struct gw_dispatch *d);
/* Jobs begun on the loop thread: answered there, and handed on to a
 * worker. Loop thread only. */
void gw_dispatch_inline_stats(struct gw_dispatch *d, uint64_t *answered,
                              uint64_t *handed);
void gw_dispatch_quiesce(struct gw_dispatch *d);
/* Finishes every job still waiting with cancelled set (done runs now),
 * but for guests begun on the loop thread: those hold a VM, and a worker
 * finishes them. */
void gw_dispatch_cancel_queued(struct gw_dispatch *d);
/* Stops and joins the workers (they finish the job in hand first) and
 * closes the async handle. Call with nothing pending. */
void gw_dispatch_close(struct gw_dispatch *d);

#endif /* MAYFLY_GW_DISPATCH_H */
