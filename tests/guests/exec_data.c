/* exec_data.c: jumps into writable data holding `ret`; data is NX: #PF. */
#include "hostile.h"

static uint8_t code[16] = {0xc3};

void guest_main(struct mf_boot *b)
{
    ((void (*)(void))(uintptr_t)code)();
    guest_answer_str(b, 200, "data was executable\n");
}
