/* bg.c: request work on libuv's thread pool, with a store per thread. */
#include "gateway/bg.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bg_job {
    uv_work_t work;
    struct gw_http_req *req;
    gw_bg_work_fn fn;
    gw_bg_after_fn after;
    void *arg;
    struct gw_reply rep;
};

/* Every handle opened, so that they can be closed at the end. */
struct bg_store {
    struct bg_store *next;
    struct st *st;
};

static char *bg_dir;
static pthread_mutex_t bg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct bg_store *bg_stores;
static __thread struct st *bg_mine;

int gw_bg_init(const char *data_dir)
{
    free(bg_dir);
    bg_dir = strdup(data_dir);
    return bg_dir ? 0 : -ENOMEM;
}

struct st *gw_bg_store(int *err)
{
    struct bg_store *s;
    int rc;

    if (bg_mine)
        return bg_mine;
    s = calloc(1, sizeof(*s));
    if (!s) {
        *err = -ENOMEM;
        return NULL;
    }
    rc = bg_dir ? st_open(&s->st, bg_dir) : -EINVAL;
    if (rc < 0) {
        free(s);
        *err = rc;
        return NULL;
    }
    pthread_mutex_lock(&bg_mu);
    s->next = bg_stores;
    bg_stores = s;
    pthread_mutex_unlock(&bg_mu);
    bg_mine = s->st;
    return bg_mine;
}

void gw_bg_close_stores(void)
{
    struct bg_store *s, *next;

    pthread_mutex_lock(&bg_mu);
    s = bg_stores;
    bg_stores = NULL;
    pthread_mutex_unlock(&bg_mu);
    for (; s; s = next) {
        next = s->next;
        st_close(s->st);
        free(s);
    }
    /* Only the calling thread's cache can be cleared; the others must not
     * use theirs again (see the header). */
    bg_mine = NULL;
}

int gw_reply_header(struct gw_reply *rep, const char *name, const char *fmt,
                    ...)
{
    va_list ap;

    gw_buf_add(&rep->headers, name, strlen(name) + 1);
    va_start(ap, fmt);
    gw_buf_vaddf(&rep->headers, fmt, ap);
    va_end(ap);
    return gw_buf_addc(&rep->headers, '\0');
}

static void bg_work(uv_work_t *w)
{
    struct bg_job *job = w->data;

    job->fn(job->req, job->arg, &job->rep);
}

static void bg_release(void *arg)
{
    struct bg_job *job = arg;

    if (job->rep.release)
        job->rep.release(job->rep.release_arg);
    else
        free(job->rep.body);
    free(job);
}

static void bg_send_headers(struct gw_http_req *req, struct gw_reply *rep)
{
    const char *p = rep->headers.data, *end = p + rep->headers.len;

    while (p && p < end) {
        const char *v = p + strlen(p) + 1;

        gw_http_add_header(req, p, v);
        p = v + strlen(v) + 1;
    }
    gw_buf_free(&rep->headers);
}

static void bg_after(uv_work_t *w, int status)
{
    struct bg_job *job = w->data;
    struct gw_reply *rep = &job->rep;

    if (job->after)
        job->after(job->req, job->arg, rep);
    if (rep->headers.err || status < 0) {
        gw_buf_free(&rep->headers);
        gw_http_error(job->req, 503, "host_error", "out of memory");
        bg_release(job);
        return;
    }
    bg_send_headers(job->req, rep);
    job->req->body_mapped = rep->mapped;
    gw_http_respond(job->req, rep->status, rep->body, rep->len, bg_release,
                    job);
}

int gw_bg_submit(uv_loop_t *loop, struct gw_http_req *req, gw_bg_work_fn work,
                 gw_bg_after_fn after, void *arg)
{
    struct bg_job *job = calloc(1, sizeof(*job));
    int rc;

    if (!job)
        return -ENOMEM;
    job->work.data = job;
    job->req = req;
    job->fn = work;
    job->after = after;
    job->arg = arg;
    job->rep.status = 500;
    rc = uv_queue_work(loop, &job->work, bg_work, bg_after);
    if (rc < 0)
        free(job);
    return rc;
}
