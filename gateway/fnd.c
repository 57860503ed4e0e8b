/* fnd.c: the Mayfly daemon: HTTP in, one fresh VM per invocation, HTTP out.
 *
 * Start-up order: parse flags; open the store, the VMM and the function
 * registry (images loaded); start the workers; start the object store (S3
 * listener, event delivery: objstore.c); listen; serve. On SIGTERM or
 * SIGINT: stop accepting, let invocations in flight finish (bounded by
 * --drain), answer them, flush the invocation log, release everything in
 * reverse order and exit 0. A second signal cuts the wait short.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/buf.h"
#include "gateway/gw.h"
#include "gateway/log.h"

#define DRAIN_TICK_MS 20

struct daemon {
    struct gw gw;
    uv_loop_t loop;
    uv_signal_t sigterm, sigint;
    uv_timer_t drain;
    uint64_t drain_deadline;
    int cancelled; /* queued invocations dropped at the deadline */
    int abandoned; /* gave up waiting for running invocations */
};

static const char usage_text[] =
    "usage: fnd [options]\n"
    "\n"
    "Serves functions over HTTP; every invocation boots a fresh VM.\n"
    "\n"
    "  --listen ADDR:PORT  address to serve on (127.0.0.1:8080)\n"
    "  --admin-listen ADDR:PORT\n"
    "                      serve the admin API and /metrics here, and only\n"
    "                      functions on --listen; the default when --listen\n"
    "                      is not a loopback address is 127.0.0.1:8081\n"
    "  --data DIR          data folder ($MAYFLY_DATA, else ./mayfly-data)\n"
    "  --workers N         vCPU worker threads (number of cores)\n"
    "  --queue N           invocations that may wait for a worker (256);\n"
    "                      past that, requests get 429\n"
    "  --pool N            blank VMs kept ready (the VMM's default)\n"
    "  --max-body BYTES    largest function request body (6291456); a\n"
    "                      function's own limit (deploy --max-body) may\n"
    "                      only be lower\n"
    "  --max-conns N       open connections per listener (4096); past it,\n"
    "                      new ones are closed at once\n"
    "  --body-memory BYTES memory that request and response bodies may\n"
    "                      hold at once, over every listener (536870912);\n"
    "                      a body past it gets 503, and so do invocations\n"
    "                      while unread answers hold half of it\n"
    "  --header-timeout S  a request's line and headers must arrive\n"
    "                      within S seconds (10), else 408\n"
    "  --body-timeout S    longest silence while a body arrives (30); the\n"
    "                      whole body must come at 64 KiB/s or faster,\n"
    "                      and may always take S seconds\n"
    "  --drain SECONDS     at shutdown, wait this long for invocations\n"
    "                      in flight (10)\n"
    "  --token TOKEN       admin changes need 'Authorization: Bearer\n"
    "                      TOKEN' ($MAYFLY_TOKEN); without it fnd makes\n"
    "                      a token on first start and keeps it in\n"
    "                      DIR/admin.token (mode 0600), where fnctl finds\n"
    "                      it\n"
    "  --functions DIR     deploy each DIR/NAME.elf as function NAME at\n"
    "                      start, unless that image is already active\n"
    "  --s3-listen ADDR:PORT\n"
    "                      the S3 API of the built-in object store\n"
    "                      (127.0.0.1:9000; off: none); keys in\n"
    "                      DATA/s3-credentials\n"
    "  --s3-domain NAME    also take virtual-hosted-style requests: Host\n"
    "                      BUCKET.NAME[:PORT] names the bucket (none:\n"
    "                      path style only, http://HOST:PORT/BUCKET/KEY)\n"
    "  --s3-max-object BYTES\n"
    "                      largest object one PUT may carry (67108864)\n"
    "  --event-retries N   deliveries of an object event before it becomes\n"
    "                      a dead letter (5)\n"
    "  --event-backoff MS  wait before the first retry, doubling (1000)\n"
    "  --event-inflight N  object events delivered at once (8)\n"
    "  --log-level LEVEL   error, warn, info (default) or debug\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 after SIGTERM or SIGINT, 1 if it cannot start, 2 on\n"
    "bad usage.\n";

/* Splits "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" into host (64 bytes)
 * and *port. Returns 0 or -1. */
