/* exec_stack.c: jumps into its stack holding `ret`; the stack is NX: #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    volatile uint8_t code[16];

    code[0] = 0xc3;
    ((void (*)(void))(uintptr_t)code)();
    guest_answer_str(b, 200, "stack was executable\n");
}
