/* oom.c: allocates 64 KiB blocks (touching each page) until its allocator
 * says no at heap_end, then answers 500 "out of memory" cleanly. */
#include "hostile.h"

#define BLOCK (64u << 10)

static uint64_t brk_at, brk_end;

static void *alloc(uint64_t n)
{
    void *p;

    if (n > brk_end - brk_at)
        return 0;
    p = (void *)(uintptr_t)brk_at;
    brk_at += n;
    return p;
}

static char msg[64] = "out of memory after ";

void guest_main(struct mf_boot *b)
{
    uint64_t blocks = 0, n;
    volatile uint8_t *p;
    size_t at = guest_strlen(msg);
    char digits[24];
    int nd = 0;

    brk_at = b->heap_start;
    brk_end = b->heap_end;
    while ((p = alloc(BLOCK)) != 0) {
        for (uint64_t i = 0; i < BLOCK; i += MF_PAGE_SIZE)
            p[i] = 1;
        blocks++;
    }
    n = blocks;
    do
        digits[nd++] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    while (nd)
        msg[at++] = digits[--nd];
    guest_copy(msg + at, " blocks\n", 9);
    guest_answer_str(b, 500, msg);
}
