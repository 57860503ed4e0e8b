/* bg.h: runs the blocking part of a request (files, fsync, sqlite) on
 * libuv's thread pool and answers it back on the loop thread.
 *
 * The work function runs on a pool thread. It may read the request (which
 * stays valid and unchanged until the answer) but must not call gw_http_*:
 * it describes the answer in a struct gw_reply, which the loop thread then
 * sends. It gets the store through gw_bg_store(): one handle per thread,
 * opened on first use, as store.h asks.
 *
 * Call order: gw_bg_init (before any work), gw_bg_submit..., and once no
 * thread uses a store any more (after uv_run and the dispatch workers),
 * gw_bg_close_stores.
 *
 * Errors: 0 or a negative errno. Nothing is logged here.
 */
#ifndef MAYFLY_GW_BG_H
#define MAYFLY_GW_BG_H

#include <stddef.h>
#include <uv.h>

#include "gateway/buf.h"
#include "gateway/http.h"
#include "store/store.h"

/* The answer a work function prepares. */
struct gw_reply {
    int status;
    struct gw_buf headers; /* packed "name\0value\0" */
    char *body;            /* malloc'd unless `release` is set */
    size_t len;
    void (*release)(void *arg); /* frees body; NULL: free(body) */
    int mapped; /* body is a mapped file, not counted in --body-memory */
    void *release_arg;
    int events; /* object events the work enqueued */
};

typedef void (*gw_bg_work_fn)(struct gw_http_req *req, void *arg,
                              struct gw_reply *rep);
/* Runs on the loop thread after the work, before the answer is sent. */
typedef void (*gw_bg_after_fn)(struct gw_http_req *req, void *arg,
                               struct gw_reply *rep);

/* Remembers the data folder that gw_bg_store opens. */
int gw_bg_init(const char *data_dir);
/* Queues work for req; `after` may be NULL. On error nothing is queued and
 * the caller answers the request. */
int gw_bg_submit(uv_loop_t *loop, struct gw_http_req *req, gw_bg_work_fn work,
                 gw_bg_after_fn after, void *arg);

/* Adds a response header to the reply (value formatted). */
int gw_reply_header(struct gw_reply *rep, const char *name, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

/* The calling thread's store handle, opened on first use; NULL with *err
 * set if it cannot be opened. */
struct st *gw_bg_store(int *err);
/* Closes every handle gw_bg_store opened. */
void gw_bg_close_stores(void);

#endif /* MAYFLY_GW_BG_H */
