/* cold.h: what both VMM benches use for Mayfly's cold invocation: the one
 * request they send and the wait for a full pool between samples. */
#ifndef MAYFLY_BENCH_COLD_H
#define MAYFLY_BENCH_COLD_H

#include "vmm/vmm.h"

/* POST /fn/hello with body "ada"; hello answers "hello, ada". */
extern const struct vmm_request bench_hello_req;

/* Waits (up to 0.2 s) until the pool holds `target` ready VMs, blank and
 * primed, and the reaper has caught up, so that each paced invocation
 * starts from the same state. */
void bench_settle(struct vmm *vmm, unsigned target);

#endif /* MAYFLY_BENCH_COLD_H */
