/* api_events.c: the admin API of triggers: invocations, events, redrive.
 *
 *   GET  /api/v1/invocations?function=NAME[&limit=N]
 *        recent invocations, newest first, each with its trigger
 *        ({"kind": "object", "bucket", "key", "event", ...} or HTTP)
 *   GET  /api/v1/events?state=failed|pending|running[&function=NAME]
 *        [&limit=N]   the event queue; "failed" lists the dead letters
 *   POST /api/v1/events/redrive[?id=N][&function=NAME]
 *        dead letters (all, one, or one function's) go back to the queue
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <llhttp.h>

#include "gateway/events.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/url.h"
#include "store/objects.h"

#define LIST_DEFAULT 20
#define LIST_MAX 1000

/* Copies the decoded value of query parameter `name` into out; returns 1
 * if present, 0 if not, -1 if it does not fit. */
static int param(const char *q, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name), len;
    const char *p;
    char *v;

    for (p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
            continue;
        p += nlen + 1;
        v = gw_url_decode(p, strcspn(p, "&"), GW_URL_PLUS, &len);
        if (!v || len >= size) {
            free(v);
            return -1;
        }
        memcpy(out, v, len + 1);
        free(v);
        return 1;
    }
    return 0;
}

static int limit_of(const char *q)
{
    char v[16];
    long n;

    if (param(q, "limit", v, sizeof(v)) <= 0)
        return LIST_DEFAULT;
    n = strtol(v, NULL, 10);
    return n < 1 ? LIST_DEFAULT : n > LIST_MAX ? LIST_MAX : (int)n;
}

static void reply(struct gw_http_req *req, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    if (!s) {
        gw_http_error(req, 503, "host_error", "out of memory");
        return;
    }
    gw_http_add_header(req, "Content-Type", "application/json");
    gw_http_respond(req, status, s, strlen(s), free, s);
}

static void store_failed(struct gw_http_req *req, int rc, const char *what)
{
    gw_log_errno(GW_LOG_WARN, rc, "store failed", "request_id=%s op=%s",
                 req->id, what);
    gw_http_error(req, 503, "store_error", strerror(-rc));
}

/* ---- Invocations -------------------------------------------------------- */

static double ms(uint64_t ns)
{
    return (double)(ns / 1000) / 1000.0;
}

static int add_invocation(const struct st_invocation *v, void *arg)
{
    json_t *trig =
        v->trigger_json ? json_loads(v->trigger_json, 0, NULL) : NULL;
    json_t *j;

    j = json_pack("{s:s, s:s, s:I, s:I, s:i, s:o, s:o, s:o, s:f, s:f, s:f}",
                  "request_id", v->request_id, "function", v->function,
                  "version", (json_int_t)v->version, "started_ms",
                  (json_int_t)v->started_ms, "status", v->status, "error",
                  v->error ? json_string(v->error) : json_null(), "trigger",
                  trig ? trig : json_null(), "log",
                  v->log ? json_string(v->log) : json_null(), "boot_ms",
                  ms(v->t_load + v->t_enter + v->t_start), "run_ms",
                  ms(v->t_run), "total_ms", ms(v->t_total));
    return j && json_array_append_new(arg, j) == 0 ? 0 : -ENOMEM;
}

static void list_invocations(struct gw *gw, struct gw_http_req *req)
{
    char fn[ST_NAME_MAX + 1];
    json_t *arr = json_array();
    int has = param(req->query, "function", fn, sizeof(fn)), rc;

    if (has < 0) {
        json_decref(arr);
        gw_http_error(req, 400, "bad_parameter", "function name too long");
        return;
    }
    gw_invlog_flush(gw->invlog);
    rc = st_invocations_recent(gw->st, has ? fn : NULL, limit_of(req->query),
                               add_invocation, arr);
    if (rc < 0) {
        json_decref(arr);
        store_failed(req, rc, "read invocations");
        return;
    }
    reply(req, 200, json_pack("{s:o}", "invocations", arr));
}

