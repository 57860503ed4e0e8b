/* past_end.c: reads the first byte past the end of guest memory: #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)b->mem_size;

    b->status = 200 + *p;
    guest_done(b);
}
