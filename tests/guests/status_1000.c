/* status_1000.c: answers with status 1000. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    guest_answer_str(b, 1000, "status 1000\n");
}
