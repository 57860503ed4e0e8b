/* stack_noncanon.c: a push through a non-canonical RSP: #SS. The fault
 * is delivered on the TSS's ring-0 stack, so the bad RSP cannot stop it. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("mov %0, %%rsp\n\tpush %%rax"
                     :
                     : "r"(0x8000000000001000ULL)
                     : "memory");
    guest_answer_str(b, 200, "pushed\n");
}
