/* dispatch.c: bounded job queue and vCPU worker threads around vmm_invoke,
 * with a first time slice on the loop thread when nothing waits. */
#include "gateway/dispatch.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

/* How long a guest may run on the loop thread before it moves to a worker
 * (see try_inline). Long enough for a short function to answer under
 * PVM's costly VM exits; short enough that other connections on the loop
 * hardly notice. */
#define INLINE_SLICE_US 200

struct gw_dispatch {
    uv_loop_t *loop;
    uv_async_t async;
    struct vmm *vmm;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct gw_job *qhead, *qtail; /* waiting, oldest first */
    struct gw_job *done;          /* finished, newest first */
    unsigned queued;
    unsigned queue_max;
    unsigned running;
    unsigned pending; /* submitted, done not yet called */
    uint64_t inline_answered, inline_handed; /* loop thread only */
    int quiesced;
    int stopping;
    pthread_t *threads;
    unsigned nthreads;
};

static struct gw_job *queue_pop(struct gw_dispatch *d)
{
    struct gw_job *job = d->qhead;

    d->qhead = job->next;
    if (!d->qhead)
        d->qtail = NULL;
    d->queued--;
    job->next = NULL;
    return job;
}

/* Process-directed signals belong to the loop thread (libuv handles them
 * there); the VMM's own timeout signal is left alone. */
static void block_daemon_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void run_job(struct gw_dispatch *d, struct gw_job *job)
{
    if (job->call) { /* begun on the loop thread */
        vmm_call_finish(job->call);
        job->call = NULL;
    } else {
        job->t_started = uv_hrtime();
        vmm_invoke(d->vmm, job->img, &job->req, job->ops, &job->res);
    }
    job->ran = 1;
    job->t_finished = uv_hrtime();
}

static void *worker_main(void *arg)
{
    struct gw_dispatch *d = arg;
    struct gw_job *job;

    pthread_setname_np(pthread_self(), "vcpu-worker");
    block_daemon_signals();
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->qhead && !d->stopping)
            pthread_cond_wait(&d->cv, &d->mu);
        if (!d->qhead)
            break;
        job = queue_pop(d);
        d->running++;
        pthread_mutex_unlock(&d->mu);

        run_job(d, job);

        pthread_mutex_lock(&d->mu);
        d->running--;
        job->next = d->done;
        d->done = job;
        pthread_mutex_unlock(&d->mu);
        uv_async_send(&d->async);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* Runs done callbacks on the loop thread, oldest first. */
static void on_async(uv_async_t *a)
{
    struct gw_dispatch *d = a->data;
    struct gw_job *list, *rev = NULL, *job;

    pthread_mutex_lock(&d->mu);
    list = d->done;
    d->done = NULL;
    pthread_mutex_unlock(&d->mu);
    while (list) {
        job = list;
        list = job->next;
        job->next = rev;
        rev = job;
    }
    while (rev) {
        job = rev;
        rev = job->next;
        d->pending--;
        job->done(job);
    }
}

static void on_async_closed(uv_handle_t *h)
{
    free(h->data);
}

static int start_workers(struct gw_dispatch *d, unsigned n)
{
    int rc;

    d->threads = calloc(n, sizeof(*d->threads));
    if (!d->threads)
        return -ENOMEM;
    for (d->nthreads = 0; d->nthreads < n; d->nthreads++) {
        rc = pthread_create(&d->threads[d->nthreads], NULL, worker_main, d);
        if (rc)
            return -rc;
    }
    return 0;
}

static void join_workers(struct gw_dispatch *d)
{
    unsigned i;

    pthread_mutex_lock(&d->mu);
    d->stopping = 1;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    for (i = 0; i < d->nthreads; i++)
        pthread_join(d->threads[i], NULL);
    free(d->threads);
    d->threads = NULL;
    d->nthreads = 0;
}

int gw_dispatch_open(struct gw_dispatch **out, uv_loop_t *loop, struct vmm *vmm,
                     unsigned workers, unsigned queue_max)
{
    struct gw_dispatch *d;
    int rc;

    d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->loop = loop;
    d->vmm = vmm;
    d->queue_max = queue_max;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    rc = uv_async_init(loop, &d->async, on_async);
    if (rc < 0)
        goto err_free;
    d->async.data = d;
    rc = start_workers(d, workers ? workers : 1);
    if (rc < 0)
        goto err_workers;
    *out = d;
    return 0;

err_workers:
    join_workers(d);
    uv_close((uv_handle_t *)&d->async, on_async_closed);
    return rc;
err_free:
    free(d);
    return rc;
}

