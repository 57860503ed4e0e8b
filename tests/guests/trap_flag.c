/* trap_flag.c: sets RFLAGS.TF (allowed at CPL 3): the next instruction
 * ends in a single-step #DB. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("pushfq\n\t"
                     "orq $0x100, (%%rsp)\n\t"
                     "popfq\n\t"
                     "nop" ::
                         : "memory", "cc");
    guest_answer_str(b, 200, "single step ignored\n");
}
