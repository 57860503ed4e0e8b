/* api.c: routes requests: functions, the admin API, /metrics and /healthz.
 *
 * Admin API (JSON; changes need `Authorization: Bearer <token>` when fnd
 * has a token):
 *   GET    /api/v1/functions                     list active functions
 *   PUT    /api/v1/functions/NAME?memory_mib=N&timeout_ms=N
 *          body: the raw ELF image (application/octet-stream). This is the
 *          primary deploy path (fnctl uses it): no base64, no size blowup.
 *   POST   /api/v1/functions                     deploy, JSON body
 *          {"name", "image" (base64 ELF), "memory_mib", "timeout_ms"}
 *   GET    /api/v1/functions/NAME                inspect, with versions
 *                                                and recent invocations
 *   GET    /api/v1/functions/NAME/invocations?limit=N   with guest logs
 *   DELETE /api/v1/functions/NAME                delete every version
 * Deploys answer 201 with the new version; an image the VMM refuses is a
 * 400 with the loader's reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <llhttp.h>

#include "gateway/buf.h"
#include "gateway/gw.h"
#include "gateway/log.h"

#define API_PREFIX "/api/v1/functions"
#define INSPECT_INVOCATIONS 10
#define LIST_INVOCATIONS_MAX 1000

/* ---- Responses ---------------------------------------------------------- */

/* Sends `j` (consumed) as the JSON body. */
static void reply_json(struct gw_http_req *req, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    size_t len;
    char *t;

    json_decref(j);
    if (!s) {
        gw_http_error(req, 503, "host_error", "out of memory");
        return;
    }
    len = strlen(s);
    t = realloc(s, len + 2);
    if (t) {
        s = t;
        s[len++] = '\n';
        s[len] = '\0';
    }
    gw_http_add_header(req, "Content-Type", "application/json");
    gw_http_respond(req, status, s, len, free, s);
}

static void reply_options(struct gw_http_req *req, const char *allow)
{
    gw_http_add_header(req, "Allow", allow);
    gw_http_respond(req, 204, NULL, 0, NULL, NULL);
}

static void reply_method(struct gw_http_req *req, const char *allow)
{
    gw_http_add_header(req, "Allow", allow);
    gw_http_error(req, 405, NULL, "method not allowed here");
}

static void reply_store_error(struct gw_http_req *req, int rc, const char *what)
{
    char detail[160];

    gw_log_errno(GW_LOG_WARN, rc, "store failed", "request_id=%s op=%s",
                 req->id, what);
    snprintf(detail, sizeof(detail), "%s: %s", what, strerror(-rc));
    gw_http_error(req, 503, "store_error", detail);
}

/* ---- JSON views of store records ---------------------------------------- */

static json_t *fn_json(const char *name, int64_t version, const char *sha,
                       uint32_t memory_mib, uint32_t timeout_ms,
                       int64_t created_ms)
{
    return json_pack("{s:s, s:I, s:s, s:i, s:i, s:I}", "name", name, "version",
                     (json_int_t)version, "image_sha", sha, "memory_mib",
                     (int)memory_mib, "timeout_ms", (int)timeout_ms,
                     "created_ms", (json_int_t)created_ms);
}

static json_t *st_fn_json(const struct st_function *f)
{
    return fn_json(f->name, f->version, f->image_sha, f->memory_mib,
                   f->timeout_ms, f->created_ms);
}

static int append_fn(const struct st_function *f, void *arg)
{
    return json_array_append_new(arg, st_fn_json(f)) ? -ENOMEM : 0;
}

struct inv_walk {
    json_t *arr;
    int with_log;
};

static double ns_ms(uint64_t ns)
{
    return (double)(ns / 1000) / 1000.0;
}

static int append_inv(const struct st_invocation *v, void *arg)
{
    struct inv_walk *w = arg;
    json_t *j;

    j = json_pack("{s:s, s:s, s:I, s:I, s:i, s:f, s:f, s:f, s:f}", "request_id",
                  v->request_id, "function", v->function, "version",
                  (json_int_t)v->version, "started_ms",
                  (json_int_t)v->started_ms, "status", v->status, "wait_ms",
                  ns_ms(v->t_wait), "boot_ms",
                  ns_ms(v->t_load + v->t_enter + v->t_start), "run_ms",
                  ns_ms(v->t_run), "total_ms", ns_ms(v->t_total));
    if (!j)
        return -ENOMEM;
    json_object_set_new(j, "error",
                        v->error ? json_string(v->error) : json_null());
    if (w->with_log)
        json_object_set_new(j, "log",
                            v->log ? json_string(v->log) : json_null());
    return json_array_append_new(w->arr, j) ? -ENOMEM : 0;
}

