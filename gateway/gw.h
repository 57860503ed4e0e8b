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
#include "store/store.h"
#include "vmm/vmm.h"

struct gw_config {
    char host[64]; /* listen address */
    int port;
    const char *data;  /* data folder */
    unsigned workers;  /* vCPU worker threads */
    unsigned queue;    /* invocations that may wait for a worker */
    unsigned pool;     /* blank VMs the VMM keeps; 0 = its default */
    size_t max_body;   /* request body for functions */
    size_t max_image;  /* request body for deploys */
    unsigned drain_ms; /* shutdown: wait for invocations this long */
    const char *token; /* admin token for changes, or NULL */
    const char *functions; /* deploy the images in this folder at start */
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
    int stopping;
    uint64_t id_seq; /* request ids: prefix + sequence */
    uint32_t id_salt;
    uint64_t rejected;    /* 429s not yet logged */
    uint64_t rejected_at; /* uv_now() of the last overload warning */
};

/* api.c: the request handler and body limits for gw_http_config. */
void gw_api_request(struct gw_http_req *req, void *arg);
size_t gw_api_body_limit(const struct gw_http_req *req, void *arg);

/* invoke.c: runs function `name` for an HTTP request and answers it. */
void gw_invoke(struct gw *gw, struct gw_http_req *req, const char *name);

#endif /* MAYFLY_GW_H */
