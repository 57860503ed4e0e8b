/* write_stub.c: writes over the host's warm-up stub (user read/exec, not
 * writable): #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    *(volatile uint8_t *)(uintptr_t)MF_STUB_GPA = 0xc3;
    guest_answer_str(b, 200, "stub was writable\n");
}
