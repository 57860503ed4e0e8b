/* exec_heap.c: jumps into the heap holding `ret`; the heap is NX: #PF. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)b->heap_start;

    code[0] = 0xc3;
    ((void (*)(void))(uintptr_t)code)();
    guest_answer_str(b, 200, "heap was executable\n");
}
