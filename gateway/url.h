/* url.h: percent-encoding (RFC 3986) of paths, queries and S3 keys.
 *
 * Encoding keeps the unreserved characters (A-Z a-z 0-9 - _ . ~) and writes
 * every other byte as %XX with upper-case digits; the flags keep '/' as it
 * is and write a space as '+'. Decoding turns %XX back into its byte; an
 * escape that is not two hex digits stays as it was sent. A decoded %00 is
 * a NUL inside the result: callers that need a C string check its length.
 *
 * Errors: the functions return NULL when memory runs out. Thread-safe.
 * Nothing is logged.
 */
#ifndef MAYFLY_GW_URL_H
#define MAYFLY_GW_URL_H

#include <stddef.h>

#define GW_URL_KEEP_SLASH 1 /* encoding: '/' stays '/' */
#define GW_URL_PLUS 2       /* a space is '+' (form encoding) both ways */

/* The value of hex digit c (either case), or -1. */
int gw_url_hexval(char c);
/* Encodes n bytes of s. Returns a malloc'd string or NULL. */
char *gw_url_encode(const char *s, size_t n, int flags);
/* Decodes n bytes of s; only GW_URL_PLUS counts here. Returns a malloc'd
 * string of *len bytes (len may be NULL), NUL-terminated, or NULL. */
char *gw_url_decode(const char *s, size_t n, int flags, size_t *len);

#endif /* MAYFLY_GW_URL_H */
