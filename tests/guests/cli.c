/* cli.c: cli at CPL 3 with IOPL 0 (the VMM opens ports through the TSS
 * bitmap, not IOPL): #GP. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("cli");
    guest_answer_str(b, 200, "cli returned\n");
}