static int parse_addr(const char *s, char *host, int *port_out)
{
    const char *colon = strrchr(s, ':');
    size_t alen;
    char *end;
    long port;

    if (!colon)
        return -1;
    port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return -1;
    alen = (size_t)(colon - s);
    if (alen >= 2 && s[0] == '[' && s[alen - 1] == ']') {
        s++;
        alen -= 2;
    }
    if (alen >= 64)
        return -1;
    if (alen == 0)
        snprintf(host, 64, "0.0.0.0");
    else
        snprintf(host, 64, "%.*s", (int)alen, s);
    *port_out = (int)port;
    return 0;
}

/* 127.0.0.0/8 and ::1. */
static int is_loopback(const char *host)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int parse_uint(const char *s, unsigned long long max,
                      unsigned long long *out)
{
    char *end;

    errno = 0;
    *out = strtoull(s, &end, 10);
    return (errno || end == s || *end || *out > max || s[0] == '-') ? -1 : 0;
}

static void config_defaults(struct gw_config *cfg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *data = getenv("MAYFLY_DATA");
    const char *token = getenv("MAYFLY_TOKEN");

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->host, sizeof(cfg->host), "127.0.0.1");
    cfg->port = 8080;
    cfg->data = data && *data ? data : "./mayfly-data";
    cfg->workers = cores > 0 ? (unsigned)cores : 1;
    cfg->queue = 256;
    cfg->max_body = 6u << 20;
    cfg->max_image = 64u << 20;
    cfg->body_memory = 512u << 20;
    cfg->max_conns = 4096;
    cfg->drain_ms = 10000;
    cfg->token = token && *token ? token : NULL;
    snprintf(cfg->s3_host, sizeof(cfg->s3_host), "127.0.0.1");
    cfg->s3_port = 9000;
    cfg->s3_max_object = 64u << 20;
    cfg->event_retries = 5;
    cfg->event_backoff_ms = 1000;
    cfg->event_inflight = 8;
}

enum {
    OPT_LISTEN = 256,
    OPT_ADMIN_LISTEN,
    OPT_HEADER_TIMEOUT,
    OPT_BODY_TIMEOUT,
    OPT_DATA,
    OPT_WORKERS,
    OPT_QUEUE,
    OPT_POOL,
    OPT_MAX_BODY,
    OPT_BODY_MEMORY,
    OPT_MAX_CONNS,
    OPT_DRAIN,
    OPT_TOKEN,
    OPT_LOG_LEVEL,
    OPT_FUNCTIONS,
    OPT_S3_LISTEN,
    OPT_S3_DOMAIN,
    OPT_S3_MAX_OBJECT,
    OPT_EVENT_RETRIES,
    OPT_EVENT_BACKOFF,
    OPT_EVENT_INFLIGHT,
    OPT_HELP,
};

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"admin-listen", required_argument, NULL, OPT_ADMIN_LISTEN},
    {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
    {"body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT},
    {"data", required_argument, NULL, OPT_DATA},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"pool", required_argument, NULL, OPT_POOL},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"body-memory", required_argument, NULL, OPT_BODY_MEMORY},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"functions", required_argument, NULL, OPT_FUNCTIONS},
    {"s3-listen", required_argument, NULL, OPT_S3_LISTEN},
    {"s3-domain", required_argument, NULL, OPT_S3_DOMAIN},
    {"s3-max-object", required_argument, NULL, OPT_S3_MAX_OBJECT},
    {"event-retries", required_argument, NULL, OPT_EVENT_RETRIES},
    {"event-backoff", required_argument, NULL, OPT_EVENT_BACKOFF},
    {"event-inflight", required_argument, NULL, OPT_EVENT_INFLIGHT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* A host name: labels of letters, digits and '-' joined by single dots,
 * at most 253 characters. */
static int is_host_name(const char *s)
{
    size_t n = strlen(s), i;

    if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return 0;
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
            return 0;
    }
    return 1;
}

/* The object store's options; returns 0, or -1 with a message printed. */
static int apply_objstore_option(int opt, const char *arg,
                                 struct gw_config *cfg)
{
    unsigned long long v;

    if (opt == OPT_S3_DOMAIN) {
        if (is_host_name(arg)) {
            cfg->s3_domain = arg;
            return 0;
        }
        fprintf(stderr, "fnd: --s3-domain wants a host name, got '%s'\n", arg);
        return -1;
    }

