/* load_kseg.c: loads the kernel data selector into DS at CPL 3: #GP. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("mov %0, %%ds" : : "r"((uint32_t)MF_SEL_KDATA));
    guest_answer_str(b, 200, "kernel selector loaded\n");
}
