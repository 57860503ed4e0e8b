/* gw.h: the daemon's shared state and the handlers that fnd wires up.
 *
 * Everything here lives on the loop thread; only the dispatch workers run
 * elsewhere, and they see nothing but their jobs.
 */
#ifndef MAYFLY_GW_H
#define MAYFLY_GW_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gateway/dispatch.h"
#include "gateway/http.h"
#include "gateway/invlog.h"
#include "gateway/metrics.h"
#include "gateway/registry.h"
#include "gateway/token.h"
#include "store/store.h"
#include "vmm/vmm.h"

/* What a listener serves. With --admin-listen (or a --listen address that
 * is not loopback) the admin API and /metrics get a listener of their own
 * and the main one serves only functions; otherwise the one listener
 * serves both. /healthz is served everywhere. */
#define GW_SERVE_FUNCTIONS 1u
#define GW_SERVE_ADMIN 2u

struct gw;

/* The argument of gw_api_request and its friends: one per listener. */
struct gw_listener {
    struct gw *gw;
    unsigned serves; /* GW_SERVE_* */
};

struct gw_config {
    char host[64]; /* listen address */
    int port;
    char admin_host[64];        /* the admin listener, if admin_port */
    int admin_port;             /* 0: the main listener serves admin too */
    unsigned header_timeout_ms; /* 0: the HTTP server's defaults */
    unsigned body_timeout_ms;
    const char *data;   /* data folder */
    unsigned workers;   /* vCPU worker threads */
    unsigned queue;     /* invocations that may wait for a worker */
    unsigned pool;      /* blank VMs the VMM keeps; 0 = its default */
    size_t max_body;    /* request body for functions */
    size_t max_image;   /* request body for deploys */
    size_t body_memory; /* request and response bodies, every listener */
    unsigned max_conns; /* open connections per listener */
    unsigned drain_ms;  /* shutdown: wait for invocations this long */
    const char *token;  /* admin token for changes; set at start-up */
    char token_buf[GW_TOKEN_MAX + 1];
    const char *functions; /* deploy the images in this folder at start */

    /* The object store (objstore.c). */
    char s3_host[64];          /* the S3 listener's address */
    int s3_port;               /* 0: no S3 listener (--s3-listen off) */
    size_t s3_max_object;      /* largest object a PUT may carry */
    const char *s3_domain;     /* virtual-hosted-style requests under this
                                  name; NULL: path style only */
    unsigned event_retries;    /* deliveries before a dead letter */
    unsigned event_backoff_ms; /* first retry delay, doubling */
    unsigned event_inflight;   /* event deliveries at once */
};

struct gw {
    uv_loop_t *loop;
    struct gw_config cfg;
    struct st *st;
    struct vmm *vmm;
    struct gw_registry *reg;
    struct gw_dispatch *dispatch;
    struct gw_metrics *metrics;
    struct gw_invlog *invlog;
    struct gw_http_server *http;
    struct gw_http_server *admin_http; /* NULL unless cfg.admin_port */
    struct gw_listener main_l, admin_l;
    struct gw_http_budget bodies; /* cfg.body_memory, shared */
    struct gw_s3 *s3;             /* the S3 listener, NULL once closed */
    struct gw_events *events;     /* object event delivery */
    int stopping;
    uint64_t id_seq; /* request ids: prefix + sequence */
    uint32_t id_salt;
    uint64_t rejected;    /* 429s not yet logged */
    uint64_t rejected_at; /* uv_now() of the last overload warning */
    /* Deploys, rollbacks and removals, one at a time in arrival order
     * (api.c); the first is the one under way. */
    struct gw_change *changes, **changes_end;
};

/* objstore.c: the S3 listener and event delivery, opened after the
 * dispatch workers; quiesce at the first signal, close_loop once nothing
 * is pending, close after the loop (when no thread uses a store). */
int gw_objstore_open(struct gw *gw);
void gw_objstore_quiesce(struct gw *gw);
void gw_objstore_close_loop(struct gw *gw);
void gw_objstore_close(struct gw *gw);

/* hooks.c: POST /hooks/s3, bucket notifications from other stores. */
void gw_hook_s3(struct gw *gw, struct gw_http_req *req);
/* api_events.c: /api/v1/invocations and /api/v1/events[/redrive]. */
void gw_api_events(struct gw *gw, struct gw_http_req *req);

/* api.c: the request handler, screen and body limits for gw_http_config;
 * `arg` is a struct gw_listener. */
void gw_api_request(struct gw_http_req *req, void *arg);
int gw_api_screen(struct gw_http_req *req, void *arg, const char **code,
                  const char **detail);
size_t gw_api_body_limit(const struct gw_http_req *req, void *arg);
/* Changes to functions (deploys, rollbacks, removals) queued or under way;
 * at shutdown, the queued ones (not the one under way) are answered 503. */
unsigned gw_api_changes(const struct gw *gw);
void gw_api_changes_cancel(struct gw *gw);

/* invoke.c: runs function `fn` (NULL: answers 404) for an HTTP request
 * and answers it: 429 past the function's concurrency limit or when the
 * dispatch queue is full. */
void gw_invoke(struct gw *gw, struct gw_http_req *req, struct gw_fn *fn);

#endif /* MAYFLY_GW_H */