    if (opt == OPT_S3_LISTEN) {
        if (strcmp(arg, "off") == 0) {
            cfg->s3_port = 0;
            return 0;
        }
        if (parse_addr(arg, cfg->s3_host, &cfg->s3_port) == 0)
            return 0;
        fprintf(stderr, "fnd: --s3-listen wants ADDR:PORT, got '%s'\n", arg);
        return -1;
    }
    if (parse_uint(arg, opt == OPT_S3_MAX_OBJECT ? 1ull << 32 : 3600000, &v) ||
        v == 0) {
        fprintf(stderr, "fnd: bad number '%s'\n", arg);
        return -1;
    }
    if (opt == OPT_S3_MAX_OBJECT)
        cfg->s3_max_object = (size_t)v;
    else if (opt == OPT_EVENT_RETRIES)
        cfg->event_retries = (unsigned)v;
    else if (opt == OPT_EVENT_BACKOFF)
        cfg->event_backoff_ms = (unsigned)v;
    else
        cfg->event_inflight = (unsigned)v;
    return 0;
}

/* Applies one option; returns 0, or -1 with a message printed. */
static int apply_option(int opt, const char *arg, struct gw_config *cfg)
{
    unsigned long long v;
    int level;

    switch (opt) {
    case OPT_LISTEN:
    case OPT_ADMIN_LISTEN:
        if (opt == OPT_LISTEN
                ? parse_addr(arg, cfg->host, &cfg->port) == 0
                : parse_addr(arg, cfg->admin_host, &cfg->admin_port) == 0)
            return 0;
        fprintf(stderr, "fnd: --%s wants ADDR:PORT, got '%s'\n",
                opt == OPT_LISTEN ? "listen" : "admin-listen", arg);
        return -1;
    case OPT_HEADER_TIMEOUT:
    case OPT_BODY_TIMEOUT:
        if (parse_uint(arg, 3600, &v) || v == 0) {
            fprintf(stderr, "fnd: bad timeout '%s' (seconds, 1..3600)\n", arg);
            return -1;
        }
        if (opt == OPT_HEADER_TIMEOUT)
            cfg->header_timeout_ms = (unsigned)v * 1000;
        else
            cfg->body_timeout_ms = (unsigned)v * 1000;
        return 0;
    case OPT_DATA: cfg->data = arg; return 0;
    case OPT_WORKERS:
    case OPT_QUEUE:
    case OPT_POOL:
    case OPT_DRAIN:
        if (parse_uint(arg, 100000, &v) ||
            (v == 0 && opt != OPT_POOL && opt != OPT_DRAIN)) {
            fprintf(stderr, "fnd: bad number '%s'\n", arg);
            return -1;
        }
        if (opt == OPT_WORKERS)
            cfg->workers = (unsigned)v;
        else if (opt == OPT_QUEUE)
            cfg->queue = (unsigned)v;
        else if (opt == OPT_POOL)
            cfg->pool = (unsigned)v;
        else
            cfg->drain_ms = (unsigned)v * 1000;
        return 0;
    case OPT_MAX_BODY:
        if (parse_uint(arg, 1ull << 30, &v) || v == 0) {
            fprintf(stderr, "fnd: bad --max-body '%s'\n", arg);
            return -1;
        }
        cfg->max_body = (size_t)v;
        return 0;
    case OPT_MAX_CONNS:
        if (parse_uint(arg, 1u << 20, &v) || v == 0) {
            fprintf(stderr, "fnd: bad --max-conns '%s'\n", arg);
            return -1;
        }
        cfg->max_conns = (unsigned)v;
        return 0;
    case OPT_BODY_MEMORY:
        if (parse_uint(arg, 1ull << 40, &v) || v < (1u << 20)) {
            fprintf(stderr, "fnd: bad --body-memory '%s' (at least 1 MiB)\n",
                    arg);
            return -1;
        }
        cfg->body_memory = (size_t)v;
        return 0;
    case OPT_TOKEN: cfg->token = *arg ? arg : NULL; return 0;
    case OPT_FUNCTIONS: cfg->functions = arg; return 0;
    case OPT_LOG_LEVEL:
        level = gw_log_parse_level(arg);
        if (level < 0) {
            fprintf(stderr, "fnd: unknown log level '%s'\n", arg);
            return -1;
        }
        gw_log_set_level((enum gw_log_level)level);
        return 0;
    case OPT_S3_LISTEN:
    case OPT_S3_DOMAIN:
    case OPT_S3_MAX_OBJECT:
    case OPT_EVENT_RETRIES:
    case OPT_EVENT_BACKOFF:
    case OPT_EVENT_INFLIGHT: return apply_objstore_option(opt, arg, cfg);
    default: return -1;
    }
}

