/* mf_pvh.c: a second way in: booting the same image under QEMU (PVH).
 *
 * QEMU's microvm (and pc) machines load an ELF kernel that carries the Xen
 * note XEN_ELFNOTE_PHYS32_ENTRY and jump to the 32-bit address it names,
 * in flat protected mode with paging off. The code here builds what the
 * Mayfly VMM would have built (identity page tables, a flat 64-bit GDT, a
 * boot page holding a built-in request), enters long mode, and runs the
 * normal mf__start() path. At the end, mf__pvh_exit() writes the response
 * body to the debug console (port MF_QEMU_DEBUGCON_PORT, QEMU's
 * isa-debugcon) and ends QEMU through isa-debug-exit (MF_QEMU_EXIT_PORT).
 *
 * None of this runs under the Mayfly VMM: it enters at e_entry (_start, in
 * crt0.c) in long mode. Under QEMU the guest stays at CPL 0 throughout, with
 * no IDT: any fault is a triple fault, which ends QEMU (-no-reboot) with
 * status 0, distinct from every status the exit port can produce.
 *
 * Exit port values (QEMU exits with value * 2 + 1):
 *   0  the handler answered with a status below 400
 *   1  the handler answered with a status of 400 or more
 *   2  the runtime aborted (reason on the console)
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../libc/libc_internal.h"
#include "mayfly.h"
#include "mf_internal.h"

#define MF__STR(x) #x
#define MF__XSTR(x) MF__STR(x)

/* Guest memory the PVH path assumes: QEMU must be given at least this much
 * (-m). Identity-mapped with 2 MiB pages, writable and executable, page 0
 * included: under QEMU a NULL dereference does not fault. This path is for
 * comparing boot times, not a second sandbox. */
#define MF__PVH_MEM (16u << 20)
#define MF__PVH_PDPT (MF_PML4_GPA + 0x1000)
#define MF__PVH_PD (MF_PML4_GPA + 0x2000)
#define MF__PVH_LARGE_PAGES (MF__PVH_MEM >> 21)

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* 1 once the PVH path has built the boot page: mf__finish() and
 * mf__abort() then end through QEMU's ports instead of hypercalls. */
int mf__pvh_booted;

/* GDT: null, 64-bit code (0x08), data (0x10), with accessed bits preset
 * so that loading a selector never writes to this read-only table; then
 * lgdt's operand (16-bit limit, 32-bit base in 32-bit mode). In assembly,
 * because a 32-bit address is not a C constant expression. */
/* clang-format off */
__asm__(".section .rodata.mf_pvh, \"a\", @progbits\n"
        ".balign 16\n"
        "mf__pvh_gdt:\n"
        "    .quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff\n"
        "mf__pvh_gdtr:\n"
        "    .word . - mf__pvh_gdt - 1\n"
        "    .long mf__pvh_gdt\n"
        ".previous\n");

_Noreturn void mf__pvh_main(uint64_t tsc0);

/* The 32-bit entry, as PVH leaves the vCPU: protected mode, paging off,
 * flat CS/DS/ES/SS, interrupts off, no usable stack or GDT. It zeroes and
 * fills three page-table pages at MF_PML4_GPA (the same place the VMM puts
 * its own), turns on PAE, SSE, long mode and paging, and far-jumps into
 * 64-bit code. The TSC read first travels in ESI:EDI to mf__pvh_main().
 * Registers' upper halves are undefined after the switch, hence the
 * zero-extending moves. */
/* clang-format off */
__asm__(".section .text.mf_pvh, \"ax\", @progbits\n"
        ".code32\n"
        ".globl mf__pvh_entry\n"
        ".type mf__pvh_entry, @function\n"
        "mf__pvh_entry:\n"
        "    cld\n"
        "    rdtsc\n"
        "    movl %eax, %esi\n"
        "    movl %edx, %edi\n"
        "    lgdt mf__pvh_gdtr\n"
        /* Page tables: PML4[0] -> PDPT, PDPT[0] -> PD, PD -> 2 MiB pages */
        "    movl $" MF__XSTR(MF_PML4_GPA) ", %ebx\n"
        "    movl %edi, %ebp\n"
        "    movl %ebx, %edi\n"
        "    xorl %eax, %eax\n"
        "    movl $3072, %ecx\n"
        "    rep stosl\n"
        "    movl %ebp, %edi\n"
        "    movl $(" MF__XSTR(MF__PVH_PDPT) " | 3), (%ebx)\n"
        "    movl $(" MF__XSTR(MF__PVH_PD) " | 3), 0x1000(%ebx)\n"
        "    movl $0x83, %eax\n"
        "    xorl %ecx, %ecx\n"
        "1:  movl %eax, 0x2000(%ebx,%ecx,8)\n"
        "    addl $0x200000, %eax\n"
        "    incl %ecx\n"
        "    cmpl $" MF__XSTR(MF__PVH_LARGE_PAGES) ", %ecx\n"
        "    jb 1b\n"
        "    movl %ebx, %cr3\n"
        /* CR4: PAE, OSFXSR, OSXMMEXCPT */
        "    movl $0x620, %eax\n"
        "    movl %eax, %cr4\n"
        /* EFER.LME */
        "    movl $0xc0000080, %ecx\n"
        "    rdmsr\n"
        "    orl $0x100, %eax\n"
        "    wrmsr\n"
        /* CR0: PG, PE, MP; EM and TS clear so that SSE works */
        "    movl %cr0, %eax\n"
        "    andl $~0xc, %eax\n"
        "    orl $0x80000003, %eax\n"
        "    movl %eax, %cr0\n"
        "    ljmp $0x08, $2f\n"
        ".code64\n"
        "2:  movl $0x10, %eax\n"
        "    movl %eax, %ds\n"
        "    movl %eax, %es\n"
        "    movl %eax, %ss\n"
        "    movl $" MF__XSTR(MF_STACK_TOP) ", %esp\n"
        "    movl %edi, %edi\n"
        "    shlq $32, %rdi\n"
        "    movl %esi, %esi\n"
        "    orq %rsi, %rdi\n"
        "    xorl %ebp, %ebp\n"
        "    call mf__pvh_main\n"
        "    ud2\n"
        ".size mf__pvh_entry, . - mf__pvh_entry\n"
        ".previous\n");
