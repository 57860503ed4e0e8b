/* div0.c: integer division by zero: #DE. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    volatile uint32_t zero = 0;
    uint32_t q = 7 / zero;

    guest_answer_str(b, 200 + q, "divided by zero\n");
}