/* ---- Parameters --------------------------------------------------------- */

/* Parses a decimal in [min, max]; returns 0 or -1. */
static int parse_u32(const char *s, size_t len, uint32_t min, uint32_t max,
                     uint32_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (len == 0 || len > 10)
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

struct deploy_params {
    uint32_t memory_mib;
    uint32_t timeout_ms;
};

static const char *check_memory(uint32_t mib)
{
    if (mib < 2 || mib > GW_MEMORY_MAX || mib % 2)
        return "memory_mib must be an even number from 2 to 1024";
    return NULL;
}

static const char *check_timeout(uint32_t ms)
{
    if (ms < 1 || ms > GW_TIMEOUT_MAX)
        return "timeout_ms must be from 1 to 60000";
    return NULL;
}

/* Reads memory_mib and timeout_ms from a query string; returns NULL or
 * what is wrong. */
static const char *parse_deploy_query(const char *q, struct deploy_params *p)
{
    const char *amp, *eq;
    size_t klen;

    for (; q && *q; q = amp ? amp + 1 : NULL) {
        amp = strchr(q, '&');
        eq = strchr(q, '=');
        if (!eq || (amp && eq > amp))
            return "query parameters must be name=value";
        klen = (size_t)(eq - q);
        if (klen == 10 && strncmp(q, "memory_mib", klen) == 0) {
            if (parse_u32(eq + 1, amp ? (size_t)(amp - eq - 1) : strlen(eq + 1),
                          0, UINT32_MAX, &p->memory_mib))
                return "memory_mib is not a number";
        } else if (klen == 10 && strncmp(q, "timeout_ms", klen) == 0) {
            if (parse_u32(eq + 1, amp ? (size_t)(amp - eq - 1) : strlen(eq + 1),
                          0, UINT32_MAX, &p->timeout_ms))
                return "timeout_ms is not a number";
        } else {
            return "unknown query parameter (memory_mib, timeout_ms)";
        }
    }
    return NULL;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes standard or URL-safe base64, padding optional, whitespace
 * ignored. Returns a malloc'd buffer or NULL. */
static unsigned char *b64_decode(const char *s, size_t len, size_t *out_len)
{
    unsigned char *out = malloc(len / 4 * 3 + 3);
    uint32_t acc = 0;
    size_t i, n = 0;
    int bits = 0, v;

    if (!out)
        return NULL;
    for (i = 0; i < len; i++) {
        if (s[i] == '=' || s[i] == '\n' || s[i] == '\r' || s[i] == ' ')
            continue;
        v = b64_value((unsigned char)s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    *out_len = n;
    return out;
}

/* ---- Admin handlers ----------------------------------------------------- */

static int authorized(struct gw *gw, struct gw_http_req *req)
{
    const char *auth = gw_http_header(req, "authorization");
    const char *tok = gw->cfg.token;
    size_t i, n;
    unsigned char diff = 0;

    if (!tok)
        return 1;
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return 0;
    auth += 7;
    n = strlen(tok);
    if (strlen(auth) != n)
        return 0;
    for (i = 0; i < n; i++)
        diff |= (unsigned char)(auth[i] ^ tok[i]);
    return diff == 0;
}

static void do_deploy(struct gw *gw, struct gw_http_req *req, const char *name,
                      const void *elf, size_t len,
                      const struct deploy_params *p)
{
    struct gw_fn *fn;
    char err[160] = "", loc[128];
    const char *bad;
    int rc;

    if (!gw_valid_name(name)) {
        gw_http_error(req, 400, "bad_name",
                      "function names are [a-z0-9][a-z0-9_-]{0,62}");
        return;
    }
    bad = check_memory(p->memory_mib);
    if (!bad)
        bad = check_timeout(p->timeout_ms);
    if (bad) {
        gw_http_error(req, 400, "bad_parameter", bad);
        return;
    }
    if (len == 0) {
        gw_http_error(req, 400, "bad_image", "empty image");
        return;
    }
    rc = gw_registry_deploy(gw->reg, name, elf, len, p->memory_mib,
                            p->timeout_ms, &fn, err, sizeof(err));
    if (rc == -EINVAL) {
        gw_http_error(req, 400, "bad_image", err);
        return;
    }
    if (rc < 0) {
        gw_log_errno(GW_LOG_WARN, rc, "deploy failed",
                     "request_id=%s function=%s reason=\"%s\"", req->id, name,
                     err);
        gw_http_error(req, 503, "deploy_failed", err);
        return;
    }
    gw_info("deployed",
            "request_id=%s function=%s version=%lld sha=%.12s "
            "memory_mib=%u timeout_ms=%u",
            req->id, fn->name, (long long)fn->version, fn->sha, fn->memory_mib,
            fn->timeout_ms);
    snprintf(loc, sizeof(loc), API_PREFIX "/%s", fn->name);
    gw_http_add_header(req, "Location", loc);
    reply_json(req, 201,
               fn_json(fn->name, fn->version, fn->sha, fn->memory_mib,
                       fn->timeout_ms, fn->created_ms));
}

static void deploy_raw(struct gw *gw, struct gw_http_req *req, const char *name)
{
    struct deploy_params p = {GW_MEMORY_DEFAULT, GW_TIMEOUT_DEFAULT};
    const char *bad = parse_deploy_query(req->query, &p);

    if (bad) {
        gw_http_error(req, 400, "bad_parameter", bad);
        return;
    }
    do_deploy(gw, req, name, req->body, req->body_len, &p);
}

static const char *json_deploy_params(json_t *root, struct deploy_params *p)
{
    json_t *v;

    v = json_object_get(root, "memory_mib");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
              json_integer_value(v) > UINT32_MAX))
        return "memory_mib must be an integer";
    if (v)
        p->memory_mib = (uint32_t)json_integer_value(v);
    v = json_object_get(root, "timeout_ms");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
              json_integer_value(v) > UINT32_MAX))
        return "timeout_ms must be an integer";
    if (v)
        p->timeout_ms = (uint32_t)json_integer_value(v);
    return NULL;
}

