/* ud2.c: an undefined instruction: #UD. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("ud2");
    guest_answer_str(b, 200, "ud2 returned\n");
}
