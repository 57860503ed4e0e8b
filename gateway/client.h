/* client.h: a small blocking HTTP/1.1 client for fnctl (one request per
 * connection, plain TCP, llhttp to read the response).
 *
 * Errors: gw_client_do returns 0 when a whole response was read (whatever
 * its status), GW_CLIENT_EREACH when fnd could not be reached or went away
 * before answering, GW_CLIENT_EPROTO for a response that makes no sense;
 * `err` says what happened.
 */
#ifndef MAYFLY_GW_CLIENT_H
#define MAYFLY_GW_CLIENT_H

#include <stddef.h>

#include "gateway/buf.h"

#define GW_CLIENT_EREACH (-1)
#define GW_CLIENT_EPROTO (-2)

struct gw_url {
    char host[256];
    char port[8];
    char prefix[256]; /* path prefix without the trailing '/', or "" */
};

struct gw_client_resp {
    int status;
    struct gw_buf headers; /* "name\0value\0"..., names lower-case */
    struct gw_buf body;
};

/* Parses "http://host[:port][/prefix]"; returns 0 or -1. */
int gw_url_parse(const char *s, struct gw_url *u);

/* Sends `method path` (path starts with '/', the URL prefix is added) with
 * `headers` ("Name: value" lines, each ending in "\r\n", or NULL) and the
 * body, and reads the whole response into *resp. */
int gw_client_do(const struct gw_url *u, const char *method, const char *path,
                 const char *headers, const void *body, size_t len,
                 struct gw_client_resp *resp, char *err, size_t errlen);
const char *gw_client_header(const struct gw_client_resp *resp,
                             const char *lname);
void gw_client_resp_free(struct gw_client_resp *resp);

#endif /* MAYFLY_GW_CLIENT_H */
