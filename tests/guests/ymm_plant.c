/* ymm_plant.c: fills all sixteen ymm registers with the invocation's
 * entropy and answers it in hex; ymm_scan.c then looks for it. On
 * hardware KVM the VMM leaves AVX disabled and this is #UD; PVM runs CPL 3
 * natively with the host's XCR0, so AVX works and its state must not
 * outlive the VM. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    static char hex[65];

    for (int i = 0; i < 32; i++) {
        hex[2 * i] = "0123456789abcdef"[b->entropy[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[b->entropy[i] & 15];
    }
    hex[64] = '\n';
    __asm__ volatile("vmovdqu (%0), %%ymm0\n\t"
                     "vmovdqa %%ymm0, %%ymm1\n\tvmovdqa %%ymm0, %%ymm2\n\t"
                     "vmovdqa %%ymm0, %%ymm3\n\tvmovdqa %%ymm0, %%ymm4\n\t"
                     "vmovdqa %%ymm0, %%ymm5\n\tvmovdqa %%ymm0, %%ymm6\n\t"
                     "vmovdqa %%ymm0, %%ymm7\n\tvmovdqa %%ymm0, %%ymm8\n\t"
                     "vmovdqa %%ymm0, %%ymm9\n\tvmovdqa %%ymm0, %%ymm10\n\t"
                     "vmovdqa %%ymm0, %%ymm11\n\tvmovdqa %%ymm0, %%ymm12\n\t"
                     "vmovdqa %%ymm0, %%ymm13\n\tvmovdqa %%ymm0, %%ymm14\n\t"
                     "vmovdqa %%ymm0, %%ymm15\n\t"
                     :
                     : "r"(b->entropy)
                     : "memory");
    guest_answer(b, 200, hex, sizeof(hex));
}
