/* status_0.c: answers without setting a status. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    guest_answer_str(b, 0, "no status\n");
}