/* Returns 0 to go on, 1 to exit 0 (help), -1 to exit 2. */
static int parse_args(int argc, char **argv, struct gw_config *cfg)
{
    int opt;

    config_defaults(cfg);
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h' || opt == OPT_HELP) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (opt == '?' || apply_option(opt, optarg, cfg)) {
            fprintf(stderr, "fnd: try 'fnd --help'\n");
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fnd: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    /* The admin API stays on loopback unless asked for elsewhere. */
    if (!cfg->admin_port && !is_loopback(cfg->host)) {
        snprintf(cfg->admin_host, sizeof(cfg->admin_host), "127.0.0.1");
        cfg->admin_port = 8081;
    }
    return 0;
}

/* ---- Shutdown ----------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
}

/* Everything has drained: close what keeps the loop alive. */
static void stop_loop(struct daemon *d)
{
    uv_timer_stop(&d->drain);
    uv_close((uv_handle_t *)&d->drain, on_handle_closed);
    uv_close((uv_handle_t *)&d->sigterm, on_handle_closed);
    uv_close((uv_handle_t *)&d->sigint, on_handle_closed);
    gw_objstore_close_loop(&d->gw);
    gw_invlog_close(d->gw.invlog);
    d->gw.invlog = NULL;
    gw_dispatch_close(d->gw.dispatch);
    d->gw.dispatch = NULL;
}

static void give_up(struct daemon *d)
{
    unsigned running = gw_dispatch_running(d->gw.dispatch);

    gw_warn("abandoning invocations", "running=%u changes=%u", running,
            gw_api_changes(&d->gw));
    d->abandoned = 1;
    uv_stop(&d->loop);
}

static void on_drain_tick(uv_timer_t *t)
{
    struct daemon *d = t->data;

    if (gw_dispatch_pending(d->gw.dispatch) == 0 && !d->gw.http &&
        !d->gw.admin_http && !d->gw.s3) {
        stop_loop(d);
        return;
    }
    if (uv_now(&d->loop) < d->drain_deadline)
        return;
    if (!d->cancelled) {
        /* Queued work is answered 503 now; running work gets one more
         * deadline of its own, then the process leaves without it. */
        d->cancelled = 1;
        gw_dispatch_cancel_queued(d->gw.dispatch);
        gw_api_changes_cancel(&d->gw);
        d->drain_deadline = uv_now(&d->loop) + 2000;
        return;
    }
    give_up(d);
}

static void on_http_closed(void *arg)
{
    struct daemon *d = arg;

    d->gw.http = NULL;
}

static void on_admin_http_closed(void *arg)
{
    struct daemon *d = arg;

    d->gw.admin_http = NULL;
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct daemon *d = s->data;

    if (d->gw.stopping) {
        gw_warn("second signal: not waiting any longer", "signal=%d", signum);
        d->drain_deadline = 0;
        d->cancelled = 1;
        gw_dispatch_cancel_queued(d->gw.dispatch);
        gw_api_changes_cancel(&d->gw);
        return;
    }
    d->gw.stopping = 1;
    gw_info("stopping", "signal=%s pending=%u changes=%u",
            signum == SIGTERM ? "SIGTERM" : "SIGINT",
            gw_dispatch_pending(d->gw.dispatch), gw_api_changes(&d->gw));
    gw_dispatch_quiesce(d->gw.dispatch);
    gw_objstore_quiesce(&d->gw);
    gw_http_close(d->gw.http, on_http_closed, d);
    if (d->gw.admin_http)
        gw_http_close(d->gw.admin_http, on_admin_http_closed, d);
    d->drain_deadline = uv_now(&d->loop) + d->gw.cfg.drain_ms;
    uv_timer_start(&d->drain, on_drain_tick, 0, DRAIN_TICK_MS);
}

/* ---- Start-up ----------------------------------------------------------- */

static int open_vmm(struct gw *gw)
{
    struct vmm_config vc = {.pool_size = gw->cfg.pool};
    char err[256] = "";
    int rc;

    rc = vmm_open(&gw->vmm, &vc, err, sizeof(err));
    if (rc < 0)
        gw_log_errno(GW_LOG_ERROR, rc, "cannot start the VMM", "reason=\"%s\"",
                     err);
    return rc;
}

static int open_registry(struct gw *gw)
{
    int rc;

    rc = gw_registry_open(&gw->reg, gw->st, gw->vmm);
    if (rc == 0)
        rc = gw_registry_load(gw->reg);
    if (rc < 0)
        gw_log_errno(GW_LOG_ERROR, rc, "cannot read functions", "data=%s",
                     gw->cfg.data);
    else
        gw_debug("functions loaded", "count=%d", rc);
    return rc < 0 ? rc : 0;
}

