/* stack_overflow.c: unbounded recursion runs into the unmapped guard page
 * below the stack: #PF with cr2 in the guard page. */
#include "hostile.h"

#pragma GCC diagnostic ignored "-Winfinite-recursion"

static uint64_t dive(volatile uint64_t *prev, uint64_t n)
{
    volatile uint64_t frame[32];

    frame[0] = n;
    frame[31] = prev ? prev[0] : 0;
    return dive(frame, n + 1) + frame[31];
}

void guest_main(struct mf_boot *b)
{
    b->status = (uint32_t)dive(0, 0);
    guest_done(b);
}
