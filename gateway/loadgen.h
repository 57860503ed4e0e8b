/* loadgen.h: a small HTTP/1.1 load generator for `fnctl bench`: N requests
 * over C keep-alive connections, one request in flight per connection, and
 * the latency of each (request written to response complete).
 *
 * Call order: fill a gw_load_config, gw_load_run() (blocks; runs its own
 * libuv loop), read the result, gw_load_result_free().
 *
 * Errors: gw_load_run returns 0 when the run finished, whatever the
 * statuses were (they are counted in the result), and -1 when it could not
 * run (cannot resolve or connect, out of memory, time limit reached), with
 * `err` saying why. The result is filled either way.
 */
#ifndef MAYFLY_GW_LOADGEN_H
#define MAYFLY_GW_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/client.h"

struct gw_load_config {
    const struct gw_url *url;
    const char *method;
    const char *path;         /* starts with '/'; the URL's prefix is added */
    const char *content_type; /* or NULL */
    const void *body;
    size_t body_len;
    unsigned requests;      /* N >= 1 */
    unsigned concurrency;   /* connections, 1..N */
    unsigned time_limit_ms; /* for the whole run; 0 = none */
    unsigned pause_ms;      /* a connection waits this long after a response
                               before its next request; 0 = none */
};

struct gw_load_result {
    uint64_t *lat_ns; /* one per response, in completion order; owned */
    size_t done;      /* responses read (entries in lat_ns) */
    size_t ok;        /* ... of which 2xx */
    size_t errors;    /* requests lost to a broken connection */
    size_t reconnects;
    uint64_t wall_ns; /* first request written .. last response read */
};

int gw_load_run(const struct gw_load_config *cfg, struct gw_load_result *res,
                char *err, size_t errlen);
void gw_load_result_free(struct gw_load_result *res);

#endif /* MAYFLY_GW_LOADGEN_H */