/* Runs the first slice of a job on the loop thread when a worker is idle
 * and a VM is ready: a short function then answers with no hand-off to the
 * worker and back, which costs two thread wake-ups. A guest that needs
 * longer goes on on that worker. With every worker busy jobs queue as
 * before, so --workers still bounds the guests running at once. Object
 * hypercalls do file I/O, so jobs with `ops` always go to a worker. Returns 1
 * when the job was taken (finished, or handed on). */
static int try_inline(struct gw_dispatch *d, struct gw_job *job)
{
    struct vmm_call *call;
    enum vmm_try t;
    int idle;

    if (job->ops)
        return 0;
    pthread_mutex_lock(&d->mu);
    idle = !d->qhead && d->running < d->nthreads && !d->quiesced;
    pthread_mutex_unlock(&d->mu);
    if (!idle)
        return 0;
    job->t_started = uv_hrtime();
    t = vmm_invoke_try(d->vmm, job->img, &job->req, NULL, &job->res,
                       INLINE_SLICE_US, &call);
    if (t == VMM_TRY_BUSY)
        return 0;
    if (t == VMM_TRY_DONE) {
        d->inline_answered++;
        job->ran = 1;
        job->t_finished = uv_hrtime();
        job->done(job);
        vmm_call_finish(call); /* the answer is written: now the VM goes */
        return 1;
    }
    d->inline_handed++;
    job->call = call;
    pthread_mutex_lock(&d->mu);
    job->next = d->qhead;
    d->qhead = job;
    if (!d->qtail)
        d->qtail = job;
    d->queued++;
    d->pending++;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return 1;
}

int gw_dispatch_submit(struct gw_dispatch *d, struct gw_job *job)
{
    int rc = 0;

    job->next = NULL;
    job->t_queued = uv_hrtime();
    if (try_inline(d, job))
        return 0;
    pthread_mutex_lock(&d->mu);
    if (d->quiesced) {
        rc = -ESHUTDOWN;
    } else if (d->queued >= d->queue_max) {
        rc = -EAGAIN;
    } else {
        if (d->qtail)
            d->qtail->next = job;
        else
            d->qhead = job;
        d->qtail = job;
        d->queued++;
        d->pending++;
        pthread_cond_signal(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return rc;
}

unsigned gw_dispatch_queued(struct gw_dispatch *d)
{
    unsigned n;

    pthread_mutex_lock(&d->mu);
    n = d->queued;
    pthread_mutex_unlock(&d->mu);
    return n;
}

unsigned gw_dispatch_running(struct gw_dispatch *d)
{
    unsigned n;

    pthread_mutex_lock(&d->mu);
    n = d->running;
    pthread_mutex_unlock(&d->mu);
    return n;
}

void gw_dispatch_inline_stats(struct gw_dispatch *d, uint64_t *answered,
                              uint64_t *handed)
{
    *answered = d->inline_answered;
    *handed = d->inline_handed;
}

/* Only the loop thread changes `pending`. */
unsigned gw_dispatch_pending(struct gw_dispatch *d)
{
    return d->pending;
}

void gw_dispatch_quiesce(struct gw_dispatch *d)
{
    pthread_mutex_lock(&d->mu);
    d->quiesced = 1;
    pthread_mutex_unlock(&d->mu);
}

void gw_dispatch_cancel_queued(struct gw_dispatch *d)
{
    struct gw_job *list = NULL, **tail = &list, *job, **pp;

    /* A guest begun on the loop holds a VM and goes on: a worker is
     * about to take it, and workers finish the jobs left when they stop. */
    pthread_mutex_lock(&d->mu);
    for (pp = &d->qhead; *pp;) {
        job = *pp;
        if (job->call) {
            pp = &job->next;
            continue;
        }
        *pp = job->next;
        job->next = NULL;
        *tail = job;
        tail = &job->next;
        d->queued--;
    }
    d->qtail = NULL;
    for (job = d->qhead; job; job = job->next)
        d->qtail = job;
    pthread_mutex_unlock(&d->mu);
    while (list) {
        job = list;
        list = job->next;
        job->cancelled = 1;
        d->pending--;
        job->done(job);
    }
}

void gw_dispatch_close(struct gw_dispatch *d)
{
    join_workers(d);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    uv_close((uv_handle_t *)&d->async, on_async_closed);
}
