/* api.c: routes requests: functions, the admin API, /metrics and /healthz.
 *
 * Admin API (JSON; every change needs `Authorization: Bearer <token>`,
 * 401 without it; reads are open, but env values are shown only to the
 * token's holder):
 *   GET    /api/v1/functions                     list active functions
 *   PUT    /api/v1/functions/NAME?memory_mib=N&timeout_ms=N
 *          [&env=NAME%3DVALUE]... [&route=GET%20%2Fusers%2F*]...
 *          [&max_body=BYTES] [&concurrency=N]
 *          body: the raw ELF image (application/octet-stream). This is the
 *          primary deploy path (fnctl uses it): no base64, no size blowup.
 *   POST   /api/v1/functions                     deploy, JSON body
 *          {"name", "image" (base64 ELF), "memory_mib", "timeout_ms",
 *           "env": {...}, "routes": [...], "max_body", "concurrency"}
 *   GET    /api/v1/functions/NAME                inspect, with versions
 *                                                and recent invocations
 *   GET    /api/v1/functions/NAME/invocations?limit=N   with guest logs
 *   POST   /api/v1/functions/NAME/rollback[?version=N]  make an older
 *          version active again (default: the one before the active one)
 *   DELETE /api/v1/functions/NAME                delete every version
 * Deploys answer 201 with the new version; an image the VMM refuses is a
 * 400 with the loader's reason; a route another function has is a 409.
 *
 * Which listener serves what: /healthz every one; the admin API and
 * /metrics only one that serves admin; functions (/fn/NAME and custom
 * routes) only one that serves functions (see gw.h). Elsewhere: 404.
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

#include "gateway/bg.h"
#include "gateway/buf.h"
#include "gateway/fnconf.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/triggers.h"
#include "gateway/token.h"
#include "gateway/url.h"

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
    json_t *cfg; /* the version's config (fnconf.h), the caller's */
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

/* Decodes %XX and '+' (a space) of s[0..len) into out; returns the
 * decoded length, or -1 for a bad escape. */
