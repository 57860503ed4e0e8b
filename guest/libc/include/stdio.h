/* stdio.h: formatted output into buffers for guest code (no streams). */
#ifndef MF_STDIO_H
#define MF_STDIO_H

#include <stdarg.h>
#include <stddef.h>

/* C99 semantics for: conversions d i u x X p s c %; flags - 0 + space #;
 * width and precision, both also as *; length modifiers hh h l ll z j t.
 * Writes at most size bytes including the NUL (nothing if size is 0) and
 * returns the length the full output would have, or -1 if that exceeds
 * INT_MAX. %s of NULL prints "(null)", %p prints 0x and lower-case hex.
 * Not supported: floating point, %n, %o, wide characters. */
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
              va_list ap) __attribute__((format(printf, 3, 0)));

#endif /* MF_STDIO_H */
