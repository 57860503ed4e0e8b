/* client.c: blocking HTTP/1.1 client over plain sockets, for fnctl. */
#include "gateway/client.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <llhttp.h>

#define CONNECT_TIMEOUT_MS 5000
#define IO_TIMEOUT_S 120 /* longer than any function may run */
#define MAX_RESPONSE (256u << 20)

struct reader {
    struct gw_client_resp *resp;
    int done;
    int head; /* response to HEAD: no body follows */
};

int gw_url_parse(const char *s, struct gw_url *u)
{
    const char *host, *end, *slash, *colon;
    size_t hlen;

    memset(u, 0, sizeof(*u));
    if (strncasecmp(s, "http://", 7) != 0)
        return -1;
    host = s + 7;
    slash = strchr(host, '/');
    end = slash ? slash : host + strlen(host);
    if (*host == '[') {
        colon = memchr(host, ']', (size_t)(end - host));
        if (!colon)
            return -1;
        host++;
        hlen = (size_t)(colon - host);
        colon = colon[1] == ':' ? colon + 1 : NULL;
    } else {
        colon = memchr(host, ':', (size_t)(end - host));
        hlen = (size_t)((colon ? colon : end) - host);
    }
    if (hlen == 0 || hlen >= sizeof(u->host))
        return -1;
    memcpy(u->host, host, hlen);
    if (colon && (size_t)(end - colon - 1) < sizeof(u->port) && end - colon > 1)
        memcpy(u->port, colon + 1, (size_t)(end - colon - 1));
    else if (colon)
        return -1;
    else
        strcpy(u->port, "80");
    if (slash)
        snprintf(u->prefix, sizeof(u->prefix), "%s", slash);
    while (u->prefix[0] && u->prefix[strlen(u->prefix) - 1] == '/')
        u->prefix[strlen(u->prefix) - 1] = '\0';
    return 0;
}

/* Connects with a deadline; returns the socket or -1 with errno set. */
static int connect_one(const struct addrinfo *ai)
{
    struct pollfd pfd;
    socklen_t sl = sizeof(int);
    int fd, soerr = 0, flags;

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
        goto fail;
    pfd.fd = fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, CONNECT_TIMEOUT_MS) != 1) {
        errno = ETIMEDOUT;
        goto fail;
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
        errno = soerr;
        goto fail;
    }
    fcntl(fd, F_SETFL, flags);
    return fd;
fail:
    soerr = errno;
    close(fd);
    errno = soerr;
    return -1;
}

