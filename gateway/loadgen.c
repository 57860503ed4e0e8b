/* loadgen.c: keep-alive HTTP load on one libuv loop, for `fnctl bench`. */
#include "gateway/loadgen.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>
#include <uv.h>

#include "gateway/buf.h"

/* Past this many broken connections the run is given up. */
#define LOAD_MAX_ERRORS 100

struct load;

struct conn {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    uv_timer_t pause; /* between a response and the next request */
    llhttp_t parser;
    struct load *ld;
    uint64_t t0;   /* when the request in flight was written */
    int busy;      /* a request is in flight */
    int reconnect; /* open a new connection once this one is closed */
    int has_pause; /* the pause timer was initialised */
    char rbuf[16384];
};

struct load {
    const struct gw_load_config *cfg;
    struct gw_load_result *res;
    uv_loop_t loop;
    uv_timer_t timer;
    struct sockaddr_storage addr;
    llhttp_settings_t settings;
    struct gw_buf request;
    struct conn *conns;
    unsigned open;   /* connection handles not yet closed */
    unsigned issued; /* requests written or being written */
    int failed;      /* stop: err says why */
    uint64_t t_first, t_last;
    char *err;
    size_t errlen;
};

static void conn_open(struct conn *c);

static void on_close(uv_handle_t *h)
{
    struct conn *c = h->data;
    struct load *ld = c->ld;

    ld->open--;
    if (c->reconnect && !ld->failed && ld->issued < ld->cfg->requests) {
        ld->res->reconnects++;
        conn_open(c);
        return;
    }
    if (ld->open != 0)
        return;
    /* The last connection is gone: close the timers so the loop ends. */
    uv_close((uv_handle_t *)&ld->timer, NULL);
    for (unsigned i = 0; i < ld->cfg->concurrency; i++)
        if (ld->conns[i].has_pause)
            uv_close((uv_handle_t *)&ld->conns[i].pause, NULL);
}

static void conn_close(struct conn *c, int reconnect)
{
    c->reconnect = reconnect;
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void load_fail(struct load *ld, const char *why, int uverr)
{
    if (!ld->failed)
        snprintf(ld->err, ld->errlen, "%s%s%s", why, uverr ? ": " : "",
                 uverr ? uv_strerror(uverr) : "");
    ld->failed = 1;
    for (unsigned i = 0; i < ld->cfg->concurrency; i++)
        if (ld->conns[i].ld)
            conn_close(&ld->conns[i], 0);
}

/* The connection broke: the request in flight, if any, is lost. */
static void conn_broken(struct conn *c, int uverr)
{
    struct load *ld = c->ld;

    if (c->busy) {
        c->busy = 0;
        if (++ld->res->errors > LOAD_MAX_ERRORS) {
            load_fail(ld, "too many broken connections", uverr);
            return;
        }
    }
    conn_close(c, 1);
}

static void on_write(uv_write_t *w, int status)
{
    if (status < 0)
        conn_broken(w->data, status);
}

static void send_next(struct conn *c)
{
    struct load *ld = c->ld;
    uv_buf_t b = uv_buf_init(ld->request.data, (unsigned)ld->request.len);
    int rc;

    if (ld->failed || ld->issued >= ld->cfg->requests) {
        conn_close(c, 0);
        return;
    }
    ld->issued++;
    c->busy = 1;
    c->t0 = uv_hrtime();
    if (ld->t_first == 0)
        ld->t_first = c->t0;
    rc = uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc < 0)
        conn_broken(c, rc);
}

static void record(struct conn *c)
{
    struct load *ld = c->ld;
    struct gw_load_result *res = ld->res;
    int status = c->parser.status_code;

    ld->t_last = uv_hrtime();
    res->lat_ns[res->done++] = ld->t_last - c->t0;
    if (status >= 200 && status < 300)
        res->ok++;
    c->busy = 0;
}

static void on_pause_end(uv_timer_t *t)
{
    struct conn *c = t->data;

    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        send_next(c);
}

/* Next request now, or after the configured pause. */
static void next_after_pause(struct conn *c)
{
    struct load *ld = c->ld;

    if (ld->cfg->pause_ms == 0 || ld->issued >= ld->cfg->requests) {
        send_next(c);
        return;
    }
    if (!c->has_pause) {
        uv_timer_init(&ld->loop, &c->pause);
        c->pause.data = c;
        c->has_pause = 1;
    }
    uv_timer_start(&c->pause, on_pause_end, ld->cfg->pause_ms, 0);
}

