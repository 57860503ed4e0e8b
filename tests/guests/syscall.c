/* syscall.c: the syscall instruction. EFER.SCE is clear, so on hardware
 * KVM this is #UD; PVM must not let it reach ring 0 either. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("syscall" ::: "rcx", "r11", "memory");
    guest_answer_str(b, 200, "syscall returned\n");
}