static void deploy_json(struct gw *gw, struct gw_http_req *req)
{
    struct deploy_params p = {GW_MEMORY_DEFAULT, GW_TIMEOUT_DEFAULT};
    json_error_t jerr;
    json_t *root, *name, *image;
    unsigned char *elf;
    const char *bad;
    size_t len;

    root = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!root) {
        gw_http_error(req, 400, "bad_json", jerr.text);
        return;
    }
    name = json_object_get(root, "name");
    image = json_object_get(root, "image");
    bad = json_deploy_params(root, &p);
    if (!bad && (!json_is_string(name) || !json_is_string(image)))
        bad = "\"name\" and \"image\" (base64) are required strings";
    if (bad) {
        json_decref(root);
        gw_http_error(req, 400, "bad_json", bad);
        return;
    }
    elf = b64_decode(json_string_value(image), json_string_length(image), &len);
    if (!elf) {
        json_decref(root);
        gw_http_error(req, 400, "bad_image", "image is not base64");
        return;
    }
    do_deploy(gw, req, json_string_value(name), elf, len, &p);
    free(elf);
    json_decref(root);
}

static void list_functions(struct gw *gw, struct gw_http_req *req)
{
    json_t *arr = json_array();
    int rc;

    rc = arr ? st_function_list(gw->st, append_fn, arr) : -ENOMEM;
    if (rc < 0) {
        json_decref(arr);
        reply_store_error(req, rc, "list functions");
        return;
    }
    reply_json(req, 200, json_pack("{s:o}", "functions", arr));
}

/* Adds "versions" and recent "invocations" of `name` to j. */
static int add_history(struct gw *gw, const char *name, json_t *j)
{
    struct inv_walk w = {json_array(), 0};
    json_t *versions = json_array();
    int rc;

    json_object_set_new(j, "versions", versions);
    json_object_set_new(j, "invocations", w.arr);
    gw_invlog_flush(gw->invlog);
    rc = st_function_versions(gw->st, name, append_fn, versions);
    if (rc >= 0)
        rc = st_invocations_recent(gw->st, name, INSPECT_INVOCATIONS,
                                   append_inv, &w);
    return rc;
}

