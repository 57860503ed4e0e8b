/* hlt.c: hlt is privileged; at CPL 3 it raises #GP. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("hlt");
    guest_answer_str(b, 200, "hlt returned\n");
}
