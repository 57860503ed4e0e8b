/* null_deref.c: reads address 0; page 0 is unmapped, so #PF at cr2 0. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    volatile uint64_t *p = (volatile uint64_t *)0;

    b->status = (uint32_t)*p;
    guest_done(b);
}