static void inspect_function(struct gw *gw, struct gw_http_req *req,
                             const char *name)
{
    struct gw_fn *fn = gw_registry_find(gw->reg, name);
    struct st_function f;
    json_t *j;
    int rc;

    rc = st_function_get(gw->st, name, 0, &f);
    if (rc == -ENOENT) {
        gw_http_error(req, 404, "unknown_function", "no such function");
        return;
    }
    if (rc < 0) {
        reply_store_error(req, rc, "get function");
        return;
    }
    j = st_fn_json(&f);
    st_function_clear(&f);
    rc = j ? add_history(gw, name, j) : -ENOMEM;
    if (rc < 0) {
        json_decref(j);
        reply_store_error(req, rc, "read history");
        return;
    }
    json_object_set_new(j, "loaded", json_boolean(fn && fn->img));
    reply_json(req, 200, j);
}

static uint32_t query_limit(const char *q)
{
    uint32_t v = 20;
    const char *p = q ? strstr(q, "limit=") : NULL;

    if (p && (p == q || p[-1] == '&'))
        parse_u32(p + 6, strcspn(p + 6, "&"), 1, LIST_INVOCATIONS_MAX, &v);
    return v;
}

static void list_invocations(struct gw *gw, struct gw_http_req *req,
                             const char *name)
{
    struct inv_walk w = {json_array(), 1};
    int rc;

    if (!gw_registry_find(gw->reg, name)) {
        json_decref(w.arr);
        gw_http_error(req, 404, "unknown_function", "no such function");
        return;
    }
    gw_invlog_flush(gw->invlog);
    rc = st_invocations_recent(gw->st, name, (int)query_limit(req->query),
                               append_inv, &w);
    if (rc < 0) {
        json_decref(w.arr);
        reply_store_error(req, rc, "read invocations");
        return;
    }
    reply_json(req, 200, json_pack("{s:o}", "invocations", w.arr));
}

static void delete_function(struct gw *gw, struct gw_http_req *req,
                            const char *name)
{
    int rc = gw_registry_remove(gw->reg, name);

    if (rc == -ENOENT) {
        gw_http_error(req, 404, "unknown_function", "no such function");
        return;
    }
    if (rc < 0) {
        reply_store_error(req, rc, "delete function");
        return;
    }
    gw_info("deleted", "request_id=%s function=%s", req->id, name);
    reply_json(req, 200, json_pack("{s:s}", "deleted", name));
}

/* ---- Routing ------------------------------------------------------------ */

static int is_change(const struct gw_http_req *req)
{
    return req->method_id == HTTP_PUT || req->method_id == HTTP_POST ||
           req->method_id == HTTP_DELETE || req->method_id == HTTP_PATCH;
}

static int is_read(const struct gw_http_req *req)
{
    return req->method_id == HTTP_GET || req->method_id == HTTP_HEAD;
}

static void route_collection(struct gw *gw, struct gw_http_req *req)
{
    if (is_read(req))
        list_functions(gw, req);
    else if (req->method_id == HTTP_POST)
        deploy_json(gw, req);
    else if (req->method_id == HTTP_OPTIONS)
        reply_options(req, "GET, HEAD, POST, OPTIONS");
    else
        reply_method(req, "GET, HEAD, POST, OPTIONS");
}

static void route_function(struct gw *gw, struct gw_http_req *req,
                           const char *name)
{
    if (is_read(req))
        inspect_function(gw, req, name);
    else if (req->method_id == HTTP_PUT)
        deploy_raw(gw, req, name);
    else if (req->method_id == HTTP_DELETE)
        delete_function(gw, req, name);
    else if (req->method_id == HTTP_OPTIONS)
        reply_options(req, "GET, HEAD, PUT, DELETE, OPTIONS");
    else
        reply_method(req, "GET, HEAD, PUT, DELETE, OPTIONS");
}

/* Copies the path segment at `p` (up to '/' or the end) into name; returns
 * a pointer past it, or NULL if it is empty or too long. */
static const char *take_segment(const char *p, char name[ST_NAME_MAX + 1])
{
    size_t n = strcspn(p, "/");

    if (n == 0 || n > ST_NAME_MAX)
        return NULL;
    memcpy(name, p, n);
    name[n] = '\0';
    return p + n;
}

static void route_admin(struct gw *gw, struct gw_http_req *req)
{
    const char *rest = req->path + strlen(API_PREFIX);
    char name[ST_NAME_MAX + 1];

    if (is_change(req) && !authorized(gw, req)) {
        gw_http_add_header(req, "WWW-Authenticate", "Bearer");
        gw_http_error(req, 401, NULL, "changes need a valid admin token");
        return;
    }
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        route_collection(gw, req);
        return;
    }
    if (*rest != '/' || !(rest = take_segment(rest + 1, name))) {
        gw_http_error(req, 404, NULL, "no such route");
        return;
    }
    if (*rest == '\0') {
        route_function(gw, req, name);
        return;
    }
    if (strcmp(rest, "/invocations") != 0) {
        gw_http_error(req, 404, NULL, "no such route");
        return;
    }
    if (!is_read(req)) {
        reply_method(req, "GET, HEAD");
        return;
    }
    list_invocations(gw, req, name);
}

