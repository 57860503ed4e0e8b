/* read_fstack.c: reads the ring-0 fault stack, supervisor-only: #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    b->status = (uint32_t) * (volatile uint64_t *)(uintptr_t)MF_FSTACK_GPA;
    guest_answer_str(b, 200, "fault stack was readable\n");
}
