/* libc_internal.h: what the guest libc and the runtime tell each other. */
#ifndef MF_LIBC_INTERNAL_H
#define MF_LIBC_INTERNAL_H

#include <stddef.h>

/* Marks code on the path from the entry to the handler and from the
 * handler's return to the done exit. mayfly.ld packs it right after the
 * entry point, so that a small function runs from as few text pages as
 * possible: on the host, the first touch of each page is a costly fault. */
#define MF__BOOT_PATH __attribute__((section(".text.mf_boot")))

/* Hands [start, end) to the heap allocator, forgetting any earlier heap.
 * Called once by the runtime before the handler runs; the bounds are
 * rounded inwards to 16 bytes and a range too small for one block gives an
 * empty heap (malloc then returns NULL). */
void mf__heap_init(void *start, void *end);

/* Ends the invocation with MF_PORT_ABORT; reason is NUL-terminated and
 * must stay valid (a literal or static storage). Provided by the runtime. */
_Noreturn void mf__abort(const char *reason);

#endif /* MF_LIBC_INTERNAL_H */
