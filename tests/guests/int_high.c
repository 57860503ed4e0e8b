/* int_high.c: `int $0x80`, a vector beyond the 32-entry IDT: #GP. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("int $0x80");
    guest_answer_str(b, 200, "int 0x80 returned\n");
}
