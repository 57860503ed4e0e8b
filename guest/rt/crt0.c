/* crt0.c: the image's entry point and its Mayfly ELF note. */
#include <stddef.h>
#include <stdint.h>

#include "mayfly_abi.h"
#include "mf_internal.h"

#define MF__STR(x) #x
#define MF__XSTR(x) MF__STR(x)

/* Entry, as the VMM leaves the vCPU: long mode, CPL 3, RSP = MF_STACK_TOP
 * (16-byte aligned), RDI = the boot page. The TSC is read first so that
 * stamps.start marks the guest's first instruction. RDI survives rdtsc and
 * is mf__start()'s argument; the call leaves RSP as the C ABI wants it.
 * mf__start() never returns; if it did, ud2 would fault. */
__asm__(
    ".section .text.mf_entry, \"ax\", @progbits\n"
    ".globl _start\n"
    ".type _start, @function\n"
    "_start:\n"
    "    rdtsc\n"
    "    shlq $32, %rdx\n"
    "    orq %rdx, %rax\n"
    "    movq %rax, " MF__XSTR(MF__STAMP_START_OFF) "(%rdi)\n"
                                                    "    cld\n"
                                                    "    andq $-16, %rsp\n"
                                                    "    xorl %ebp, %ebp\n"
                                                    "    call mf__start\n"
                                                    "    ud2\n"
                                                    ".size _start, . - _start\n"
                                                    ".previous\n");

/* The note the VMM looks for: name "Mayfly", type MF_NOTE_TYPE, and the ABI
 * version as a 4-byte descriptor. mayfly.ld keeps it and gives it a PT_NOTE
 * segment. */
struct mf__note {
    uint32_t namesz;
    uint32_t descsz;
    uint32_t type;
    char name[(sizeof(MF_NOTE_NAME) + 3) & ~3u];
    uint32_t desc;
};

__attribute__((section(".note.mayfly"), aligned(4),
               used)) static const struct mf__note mf__note = {
    .namesz = sizeof(MF_NOTE_NAME),
    .descsz = sizeof(uint32_t),
    .type = MF_NOTE_TYPE,
    .name = MF_NOTE_NAME,
    .desc = MF_ABI_VERSION,
};

_Static_assert(offsetof(struct mf_boot, stamps.start) == MF__STAMP_START_OFF,
               "crt0 stamps the wrong field");
