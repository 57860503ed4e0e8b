/* rdmsr.c: reads an MSR (EFER) at CPL 3: #GP. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080u));
    guest_answer_str(b, 200 + ((lo ^ hi) & 1), "rdmsr returned\n");
}