/* Deploys DIR/NAME.elf as NAME unless the active version already runs
 * that exact image; a redeploy makes a new version. */
static void deploy_file(struct gw *gw, const char *dir, const char *file)
{
    char path[4096], name[ST_NAME_MAX + 1], err[256] = "";
    size_t n = strlen(file) - 4, cur_len = 0;
    struct gw_buf elf = {0};
    void *cur = NULL;
    struct gw_fn *fn;
    int rc;

    memcpy(name, file, n);
    name[n] = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    rc = gw_buf_read_file(&elf, path, gw->cfg.max_image);
    fn = gw_registry_find(gw->reg, name);
    if (rc == 0 && fn && st_image_get(gw->st, fn->sha, &cur, &cur_len) == 0 &&
        cur_len == elf.len && memcmp(cur, elf.data, elf.len) == 0) {
        free(cur);
        gw_buf_free(&elf);
        return;
    }
    free(cur);
    if (rc == 0)
        rc = gw_registry_deploy(gw->reg, name, elf.data, elf.len,
                                GW_MEMORY_DEFAULT, GW_TIMEOUT_DEFAULT, NULL,
                                &fn, err, sizeof(err));
    if (rc < 0)
        gw_log_errno(GW_LOG_WARN, rc, "cannot deploy", "path=%s reason=\"%s\"",
                     path, err);
    else
        gw_info("deployed", "function=%s version=%lld path=%s", name,
                (long long)fn->version, path);
    gw_buf_free(&elf);
}

static int deploy_dir(struct gw *gw, const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);

    if (n < 0) {
        gw_log_errno(GW_LOG_ERROR, -errno, "cannot read --functions", "dir=%s",
                     dir);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);

        if (len > 4 && len - 4 <= ST_NAME_MAX &&
            strcmp(names[i]->d_name + len - 4, ".elf") == 0)
            deploy_file(gw, dir, names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return 0;
}

static int open_services(struct gw *gw)
{
    int rc;

    rc = gw_metrics_open(&gw->metrics);
    if (rc == 0)
        rc = gw_invlog_open(&gw->invlog, gw->loop, gw->st, 256, 100);
    if (rc == 0)
        rc = gw_dispatch_open(&gw->dispatch, gw->loop, gw->vmm, gw->cfg.workers,
                              gw->cfg.queue);
    if (rc < 0)
        gw_log_errno(GW_LOG_ERROR, rc, "cannot start workers", "workers=%u",
                     gw->cfg.workers);
    return rc;
}

static int listen_one(struct gw *gw, struct gw_listener *l, const char *host,
                      int port, struct gw_http_server **out)
{
    struct gw_http_config hc = {0};
    int rc;

    hc.max_body = gw->cfg.max_body;
    hc.header_timeout_ms = gw->cfg.header_timeout_ms;
    hc.body_timeout_ms = gw->cfg.body_timeout_ms;
    hc.on_request = gw_api_request;
    hc.screen = gw_api_screen;
    hc.body_limit = gw_api_body_limit;
    hc.budget = &gw->bodies;
    hc.max_conns = gw->cfg.max_conns;
    hc.arg = l;
    rc = gw_http_listen(gw->loop, host, port, &hc, out);
    if (rc < 0)
        gw_error("cannot listen", "listen=%s:%d error=\"%s\"", host, port,
                 uv_strerror(rc));
    return rc;
}

/* The main listener, and the admin one when it is apart (see gw.h). */
static int open_http(struct gw *gw)
{
    const struct gw_config *c = &gw->cfg;
    int rc;

    gw->main_l = (struct gw_listener){gw, GW_SERVE_FUNCTIONS};
    gw->admin_l = (struct gw_listener){gw, GW_SERVE_ADMIN};
    if (!c->admin_port)
        gw->main_l.serves |= GW_SERVE_ADMIN;
    rc = listen_one(gw, &gw->main_l, c->host, c->port, &gw->http);
    if (rc == 0 && c->admin_port)
        rc = listen_one(gw, &gw->admin_l, c->admin_host, c->admin_port,
                        &gw->admin_http);
    if (rc == 0 && c->admin_port && !is_loopback(c->admin_host))
        gw_warn("admin API not on loopback", "admin_listen=%s:%d",
                c->admin_host, c->admin_port);
    return rc;
}

/* The token given by flag or environment, else the data folder's own,
 * made on first start. */
