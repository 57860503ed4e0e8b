/* mf_internal.h: what the runtime's files share; not for function code. */
#ifndef MF_INTERNAL_H
#define MF_INTERNAL_H

#include <stdint.h>

#include "mayfly_abi.h"

/* The boot page, as crt0 found it in RDI. Valid from mf__start() on. */
extern struct mf_boot *mf__boot;

/* Offset of boot->stamps.start, written by crt0's first instructions (which
 * cannot use offsetof); mf_boot.c checks it against the real layout. */
#define MF__STAMP_START_OFF 224

/* Guest memory is identity-mapped (GVA == GPA) and below 4 GiB. */
static inline uint64_t mf__gpa(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static inline void *mf__ptr(uint64_t gpa)
{
    return (void *)(uintptr_t)gpa;
}

static inline uint64_t mf__rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* One hypercall: the port names it, val is the GPA of its argument block.
 * The clobber makes the block's contents visible to the host before the
 * exit, and the host's answer visible to the code after it. */
static inline void mf__outl(uint16_t port, uint32_t val)
{
    __asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

/* mf_request.c: checks that every request span and packed list lies inside
 * guest memory and is NUL-terminated as the host promises. Returns NULL,
 * or the reason it is not. */
const char *mf__request_check(const struct mf_boot *b);

/* mf_response.c: sets up the response buffers; called once before the
 * handler runs. */
void mf__response_init(void);

/* mf_response.c: writes status, headers and body into the boot page; code
 * is the handler's return value. */
void mf__response_fill(struct mf_boot *b, int code);

/* mf_log.c: writes the log span and log_truncated into the boot page. */
void mf__log_fill(struct mf_boot *b);

/* mf_boot.c: sends the response and ends the VM. */
_Noreturn void mf__finish(int code);

/* mf_pvh.c: the PVH entry, for booting under QEMU instead of the VMM.
 * mf__pvh_booted is 1 when that path built the boot page; mf__pvh_exit()
 * then replaces the done hypercall (response body to QEMU's debug console,
 * then QEMU's exit port) and mf__pvh_abort() the abort hypercall. */
extern int mf__pvh_booted;
_Noreturn void mf__pvh_exit(const struct mf_boot *b);
_Noreturn void mf__pvh_abort(const char *reason);

#endif /* MF_INTERNAL_H */