static void route_fn(struct gw *gw, struct gw_http_req *req)
{
    char name[ST_NAME_MAX + 1];
    const char *rest = take_segment(req->path + 4, name);

    if (!rest || !gw_valid_name(name)) {
        gw_http_error(req, 404, "unknown_function", "no such function");
        return;
    }
    gw_invoke(gw, req, name);
}

static void metrics(struct gw *gw, struct gw_http_req *req)
{
    struct gw_gauges g = {0};
    struct gw_buf b = {0};
    char *body;
    size_t len;

    vmm_stats(gw->vmm, &g.vmm);
    g.queue_depth = gw_dispatch_queued(gw->dispatch);
    g.inflight = gw_dispatch_running(gw->dispatch);
    g.connections = gw->http ? gw_http_conns(gw->http) : 0;
    g.invlog_dropped = gw_invlog_dropped(gw->invlog);
    gw_metrics_render(gw->metrics, &g, &b);
    if (b.err) {
        gw_buf_free(&b);
        gw_http_error(req, 503, "host_error", "out of memory");
        return;
    }
    body = gw_buf_steal(&b, &len);
    gw_http_add_header(req, "Content-Type",
                       "text/plain; version=0.0.4; charset=utf-8");
    gw_http_respond(req, 200, body, len, free, body);
}

static void healthz(struct gw *gw, struct gw_http_req *req)
{
    static const char ok[] = "{\"status\":\"ok\"}\n";
    static const char stopping[] = "{\"status\":\"stopping\"}\n";

    gw_http_add_header(req, "Content-Type", "application/json");
    if (gw->stopping)
        gw_http_respond(req, 503, stopping, sizeof(stopping) - 1, NULL, NULL);
    else
        gw_http_respond(req, 200, ok, sizeof(ok) - 1, NULL, NULL);
}

static void route_simple(struct gw *gw, struct gw_http_req *req,
                         void (*fn)(struct gw *, struct gw_http_req *))
{
    if (is_read(req))
        fn(gw, req);
    else if (req->method_id == HTTP_OPTIONS)
        reply_options(req, "GET, HEAD, OPTIONS");
    else
        reply_method(req, "GET, HEAD, OPTIONS");
}

static int sane_id(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789._-");

    return n > 0 && n <= GW_HTTP_ID_MAX && s[n] == '\0';
}

/* Honours a sane incoming X-Request-Id; otherwise makes one that is
 * unique in this process and unlikely to repeat across restarts. */
static void set_request_id(struct gw *gw, struct gw_http_req *req)
{
    const char *in = gw_http_header(req, "x-request-id");
    struct timespec ts;

    if (in && sane_id(in)) {
        snprintf(req->id, sizeof(req->id), "%s", in);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(req->id, sizeof(req->id), "%011llx%04x%08llx",
             (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
             gw->id_salt & 0xffff, (unsigned long long)++gw->id_seq);
}

void gw_api_request(struct gw_http_req *req, void *arg)
{
    struct gw *gw = arg;
    const char *path = req->path;

    set_request_id(gw, req);
    gw_http_add_header(req, "X-Request-Id", req->id);
    if (strncmp(path, "/fn/", 4) == 0)
        route_fn(gw, req);
    else if (strcmp(path, "/healthz") == 0)
        route_simple(gw, req, healthz);
    else if (strcmp(path, "/metrics") == 0)
        route_simple(gw, req, metrics);
    else if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) == 0)
        route_admin(gw, req);
    else if (strcmp(path, "*") == 0 && req->method_id == HTTP_OPTIONS)
        reply_options(req, "GET, HEAD, POST, PUT, DELETE, OPTIONS");
    else
        gw_http_error(req, 404, NULL, "no such route");
}

size_t gw_api_body_limit(const struct gw_http_req *req, void *arg)
{
    struct gw *gw = arg;

    if (strncmp(req->path, API_PREFIX, strlen(API_PREFIX)) == 0)
        return gw->cfg.max_image;
    if (strncmp(req->path, "/fn/", 4) == 0)
        return gw->cfg.max_body;
    return 64u << 10;
}
