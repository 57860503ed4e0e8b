/* fnconf.h: a function version's settings beyond memory and timeout: its
 * environment, custom routes, request body limit and concurrency limit.
 *
 * They are kept in the version's config_json in the store:
 *   {"env": {"NAME": "value", ...}, "routes": ["GET /users*", ...],
 *    "max_body": BYTES, "concurrency": N}
 * Members this module does not know (object triggers) are left as they are.
 * A deploy builds the object (gw_fnconf_add_*), checks it whole
 * (gw_fnconf_check) and stores its text; the registry turns stored text into
 * an immutable, reference-counted struct gw_fnconf (gw_fnconf_parse).
 *
 * Routes: "METHOD /path" or "/path" (any method; also "ANY /path" or
 * "* /path"). A path ending in '*' matches every path that starts with
 * what comes before the '*'; any other path matches only itself. Paths
 * under /fn/, /api/, /hooks/, /metrics and /healthz are fnd's own.
 *
 * Errors: the add and check functions return NULL or a sentence saying what
 * is wrong, for a 400. gw_fnconf_parse returns 0, -EINVAL or -ENOMEM.
 * Loop thread only (the reference count is not atomic).
 */
#ifndef MAYFLY_GW_FNCONF_H
#define MAYFLY_GW_FNCONF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define GW_ENV_MAX 4096 /* bytes of names and values, all together */
#define GW_ENV_NAME_MAX 128
#define GW_ROUTES_MAX 16 /* per function */
#define GW_ROUTE_PATH_MAX 512
#define GW_CONCURRENCY_MAX 100000

struct gw_route {
    char method[16]; /* "GET", ...; "" for any method */
    char *path;      /* without the final '*' of a prefix route */
    size_t len;
    int prefix;
};

struct gw_fnconf {
    unsigned refs;
    char *env; /* "name\0value\0"..., as the guest gets it */
    size_t env_len;
    size_t env_count;
    struct gw_route *routes;
    size_t nroutes;
    uint64_t max_body;    /* 0: fnd's --max-body */
    uint32_t concurrency; /* 0: no limit of its own */
};

/* Adds "NAME=VALUE" (len bytes, may hold no NUL) to cfg's env. */
const char *gw_fnconf_add_env(json_t *cfg, const char *kv, size_t len);
/* Adds one route spec to cfg's routes. */
const char *gw_fnconf_add_route(json_t *cfg, const char *spec, size_t len);
/* Checks every member this module knows; max_body may not exceed
 * `body_ceiling` (fnd's --max-body). */
const char *gw_fnconf_check(json_t *cfg, uint64_t body_ceiling);

/* Parses stored text (NULL or "" is the empty config) into *out, with one
 * reference. */
int gw_fnconf_parse(const char *json, struct gw_fnconf **out);
void gw_fnconf_get(struct gw_fnconf *c);
void gw_fnconf_put(struct gw_fnconf *c);

/* The settings of stored text as JSON for the admin API; env values are
 * left out (null) unless with_values. Never NULL unless out of memory. */
json_t *gw_fnconf_view(const char *json, int with_values);

/* 1 if route r takes (method, path). */
int gw_route_match(const struct gw_route *r, const char *method,
                   const char *path);
/* 1 if a and b would take the same requests on the same path (both exact
 * or both prefix, same path, methods equal or one of them any). */
int gw_route_clash(const struct gw_route *a, const struct gw_route *b);

#endif /* MAYFLY_GW_FNCONF_H */