static int dial(const struct gw_url *u, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res, *ai;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    int fd = -1, rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "cannot resolve %s: %s", u->host,
                 gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = connect_one(ai);
    if (fd < 0)
        snprintf(err, errlen, "cannot connect to %s:%s: %s", u->host, u->port,
                 strerror(errno));
    freeaddrinfo(res);
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    ssize_t w;

    while (n) {
        w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_request(int fd, const struct gw_url *u, const char *method,
                        const char *path, const char *headers, const void *body,
                        size_t len)
{
    struct gw_buf h = {0};
    int rc;

    gw_buf_addf(&h,
                "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\n"
                "User-Agent: fnctl\r\nConnection: close\r\n"
                "Content-Length: %zu\r\n%s\r\n",
                method, u->prefix, path, u->host, u->port, len,
                headers ? headers : "");
    rc = h.err ? -1 : send_all(fd, h.data, h.len);
    gw_buf_free(&h);
    if (rc == 0 && len)
        rc = send_all(fd, body, len);
    return rc;
}

/* ---- Response ----------------------------------------------------------- */

static struct gw_client_resp *reader_resp(llhttp_t *p)
{
    return ((struct reader *)p->data)->resp;
}

static int on_field(llhttp_t *p, const char *at, size_t len)
{
    struct gw_buf *b = &reader_resp(p)->headers;
    size_t i;

    for (i = 0; i < len; i++)
        gw_buf_addc(b, (char)tolower((unsigned char)at[i]));
    return b->err ? -1 : 0;
}

static int on_nul(llhttp_t *p)
{
    return gw_buf_addc(&reader_resp(p)->headers, '\0') ? -1 : 0;
}

static int on_value(llhttp_t *p, const char *at, size_t len)
{
    return gw_buf_add(&reader_resp(p)->headers, at, len) ? -1 : 0;
}

static int on_headers_done(llhttp_t *p)
{
    struct reader *r = p->data;

    r->resp->status = p->status_code;
    return r->head ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct gw_buf *b = &reader_resp(p)->body;

    if (b->len + len > MAX_RESPONSE)
        return -1;
    return gw_buf_add(b, at, len) ? -1 : 0;
}

static int on_done(llhttp_t *p)
{
    ((struct reader *)p->data)->done = 1;
    return HPE_PAUSED;
}

static void settings(llhttp_settings_t *s)
{
    llhttp_settings_init(s);
    s->on_header_field = on_field;
    s->on_header_field_complete = on_nul;
    s->on_header_value = on_value;
    s->on_header_value_complete = on_nul;
    s->on_headers_complete = on_headers_done;
    s->on_body = on_body;
    s->on_message_complete = on_done;
}

/* Feeds the parser until the final response is complete; 1xx responses
 * (100 Continue) are skipped. Returns 0 or a GW_CLIENT_E* code. */
static int read_response(int fd, struct reader *r, char *err, size_t errlen)
{
    llhttp_settings_t s;
    llhttp_t p;
    char buf[16384];
    ssize_t n;
    llhttp_errno_t e = HPE_OK;

    settings(&s);
    llhttp_init(&p, HTTP_RESPONSE, &s);
    p.data = r;
    for (;;) {
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "reading the response: %s",
                     errno == EAGAIN ? "timed out" : strerror(errno));
            return GW_CLIENT_EREACH;
        }
        e = n ? llhttp_execute(&p, buf, (size_t)n) : llhttp_finish(&p);
        if (e == HPE_PAUSED && r->resp->status >= 200)
            return 0;
        if (e == HPE_PAUSED) { /* an interim response: go on */
            gw_buf_reset(&r->resp->headers);
            gw_buf_reset(&r->resp->body);
            r->done = 0;
            llhttp_resume(&p);
            continue;
        }
        if (e != HPE_OK || n == 0)
            break;
    }
    if (r->done)
        return 0;
    if (n == 0 && e == HPE_OK && !r->resp->status) {
        snprintf(err, errlen, "connection closed before a response");
        return GW_CLIENT_EREACH;
    }
    snprintf(err, errlen, "bad response: %s",
             e != HPE_OK ? llhttp_get_error_reason(&p) : "truncated");
    return GW_CLIENT_EPROTO;
}

int gw_client_do(const struct gw_url *u, const char *method, const char *path,
                 const char *headers, const void *body, size_t len,
                 struct gw_client_resp *resp, char *err, size_t errlen)
{
    struct reader r = {resp, 0, strcmp(method, "HEAD") == 0};
    int fd, rc, saved;

    memset(resp, 0, sizeof(*resp));
    fd = dial(u, err, errlen);
    if (fd < 0)
        return GW_CLIENT_EREACH;
    if (send_request(fd, u, method, path, headers, body, len) < 0) {
        /* fnd may have answered early (413, 401): read what it said. */
        saved = errno;
        rc = read_response(fd, &r, err, errlen);
        if (rc < 0)
            snprintf(err, errlen, "sending the request: %s", strerror(saved));
    } else {
        rc = read_response(fd, &r, err, errlen);
    }
    close(fd);
    return rc;
}

const char *gw_client_header(const struct gw_client_resp *resp,
                             const char *lname)
{
    const char *p = resp->headers.data;
    const char *end = p + resp->headers.len;

    while (p && p < end) {
        if (strcmp(p, lname) == 0)
            return p + strlen(p) + 1;
        p += strlen(p) + 1;
        p += strlen(p) + 1;
    }
    return NULL;
}

void gw_client_resp_free(struct gw_client_resp *resp)
{
    gw_buf_free(&resp->headers);
    gw_buf_free(&resp->body);
}
