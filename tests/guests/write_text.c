/* write_text.c: writes over its own code; text is read-only (W^X): #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)guest_main;

    code[0] = 0xc3;
    guest_answer_str(b, 200, "text was writable\n");
}
