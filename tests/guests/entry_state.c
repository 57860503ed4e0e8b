/* entry_state.c: records every register the guest can see at its first
 * instruction (general registers, RFLAGS, xmm0-15, MXCSR, x87 control
 * word) and answers "clean" only if they hold exactly what the ABI
 * promises (RSP = MF_STACK_TOP, RDI = MF_BOOT_GPA, all else zero or reset
 * values): nothing may leak in from the host or an earlier guest. */
#define GUEST_CUSTOM_START
#include "hostile.h"

uint64_t entry_gpr[17];
uint8_t entry_xmm[16 * 16];
uint32_t entry_mxcsr;
uint16_t entry_fcw;

__asm__(".pushsection .text.entry, \"ax\", @progbits\n"
        ".globl _start\n"
        "_start:\n"
        "    mov %rax, entry_gpr + 0\n"
        "    mov %rbx, entry_gpr + 8\n"
        "    mov %rcx, entry_gpr + 16\n"
        "    mov %rdx, entry_gpr + 24\n"
        "    mov %rsi, entry_gpr + 32\n"
        "    mov %rdi, entry_gpr + 40\n"
        "    mov %rbp, entry_gpr + 48\n"
        "    mov %rsp, entry_gpr + 56\n"
        "    mov %r8, entry_gpr + 64\n"
        "    mov %r9, entry_gpr + 72\n"
        "    mov %r10, entry_gpr + 80\n"
        "    mov %r11, entry_gpr + 88\n"
        "    mov %r12, entry_gpr + 96\n"
        "    mov %r13, entry_gpr + 104\n"
        "    mov %r14, entry_gpr + 112\n"
        "    mov %r15, entry_gpr + 120\n"
        "    pushfq\n"
        "    popq entry_gpr + 128\n"
        "    movdqu %xmm0, entry_xmm + 0\n"
        "    movdqu %xmm1, entry_xmm + 16\n"
        "    movdqu %xmm2, entry_xmm + 32\n"
        "    movdqu %xmm3, entry_xmm + 48\n"
        "    movdqu %xmm4, entry_xmm + 64\n"
        "    movdqu %xmm5, entry_xmm + 80\n"
        "    movdqu %xmm6, entry_xmm + 96\n"
        "    movdqu %xmm7, entry_xmm + 112\n"
        "    movdqu %xmm8, entry_xmm + 128\n"
        "    movdqu %xmm9, entry_xmm + 144\n"
        "    movdqu %xmm10, entry_xmm + 160\n"
        "    movdqu %xmm11, entry_xmm + 176\n"
        "    movdqu %xmm12, entry_xmm + 192\n"
        "    movdqu %xmm13, entry_xmm + 208\n"
        "    movdqu %xmm14, entry_xmm + 224\n"
        "    movdqu %xmm15, entry_xmm + 240\n"
        "    stmxcsr entry_mxcsr\n"
        "    fnstcw entry_fcw\n"
        "    and $-16, %rsp\n"
        "    call guest_main\n"
        "    ud2\n"
        ".popsection\n");

static char msg[128];

static void hex64(char *s, uint64_t v)
{
    for (int i = 15; i >= 0; i--, v >>= 4)
        s[i] = "0123456789abcdef"[v & 15];
}

/* Answers 200 "<what> 0x<value>\n" naming the first unexpected value. */
static void report(struct mf_boot *b, const char *what, uint64_t v)
{
    size_t n = guest_strlen(what);

    guest_copy(msg, what, n);
    guest_copy(msg + n, " 0x", 3);
    hex64(msg + n + 3, v);
    msg[n + 19] = '\n';
    guest_answer(b, 200, msg, n + 20);
}

void guest_main(struct mf_boot *b)
{
    static const char *names[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi",
                                  "rbp", "rsp", "r8",  "r9",  "r10", "r11",
                                  "r12", "r13", "r14", "r15"};

    for (int i = 0; i < 16; i++) {
        uint64_t want = i == 5 ? MF_BOOT_GPA : i == 7 ? MF_STACK_TOP : 0;

        if (entry_gpr[i] != want)
            report(b, names[i], entry_gpr[i]);
    }
    /* IF, IOPL, TF, AC, ... all clear; bit 1 always reads 1. */
    if ((entry_gpr[16] & ~0x2ULL & ~0x200ULL) != 0)
        report(b, "rflags", entry_gpr[16]);
    for (int i = 0; i < 16 * 16; i++)
        if (entry_xmm[i])
            report(b, "xmm byte", (uint64_t)i);
    if (entry_mxcsr != 0x1f80)
        report(b, "mxcsr", entry_mxcsr);
    if (entry_fcw != 0x37f)
        report(b, "fcw", entry_fcw);
    guest_answer_str(b, 200, "clean\n");
}
