/* avx.c: an AVX instruction. The VMM does not enable XSAVE/AVX
 * (CR4.OSXSAVE clear), so VEX encodings are #UD: guests must be built
 * without AVX. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("vxorps %%ymm0, %%ymm0, %%ymm0" ::: "xmm0");
    guest_answer_str(b, 200, "AVX ran\n");
}
