/* write_sys.c: writes to the system page (GDT, IDT, TSS, fault stubs),
 * which is supervisor-only: #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    *(volatile uint64_t *)(uintptr_t)(MF_SYS_GPA + 0x100) = 0;
    guest_answer_str(b, 200, "IDT was writable\n");
}