static ssize_t url_decode(const char *s, size_t len, struct gw_buf *out)
{
    size_t i;
    int hi, lo;

    gw_buf_reset(out);
    for (i = 0; i < len; i++) {
        if (s[i] == '+') {
            gw_buf_addc(out, ' ');
            continue;
        }
        if (s[i] != '%') {
            gw_buf_addc(out, s[i]);
            continue;
        }
        if (i + 2 >= len)
            return -1;
        hi = gw_url_hexval(s[i + 1]);
        lo = gw_url_hexval(s[i + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        gw_buf_addc(out, (char)(hi << 4 | lo));
        i += 2;
    }
    gw_buf_addc(out, '\0');
    return out->err ? -1 : (ssize_t)out->len - 1;
}

/* Applies one decoded deploy parameter of the version's config. */
static const char *config_param(struct deploy_params *p, const char *key,
                                size_t klen, const char *v, size_t vlen)
{
    uint32_t n;

    if (klen == 3 && strncmp(key, "env", 3) == 0)
        return gw_fnconf_add_env(p->cfg, v, vlen);
    if (klen == 5 && strncmp(key, "route", 5) == 0)
        return gw_fnconf_add_route(p->cfg, v, vlen);
    if (klen == 9 && strncmp(key, "on_object", 9) == 0)
        return strlen(v) == vlen ? gw_triggers_add_object(p->cfg, v)
                                 : "on_object holds a NUL byte";
    if (klen == 6 && strncmp(key, "events", 6) == 0)
        return strlen(v) == vlen ? gw_triggers_set_events(p->cfg, v)
                                 : "events holds a NUL byte";
    if (klen == 8 && strncmp(key, "max_body", 8) == 0) {
        if (parse_u32(v, vlen, 1, UINT32_MAX, &n))
            return "max_body is not a number";
        json_object_set_new(p->cfg, "max_body", json_integer(n));
        return NULL;
    }
    if (klen == 11 && strncmp(key, "concurrency", 11) == 0) {
        if (parse_u32(v, vlen, 0, UINT32_MAX, &n))
            return "concurrency is not a number";
        json_object_set_new(p->cfg, "concurrency", json_integer(n));
        return NULL;
    }
    return "unknown query parameter (memory_mib, timeout_ms, env, route, "
           "max_body, concurrency, on_object, events)";
}

/* Reads the deploy parameters from a query string; returns NULL or what
 * is wrong. */
static const char *parse_deploy_query(const char *q, struct deploy_params *p)
{
    struct gw_buf v = {0};
    const char *amp, *eq, *bad = NULL;
    ssize_t vlen;
    size_t klen;

    for (; q && *q && !bad; q = amp ? amp + 1 : NULL) {
        amp = strchr(q, '&');
        eq = strchr(q, '=');
        if (!eq || (amp && eq > amp)) {
            bad = "query parameters must be name=value";
            break;
        }
        klen = (size_t)(eq - q);
        vlen = url_decode(eq + 1, amp ? (size_t)(amp - eq - 1) : strlen(eq + 1),
                          &v);
        if (vlen < 0)
            bad = "a query parameter has a bad %-escape";
        else if (klen == 10 && strncmp(q, "memory_mib", klen) == 0)
            bad = parse_u32(v.data, (size_t)vlen, 0, UINT32_MAX, &p->memory_mib)
                      ? "memory_mib is not a number"
                      : NULL;
        else if (klen == 10 && strncmp(q, "timeout_ms", klen) == 0)
            bad = parse_u32(v.data, (size_t)vlen, 0, UINT32_MAX, &p->timeout_ms)
                      ? "timeout_ms is not a number"
                      : NULL;
        else
            bad = config_param(p, q, klen, v.data, (size_t)vlen);
    }
    gw_buf_free(&v);
    return bad;
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
/* Standard padded base64 (RFC 4648, section 4); line breaks and spaces
 * between characters are skipped. NULL for anything else. */
static unsigned char *b64_decode(const char *s, size_t len, size_t *out_len)
{
    unsigned char *out = malloc(len / 4 * 3 + 3);
    size_t i, n = 0, chars = 0, pad = 0;
    uint32_t acc = 0;
    int bits = 0, v;

    if (!out)
        return NULL;
    for (i = 0; i < len; i++) {
        if (s[i] == '\n' || s[i] == '\r' || s[i] == ' ')
            continue;
        chars++;
        if (s[i] == '=') {
            pad++;
            continue;
        }
        v = b64_value((unsigned char)s[i]);
        if (v < 0 || pad)
            goto bad;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    /* Whole quads, and as much padding as the last one lacks. */
    if (chars % 4 || pad > 2 || (size_t)bits != pad * 2)
        goto bad;
    *out_len = n;
    return out;
bad:
    free(out);
    return NULL;
}

/* ---- Admin handlers ----------------------------------------------------- */

/* fnd always has a token (fnd.c makes one if none was given). */
static int authorized(struct gw *gw, struct gw_http_req *req)
{
    const char *auth = gw_http_header(req, "authorization");

    if (!gw->cfg.token || !auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return 0;
    auth += 7;
    while (*auth == ' ')
        auth++;
    return gw_token_equal(auth, gw->cfg.token);
}

/* The version's config as stored text, once checked; NULL with *bad set
 * when it is wrong (or *bad NULL when it is empty). */
static char *config_text(struct gw *gw, json_t *cfg, const char **bad)
{
    char *text;

    *bad = gw_fnconf_check(cfg, gw->cfg.max_body);
    if (!*bad)
        *bad = gw_triggers_check(cfg);
    if (*bad || json_object_size(cfg) == 0)
        return NULL;
    text = json_dumps(cfg, JSON_COMPACT);
    if (!text)
        *bad = "out of memory";
    return text;
}

/* ---- Changes: deploys, rollbacks, removals -------------------------------
 * Changes to the functions take effect one at a time, in the order they
 * arrived: each waits until the one before is answered, so the last deploy
 * sent is the active version whatever the sizes of the images. The slow
 * part of a deploy or a rollback (parsing, validating, storing and loading
 * the image) runs on libuv's thread pool, so the loop goes on serving.
 */
struct gw_change {
    struct gw_change *next;
    struct gw *gw;
    struct gw_http_req *req;            /* valid until answered */
    void (*start)(struct gw_change *c); /* when first; ends in change_done */
    void (*drop)(struct gw_change *c);  /* frees one never started */
};

static void change_add(struct gw *gw, struct gw_change *c)
{
    int first = !gw->changes;

    if (gw->stopping) {
        gw_http_error(c->req, 503, "shutting_down", "the gateway is stopping");
        c->drop(c);
        return;
    }
    if (first)
        gw->changes_end = &gw->changes;
    c->next = NULL;
    *gw->changes_end = c;
    gw->changes_end = &c->next;
    if (first)
        c->start(c);
}

/* The change under way is answered: the next one starts. Call it before
 * freeing the change. */
static void change_done(struct gw *gw)
{
    gw->changes = gw->changes->next;
    if (gw->changes)
        gw->changes->start(gw->changes);
}

unsigned gw_api_changes(const struct gw *gw)
{
    const struct gw_change *c;
    unsigned n = 0;

    for (c = gw->changes; c; c = c->next)
        n++;
    return n;
}

void gw_api_changes_cancel(struct gw *gw)
{
    struct gw_change *c, *next;

    if (!gw->changes)
        return;
    for (c = gw->changes->next; c; c = next) {
        next = c->next;
        gw_http_error(c->req, 503, "shutting_down",
                      "the gateway stopped before the change was made");
        c->drop(c);
    }
    gw->changes->next = NULL;
    gw->changes_end = &gw->changes->next;
}

struct deploy {
    struct gw_change ch; /* first */
    uv_work_t work;
    int json; /* the body is a JSON deploy, parsed on the pool thread */
    char name[ST_NAME_MAX + 1];
    struct deploy_params p;
    const void *elf;
    size_t len;
    void *owned; /* elf, when decoded from a JSON deploy */
    char *config;
    struct vmm_image *img;
    char sha[ST_SHA_HEX];
    int status; /* a 4xx the request gets, with `code` and `err` */
    const char *code;
    int rc; /* preparing the image: 0 or a negative errno */
    char err[160];
};

static void deploy_free(struct deploy *d)
{
    json_decref(d->p.cfg);
    free(d->owned);
    free(d->config);
    free(d);
}

static void deploy_refuse(struct deploy *d, int status, const char *code,
                          const char *why)
{
    d->status = status;
    d->code = code;
    snprintf(d->err, sizeof(d->err), "%s", why);
}

static const char *json_deploy_params(json_t *root, struct deploy_params *p);

/* Pool thread: the name, settings and image of a JSON deploy. */
static int deploy_parse_json(struct deploy *d)
{
    const struct gw_http_req *req = d->ch.req;
    json_t *root, *name, *image;
    json_error_t jerr;
    const char *bad;

    root = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!root) {
        deploy_refuse(d, 400, "bad_json", jerr.text);
        return -1;
    }
    name = json_object_get(root, "name");
    image = json_object_get(root, "image");
    bad = json_deploy_params(root, &d->p);
    if (!bad && (!json_is_string(name) || !json_is_string(image)))
        bad = "\"name\" and \"image\" (base64) are required strings";
    if (bad) {
        deploy_refuse(d, 400, "bad_json", bad);
    } else if (json_string_length(name) >= sizeof(d->name)) {
        deploy_refuse(d, 400, "bad_name",
                      "function names are [a-z0-9][a-z0-9_-]{0,62}");
    } else {
        snprintf(d->name, sizeof(d->name), "%s", json_string_value(name));
        d->owned = b64_decode(json_string_value(image),
                              json_string_length(image), &d->len);
        d->elf = d->owned;
        if (!d->owned)
            deploy_refuse(d, 400, "bad_image", "image is not base64");
    }
    json_decref(root);
    return d->status ? -1 : 0;
}

/* Pool thread: checks the request, then validates and stores the image. */
static void deploy_work(uv_work_t *w)
{
    struct deploy *d = w->data;
    const char *bad;
    struct st *st;

    if (d->json && deploy_parse_json(d) < 0)
        return;
    if (!gw_valid_name(d->name)) {
        deploy_refuse(d, 400, "bad_name",
                      "function names are [a-z0-9][a-z0-9_-]{0,62}");
        return;
    }
    bad = check_memory(d->p.memory_mib);
    if (!bad)
        bad = check_timeout(d->p.timeout_ms);
    if (bad) {
        deploy_refuse(d, 400, "bad_parameter", bad);
        return;
    }
    if (d->len == 0) {
        deploy_refuse(d, 400, "bad_image", "empty image");
        return;
    }
    d->config = config_text(d->ch.gw, d->p.cfg, &bad);
    if (bad) {
        deploy_refuse(d, 400, "bad_parameter", bad);
        return;
    }
    st = gw_bg_store(&d->rc);
    if (!st) {
        snprintf(d->err, sizeof(d->err), "store: %s", strerror(-d->rc));
        return;
    }
    d->rc =
        gw_registry_prepare(d->ch.gw->vmm, st, d->elf, d->len, d->p.memory_mib,
                            &d->img, d->sha, d->err, sizeof(d->err));
}

/* Loop thread, in arrival order: makes the new version active. */
static void deploy_after(uv_work_t *w, int status)
{
    struct deploy *d = w->data;
    struct gw_http_req *req = d->ch.req;
    struct gw *gw = d->ch.gw;
    struct gw_fn *fn;
    char loc[128];
    json_t *j;
    int rc = status < 0 ? status : d->rc;

    if (d->status) {
        gw_http_error(req, d->status, d->code, d->err);
        goto out;
    }
    if (rc == 0)
        rc = gw_registry_commit(gw->reg, d->name, d->img, d->sha,
                                d->p.memory_mib, d->p.timeout_ms, d->config,
                                &fn, d->err, sizeof(d->err));
    else if (d->img)
        vmm_image_put(d->img);
    if (rc == -EINVAL || rc == -EEXIST) {
        gw_http_error(req, rc == -EEXIST ? 409 : 400,
                      rc == -EEXIST ? "route_taken" : "bad_image", d->err);
    } else if (rc < 0) {
        gw_log_errno(GW_LOG_WARN, rc, "deploy failed",
                     "request_id=%s function=%s reason=\"%s\"", req->id,
                     d->name, d->err);
        gw_http_error(req, 503, "deploy_failed", d->err);
    } else {
        gw_info("deployed",
                "request_id=%s function=%s version=%lld sha=%.12s "
                "memory_mib=%u timeout_ms=%u",
                req->id, fn->name, (long long)fn->version, fn->sha,
                fn->memory_mib, fn->timeout_ms);
        snprintf(loc, sizeof(loc), API_PREFIX "/%s", fn->name);
        gw_http_add_header(req, "Location", loc);
        j = fn_json(fn->name, fn->version, fn->sha, fn->memory_mib,
                    fn->timeout_ms, fn->created_ms);
        json_object_set_new(j, "config", gw_fnconf_view(d->config, 1));
        reply_json(req, 201, j);
    }
out:
    change_done(gw);
    deploy_free(d);
}

static void deploy_start(struct gw_change *c)
{
    struct deploy *d = (struct deploy *)c;

    if (uv_queue_work(c->gw->loop, &d->work, deploy_work, deploy_after) == 0)
        return;
    gw_http_error(c->req, 503, "host_error", "cannot queue the deploy");
    change_done(c->gw);
    deploy_free(d);
}

static void deploy_drop(struct gw_change *c)
{
    deploy_free((struct deploy *)c);
}

static struct deploy *deploy_new(struct gw *gw, struct gw_http_req *req)
{
    struct deploy *d = calloc(1, sizeof(*d));

    if (!d) {
        gw_http_error(req, 503, "host_error", "out of memory");
        return NULL;
    }
    d->ch.gw = gw;
    d->ch.req = req;
    d->ch.start = deploy_start;
    d->ch.drop = deploy_drop;
    d->work.data = d;
    d->p = (struct deploy_params){GW_MEMORY_DEFAULT, GW_TIMEOUT_DEFAULT, NULL};
    return d;
}

/* PUT /api/v1/functions/NAME with the raw ELF; settings in the query. */
static void deploy_raw(struct gw *gw, struct gw_http_req *req, const char *name)
{
    struct deploy *d = deploy_new(gw, req);
    const char *bad;

    if (!d)
        return;
    d->p.cfg = json_object();
    bad = d->p.cfg ? parse_deploy_query(req->query, &d->p) : "out of memory";
    if (bad) {
        gw_http_error(req, 400, "bad_parameter", bad);
        deploy_free(d);
        return;
    }
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->elf = req->body;
    d->len = req->body_len;
    change_add(gw, &d->ch);
}

/* Copies the members of the version's config from a JSON deploy; they
 * are checked with the rest in deploy_work. */
static const char *json_config_params(json_t *root, struct deploy_params *p)
{
    static const char *const keys[] = {"env", "routes", "max_body",
                                       "concurrency", "triggers"};
    json_t *v;
    size_t i;

    p->cfg = json_object();
    if (!p->cfg)
        return "out of memory";
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if ((v = json_object_get(root, keys[i])))
            json_object_set_new(p->cfg, keys[i], json_deep_copy(v));
    return NULL;
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
    return json_config_params(root, p);
}

/* POST /api/v1/functions with {"name", "image" (base64), settings}. */
static void deploy_json(struct gw *gw, struct gw_http_req *req)
{
    struct deploy *d = deploy_new(gw, req);

    if (!d)
        return;
    d->json = 1;
    change_add(gw, &d->ch);
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

struct ver_walk {
    json_t *arr;
    int with_values; /* env values shown */
};

static int append_version(const struct st_function *f, void *arg)
{
    struct ver_walk *w = arg;
    json_t *j = st_fn_json(f);

    if (!j)
        return -ENOMEM;
    json_object_set_new(j, "config",
                        gw_fnconf_view(f->config_json, w->with_values));
    return json_array_append_new(w->arr, j) ? -ENOMEM : 0;
}

/* Adds "versions" and recent "invocations" of `name` to j. */
static int add_history(struct gw *gw, const char *name, json_t *j,
                       int with_values)
{
    struct inv_walk w = {json_array(), 0};
    struct ver_walk vw = {json_array(), with_values};
    int rc;

    json_object_set_new(j, "versions", vw.arr);
    json_object_set_new(j, "invocations", w.arr);
    gw_invlog_flush(gw->invlog);
    rc = st_function_versions(gw->st, name, append_version, &vw);
    if (rc >= 0)
        rc = st_invocations_recent(gw->st, name, INSPECT_INVOCATIONS,
                                   append_inv, &w);
    return rc;
}

static void inspect_function(struct gw *gw, struct gw_http_req *req,
                             const char *name)
{
    struct gw_fn *fn = gw_registry_find(gw->reg, name);
    int with_values = authorized(gw, req);
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
    if (j)
        json_object_set_new(j, "config",
                            gw_fnconf_view(f.config_json, with_values));
    st_function_clear(&f);
    rc = j ? add_history(gw, name, j, with_values) : -ENOMEM;
    if (rc < 0) {
        json_decref(j);
        reply_store_error(req, rc, "read history");
        return;
    }
    json_object_set_new(j, "loaded", json_boolean(fn && fn->img));
    json_object_set_new(j, "inflight", json_integer(fn ? fn->inflight : 0));
    reply_json(req, 200, j);
}

/* ?version=N, or {"version": N} in the body; 0 for "the one before". */
static const char *rollback_version(struct gw_http_req *req, int64_t *out)
{
    const char *q = req->query, *p = q ? strstr(q, "version=") : NULL;
    json_t *root, *v;
    uint32_t n = 0;

    *out = 0;
    if (p && (p == q || p[-1] == '&')) {
        if (parse_u32(p + 8, strcspn(p + 8, "&"), 1, UINT32_MAX, &n))
            return "version must be a number from 1";
        *out = n;
        return NULL;
    }
    if (req->body_len == 0)
        return NULL;
    root = json_loadb(req->body, req->body_len, 0, NULL);
    v = json_object_get(root, "version");
    if (!json_is_object(root) ||
        (v && (!json_is_integer(v) || json_integer_value(v) < 1))) {
        json_decref(root);
        return "the body must be {\"version\": N}, N from 1";
    }
    *out = v ? (int64_t)json_integer_value(v) : 0;
    json_decref(root);
    return NULL;
}

/* Answers a rollback whose image is loaded (rc 0) or failed to. */
static void rollback_finish(struct gw *gw, struct gw_http_req *req, int rc,
                            char *err, size_t errlen,
                            const struct st_function *sf, struct vmm_image *img)
{
    struct gw_fn *fn;
    json_t *j;

    if (rc == 0)
        rc = gw_registry_activate(gw->reg, sf, img, &fn, err, errlen);
    if (rc == -EEXIST || rc == -EINVAL) {
        gw_http_error(req, 409,
                      rc == -EEXIST ? "route_taken" : "version_unusable", err);
        return;
    }
    if (rc < 0) {
        gw_log_errno(GW_LOG_WARN, rc, "rollback failed",
                     "request_id=%s function=%s reason=\"%s\"", req->id,
                     sf->name, err);
        gw_http_error(req, 503, "rollback_failed", err[0] ? err : NULL);
        return;
    }
    gw_info("activated", "request_id=%s function=%s version=%lld", req->id,
            fn->name, (long long)fn->version);
    j = fn_json(fn->name, fn->version, fn->sha, fn->memory_mib, fn->timeout_ms,
                fn->created_ms);
    json_object_set_new(j, "config", gw_fnconf_view(sf->config_json, 1));
    reply_json(req, 200, j);
}

/* A rollback waits its turn among the changes; the image of a version no
 * function has loaded is read and loaded on the thread pool. */
struct rollback {
    struct gw_change ch; /* first */
    uv_work_t work;
    char name[ST_NAME_MAX + 1];
    int64_t version;
    struct st_function sf;
    struct vmm_image *img;
    int rc;
    char err[160];
};

static void rollback_free(struct rollback *rb)
{
    st_function_clear(&rb->sf);
    free(rb);
}

static void rollback_work(uv_work_t *w)
{
    struct rollback *rb = w->data;
    struct st *st = gw_bg_store(&rb->rc);

    if (!st)
        snprintf(rb->err, sizeof(rb->err), "store: %s", strerror(-rb->rc));
    else
        rb->rc = gw_registry_version_image(rb->ch.gw->vmm, st, &rb->sf,
                                           &rb->img, rb->err, sizeof(rb->err));
}

static void rollback_after(uv_work_t *w, int status)
{
    struct rollback *rb = w->data;
    struct gw *gw = rb->ch.gw;

    rollback_finish(gw, rb->ch.req, status < 0 ? status : rb->rc, rb->err,
                    sizeof(rb->err), &rb->sf, rb->img);
    change_done(gw);
    rollback_free(rb);
}

static void rollback_start(struct gw_change *c)
{
    struct rollback *rb = (struct rollback *)c;
    struct gw_http_req *req = c->req;
    int rc;

    rc = gw_registry_version(c->gw->reg, rb->name, rb->version, &rb->sf,
                             &rb->img, rb->err, sizeof(rb->err));
    if (rc == -ENOENT) {
        gw_http_error(req, 404, rb->err[0] ? "no_older_version" : "not_found",
                      rb->err[0] ? rb->err : "no such function or version");
    } else if (rc < 0) {
        gw_log_errno(GW_LOG_WARN, rc, "rollback failed",
                     "request_id=%s function=%s reason=\"%s\"", req->id,
                     rb->name, rb->err);
        gw_http_error(req, 503, "rollback_failed", rb->err[0] ? rb->err : NULL);
    } else if (rb->img) {
        rollback_finish(c->gw, req, 0, rb->err, sizeof(rb->err), &rb->sf,
                        rb->img);
    } else if (uv_queue_work(c->gw->loop, &rb->work, rollback_work,
                             rollback_after) == 0) {
        return;
    } else {
        gw_http_error(req, 503, "host_error", "cannot queue the rollback");
    }
    change_done(c->gw);
    rollback_free(rb);
}

static void rollback_drop(struct gw_change *c)
{
    rollback_free((struct rollback *)c);
}

static void rollback_function(struct gw *gw, struct gw_http_req *req,
                              const char *name)
{
    struct rollback *rb;
    const char *bad;
    int64_t version;

    bad = rollback_version(req, &version);
    if (bad) {
        gw_http_error(req, 400, "bad_parameter", bad);
        return;
    }
    rb = calloc(1, sizeof(*rb));
    if (!rb) {
        gw_http_error(req, 503, "host_error", "out of memory");
        return;
    }
    rb->ch = (struct gw_change){NULL, gw, req, rollback_start, rollback_drop};
    rb->work.data = rb;
    snprintf(rb->name, sizeof(rb->name), "%s", name);
    rb->version = version;
    change_add(gw, &rb->ch);
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

struct removal {
    struct gw_change ch; /* first */
    char name[ST_NAME_MAX + 1];
};

static void removal_start(struct gw_change *c)
{
    struct removal *r = (struct removal *)c;
    int rc = gw_registry_remove(c->gw->reg, r->name);

    if (rc == -ENOENT) {
        gw_http_error(c->req, 404, "unknown_function", "no such function");
    } else if (rc < 0) {
        reply_store_error(c->req, rc, "delete function");
    } else {
        gw_info("deleted", "request_id=%s function=%s", c->req->id, r->name);
        reply_json(c->req, 200, json_pack("{s:s}", "deleted", r->name));
    }
    change_done(c->gw);
    free(r);
}

static void removal_drop(struct gw_change *c)
{
    free(c);
}

static void delete_function(struct gw *gw, struct gw_http_req *req,
                            const char *name)
{
    struct removal *r = calloc(1, sizeof(*r));

    if (!r) {
        gw_http_error(req, 503, "host_error", "out of memory");
        return;
    }
    r->ch = (struct gw_change){NULL, gw, req, removal_start, removal_drop};
    snprintf(r->name, sizeof(r->name), "%s", name);
    change_add(gw, &r->ch);
}

/* ---- Routing ------------------------------------------------------------ */

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

    /* Every method but the safe ones needs the token, known or not. */
    if (!is_read(req) && req->method_id != HTTP_OPTIONS &&
        !authorized(gw, req)) {
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
    if (strcmp(rest, "/rollback") == 0) {
        if (req->method_id == HTTP_POST)
            rollback_function(gw, req, name);
        else
            reply_method(req, "POST");
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
    gw_invoke(gw, req, gw_registry_find(gw->reg, name));
}

/* A custom route (fnconf.h), else 405 or 404. */
static void route_custom(struct gw *gw, struct gw_http_req *req)
{
    struct gw_buf allow = {0};
    struct gw_fn *fn;

    fn = gw_registry_route(gw->reg, req->method, req->path, &allow);
    if (fn) {
        gw_invoke(gw, req, fn);
    } else if (allow.len && !allow.err) {
        gw_http_add_header(req, "Allow", allow.data);
        gw_http_error(req, 405, NULL, "method not allowed here");
    } else {
        gw_http_error(req, 404, NULL, "no such route");
    }
    gw_buf_free(&allow);
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
    gw_dispatch_inline_stats(gw->dispatch, &g.inline_answered,
                             &g.inline_handed);
    g.body_bytes = gw->bodies.used;
    g.connections = gw->http ? gw_http_conns(gw->http) : 0;
    if (gw->admin_http)
        g.connections += gw_http_conns(gw->admin_http);
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

static int is_admin_path(const char *path)
{
    return strcmp(path, "/metrics") == 0 || strncmp(path, "/api/", 5) == 0 ||
           strncmp(path, "/hooks/", 7) == 0;
}

/* Webhooks change state (they run functions): the admin token, always. */
static void route_hook(struct gw *gw, struct gw_http_req *req)
{
    if (!authorized(gw, req)) {
        gw_http_add_header(req, "WWW-Authenticate", "Bearer");
        gw_http_error(req, 401, NULL, "webhooks need a valid admin token");
        return;
    }
    if (strcmp(req->path, "/hooks/s3") == 0)
        gw_hook_s3(gw, req);
    else
        gw_http_error(req, 404, NULL, "no such route");
}

void gw_api_request(struct gw_http_req *req, void *arg)
{
    struct gw_listener *l = arg;
    struct gw *gw = l->gw;
    const char *path = req->path;

    set_request_id(gw, req);
    gw_http_add_header(req, "X-Request-Id", req->id);
    if (strcmp(path, "/healthz") == 0)
        route_simple(gw, req, healthz);
    else if (strcmp(path, "*") == 0 && req->method_id == HTTP_OPTIONS)
        reply_options(req, "GET, HEAD, POST, PUT, DELETE, OPTIONS");
    else if (!(l->serves & GW_SERVE_ADMIN) && is_admin_path(path))
        gw_http_error(req, 404, NULL, "no such route");
    else if (strcmp(path, "/metrics") == 0)
        route_simple(gw, req, metrics);
    else if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) == 0)
        route_admin(gw, req);
    else if (strcmp(path, "/api/v1/invocations") == 0 ||
             strncmp(path, "/api/v1/events", 14) == 0)
        gw_api_events(gw, req);
    else if (strncmp(path, "/hooks/", 7) == 0)
        route_hook(gw, req);
    else if (!(l->serves & GW_SERVE_FUNCTIONS))
        gw_http_error(req, 404, NULL, "no such route");
    else if (strncmp(path, "/fn/", 4) == 0)
        route_fn(gw, req);
    else
        route_custom(gw, req);
}

/* Turns away a change to the admin API without the token before its body
 * (an image of up to --max-image) is read. */
int gw_api_screen(struct gw_http_req *req, void *arg, const char **code,
                  const char **detail)
{
    struct gw_listener *l = arg;

    if (!(l->serves & GW_SERVE_ADMIN) || strncmp(req->path, "/api/", 5) != 0)
        return 0;
    if (is_read(req) || req->method_id == HTTP_OPTIONS ||
        authorized(l->gw, req))
        return 0;
    gw_http_add_header(req, "WWW-Authenticate", "Bearer");
    *code = "unauthorized";
    *detail = "changes need a valid admin token";
    return 401;
}

/* The function a request is for, if any: /fn/NAME or a custom route. */
static struct gw_fn *target_fn(struct gw *gw, const struct gw_http_req *req)
{
    char name[ST_NAME_MAX + 1];

    if (strncmp(req->path, "/fn/", 4) != 0)
        return gw_registry_route(gw->reg, req->method, req->path, NULL);
    if (!take_segment(req->path + 4, name))
        return NULL;
    return gw_registry_find(gw->reg, name);
}

size_t gw_api_body_limit(const struct gw_http_req *req, void *arg)
{
    struct gw_listener *l = arg;
    struct gw *gw = l->gw;
    struct gw_fn *fn;

    /* Only deploys (PUT, POST: the token was checked in the screen) carry
     * images; reads need no token, so they get no room for one. */
    if (strncmp(req->path, "/api/", 5) == 0)
        return (l->serves & GW_SERVE_ADMIN) && (req->method_id == HTTP_PUT ||
                                                req->method_id == HTTP_POST)
                   ? gw->cfg.max_image
                   : 64u << 10;
    if (strncmp(req->path, "/hooks/", 7) == 0)
        return (l->serves & GW_SERVE_ADMIN) ? 1u << 20 : 64u << 10;
    if (!(l->serves & GW_SERVE_FUNCTIONS) || strcmp(req->path, "/healthz") == 0)
        return 64u << 10;
    fn = target_fn(gw, req);
    if (fn && fn->conf->max_body && fn->conf->max_body < gw->cfg.max_body)
        return (size_t)fn->conf->max_body;
    if (fn || strncmp(req->path, "/fn/", 4) == 0)
        return gw->cfg.max_body;
    return 64u << 10;
}