static int open_token(struct gw_config *cfg)
{
    int rc;

    if (cfg->token) {
        if (gw_token_valid(cfg->token))
            return 0;
        gw_error("bad admin token", "reason=\"16 to 256 visible ASCII "
                                    "characters\"");
        return -EINVAL;
    }
    rc = gw_token_ensure(cfg->data, cfg->token_buf);
    if (rc == -EPERM)
        gw_error("admin token file readable by others",
                 "path=%s/%s fix=\"chmod 600\"", cfg->data, GW_TOKEN_FILE);
    else if (rc < 0)
        gw_log_errno(GW_LOG_ERROR, rc, "cannot read or make the admin token",
                     "path=%s/%s", cfg->data, GW_TOKEN_FILE);
    else
        cfg->token = cfg->token_buf;
    return rc;
}

static void open_signals(struct daemon *d)
{
    uv_signal_init(&d->loop, &d->sigterm);
    uv_signal_init(&d->loop, &d->sigint);
    uv_timer_init(&d->loop, &d->drain);
    d->sigterm.data = d->sigint.data = d->drain.data = d;
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    uv_signal_start(&d->sigint, on_signal, SIGINT);
}

static uint32_t random_salt(void)
{
    uint32_t v = 0;

    if (uv_random(NULL, NULL, &v, sizeof(v), 0, NULL) < 0)
        v = (uint32_t)getpid() ^ (uint32_t)uv_hrtime();
    return v;
}

/* Releases what the loop no longer uses; runs after uv_run returns. */
static void close_all(struct daemon *d)
{
    struct gw *gw = &d->gw;

    gw_objstore_close(gw);
    gw_registry_close(gw->reg);
    gw_metrics_close(gw->metrics);
    if (gw->vmm)
        vmm_close(gw->vmm);
    if (gw->st)
        st_close(gw->st);
    uv_run(&d->loop, UV_RUN_NOWAIT); /* let close callbacks run */
    uv_loop_close(&d->loop);
}

/* Exit without waiting for the workers still in a VM: they cannot be
 * stopped from here, and process exit destroys their VMs. */
static int leave_abandoned(struct daemon *d)
{
    if (d->gw.invlog)
        gw_invlog_flush(d->gw.invlog);
    st_close(d->gw.st);
    gw_info("stopped", "abandoned=1");
    return 0;
}

static int serve(struct daemon *d)
{
    struct gw *gw = &d->gw;

    open_signals(d);
    gw_info("ready",
            "listen=%s:%d admin_listen=%s:%d data=%s workers=%u queue=%u",
            gw->cfg.host, gw->cfg.port,
            gw->cfg.admin_port ? gw->cfg.admin_host : gw->cfg.host,
            gw->cfg.admin_port ? gw->cfg.admin_port : gw->cfg.port,
            gw->cfg.data, gw->cfg.workers, gw->cfg.queue);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    if (d->abandoned)
        return leave_abandoned(d);
    gw_info("stopped", "abandoned=0");
    return 0;
}

int main(int argc, char **argv)
{
    static struct daemon d;
    struct gw *gw = &d.gw;
    int rc;

    rc = parse_args(argc, argv, &gw->cfg);
    if (rc)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    /* Everything fnd writes is private: the database holds functions'
     * environment values, which may be secrets, and the objects. */
    umask(077);
    uv_loop_init(&d.loop);
    gw->loop = &d.loop;
    gw->id_salt = random_salt();
    gw->bodies.max = gw->cfg.body_memory;

    rc = st_open(&gw->st, gw->cfg.data);
    if (rc < 0) {
        gw_log_errno(GW_LOG_ERROR, rc, "cannot open the data folder", "data=%s",
                     gw->cfg.data);
        goto err;
    }
    if (open_token(&gw->cfg) < 0 || open_vmm(gw) < 0 || open_registry(gw) < 0)
        goto err;
    if (gw->cfg.functions && deploy_dir(gw, gw->cfg.functions) < 0)
        goto err;
    if (open_services(gw) < 0 || gw_objstore_open(gw) < 0 || open_http(gw) < 0)
        goto err;
    rc = serve(&d);
    if (d.abandoned)
        exit(rc);
    close_all(&d);
    return rc;

err:
    gw_objstore_quiesce(gw);
    gw_objstore_close_loop(gw);
    if (gw->dispatch)
        gw_dispatch_close(gw->dispatch);
    gw_invlog_close(gw->invlog);
    close_all(&d);
    return 1;
}
