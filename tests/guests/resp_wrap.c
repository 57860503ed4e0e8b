/* resp_wrap.c: a response body whose gpa + len wraps around 2^64 to a
 * small number. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    guest_answer(b, 200, (void *)(uintptr_t)0xfffffffffffff000ULL, 0x2000);
}