/* clang-format on */

/* The note QEMU looks for: name "Xen", type 18, and the 32-bit entry's
 * physical address (8 bytes, as QEMU reads it from a 64-bit image). It sits
 * beside the Mayfly note in the read-only segment's PT_NOTE; the VMM skips
 * notes it does not know. */
/* clang-format off */
__asm__(".section .note.xen, \"a\", @note\n"
        ".balign 4\n"
        ".long 4, 8, " MF__XSTR(XEN_ELFNOTE_PHYS32_ENTRY) "\n"
        ".asciz \"Xen\"\n"
        ".quad mf__pvh_entry\n"
        ".previous\n");
/* clang-format on */

/* The request a PVH boot answers: what bench/ sends Mayfly's hello. */
static const char mf__pvh_method[] = "POST";
static const char mf__pvh_path[] = "/fn/hello";
static const char mf__pvh_body[] = "ada";

extern char mf__image_end[];

static struct mf_span mf__pvh_span(const char *s, size_t len)
{
    struct mf_span sp = {mf__gpa(s), len};

    return sp;
}

/* Fills the boot page as the VMM would, for the built-in request. */
static struct mf_boot *mf__pvh_boot_page(uint64_t tsc0)
{
    struct mf_boot *b = mf__ptr(MF_BOOT_GPA);
    uint64_t heap = (mf__gpa(mf__image_end) + MF_PAGE_SIZE - 1) &
                    ~(uint64_t)(MF_PAGE_SIZE - 1);

    memset(b, 0, MF_PAGE_SIZE);
    b->magic = MF_BOOT_MAGIC;
    b->abi_version = MF_ABI_VERSION;
    b->trigger = MF_TRIGGER_HTTP;
    b->mem_size = MF__PVH_MEM;
    b->heap_start = heap;
    b->heap_end = MF__PVH_MEM;
    b->tsc_base = tsc0;
    b->method = mf__pvh_span(mf__pvh_method, sizeof(mf__pvh_method) - 1);
    b->path = mf__pvh_span(mf__pvh_path, sizeof(mf__pvh_path) - 1);
    b->body = mf__pvh_span(mf__pvh_body, sizeof(mf__pvh_body) - 1);
    b->stamps.start = tsc0;
    return b;
}

_Noreturn void mf__start(struct mf_boot *boot);

void mf__pvh_main(uint64_t tsc0)
{
    mf__pvh_booted = 1;
    mf__start(mf__pvh_boot_page(tsc0));
}

/* `rep outsb` hands QEMU the whole buffer in one exit under KVM. */
static void mf__pvh_console(const void *p, size_t len)
{
    __asm__ volatile("rep outsb"
                     : "+S"(p), "+c"(len)
                     : "d"((uint16_t)MF_QEMU_DEBUGCON_PORT)
                     : "memory");
}

static _Noreturn void mf__pvh_quit(uint32_t value)
{
    mf__outl(MF_QEMU_EXIT_PORT, value);
    for (;;)
        __asm__ volatile("hlt");
}

void mf__pvh_exit(const struct mf_boot *b)
{
    if (b->resp_body.len != 0)
        mf__pvh_console(mf__ptr(b->resp_body.gpa), b->resp_body.len);
    mf__pvh_quit(b->status < 400 ? 0 : 1);
}

void mf__pvh_abort(const char *reason)
{
    static const char prefix[] = "mayfly: abort: ";

    mf__pvh_console(prefix, sizeof(prefix) - 1);
    mf__pvh_console(reason, strlen(reason));
    mf__pvh_console("\n", 1);
    mf__pvh_quit(2);
}
