/* http.h: a small HTTP/1.1 server on libuv and llhttp.
 *
 * Generic: it knows nothing of functions. The daemon gives it a handler that
 * is called once per complete request, on the loop thread; the handler (now
 * or later, from the loop thread) answers with exactly one gw_http_respond()
 * or gw_http_error(). Until then the request and everything it points to
 * stay valid, and the connection reads nothing more: requests on one
 * connection are answered in order, one at a time (pipelining works, and
 * input is bounded by one read buffer plus one request).
 *
 * The server enforces limits on the request line and headers (431/414),
 * the body (413, per request through `body_limit`), slow clients (408) and
 * idle keep-alive connections, and it answers `Expect: 100-continue`.
 * Protocol errors become responses here, in gw_http_error(), as JSON
 * `{"error": "...", "detail": "..."}`.
 *
 * Errors: gw_http_listen returns 0 or a negative errno (a libuv code).
 * Everything else reports through responses.
 */
#ifndef MAYFLY_GW_HTTP_H
#define MAYFLY_GW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define GW_HTTP_ID_MAX 64

struct gw_http_server;
struct gw_http_conn;

/* One request. Fields are read-only for the handler. */
struct gw_http_req {
    const char *method;  /* "GET", ... */
    int method_id;       /* llhttp_method_t */
    int head;            /* HEAD: the body of the response is not sent */
    const char *target;  /* request target as received */
    const char *path;    /* starts with '/' (or is "*") */
    const char *query;   /* after '?', or NULL */
    const char *headers; /* "name\0value\0"..., names lower-case */
    size_t headers_len;
    size_t headers_count;
    const char *body;
    size_t body_len;
    uint64_t t_complete; /* uv_hrtime() when the request was complete */
    /* Set by the handler: the answer's body is a mapped file, not memory
     * of fnd's, so --body-memory does not count it. */
    int body_mapped;
    char id[GW_HTTP_ID_MAX + 1]; /* request id, set by the handler */
    void *udata;                 /* the handler's */
    struct gw_http_conn *conn;
};

typedef void (*gw_http_handler)(struct gw_http_req *req, void *arg);
/* Called when the headers are in; returns the largest body to accept. */
typedef size_t (*gw_http_limit)(const struct gw_http_req *req, void *arg);
/* Called when the headers are in, before any of the body is read; returns
 * 0 to go on, or a 4xx status to refuse the request at once with *code
 * and *detail (static strings; *code may stay NULL) in the JSON error,
 * closing the connection after it. It may add response headers. */
typedef int (*gw_http_screen)(struct gw_http_req *req, void *arg,
                              const char **code, const char **detail);

/* A cap on the memory that request and response bodies hold at once,
 * shared by every server given it: a request whose body would pass it, or
 * any request with a body while it is reached, gets 503 with Retry-After.
 * Answers are counted when made; the handlers decide whether to make more
 * while many are held (invoke.c). Mapped files are not counted. Loop
 * thread only. */
struct gw_http_budget {
    size_t max;     /* bytes; 0: no cap */
    size_t used;    /* request and response bodies */
    size_t answers; /* of which response bodies */
};

struct gw_http_config {
    size_t max_header_bytes;    /* request line + headers; default 16 KiB */
    size_t max_headers;         /* default 100 */
    size_t max_url;             /* default 8 KiB */
    size_t max_body;            /* default 6 MiB, unless body_limit says */
    unsigned max_conns;         /* default 4096 */
    unsigned header_timeout_ms; /* start of request to headers; 10 s */
    unsigned body_timeout_ms;   /* silence while reading a body; 30 s */
    unsigned idle_timeout_ms;   /* keep-alive wait for a request; 30 s */
    unsigned write_timeout_ms;  /* sending one response; 30 s */
    gw_http_handler on_request;
    gw_http_limit body_limit;      /* optional */
    gw_http_screen screen;         /* optional */
    struct gw_http_budget *budget; /* optional */
    void *arg;
};

/* Binds `addr` ("127.0.0.1", "::1", ...) and `port` and starts accepting.
 * Zero fields of cfg take the defaults. */
int gw_http_listen(uv_loop_t *loop, const char *addr, int port,
                   const struct gw_http_config *cfg,
                   struct gw_http_server **out);
/* Stops accepting and closes idle connections; requests in flight are still
 * answered, with `Connection: close`. `done` runs once the last connection
 * is gone, after which the server is freed. */
void gw_http_close(struct gw_http_server *srv, void (*done)(void *arg),
                   void *arg);
unsigned gw_http_conns(const struct gw_http_server *srv);

/* The first value of header `lname` (lower-case), or NULL. */
const char *gw_http_header(const struct gw_http_req *req, const char *lname);

/* Adds a response header. Returns -EINVAL (and adds nothing) if the name is
 * not a token or the value holds CR, LF or NUL; -ENOMEM. Content-Length,
 * Transfer-Encoding, Connection and Date are the server's own. */
int gw_http_add_header(struct gw_http_req *req, const char *name,
                       const char *value);
int gw_http_add_headerf(struct gw_http_req *req, const char *name,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Asks for the connection to close after this response. */
void gw_http_set_close(struct gw_http_req *req);

/* Sends the response. With release == NULL the body is copied now;
 * otherwise it is used in place and release(release_arg) runs once it is
 * written (or dropped). The request must not be touched afterwards. */
void gw_http_respond(struct gw_http_req *req, int status, const void *body,
                     size_t len, void (*release)(void *), void *release_arg);
/* Responds with a JSON error body; `code` NULL picks one from the status. */
void gw_http_error(struct gw_http_req *req, int status, const char *code,
                   const char *detail);

#endif /* MAYFLY_GW_HTTP_H */
