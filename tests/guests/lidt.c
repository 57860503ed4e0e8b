/* lidt.c: tries to load its own IDT, the first step of a triple fault.
 * At CPL 3 lidt, lgdt, ltr and mov to CR3 all #GP, and the IDT, GDT, TSS
 * and fault stack sit in supervisor pages, so a guest cannot break fault
 * delivery: a triple fault is not reachable from CPL 3. */
#include "hostile.h"

static const struct __attribute__((packed)) {
    uint16_t limit;
    uint64_t base;
} bad_idt = {0, 0};

void guest_main(struct mf_boot *b)
{
    __asm__ volatile("lidt %0" : : "m"(bad_idt));
    __asm__ volatile("int $0x3");
    guest_answer_str(b, 200, "lidt returned\n");
}