/* ---- Events ------------------------------------------------------------- */

static const char *const state_names[] = {"pending", "running", "failed"};

static int add_event(const struct st_event *e, void *arg)
{
    json_t *j;

    j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:i, s:I, s:I, s:o}",
                  "id", (json_int_t)e->id, "function", e->function, "event",
                  e->name, "bucket", e->bucket, "key", e->key, "size",
                  (json_int_t)e->size, "state", state_names[e->state],
                  "attempts", e->attempts, "time_ms", (json_int_t)e->time_ms,
                  "due_ms", (json_int_t)e->due_ms, "last_error",
                  e->last_error ? json_string(e->last_error) : json_null());
    return j && json_array_append_new(arg, j) == 0 ? 0 : -ENOMEM;
}

static int state_of(const char *q, enum st_event_state *st)
{
    char v[16];
    int i;

    if (param(q, "state", v, sizeof(v)) <= 0) {
        *st = ST_EVENT_DEAD;
        return 0;
    }
    for (i = 0; i < 3; i++)
        if (strcmp(v, state_names[i]) == 0) {
            *st = (enum st_event_state)i;
            return 0;
        }
    if (strcmp(v, "dead") == 0) {
        *st = ST_EVENT_DEAD;
        return 0;
    }
    return -1;
}

static void list_events(struct gw *gw, struct gw_http_req *req)
{
    char fn[ST_NAME_MAX + 1];
    enum st_event_state state;
    json_t *arr;
    int has = param(req->query, "function", fn, sizeof(fn)), rc;

    if (has < 0 || state_of(req->query, &state) < 0) {
        gw_http_error(req, 400, "bad_parameter",
                      "state is failed, pending or running");
        return;
    }
    arr = json_array();
    rc = st_events_list(gw->st, state, has ? fn : NULL, limit_of(req->query),
                        add_event, arr);
    if (rc < 0) {
        json_decref(arr);
        store_failed(req, rc, "list events");
        return;
    }
    reply(req, 200, json_pack("{s:o}", "events", arr));
}

static void redrive(struct gw *gw, struct gw_http_req *req)
{
    char fn[ST_NAME_MAX + 1], idv[24];
    struct timespec ts;
    long long id = 0;
    int has_fn = param(req->query, "function", fn, sizeof(fn)), rc;

    if (param(req->query, "id", idv, sizeof(idv)) > 0 &&
        sscanf(idv, "%lld", &id) != 1)
        id = -1;
    if (has_fn < 0 || id < 0) {
        gw_http_error(req, 400, "bad_parameter", "id is a number");
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    rc = st_events_redrive(gw->st, id, has_fn ? fn : NULL,
                           (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    if (rc < 0) {
        store_failed(req, rc, "redrive");
        return;
    }
    gw_info("events redriven", "request_id=%s count=%d", req->id, rc);
    if (rc > 0 && gw->events)
        gw_events_kick(gw->events);
    reply(req, 200, json_pack("{s:i}", "redriven", rc));
}

void gw_api_events(struct gw *gw, struct gw_http_req *req)
{
    int read = req->method_id == HTTP_GET || req->method_id == HTTP_HEAD;

    if (strcmp(req->path, "/api/v1/invocations") == 0 && read)
        list_invocations(gw, req);
    else if (strcmp(req->path, "/api/v1/events") == 0 && read)
        list_events(gw, req);
    else if (strcmp(req->path, "/api/v1/events/redrive") == 0 &&
             req->method_id == HTTP_POST)
        redrive(gw, req);
    else if (strcmp(req->path, "/api/v1/invocations") == 0 ||
             strcmp(req->path, "/api/v1/events") == 0 ||
             strcmp(req->path, "/api/v1/events/redrive") == 0)
        gw_http_error(req, 405, NULL, "method not allowed here");
    else
        gw_http_error(req, 404, NULL, "no such route");
}
