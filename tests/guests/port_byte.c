/* port_byte.c: an 8-bit `out` to the done port (hypercalls are 32-bit). */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    b->status = 200;
    __asm__ volatile("outb %b0, %1"
                     :
                     : "a"(1), "Nd"((uint16_t)MF_PORT_DONE)
                     : "memory");
    guest_answer_str(b, 200, "byte out was taken as done\n");
}
