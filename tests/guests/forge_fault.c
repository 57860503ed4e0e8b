/* forge_fault.c: reports a fault that did not happen, with the fault
 * stubs' own 8-bit `out` to MF_PORT_FAULT. The port is open to CPL 3, but
 * the host sees CPL 3 and calls it a forgery; it ends the guest's own VM. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("outb %b0, %1"
                     :
                     : "a"(14), "Nd"((uint16_t)MF_PORT_FAULT)
                     : "memory");
    guest_answer_str(b, 200, "forged fault ignored\n");
}
