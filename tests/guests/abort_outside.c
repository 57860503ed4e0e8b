/* abort_outside.c: the abort hypercall with a reason address beyond guest
 * memory. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    (void)b;
    guest_abort((const char *)(uintptr_t)0xfffffff0u);
}
