/* invlog.h: the invocation log, buffered on the loop thread and written to
 * the store in batches (one transaction per batch).
 *
 * A record waits at most `interval_ms` or until `batch` records are in;
 * gw_invlog_flush writes at once (before reading the log back, and at
 * shutdown). If the store fails, the batch is dropped, counted and logged:
 * the log never holds up or fails a request. Loop thread only.
 */
#ifndef MAYFLY_GW_INVLOG_H
#define MAYFLY_GW_INVLOG_H

#include <stdint.h>
#include <uv.h>

#include "store/store.h"

struct gw_invlog;

int gw_invlog_open(struct gw_invlog **out, uv_loop_t *loop, struct st *st,
                   unsigned batch, unsigned interval_ms);
/* Copies `inv`, the strings it points to, and the guest's log (`log_len`
 * bytes, not NUL-terminated; inv->log is ignored). */
void gw_invlog_add(struct gw_invlog *l, const struct st_invocation *inv,
                   const char *log, size_t log_len);
/* Writes what is buffered; returns 0 or the store's negative errno. */
int gw_invlog_flush(struct gw_invlog *l);
uint64_t gw_invlog_dropped(const struct gw_invlog *l);
/* Flushes, then closes the timer; the log is freed by the loop. */
void gw_invlog_close(struct gw_invlog *l);

#endif /* MAYFLY_GW_INVLOG_H */
