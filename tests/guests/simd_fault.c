/* simd_fault.c: unmasks SSE divide-by-zero and divides by zero; with
 * CR4.OSXMMEXCPT set that is #XM. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    uint32_t mxcsr = 0x1f80 & ~(1u << 9); /* unmask ZE */
    float one = 1.0f, zero = 0.0f;

    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ volatile("divss %1, %0" : "+x"(one) : "x"(zero));
    guest_answer_str(b, 200 + (one != one), "divided by zero\n");
}
