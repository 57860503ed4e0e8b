/* abort_msg.c: the abort hypercall with a message. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    (void)b;
    guest_abort("hostile abort\x01 here");
}
