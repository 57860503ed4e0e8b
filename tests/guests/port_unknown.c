/* port_unknown.c: a hypercall to a port the host does not know. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    guest_out(0x600, 0);
    guest_answer_str(b, 200, "port 0x600 was ignored\n");
}