static int on_message_complete(llhttp_t *p)
{
    return HPE_PAUSED;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct conn *c = h->data;

    *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    llhttp_errno_t e;

    if (n < 0) {
        conn_broken(c, (int)n);
        return;
    }
    if (n == 0 || !c->busy)
        return;
    e = llhttp_execute(&c->parser, buf->base, (size_t)n);
    if (e == HPE_PAUSED && c->parser.status_code >= 200) {
        llhttp_resume(&c->parser);
        record(c);
        next_after_pause(c);
    } else if (e == HPE_PAUSED) { /* an interim 1xx response */
        llhttp_resume(&c->parser);
    } else if (e != HPE_OK) {
        conn_broken(c, 0);
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct conn *c = req->data;
    struct load *ld = c->ld;
    int rc;

    if (status == UV_ECANCELED)
        return;
    if (status < 0) {
        load_fail(ld, "cannot connect", status);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    llhttp_init(&c->parser, HTTP_RESPONSE, &ld->settings);
    c->parser.data = c;
    rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        load_fail(ld, "cannot read", rc);
        return;
    }
    send_next(c);
}

static void conn_open(struct conn *c)
{
    struct load *ld = c->ld;
    int rc;

    uv_tcp_init(&ld->loop, &c->tcp);
    c->tcp.data = c;
    c->connect.data = c;
    c->write.data = c;
    c->busy = 0;
    c->reconnect = 0;
    ld->open++;
    rc = uv_tcp_connect(&c->connect, &c->tcp,
                        (const struct sockaddr *)&ld->addr, on_connect);
    if (rc < 0) {
        conn_close(c, 0);
        load_fail(ld, "cannot connect", rc);
    }
}

static void on_time_limit(uv_timer_t *t)
{
    load_fail(t->data, "time limit reached", 0);
}

static int resolve(struct load *ld)
{
    struct addrinfo hints = {0}, *ai;
    int rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(ld->cfg->url->host, ld->cfg->url->port, &hints, &ai);
    if (rc) {
        snprintf(ld->err, ld->errlen, "cannot resolve %s: %s",
                 ld->cfg->url->host, gai_strerror(rc));
        return -1;
    }
    memcpy(&ld->addr, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

static void build_request(struct load *ld)
{
    const struct gw_load_config *cfg = ld->cfg;

    gw_buf_addf(&ld->request,
                "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: fnctl-bench"
                "\r\nContent-Length: %zu\r\n",
                cfg->method, cfg->url->prefix, cfg->path, cfg->url->host,
                cfg->url->port, cfg->body_len);
    if (cfg->content_type)
        gw_buf_addf(&ld->request, "Content-Type: %s\r\n", cfg->content_type);
    gw_buf_adds(&ld->request, "\r\n");
    gw_buf_add(&ld->request, cfg->body, cfg->body_len);
}

static int load_init(struct load *ld)
{
    const struct gw_load_config *cfg = ld->cfg;

    if (cfg->requests == 0 || cfg->concurrency == 0) {
        snprintf(ld->err, ld->errlen,
                 "need at least one request and one "
                 "connection");
        return -1;
    }
    ld->res->lat_ns = calloc(cfg->requests, sizeof(uint64_t));
    ld->conns = calloc(cfg->concurrency, sizeof(struct conn));
    build_request(ld);
    if (!ld->res->lat_ns || !ld->conns || ld->request.err) {
        snprintf(ld->err, ld->errlen, "out of memory");
        return -1;
    }
    llhttp_settings_init(&ld->settings);
    ld->settings.on_message_complete = on_message_complete;
    return resolve(ld);
}

int gw_load_run(const struct gw_load_config *cfg, struct gw_load_result *res,
                char *err, size_t errlen)
{
    struct load ld = {.cfg = cfg, .res = res, .err = err, .errlen = errlen};
    unsigned i, nconn;
    int rc = -1;

    memset(res, 0, sizeof(*res));
    if (errlen)
        err[0] = '\0';
    if (load_init(&ld) < 0)
        goto out;
    uv_loop_init(&ld.loop);
    uv_timer_init(&ld.loop, &ld.timer);
    ld.timer.data = &ld;
    if (cfg->time_limit_ms)
        uv_timer_start(&ld.timer, on_time_limit, cfg->time_limit_ms, 0);
    nconn = cfg->concurrency < cfg->requests ? cfg->concurrency : cfg->requests;
    for (i = 0; i < nconn && !ld.failed; i++) {
        ld.conns[i].ld = &ld;
        conn_open(&ld.conns[i]);
    }
    uv_run(&ld.loop, UV_RUN_DEFAULT);
    uv_loop_close(&ld.loop);
    if (ld.t_last > ld.t_first)
        res->wall_ns = ld.t_last - ld.t_first;
    rc = ld.failed ? -1 : 0;
out:
    free(ld.conns);
    gw_buf_free(&ld.request);
    return rc;
}

void gw_load_result_free(struct gw_load_result *res)
{
    free(res->lat_ns);
    res->lat_ns = NULL;
}
