/* mmio.c: writes to 256 MiB, far beyond guest memory. The page tables
 * map exactly mem_size bytes, so this is a #PF in the guest, never an
 * MMIO exit to the host. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    *(volatile uint32_t *)(uintptr_t)0x10000000 = 0xdeadbeef;
    guest_answer_str(b, 200, "wrote beyond memory\n");
}
