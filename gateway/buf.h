/* buf.h: a growable byte buffer for building responses and JSON text.
 *
 * Errors are sticky: after an allocation fails every append is a no-op and
 * b->err is -ENOMEM, so a caller builds a whole message and checks once.
 * The data is always NUL-terminated when len > 0 (the NUL is not counted).
 */
#ifndef MAYFLY_GW_BUF_H
#define MAYFLY_GW_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct gw_buf {
    char *data;
    size_t len;
    size_t cap;
    int err;
};

/* Makes room for `extra` more bytes; returns 0 or -ENOMEM. */
int gw_buf_reserve(struct gw_buf *b, size_t extra);
int gw_buf_add(struct gw_buf *b, const void *p, size_t n);
int gw_buf_addc(struct gw_buf *b, char c);
int gw_buf_adds(struct gw_buf *b, const char *s);
int gw_buf_addf(struct gw_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int gw_buf_vaddf(struct gw_buf *b, const char *fmt, va_list ap);
/* Appends `s` (n bytes) as a quoted JSON string. */
int gw_buf_add_json(struct gw_buf *b, const char *s, size_t n);
/* Appends the whole file at `path` ("-" is stdin), at most `max` bytes
 * in all. Returns 0, -EFBIG past max, -EISDIR, or another negative errno. */
int gw_buf_read_file(struct gw_buf *b, const char *path, size_t max);
/* Forgets the contents, keeps the memory. */
void gw_buf_reset(struct gw_buf *b);
/* Releases the memory; the buffer is empty and usable again. */
void gw_buf_free(struct gw_buf *b);
/* Hands the memory to the caller (free() it); the buffer becomes empty. */
char *gw_buf_steal(struct gw_buf *b, size_t *len);

#endif /* MAYFLY_GW_BUF_H */
