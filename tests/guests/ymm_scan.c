/* ymm_scan.c: saves all sixteen ymm registers at its first instruction and
 * answers "clean" if every byte is zero (a fresh vCPU's state), else the
 * first nonzero register in hex. Needs AVX: see ymm_plant.c. */
#define GUEST_CUSTOM_START
#include "hostile.h"

uint8_t entry_ymm[16 * 32];

__asm__(".pushsection .text.entry, \"ax\", @progbits\n"
        ".globl _start\n"
        "_start:\n"
        "    vmovdqu %ymm0, entry_ymm + 0\n"
        "    vmovdqu %ymm1, entry_ymm + 32\n"
        "    vmovdqu %ymm2, entry_ymm + 64\n"
        "    vmovdqu %ymm3, entry_ymm + 96\n"
        "    vmovdqu %ymm4, entry_ymm + 128\n"
        "    vmovdqu %ymm5, entry_ymm + 160\n"
        "    vmovdqu %ymm6, entry_ymm + 192\n"
        "    vmovdqu %ymm7, entry_ymm + 224\n"
        "    vmovdqu %ymm8, entry_ymm + 256\n"
        "    vmovdqu %ymm9, entry_ymm + 288\n"
        "    vmovdqu %ymm10, entry_ymm + 320\n"
        "    vmovdqu %ymm11, entry_ymm + 352\n"
        "    vmovdqu %ymm12, entry_ymm + 384\n"
        "    vmovdqu %ymm13, entry_ymm + 416\n"
        "    vmovdqu %ymm14, entry_ymm + 448\n"
        "    vmovdqu %ymm15, entry_ymm + 480\n"
        "    and $-16, %rsp\n"
        "    call guest_main\n"
        "    ud2\n"
        ".popsection\n");

void guest_main(struct mf_boot *b)
{
    static char hex[80] = "ymmNN ";

    for (int r = 0; r < 16; r++) {
        const uint8_t *y = entry_ymm + 32 * r;
        int nonzero = 0;

        for (int i = 0; i < 32; i++)
            nonzero |= y[i];
        if (!nonzero)
            continue;
        hex[3] = (char)('0' + r / 10);
        hex[4] = (char)('0' + r % 10);
        for (int i = 0; i < 32; i++) {
            hex[6 + 2 * i] = "0123456789abcdef"[y[i] >> 4];
            hex[6 + 2 * i + 1] = "0123456789abcdef"[y[i] & 15];
        }
        hex[70] = '\n';
        guest_answer(b, 200, hex, 71);
    }
    guest_answer_str(b, 200, "clean\n");
}
