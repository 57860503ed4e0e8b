/* return_start.c: an entry point that returns. The initial RSP is
 * MF_STACK_TOP, whose page is unmapped, so `ret` faults (#PF, cr2 0x40000)
 * instead of jumping to a return address. */
#define GUEST_CUSTOM_START
#include "hostile.h"

__asm__(".pushsection .text.entry, \"ax\", @progbits\n"
        ".globl _start\n"
        "_start:\n"
        "    ret\n"
        ".popsection\n");

void guest_main(struct mf_boot *b)
{
    (void)b;
}
