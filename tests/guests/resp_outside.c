/* resp_outside.c: a response body that starts inside guest memory and
 * runs 16 bytes past its end. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    guest_answer(b, 200, (void *)(uintptr_t)(b->mem_size - 16), 32);
}
