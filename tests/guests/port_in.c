/* port_in.c: reads from the done port instead of writing to it. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    uint32_t v;

    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)MF_PORT_DONE));
    guest_answer_str(b, 200 + (v & 1), "in was answered\n");
}
