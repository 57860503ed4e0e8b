/* wrmsr.c: writes an MSR (LSTAR) at CPL 3: #GP. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("wrmsr" : : "a"(0), "d"(0), "c"(0xc0000082u));
    guest_answer_str(b, 200, "wrmsr returned\n");
}
