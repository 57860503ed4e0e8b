/* write_pt.c: writes to the PML4, supervisor-only: #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    *(volatile uint64_t *)(uintptr_t)MF_PML4_GPA = 0;
    guest_answer_str(b, 200, "page tables were writable\n");
}
