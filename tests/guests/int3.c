/* int3.c: a breakpoint. The IDT gates are DPL 0, so at CPL 3 `int3` is
 * refused with #GP (error code: vector 3, IDT) rather than delivered as
 * #BP. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("int3");
    guest_answer_str(b, 200, "int3 returned\n");
}
