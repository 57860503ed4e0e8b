/* mayfly.h: the function API, the only header a function author needs.
 *
 * A function is a C program built against guest/ (see guest/guest.mk). It
 * defines mf_handler(); the runtime boots, calls it once, sends the response
 * and ends the VM. One invocation, one VM, one thread: nothing here is
 * reentrant and nothing needs to be.
 *
 *   #include <mayfly.h>
 *
 *   int mf_handler(void)
 *   {
 *       mf_set_header("Content-Type", "text/plain");
 *       mf_printf("hello from %s\n", mf_path());
 *       return 0;
 *   }
 *
 * Request strings point straight into the request the host placed in guest
 * memory (no copies): they are NUL-terminated and read-only by contract, and
 * they stay valid for the whole invocation. The response (status, headers,
 * body) and the log are collected in guest memory and handed to the host in
 * one exit when mf_handler() returns.
 *
 * Errors: functions that can fail return 0 (or a count) on success and -1
 * (or a negative errno, where said) on failure. A broken contract between
 * host and guest, a heap corruption or abort() ends the invocation with a
 * 5xx for the caller.
 *
 * The standard headers <string.h>, <stdlib.h>, <stdio.h> (snprintf only),
 * <ctype.h>, <errno.h>, <limits.h> and <assert.h> come from guest/libc.
 */
#ifndef MAYFLY_H
#define MAYFLY_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "mayfly_abi.h"

#define MF_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- Implemented by the function ----------------------------------------
 * Called once, after the request is in place. Return 0 for success. Any
 * other value marks the invocation as failed: it is logged, and the status
 * becomes 500 unless the handler set one with mf_status().
 */
int mf_handler(void);

/* ---- Request ------------------------------------------------------------
 * For invocations without an HTTP request (object triggers) method, path and
 * query are "", and the headers describe the object that triggered it:
 *   x-mayfly-bucket, x-mayfly-key   where it is (the key decoded)
 *   x-mayfly-event                  "ObjectCreated:Put", "ObjectRemoved:..."
 *   x-mayfly-object-size            its size in bytes, when known
 *   x-mayfly-object-inline          "1" when the body is the whole object
 *                                   (small ones come in memory), "0" when
 *                                   it must be read with mf_object_read()
 * mf_event() has the S3 notification JSON.
 */
const char *mf_method(void); /* "GET", "POST", ... */
const char *mf_path(void);   /* "/fn/hello/rest", not decoded */
const char *mf_query(void);  /* after the '?', not decoded; "" if none */

/* Value of the request header `name` (compared without case), or NULL. With
 * repeated headers, the first one. */
const char *mf_header(const char *name);

/* Number of request headers, and the i-th of them (names are lower-case).
 * mf_header_at() returns 0, or -1 if i is out of range. Walking i upwards
 * from 0 costs O(1) per step. */
size_t mf_header_count(void);
int mf_header_at(size_t i, const char **name, const char **value);

/* The request body and its length in *len (len may be NULL). Never NULL: an
 * empty body is "". The host puts a NUL after it, so a text body can be
 * used as a string, but the body itself may contain NUL bytes. */
const void *mf_body(size_t *len);

/* Value of the environment variable `name` (compared exactly), or NULL. */
const char *mf_env(const char *name);

/* The trigger event as JSON (object triggers), with its length in *len (len
 * may be NULL), or NULL when there is none. NUL-terminated. */
const char *mf_event(size_t *len);

/* 1 for an HTTP request, 2 for an object event (MF_TRIGGER_* in
 * mayfly_abi.h). */
unsigned mf_trigger(void);

/* Wall-clock time in nanoseconds since the Unix epoch, from the host's clock
 * base and the TSC: no exit. */
uint64_t mf_time_ns(void);

/* 32 bytes of fresh randomness from the host, different for every
 * invocation. */
const uint8_t *mf_entropy(void);

/* ---- Response -----------------------------------------------------------
 * Status defaults to 200. Codes outside 100..599 are logged and replaced by
 * 500.
 */
void mf_status(int code);

/* Sets a response header, replacing any of the same name (without case);
 * mf_add_header() adds one more, for headers that may repeat. The name must
 * be an HTTP token, the value must not contain CR or LF. Return 0, or -1
 * for a bad name or value or when out of memory. */
int mf_set_header(const char *name, const char *value);
int mf_add_header(const char *name, const char *value);

/* Appends to the response body, which grows on the heap. Return 0, or -1
 * when out of memory (the body is then unchanged). */
int mf_write(const void *buf, size_t len);
int mf_puts(const char *s); /* mf_write(s, strlen(s)), no newline added */

/* Formatted append to the body (snprintf's conversions). Returns the number
 * of bytes appended, or -1 when out of memory (the body is then unchanged).
 */
int mf_printf(const char *fmt, ...) MF_PRINTF(1, 2);
int mf_vprintf(const char *fmt, va_list ap) MF_PRINTF(1, 0);

/* ---- Log ----------------------------------------------------------------
 * One call, one log line: a trailing newline is dropped and other newlines
 * become spaces. The log holds MF_LOG_MAX bytes; once it is full the last
 * line is cut and ends in a truncation mark, later lines are dropped, and the
 * host is told (mf_boot.log_truncated). Logging never fails and never exits.
 */
#define MF_LOG_MAX 16384
void mf_log(const char *fmt, ...) MF_PRINTF(1, 2);
void mf_vlog(const char *fmt, va_list ap) MF_PRINTF(1, 0);

/* ---- Objects ------------------------------------------------------------
 * Each call is one exit to the host, so read in large chunks. An object
 * written here is one link further down the chain of events than the one
 * being handled; the host stops enqueuing events a few links down, which
 * ends a function that triggers itself.
 */

/* Reads up to len bytes of the object that triggered this invocation,
 * starting at offset off, into buf. Returns the number of bytes read (0 at
 * the end of the object), or a negative errno. */
long mf_object_read(uint64_t off, void *buf, size_t len);

/* Stores len bytes of buf as the whole object bucket/key. Returns 0, or a
 * negative errno. */
int mf_object_write(const char *bucket, const char *key, const void *buf,
                    size_t len);

/* ---- Ending early -------------------------------------------------------
 * Sends the response as it stands, as if mf_handler() had returned code.
 */
_Noreturn void mf_exit(int code);

#endif /* MAYFLY_H */
