/* mf_native.c: the function API (mayfly.h) on a plain Linux host, so that a
 * function builds unchanged as a static program that a server runs per
 * request, as CGI does (bench/: the fork+exec contender).
 *
 * The request comes as CGI passes it: REQUEST_METHOD, PATH_INFO,
 * QUERY_STRING, CONTENT_TYPE and HTTP_* variables in the environment, the
 * body on standard input (CONTENT_LENGTH bytes, or up to end of file). The
 * response goes to standard output as a CGI response ("Status: N" line,
 * headers, blank line, body) in one write when the handler returns; log
 * lines go to standard error. Object calls answer -ENOSYS: a native
 * program has no triggering object.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "mayfly.h"

#define NATIVE_MAX_BODY (6u << 20)

struct native_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* A request header, name lower-case with '-' as HTTP spells it. */
struct native_header {
    char *name;
    const char *value;
};

static struct native_buf req_body;
static struct native_header *req_headers;
static size_t req_header_count;
static struct native_buf resp_body;
static struct native_buf resp_headers; /* "Name: value\r\n" lines */
static int resp_status;
static uint8_t entropy[32];
static int entropy_ready;
extern char **environ;

static int buf_add(struct native_buf *b, const void *p, size_t n)
{
    size_t cap = b->cap ? b->cap : 256;
    char *d;

    if (n > NATIVE_MAX_BODY || b->len + n > NATIVE_MAX_BODY)
        return -1;
    while (cap < b->len + n + 1)
        cap *= 2;
    if (cap != b->cap) {
        if ((d = realloc(b->data, cap)) == NULL)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return v != NULL ? v : dflt;
}

/* ---- Request --------------------------------------------------------- */

static int read_body(void)
{
    const char *cl = getenv("CONTENT_LENGTH");
    size_t want = cl != NULL ? strtoul(cl, NULL, 10) : NATIVE_MAX_BODY;
    char chunk[4096];
    ssize_t n;

    if (buf_add(&req_body, "", 0) < 0)
        return -1;
    while (req_body.len < want) {
        size_t room = want - req_body.len;

        n = read(0, chunk, room < sizeof(chunk) ? room : sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : 0;
        if (buf_add(&req_body, chunk, (size_t)n) < 0)
            return -1;
    }
    return 0;
}

/* HTTP_ACCEPT_LANGUAGE=x becomes "accept-language: x"; CONTENT_TYPE is a
 * header too. */
static void add_header(const char *var, size_t namelen, const char *value)
{
    struct native_header *h;
    char *name;

    h = realloc(req_headers, (req_header_count + 1) * sizeof(*h));
    if (h == NULL || (name = strndup(var, namelen)) == NULL)
        return;
    req_headers = h;
    for (char *p = name; *p; p++)
        *p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
    h[req_header_count].name = name;
    h[req_header_count++].value = value;
}

static void read_headers(void)
{
    for (char **e = environ; *e != NULL; e++) {
        const char *eq = strchr(*e, '=');

        if (eq == NULL)
            continue;
        if (strncmp(*e, "HTTP_", 5) == 0)
            add_header(*e + 5, (size_t)(eq - *e - 5), eq + 1);
        else if (strncmp(*e, "CONTENT_TYPE=", 13) == 0)
            add_header(*e, 12, eq + 1);
    }
}

const char *mf_method(void)
{
    return env_or("REQUEST_METHOD", "POST");
}

const char *mf_path(void)
{
    return env_or("PATH_INFO", "/");
}

const char *mf_query(void)
{
    return env_or("QUERY_STRING", "");
}

const char *mf_header(const char *name)
{
    for (size_t i = 0; i < req_header_count; i++) {
        if (strcasecmp(req_headers[i].name, name) == 0)
            return req_headers[i].value;
    }
    return NULL;
}

size_t mf_header_count(void)
{
    return req_header_count;
}

int mf_header_at(size_t i, const char **name, const char **value)
{
    if (i >= req_header_count)
        return -1;
    *name = req_headers[i].name;
    *value = req_headers[i].value;
    return 0;
}

const void *mf_body(size_t *len)
{
    if (len != NULL)
        *len = req_body.len;
    return req_body.data != NULL ? req_body.data : "";
}

const char *mf_env(const char *name)
{
    return getenv(name);
}

const char *mf_event(size_t *len)
{
    if (len != NULL)
        *len = 0;
    return NULL;
}

unsigned mf_trigger(void)
{
    return MF_TRIGGER_HTTP;
}

uint64_t mf_time_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Drawn on first use only: most functions never ask. */
const uint8_t *mf_entropy(void)
{
    if (!entropy_ready &&
        getrandom(entropy, sizeof(entropy), 0) == (ssize_t)sizeof(entropy))
        entropy_ready = 1;
    return entropy;
}

/* ---- Response -------------------------------------------------------- */

void mf_status(int code)
{
    if (code < 100 || code > 599) {
        mf_log("mf_status: invalid status %d, using 500", code);
        code = 500;
    }
    resp_status = code;
}

static int header_ok(const char *name, const char *value)
{
    if (*name == '\0' || strpbrk(name, " \t\r\n:") != NULL)
        return 0;
    return strpbrk(value, "\r\n") == NULL;
}

/* Drops every "Name: ..." line whose name matches (without case). */
static void header_remove(const char *name)
{
    size_t nlen = strlen(name), off = 0;

    while (off < resp_headers.len) {
        char *line = resp_headers.data + off;
        size_t llen = (size_t)(strstr(line, "\r\n") - line) + 2;

        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            memmove(line, line + llen, resp_headers.len - off - llen + 1);
            resp_headers.len -= llen;
        } else {
            off += llen;
        }
    }
}

int mf_add_header(const char *name, const char *value)
{
    if (!header_ok(name, value))
        return -1;
    if (buf_add(&resp_headers, name, strlen(name)) < 0 ||
        buf_add(&resp_headers, ": ", 2) < 0 ||
        buf_add(&resp_headers, value, strlen(value)) < 0 ||
        buf_add(&resp_headers, "\r\n", 2) < 0)
        return -1;
    return 0;
}

int mf_set_header(const char *name, const char *value)
{
    if (!header_ok(name, value))
        return -1;
    header_remove(name);
    return mf_add_header(name, value);
}

int mf_write(const void *buf, size_t len)
{
    return buf_add(&resp_body, buf, len);
}

int mf_puts(const char *s)
{
    return mf_write(s, strlen(s));
}

int mf_vprintf(const char *fmt, va_list ap)
{
    char *s;
    int n = vasprintf(&s, fmt, ap);

    if (n < 0)
        return -1;
    if (mf_write(s, (size_t)n) < 0)
        n = -1;
    free(s);
    return n;
}

int mf_printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = mf_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

/* ---- Log, objects, exit ---------------------------------------------- */

void mf_vlog(const char *fmt, va_list ap)
{
    char line[1024];
    int n = vsnprintf(line, sizeof(line), fmt, ap);

    if (n < 0)
        return;
    n = n < (int)sizeof(line) ? n : (int)sizeof(line) - 1;
    while (n > 0 && line[n - 1] == '\n')
        n--;
    for (int i = 0; i < n; i++)
        line[i] = line[i] == '\n' || line[i] == '\r' ? ' ' : line[i];
    fprintf(stderr, "%.*s\n", n, line);
}

void mf_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mf_vlog(fmt, ap);
    va_end(ap);
}

long mf_object_read(uint64_t off, void *buf, size_t len)
{
    return -ENOSYS;
}

int mf_object_write(const char *bucket, const char *key, const void *buf,
                    size_t len)
{
    return -ENOSYS;
}

/* Writes the whole CGI response with one writev. */
static void send_response(int code)
{
    char status[32];
    struct iovec iov[4];
    int st = resp_status;

    if (code != 0) {
        mf_log("handler returned %d", code);
        if (st == 0)
            st = 500;
    }
    snprintf(status, sizeof(status), "Status: %d\r\n", st ? st : 200);
    iov[0] = (struct iovec){status, strlen(status)};
    iov[1] = (struct iovec){resp_headers.data, resp_headers.len};
    iov[2] = (struct iovec){"\r\n", 2};
    iov[3] = (struct iovec){resp_body.data, resp_body.len};
    if (writev(1, iov, 4) < 0)
        _exit(2);
}

void mf_exit(int code)
{
    send_response(code);
    exit(code != 0);
}

int main(void)
{
    if (read_body() < 0) {
        fputs("mf_native: cannot read the request body\n", stderr);
        return 2;
    }
    read_headers();
    mf_exit(mf_handler());
}
