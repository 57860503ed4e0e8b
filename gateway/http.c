/* http.c: HTTP/1.1 server on libuv + llhttp: one request at a time per
 * connection, bounded input, timeouts, and protocol errors as responses. */
#include "gateway/http.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <llhttp.h>

#include "gateway/buf.h"
#include "gateway/log.h"

#define RBUF_SIZE (32u << 10)
#define DRAIN_MS 2000u /* lingering close: read and drop input this long */

/* A connection moves IDLE -> HEADERS -> BODY -> BUSY -> WRITING, then back
 * to IDLE (keep-alive) or to DRAIN -> CLOSED. It reads only in IDLE,
 * HEADERS, BODY and DRAIN. */
enum conn_state {
    CS_IDLE,    /* waiting for the first byte of a request */
    CS_HEADERS, /* reading the request line and headers */
    CS_BODY,    /* reading the body */
    CS_BUSY,    /* request handed to the handler, no answer yet */
    CS_WRITING, /* response queued on the socket */
    CS_DRAIN,   /* write side shut down; dropping input until close */
    CS_CLOSED,  /* uv_close called */
};

struct gw_http_server {
    uv_loop_t *loop;
    uint64_t refused, refused_at; /* connections past max_conns, logged */
    uv_tcp_t listener;
    struct gw_http_config cfg;
    llhttp_settings_t settings;
    struct gw_http_conn *conns;
    unsigned nconns;
    int closing;
    int listener_open;
    void (*done)(void *arg);
    void *done_arg;
};

struct gw_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    uv_write_t creq; /* "100 Continue" */
    uv_shutdown_t sreq;
    llhttp_t parser;
    struct gw_http_server *srv;
    struct gw_http_conn *prev, *next;
    enum conn_state state;
    int open_handles;
    int reading;
    int close_after;

    /* the request being read */
    size_t header_bytes;
    size_t value_start;
    size_t body_max;
    int err_status;
    const char *err_code;
    const char *err_detail;
    struct gw_buf url;  /* target\0path\0[query\0] */
    struct gw_buf hdrs; /* name\0value\0... */
    struct gw_buf body;
    size_t body_charged;    /* of body.cap, counted in the server's budget */
    size_t resp_charged;    /* the response body in flight, counted too */
    uint64_t body_deadline; /* uv_now() by which the whole body must be in */
    struct gw_http_req req;

    /* the response being written */
    struct gw_buf resp; /* extra header lines */
    struct gw_buf head;
    struct gw_buf copy; /* copied body */
    void (*release)(void *);
    void *release_arg;

    char *rbuf;
    size_t rlen; /* bytes in rbuf */
    size_t rpos; /* bytes of rbuf parsed */
};

static void conn_close(struct gw_http_conn *c);
static void conn_parse(struct gw_http_conn *c);
static void conn_read(struct gw_http_conn *c);
static void on_timer(uv_timer_t *t);

/* ---- Small helpers ------------------------------------------------------ */

static const char *status_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

static const char *status_code(int status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 413: return "body_too_large";
    case 414: return "uri_too_long";
    case 417: return "expectation_failed";
    case 429: return "too_many_requests";
    case 431: return "headers_too_large";
    case 502: return "bad_gateway";
    case 503: return "unavailable";
    case 504: return "timeout";
    default: return status >= 500 ? "internal_error" : "error";
    }
}

/* The Date header value, formatted at most once a second. */
static const char *http_date(void)
{
    static char buf[40];
    static time_t last;
    time_t now = time(NULL);
    struct tm tm;

    if (now != last) {
        gmtime_r(&now, &tm);
        strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        last = now;
    }
    return buf;
}

static int is_tchar(char c)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    return c && (isalnum((unsigned char)c) || strchr(extra, c));
}

static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!is_tchar(*s))
            return 0;
    return 1;
}

