/* stamps_bogus.c: answers 200 with milestone stamps out of order (main far
 * after done): the host must not turn them into huge durations. */
#include "hostile.h"

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void guest_main(struct mf_boot *b)
{
    b->stamps.start = rdtsc();
    b->stamps.done = rdtsc();
    b->stamps.main = UINT64_MAX;
    guest_answer_str(b, 200, "stamped\n");
}
