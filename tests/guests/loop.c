/* loop.c: never answers; the host must stop it at the timeout. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    (void)b;
    for (;;)
        __asm__ volatile("" ::: "memory");
}