static int status_has_body(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

static void timer_set(struct gw_http_conn *c, unsigned ms)
{
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* A body must keep coming (no silence longer than the body timeout) and
 * come whole by a deadline set from its size at MIN_BODY_RATE, so that a
 * client trickling a byte now and then cannot hold a connection. */
#define MIN_BODY_RATE (64u << 10) /* bytes per second */

static void body_deadline_set(struct gw_http_conn *c, uint64_t size)
{
    uint64_t ms = size / (MIN_BODY_RATE / 1000);

    if (ms < c->srv->cfg.body_timeout_ms)
        ms = c->srv->cfg.body_timeout_ms;
    c->body_deadline = uv_now(c->srv->loop) + ms;
}

static void body_timer_set(struct gw_http_conn *c)
{
    uint64_t now = uv_now(c->srv->loop);
    uint64_t left = c->body_deadline > now ? c->body_deadline - now : 1;

    timer_set(c, left < c->srv->cfg.body_timeout_ms
                     ? (unsigned)left
                     : c->srv->cfg.body_timeout_ms);
}

static struct gw_http_conn *parser_conn(llhttp_t *p)
{
    return p->data;
}

/* ---- llhttp callbacks --------------------------------------------------- */

static int fail_cb(llhttp_t *p, int status, const char *detail)
{
    struct gw_http_conn *c = parser_conn(p);

    c->err_status = status;
    c->err_detail = detail;
    llhttp_set_error_reason(p, detail);
    return HPE_USER;
}

static int add_header_bytes(llhttp_t *p, size_t len)
{
    struct gw_http_conn *c = parser_conn(p);

    c->header_bytes += len;
    if (c->header_bytes > c->srv->cfg.max_header_bytes)
        return fail_cb(p, 431, "request line and headers too large");
    return 0;
}

static int over_budget(llhttp_t *p)
{
    struct gw_http_conn *c = parser_conn(p);

    gw_http_add_header(&c->req, "Retry-After", "1");
    c->err_code = "server_busy";
    return fail_cb(p, 503,
                   "request and response bodies in memory are at their "
                   "limit; retry shortly");
}

static void body_free(struct gw_http_conn *c)
{
    struct gw_http_budget *b = c->srv->cfg.budget;

    if (b)
        b->used -= c->body_charged;
    c->body_charged = 0;
    gw_buf_free(&c->body);
}

/* Makes room for `extra` more body bytes within the budget; returns 0 or
 * fails the request (503). */
static int body_room(llhttp_t *p, size_t extra)
{
    struct gw_http_conn *c = parser_conn(p);
    struct gw_http_budget *b = c->srv->cfg.budget;
    size_t need = c->body.len + extra + 1; /* gw_buf keeps a NUL */

    if (need <= c->body.cap)
        return 0;
    if (b && b->max && b->used - c->body_charged + need > b->max)
        return over_budget(p);
    if (gw_buf_reserve(&c->body, extra))
        return fail_cb(p, 503, "out of memory");
    if (b) {
        b->used += c->body.cap - c->body_charged;
        c->body_charged = c->body.cap;
    }
    return 0;
}

static void req_reset(struct gw_http_conn *c)
{
    gw_buf_reset(&c->url);
    gw_buf_reset(&c->hdrs);
    body_free(c);
    gw_buf_reset(&c->resp);
    memset(&c->req, 0, sizeof(c->req));
    c->req.conn = c;
    c->req.method = "";
    c->req.path = "";
    c->req.target = "";
    c->header_bytes = 0;
    c->err_status = 0;
    c->err_code = NULL;
    c->err_detail = NULL;
}

static int on_message_begin(llhttp_t *p)
{
    struct gw_http_conn *c = parser_conn(p);

    req_reset(c);
    c->state = CS_HEADERS;
    timer_set(c, c->srv->cfg.header_timeout_ms);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct gw_http_conn *c = parser_conn(p);

    if (c->url.len + len > c->srv->cfg.max_url)
        return fail_cb(p, 414, "request target too long");
    if (add_header_bytes(p, len))
        return HPE_USER;
    return gw_buf_add(&c->url, at, len) ? HPE_USER : 0;
}

/* Trailers (after a chunked body) count against the header limit but are
 * dropped: the request's headers are fixed once the body starts. */
static int in_trailers(llhttp_t *p, size_t len)
{
    if (parser_conn(p)->state != CS_BODY)
        return 0;
    add_header_bytes(p, len);
    return 1;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct gw_http_conn *c = parser_conn(p);
    size_t i;

    if (in_trailers(p, len))
        return c->err_status ? HPE_USER : 0;
    if (c->req.headers_count >= c->srv->cfg.max_headers)
        return fail_cb(p, 431, "too many header fields");
    if (add_header_bytes(p, len) || gw_buf_reserve(&c->hdrs, len))
        return HPE_USER;
    /* RFC 9112 5.1: a name is a token; whitespace before the colon is
     * refused, not trimmed (a proxy might read the field differently). */
    for (i = 0; i < len; i++)
        if (!is_tchar(at[i]))
            return fail_cb(p, 400, "bad header field name");
    for (i = 0; i < len; i++)
        c->hdrs.data[c->hdrs.len++] = (char)tolower((unsigned char)at[i]);
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    struct gw_http_conn *c = parser_conn(p);

    if (c->state == CS_BODY)
        return 0;
    if (gw_buf_addc(&c->hdrs, '\0'))
        return HPE_USER;
    c->value_start = c->hdrs.len;
    return 0;
}

/* 1 if the value chunk at `at` follows a line break with at most spaces
 * and tabs between: a continuation line. */
static int after_line_break(const struct gw_http_conn *c, const char *at)
{
    while (at > c->rbuf && (at[-1] == ' ' || at[-1] == '\t'))
        at--;
    return at > c->rbuf && at[-1] == '\n';
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct gw_http_conn *c = parser_conn(p);

    if (in_trailers(p, len))
        return c->err_status ? HPE_USER : 0;
    if (add_header_bytes(p, len))
        return HPE_USER;
    /* An empty value comes as an empty chunk at the start of the next
     * line: nothing to add. */
    if (len == 0)
        return 0;
    /* RFC 9112 5.2: line folding (obs-fold) is refused. llhttp hands the
     * continuation line over as a chunk of its own, right after the CRLF
     * (or, after an empty first line, after the SP it skipped); one that
     * starts a read buffer is kept joined by its SP, which the RFC allows
     * as well. */
    if (memchr(at, '\r', len) || memchr(at, '\n', len) ||
        after_line_break(c, at))
        return fail_cb(p, 400, "folded header field value");
    return gw_buf_add(&c->hdrs, at, len) ? HPE_USER : 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct gw_http_conn *c = parser_conn(p);

    if (c->state == CS_BODY)
        return 0;
    /* llhttp drops leading whitespace; trailing OWS is ours to drop. */
    while (c->hdrs.len > c->value_start &&
           (c->hdrs.data[c->hdrs.len - 1] == ' ' ||
            c->hdrs.data[c->hdrs.len - 1] == '\t'))
        c->hdrs.len--;
    if (gw_buf_addc(&c->hdrs, '\0'))
        return HPE_USER;
    c->req.headers_count++;
    return 0;
}

/* Splits the target into path and query, accepting origin form, the
 * absolute form ("http://host/p") and "*". Returns 0 or -1. */
static int split_target(struct gw_http_conn *c)
{
    const char *t, *q, *s;
    size_t tlen, plen;

    /* Room for the copies below first: they are made from the buffer. */
    if (gw_buf_addc(&c->url, '\0') || gw_buf_reserve(&c->url, c->url.len + 2))
        return -1;
    tlen = c->url.len;
    t = c->url.data;
    if (strncasecmp(t, "http://", 7) == 0 ||
        strncasecmp(t, "https://", 8) == 0) {
        s = strchr(strchr(t, ':') + 3, '/');
        t = s ? s : "/";
    } else if (t[0] != '/' && strcmp(t, "*") != 0) {
        return -1;
    }
    q = strchr(t, '?');
    plen = q ? (size_t)(q - t) : strlen(t);
    gw_buf_add(&c->url, t, plen);
    gw_buf_addc(&c->url, '\0');
    if (q)
        gw_buf_add(&c->url, q + 1, strlen(q + 1) + 1);
    if (c->url.err)
        return -1;
    c->req.target = c->url.data;
    c->req.path = c->url.data + tlen;
    c->req.query = q ? c->url.data + tlen + plen + 1 : NULL;
    return 0;
}

static void send_continue(struct gw_http_conn *c)
{
    static char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
    uv_buf_t b = uv_buf_init(msg, sizeof(msg) - 1);

    uv_write(&c->creq, (uv_stream_t *)&c->tcp, &b, 1, NULL);
}

/* RFC 9110 10.1.1 lets a server skip the 100 when no body is coming, but
 * botocore then takes the final answer for an early refusal and reads the
 * next response on that connection with a stale status line (it stalls
 * until its timeout): an empty body gets its 100 too. */
static int handle_expect(llhttp_t *p)
{
    struct gw_http_conn *c = parser_conn(p);
    const char *expect = gw_http_header(&c->req, "expect");

    if (!expect)
        return 0;
    if (strcasecmp(expect, "100-continue") != 0)
        return fail_cb(p, 417, "only 100-continue is supported");
    if (p->http_major == 1 && p->http_minor >= 1)
        send_continue(c);
    return 0;
}

/* RFC 9112 3.2: an HTTP/1.1 request has exactly one Host header, and no
 * request has two. */
/* The fields that decide how a request is read: exactly one Host (HTTP/1.1;
 * at most one in 1.0), and no Transfer-Encoding llhttp did not frame the
 * body by (an empty one): a proxy in front may frame by it, so the request
 * is refused rather than framed by Content-Length (request smuggling).
 * Returns NULL or what is wrong. */
static const char *framing_fields(const struct gw_http_conn *c)
{
    const char *h = c->hdrs.data, *end = h + c->hdrs.len;
    unsigned hosts = 0;
    int te = 0;

    while (h && h < end) {
        if (strcmp(h, "host") == 0)
            hosts++;
        else if (strcmp(h, "transfer-encoding") == 0)
            te = 1;
        h += strlen(h) + 1;
        h += strlen(h) + 1;
    }
    if (c->parser.http_major == 1 && c->parser.http_minor >= 1 ? hosts != 1
                                                               : hosts > 1)
        return "a request needs exactly one Host header";
    if (te && !(c->parser.flags & F_CHUNKED))
        return "Transfer-Encoding other than chunked";
    return NULL;
}

static int on_headers_complete(llhttp_t *p)
{
    struct gw_http_conn *c = parser_conn(p);
    struct gw_http_req *r = &c->req;
    const struct gw_http_config *cfg = &c->srv->cfg;
    uint64_t clen = (p->flags & F_CONTENT_LENGTH) ? p->content_length : 0;
    const char *bad;

    if (split_target(c))
        return fail_cb(p, 400, "malformed request target");
    if (p->http_major != 1)
        return fail_cb(p, 400, "only HTTP/1.0 and HTTP/1.1 are served");
    if ((bad = framing_fields(c)))
        return fail_cb(p, 400, bad);
    r->method_id = p->method;
    r->method = llhttp_method_name((llhttp_method_t)p->method);
    r->head = p->method == HTTP_HEAD;
    r->headers = c->hdrs.data ? c->hdrs.data : "";
    r->headers_len = c->hdrs.len;
    if (cfg->screen) {
        int status = cfg->screen(r, cfg->arg, &c->err_code, &c->err_detail);

        if (status)
            return fail_cb(p, status, c->err_detail);
    }
    if ((clen || (p->flags & F_CHUNKED)) && cfg->budget && cfg->budget->max &&
        cfg->budget->used >= cfg->budget->max)
        return over_budget(p);
    c->body_max =
        cfg->body_limit ? cfg->body_limit(r, cfg->arg) : cfg->max_body;
    if (clen > c->body_max)
        return fail_cb(p, 413, "request body too large");
    if (handle_expect(p))
        return HPE_USER;
    if (clen && body_room(p, (size_t)clen))
        return HPE_USER;
    c->state = CS_BODY;
    body_deadline_set(c, clen ? clen : c->body_max);
    body_timer_set(c);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct gw_http_conn *c = parser_conn(p);

    if (len > c->body_max - c->body.len)
        return fail_cb(p, 413, "request body too large");
    if (body_room(p, len))
        return HPE_USER;
    gw_buf_add(&c->body, at, len); /* room was made */
    return 0;
}

/* Pausing here leaves the rest of the input (a pipelined request) in the
 * read buffer until this request is answered. */
static int on_message_complete(llhttp_t *p)
{
    struct gw_http_conn *c = parser_conn(p);

    c->req.body = c->body.data ? c->body.data : "";
    c->req.body_len = c->body.len;
    c->req.t_complete = uv_hrtime();
    if (!llhttp_should_keep_alive(p) || p->upgrade)
        c->close_after = 1;
    c->state = CS_BUSY;
    uv_timer_stop(&c->timer);
    return HPE_PAUSED;
}

/* ---- Connection life ---------------------------------------------------- */

static void conn_free(struct gw_http_conn *c)
{
    struct gw_http_server *srv = c->srv;

    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    gw_buf_free(&c->url);
    gw_buf_free(&c->hdrs);
    body_free(c);
    gw_buf_free(&c->resp);
    gw_buf_free(&c->head);
    gw_buf_free(&c->copy);
    free(c->rbuf);
    free(c);
}

static void server_check_done(struct gw_http_server *srv);

static void on_handle_closed(uv_handle_t *h)
{
    struct gw_http_conn *c = h->data;
    struct gw_http_server *srv = c->srv;

    if (--c->open_handles > 0)
        return;
    conn_free(c);
    server_check_done(srv);
}

/* A connection with a request in the handler's hands stays open until the
 * answer comes: the request's memory is the connection's. */
static void conn_close(struct gw_http_conn *c)
{
    if (c->state == CS_CLOSED)
        return;
    if (c->state == CS_BUSY) {
        c->close_after = 1;
        return;
    }
    c->state = CS_CLOSED;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void read_stop(struct gw_http_conn *c)
{
    if (c->reading)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

/* Answers a request that could not be read, then closes. */
static void conn_fail(struct gw_http_conn *c, int status, const char *code,
                      const char *detail)
{
    read_stop(c);
    uv_timer_stop(&c->timer);
    c->close_after = 1;
    c->state = CS_BUSY;
    gw_debug("http request rejected", "status=%d detail=\"%s\"", status,
             detail);
    gw_http_error(&c->req, status, code, detail);
}

static void on_timer(uv_timer_t *t)
{
    struct gw_http_conn *c = t->data;

    switch (c->state) {
    case CS_HEADERS:
    case CS_BODY:
        conn_fail(c, 408, NULL, "timed out reading the request");
        break;
    case CS_IDLE:
    case CS_WRITING:
    case CS_DRAIN: conn_close(c); break;
    default: break;
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct gw_http_conn *c = h->data;

    if (!c->rbuf)
        c->rbuf = malloc(RBUF_SIZE);
    if (!c->rbuf) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    if (c->state == CS_DRAIN)
        c->rlen = 0;
    *buf = uv_buf_init(c->rbuf + c->rlen, RBUF_SIZE - c->rlen);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct gw_http_conn *c = s->data;

    if (n == 0)
        return;
    if (n < 0) {
        /* EOF or error: a half-read request has no one left to answer. */
        read_stop(c);
        conn_close(c);
        return;
    }
    c->rlen += (size_t)n;
    if (c->state == CS_DRAIN)
        return;
    if (c->state == CS_BODY)
        body_timer_set(c);
    conn_parse(c);
}

static void conn_read(struct gw_http_conn *c)
{
    int rc;

    if (c->reading)
        return;
    rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc < 0) {
        gw_debug("http read failed", "error=\"%s\"", uv_strerror(rc));
        conn_close(c);
        return;
    }
    c->reading = 1;
}

/* Runs the parser over buffered input; hands a complete request to the
 * handler, or answers a broken one. */
static void conn_parse(struct gw_http_conn *c)
{
    const char *start = c->rbuf + c->rpos;
    llhttp_errno_t e;
    int status;

    e = llhttp_execute(&c->parser, start, c->rlen - c->rpos);
    if (e == HPE_OK) {
        c->rpos = c->rlen = 0;
        return;
    }
    if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
        c->rpos += (size_t)(llhttp_get_error_pos(&c->parser) - start);
        read_stop(c);
        c->srv->cfg.on_request(&c->req, c->srv->cfg.arg);
        return;
    }
    status = c->err_status ? c->err_status : 400;
    conn_fail(c, status, c->err_code,
              c->err_detail ? c->err_detail
                            : llhttp_get_error_reason(&c->parser));
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct gw_http_conn *c = req->data;

    if (status < 0)
        conn_close(c);
}

/* Sends FIN, then keeps reading for a moment so that a client still
 * sending does not get a reset that destroys the response in flight. */
static void conn_drain(struct gw_http_conn *c)
{
    c->state = CS_DRAIN;
    c->sreq.data = c;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        conn_close(c);
        return;
    }
    c->rlen = c->rpos = 0;
    timer_set(c, DRAIN_MS);
    conn_read(c);
}

/* After a response: start on the next request, pipelined or not. */
static void conn_next(struct gw_http_conn *c)
{
    req_reset(c);
    c->state = CS_IDLE;
    if (c->srv->closing) {
        conn_close(c);
        return;
    }
    llhttp_resume(&c->parser);
    if (c->rpos < c->rlen)
        conn_parse(c);
    if (c->state != CS_IDLE && c->state != CS_HEADERS && c->state != CS_BODY)
        return;
    if (c->state == CS_IDLE) {
        free(c->rbuf);
        c->rbuf = NULL;
        c->rlen = c->rpos = 0;
        timer_set(c, c->srv->cfg.idle_timeout_ms);
    }
    conn_read(c);
}

static void release_body(struct gw_http_conn *c)
{
    if (c->srv->cfg.budget) {
        c->srv->cfg.budget->used -= c->resp_charged;
        c->srv->cfg.budget->answers -= c->resp_charged;
    }
    c->resp_charged = 0;
    if (c->release)
        c->release(c->release_arg);
    c->release = NULL;
    c->release_arg = NULL;
    gw_buf_free(&c->copy);
    gw_buf_reset(&c->head);
}

static void on_write(uv_write_t *w, int status)
{
    struct gw_http_conn *c = w->data;

    release_body(c);
    if (c->state == CS_CLOSED)
        return;
    uv_timer_stop(&c->timer);
    if (status < 0) {
        gw_debug("http write failed", "error=\"%s\"", uv_strerror(status));
        conn_close(c);
    } else if (c->close_after) {
        conn_drain(c);
    } else {
        conn_next(c);
    }
}

/* ---- Server ------------------------------------------------------------- */

static void conn_init_parser(struct gw_http_conn *c)
{
    llhttp_init(&c->parser, HTTP_REQUEST, &c->srv->settings);
    c->parser.data = c;
    req_reset(c);
}

static int conn_open(struct gw_http_server *srv, struct gw_http_conn **out)
{
    struct gw_http_conn *c = calloc(1, sizeof(*c));
    int rc;

    if (!c)
        return UV_ENOMEM;
    c->srv = srv;
    rc = uv_tcp_init(srv->loop, &c->tcp);
    if (rc < 0) {
        free(c);
        return rc;
    }
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c->timer.data = c->wreq.data = c;
    c->open_handles = 2;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    conn_init_parser(c);
    *out = c;
    return 0;
}

/* One warning a second at most, with how many were turned away: whoever
 * can connect must not be able to grow the log at will. */
static void warn_limit(struct gw_http_server *srv)
{
    uint64_t now = uv_now(srv->loop);

    srv->refused++;
    if (srv->refused_at && now - srv->refused_at < 1000)
        return;
    gw_warn("http connection limit", "max_conns=%u refused=%llu",
            srv->cfg.max_conns, (unsigned long long)srv->refused);
    srv->refused = 0;
    srv->refused_at = now;
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct gw_http_server *srv = listener->data;
    struct gw_http_conn *c;
    int rc;

    if (status < 0) {
        gw_warn("http accept failed", "error=\"%s\"", uv_strerror(status));
        return;
    }
    if (conn_open(srv, &c) < 0)
        return;
    rc = uv_accept(listener, (uv_stream_t *)&c->tcp);
    if (rc < 0 || srv->closing || srv->nconns > srv->cfg.max_conns) {
        if (rc == 0 && !srv->closing)
            warn_limit(srv);
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->state = CS_IDLE;
    timer_set(c, srv->cfg.header_timeout_ms);
    conn_read(c);
}

static void config_defaults(struct gw_http_config *cfg)
{
    if (!cfg->max_header_bytes)
        cfg->max_header_bytes = 16u << 10;
    if (!cfg->max_headers)
        cfg->max_headers = 100;
    if (!cfg->max_url)
        cfg->max_url = 8u << 10;
    if (!cfg->max_body)
        cfg->max_body = 6u << 20;
    if (!cfg->max_conns)
        cfg->max_conns = 4096;
    if (!cfg->header_timeout_ms)
        cfg->header_timeout_ms = 10000;
    if (!cfg->body_timeout_ms)
        cfg->body_timeout_ms = 30000;
    if (!cfg->idle_timeout_ms)
        cfg->idle_timeout_ms = 30000;
    if (!cfg->write_timeout_ms)
        cfg->write_timeout_ms = 30000;
}

static void settings_init(llhttp_settings_t *s)
{
    llhttp_settings_init(s);
    s->on_message_begin = on_message_begin;
    s->on_url = on_url;
    s->on_header_field = on_header_field;
    s->on_header_field_complete = on_header_field_complete;
    s->on_header_value = on_header_value;
    s->on_header_value_complete = on_header_value_complete;
    s->on_headers_complete = on_headers_complete;
    s->on_body = on_body;
    s->on_message_complete = on_message_complete;
}

static int resolve(const char *addr, int port, struct sockaddr_storage *ss)
{
    if (uv_ip4_addr(addr, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    return uv_ip6_addr(addr, port, (struct sockaddr_in6 *)ss);
}

int gw_http_listen(uv_loop_t *loop, const char *addr, int port,
                   const struct gw_http_config *cfg,
                   struct gw_http_server **out)
{
    struct gw_http_server *srv;
    struct sockaddr_storage ss;
    int rc;

    rc = resolve(addr, port, &ss);
    if (rc < 0)
        return rc;
    srv = calloc(1, sizeof(*srv));
    if (!srv)
        return UV_ENOMEM;
    srv->loop = loop;
    srv->cfg = *cfg;
    config_defaults(&srv->cfg);
    settings_init(&srv->settings);
    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    srv->listener_open = 1;
    rc = uv_tcp_bind(&srv->listener, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, 511, on_connection);
    if (rc < 0)
        goto err_listener;
    *out = srv;
    return 0;

err_listener:
    /* The server is freed by the close callback. */
    srv->closing = 1;
    gw_http_close(srv, NULL, NULL);
    return rc;
}

static void server_check_done(struct gw_http_server *srv)
{
    if (!srv->closing || srv->listener_open || srv->nconns)
        return;
    if (srv->done)
        srv->done(srv->done_arg);
    free(srv);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct gw_http_server *srv = h->data;

    srv->listener_open = 0;
    server_check_done(srv);
}

void gw_http_close(struct gw_http_server *srv, void (*done)(void *arg),
                   void *arg)
{
    struct gw_http_conn *c, *next;

    srv->closing = 1;
    srv->done = done;
    srv->done_arg = arg;
    if (!uv_is_closing((uv_handle_t *)&srv->listener))
        uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
    for (c = srv->conns; c; c = next) {
        next = c->next;
        if (c->state == CS_BUSY || c->state == CS_WRITING)
            c->close_after = 1;
        else if (c->state != CS_DRAIN)
            conn_close(c);
    }
}

unsigned gw_http_conns(const struct gw_http_server *srv)
{
    return srv->nconns;
}

/* ---- Requests and responses --------------------------------------------- */

const char *gw_http_header(const struct gw_http_req *req, const char *lname)
{
    const char *p = req->headers, *end = p + req->headers_len;
    size_t nlen;

    while (p < end) {
        nlen = strlen(p);
        if (strcmp(p, lname) == 0)
            return p + nlen + 1;
        p += nlen + 1;
        p += strlen(p) + 1;
    }
    return NULL;
}

static int is_reserved(const char *name)
{
    static const char *const names[] = {"content-length", "transfer-encoding",
                                        "connection", "date"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i]) == 0)
            return 1;
    return 0;
}

int gw_http_add_header(struct gw_http_req *req, const char *name,
                       const char *value)
{
    struct gw_http_conn *c = req->conn;

    if (!is_token(name) || is_reserved(name) || strpbrk(value, "\r\n"))
        return -EINVAL;
    gw_buf_addf(&c->resp, "%s: %s\r\n", name, value);
    return c->resp.err;
}

int gw_http_add_headerf(struct gw_http_req *req, const char *name,
                        const char *fmt, ...)
{
    char value[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(value))
        return -EINVAL;
    return gw_http_add_header(req, name, value);
}

void gw_http_set_close(struct gw_http_req *req)
{
    req->conn->close_after = 1;
}

static int build_head(struct gw_http_conn *c, int status, size_t len)
{
    struct gw_buf *h = &c->head;

    gw_buf_reset(h);
    gw_buf_addf(h, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
                status_reason(status), http_date());
    if (status_has_body(status))
        gw_buf_addf(h, "Content-Length: %zu\r\n", len);
    if (c->close_after)
        gw_buf_adds(h, "Connection: close\r\n");
    else if (c->parser.http_major == 1 && c->parser.http_minor == 0)
        gw_buf_adds(h, "Connection: keep-alive\r\n");
    gw_buf_add(h, c->resp.data, c->resp.len);
    gw_buf_adds(h, "\r\n");
    return h->err;
}

void gw_http_respond(struct gw_http_req *req, int status, const void *body,
                     size_t len, void (*release)(void *), void *release_arg)
{
    struct gw_http_conn *c = req->conn;
    const char *in = c->body.data;
    uv_buf_t bufs[2];
    int rc, send = status_has_body(status) && !req->head && len > 0;

    /* The request's body is done with: its memory goes back now, not once
     * a slow client has read the answer (unless the answer is in it). */
    if (!in || (const char *)body < in ||
        (const char *)body >= in + c->body.cap) {
        body_free(c);
        c->req.body = "";
        c->req.body_len = 0;
    }
    c->release = release;
    c->release_arg = release_arg;
    if (c->srv->cfg.budget && send && !req->body_mapped) {
        c->resp_charged = len;
        c->srv->cfg.budget->used += len;
        c->srv->cfg.budget->answers += len;
    }
    if (c->srv->closing)
        c->close_after = 1;
    if (!release && send) {
        gw_buf_add(&c->copy, body, len);
        body = c->copy.data;
    }
    if (build_head(c, status, len) || c->copy.err)
        goto fail;
    bufs[0] = uv_buf_init(c->head.data, (unsigned)c->head.len);
    bufs[1] = uv_buf_init((char *)body, send ? (unsigned)len : 0);
    c->state = CS_WRITING;
    timer_set(c, c->srv->cfg.write_timeout_ms);
    rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs, send ? 2 : 1,
                  on_write);
    if (rc < 0)
        goto fail;
    return;

fail:
    release_body(c);
    c->state = CS_IDLE;
    conn_close(c);
}

void gw_http_error(struct gw_http_req *req, int status, const char *code,
                   const char *detail)
{
    struct gw_buf b = {0};

    gw_buf_adds(&b, "{\"error\":");
    gw_buf_add_json(&b, code ? code : status_code(status),
                    strlen(code ? code : status_code(status)));
    if (detail) {
        gw_buf_adds(&b, ",\"detail\":");
        gw_buf_add_json(&b, detail, strlen(detail));
    }
    gw_buf_adds(&b, "}\n");
    gw_http_add_header(req, "Content-Type", "application/json");
    gw_http_respond(req, status, b.data, b.err ? 0 : b.len, NULL, NULL);
    gw_buf_free(&b);
}
