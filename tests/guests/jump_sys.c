/* jump_sys.c: calls a fault stub in the supervisor system page directly,
 * hoping to run ring-0 code: the fetch itself faults (#PF). */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    ((void (*)(void))(uintptr_t)(MF_SYS_GPA + 0x400))();
    guest_answer_str(b, 200, "ran a fault stub\n");
}
