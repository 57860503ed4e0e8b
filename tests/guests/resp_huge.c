/* resp_huge.c: claims a response body of 2^64 - 1 bytes. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    guest_answer(b, 200, (void *)(uintptr_t)b->heap_start, UINT64_MAX);
}
