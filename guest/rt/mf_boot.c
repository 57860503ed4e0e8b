/* mf_boot.c: the runtime's start and end: checks, heap, handler, exits. */
#include <stddef.h>
#include <stdint.h>

#include "../libc/libc_internal.h"
#include "mayfly.h"
#include "mf_internal.h"

struct mf_boot *mf__boot;

/* Set once the boot page is known to be ours: only then does the abort path
 * write the log into it. */
static int mf__boot_valid;

/* End of the image's memory (.bss included), from mayfly.ld. */
extern char mf__image_end[];

void mf__abort(const char *reason)
{
    if (mf__boot_valid)
        mf__log_fill(mf__boot);
    if (mf__pvh_booted)
        mf__pvh_abort(reason);
    mf__outl(MF_PORT_ABORT, (uint32_t)mf__gpa(reason));
    __builtin_trap(); /* the host never resumes an aborted guest */
}

/* The heap must lie in guest memory above the image. */
MF__BOOT_PATH
static const char *mf__heap_check(const struct mf_boot *b)
{
    if (b->heap_start > b->heap_end || b->heap_end > b->mem_size)
        return "boot page: heap outside guest memory";
    if (b->heap_start < mf__gpa(mf__image_end) && b->heap_end > b->heap_start)
        return "boot page: heap overlaps the image";
    return NULL;
}

MF__BOOT_PATH
static const char *mf__boot_check(const struct mf_boot *b)
{
    const char *why;

    if (b->magic != MF_BOOT_MAGIC)
        return "boot page: bad magic";
    if (b->abi_version != MF_ABI_VERSION)
        return "boot page: ABI version mismatch";
    if (b->mem_size < MF_MEM_MIN || b->mem_size > MF_MEM_MAX)
        return "boot page: bad memory size";
    why = mf__heap_check(b);
    return why != NULL ? why : mf__request_check(b);
}

MF__BOOT_PATH
void mf__finish(int code)
{
    struct mf_boot *b = mf__boot;

    mf__response_fill(b, code);
    mf__log_fill(b);
    b->stamps.done = mf__rdtsc();
    if (mf__pvh_booted)
        mf__pvh_exit(b);
    mf__outl(MF_PORT_DONE, (uint32_t)mf__gpa(b));
    __builtin_trap(); /* the host never resumes a finished guest */
}

void mf_exit(int code)
{
    mf__finish(code);
}

/* Called by crt0 with the boot page; never returns. */
_Noreturn void mf__start(struct mf_boot *boot);

MF__BOOT_PATH
void mf__start(struct mf_boot *boot)
{
    const char *why;

    mf__boot = boot;
    why = mf__boot_check(boot);
    if (why != NULL)
        mf__abort(why);
    mf__boot_valid = 1;
    mf__heap_init(mf__ptr(boot->heap_start), mf__ptr(boot->heap_end));
    mf__response_init();
    boot->stamps.main = mf__rdtsc();
    mf__finish(mf_handler());
}
