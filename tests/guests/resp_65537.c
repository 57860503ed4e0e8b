/* resp_65537.c: a body of 64 KiB + 1 bytes, for the max_response limit. */
#include "hostile.h"

#define LEN ((64u << 10) + 1)

void guest_main(struct mf_boot *b)
{
    uint8_t *body = (uint8_t *)(uintptr_t)b->heap_start;

    guest_fill(body, 'r', LEN);
    guest_answer(b, 200, body, LEN);
}
