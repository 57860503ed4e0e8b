/* noncanon.c: reads a non-canonical address: #GP, not #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    volatile uint64_t *p = (volatile uint64_t *)0x8000000000000000ULL;

    b->status = (uint32_t)*p;
    guest_done(b);
}
