/* template.c: builds an image's ready-to-map guest memory template.
 *
 * The template is a sealed memfd holding guest-physical memory from 0 to the
 * end of the image: system page (GDT, TSS, IDT, fault stubs), page tables
 * and the loaded segments. Each invocation maps it privately (copy-on-write),
 * so loading costs no copy and no guest ever sees another's writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/vmm_int.h"

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_NX (1ULL << 63)
/* Accessed and dirty are preset so that the MMU never writes to the
 * (shared, copy-on-write) page tables. */
#define PTE_TABLE (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D)

#define TWO_MIB (2ULL << 20)
#define PT_FIRST (MF_PML4_GPA + 3 * MF_PAGE_SIZE)
#define PT_MAX ((MF_STUB_GPA - PT_FIRST) / MF_PAGE_SIZE)

/* Offsets inside the system page. */
#define SYS_GDT 0x000
#define SYS_IDT 0x100
#define SYS_STUBS 0x400
#define SYS_TSS MF_SYS_TSS_OFF
#define IOMAP_BYTES (MF_IO_PORTS / 8)
#define NVECTORS 32
#define STUB_STACK_PAGES 2
#define STUB_RW_BYTES (2 * MF_PAGE_SIZE)
/* MF_PORT_DONE without its C suffix, for the assembler. */
#define STUB_PORT_DONE 0x500
_Static_assert(STUB_PORT_DONE == MF_PORT_DONE, "stub port");
#define STUB_XSTR(x) #x
#define STUB_STR(x) STUB_XSTR(x)

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Page-table entry for one 4 KiB page at gpa. */
static uint64_t pte_for(const struct vmm_image *img, uint64_t gpa)
{
    const uint64_t data = PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX;

    if (gpa == MF_BOOT_GPA)
        return gpa | data;
    if (gpa == MF_SYS_GPA)
        return gpa | PTE_P | PTE_W | PTE_A | PTE_D;
    if (gpa == MF_STUB_GPA)
        return gpa | PTE_P | PTE_U | PTE_A | PTE_D;
    if (gpa == MF_FSTACK_GPA || (gpa >= MF_PML4_GPA && gpa < MF_STUB_GPA))
        return gpa | PTE_P | PTE_W | PTE_A | PTE_D | PTE_NX;
    if (gpa >= MF_STACK_GPA && gpa < MF_STACK_TOP)
        return gpa | data;
    if (gpa < MF_IMAGE_MIN || gpa >= img->mem_size)
        return 0;
    for (unsigned i = 0; i < img->elf.nsegs; i++) {
        const struct vmm_seg *s = &img->elf.segs[i];
        uint64_t lo = s->vaddr & ~(uint64_t)(MF_PAGE_SIZE - 1);

        if (gpa >= lo && gpa < s->vaddr + s->memsz)
            return gpa | PTE_P | PTE_U | PTE_A | PTE_D |
                   (s->writable ? PTE_W : 0) | (s->executable ? 0 : PTE_NX);
    }
    return gpa | data; /* heap */
}

static void build_page_tables(uint8_t *m, const struct vmm_image *img,
                              unsigned npt)
{
    uint8_t *pml4 = m + MF_PML4_GPA, *pdpt = pml4 + MF_PAGE_SIZE;
    uint8_t *pd = pdpt + MF_PAGE_SIZE;

    put64(pml4, (MF_PML4_GPA + MF_PAGE_SIZE) | PTE_TABLE);
    put64(pdpt, (MF_PML4_GPA + 2 * MF_PAGE_SIZE) | PTE_TABLE);
    for (uint64_t i = 0; i * TWO_MIB < img->mem_size; i++) {
        uint64_t pt = PT_FIRST + i * MF_PAGE_SIZE;

        if (i < npt) {
            put64(pd + 8 * i, pt | PTE_TABLE);
            for (unsigned j = 0; j < 512; j++)
                put64(m + pt + 8 * j,
                      pte_for(img, i * TWO_MIB + j * MF_PAGE_SIZE));
        } else {
            put64(pd + 8 * i, (i * TWO_MIB) | PTE_P | PTE_W | PTE_U | PTE_A |
                                  PTE_D | PTE_PS | PTE_NX);
        }
    }
}

/* Segment descriptors: flat 64-bit code and data, kernel and user, with the
 * accessed bit preset so the CPU never writes the GDT. */
static void build_gdt(uint8_t *sys)
{
    uint64_t tss = MF_SYS_GPA + SYS_TSS, lim = MF_SYS_TSS_LIMIT;

    put64(sys + SYS_GDT + 0x08, 0x00209b0000000000ULL); /* kernel code */
    put64(sys + SYS_GDT + 0x10, 0x00cf93000000ffffULL); /* kernel data */
    put64(sys + SYS_GDT + 0x18, 0x00cff3000000ffffULL); /* user data */
    put64(sys + SYS_GDT + 0x20, 0x0020fb0000000000ULL); /* user code */
    put64(sys + SYS_GDT + 0x28, lim | (tss & 0xffffff) << 16 | 0x8bULL << 40 |
                                    ((tss >> 24) & 0xff) << 56);
    put64(sys + SYS_GDT + 0x30, tss >> 32);
    /* TSS: RSP0 is where faults from CPL 3 land. The I/O permission
     * bitmap lets CPL 3 reach ports below MF_IO_PORTS (all zero bits: the
     * host sees the exit and judges the port); ports above it #GP. PVM
     * clears RFLAGS.IOPL on entry to CPL 3, so the bitmap is what makes
     * `out` work there; on hardware KVM it works the same. */
    put64(sys + SYS_TSS + 4, MF_FSTACK_GPA + MF_PAGE_SIZE);
    sys[SYS_TSS + 102] = 104;
    sys[SYS_TSS + 104 + IOMAP_BYTES] = 0xff; /* required terminator */
}

/* Each vector's stub runs at CPL 0 (emulated on PVM, so it is three
 * instructions): mov $vec,%al; mov $MF_PORT_FAULT,%dx; out %al,%dx; then
 * hlt forever. The host reads RIP and the error code from the fault frame
 * and CR2 from the special registers. */
static void build_idt(uint8_t *sys)
{
    for (unsigned v = 0; v < NVECTORS; v++) {
        uint8_t *stub = sys + SYS_STUBS + 16 * v;
        uint64_t addr = MF_SYS_GPA + SYS_STUBS + 16 * v;
        uint8_t *gate = sys + SYS_IDT + 16 * v;
        const uint8_t code[] = {0xb0,
                                (uint8_t)v,
                                0x66,
                                0xba,
                                MF_PORT_FAULT & 0xff,
                                MF_PORT_FAULT >> 8,
                                0xee,
                                0xf4,
                                0xeb,
                                0xfd};
        uint64_t lo;

        memcpy(stub, code, sizeof(code));
        lo = (addr & 0xffff) | (uint64_t)MF_SEL_KCODE << 16 | 0x8eULL << 40 |
             ((addr >> 16) & 0xffff) << 48;
        put64(gate, lo);
        put64(gate + 8, addr >> 32);
    }
}

/* The warm-up stub, run at CPL 3 by the host before an invocation (see
 * kvm.c): it walks the table that follows it, {first page, pages, write}
 * triples ending in a zero page count, touching each page (a locked OR of
 * zero writes without changing a byte), then exits with MF_PORT_DONE. So
 * KVM has mapped every page the guest will touch first, and the guest
 * starts without a page fault on them. Position-independent. */
__asm__(".section .rodata\n"
        ".balign 16\n"
        "vmm__stub:\n"
        "    lea vmm__stub_end(%rip), %rsi\n"
        "1:  mov (%rsi), %rdi\n"
        "    mov 8(%rsi), %rcx\n"
        "    mov 16(%rsi), %rdx\n"
        "    add $24, %rsi\n"
        "    test %rcx, %rcx\n"
        "    jz 4f\n"
        "2:  test %rdx, %rdx\n"
        "    jz 3f\n"
        "    lock orb $0, (%rdi)\n"
        "3:  movb (%rdi), %al\n"
        "    add $4096, %rdi\n"
        "    dec %rcx\n"
        "    jnz 2b\n"
        "    jmp 1b\n"
        "4:  mov $" STUB_STR(STUB_PORT_DONE) ", %dx\n"
                                             "    out %eax, %dx\n"
                                             "    hlt\n"
                                             ".balign 8\n"
                                             "vmm__stub_end:\n"
                                             ".previous\n");
extern const uint8_t vmm__stub[], vmm__stub_end[];

struct touch {
    uint64_t page, count, write;
};

static unsigned add_touch(struct touch *t, unsigned n, uint64_t from,
                          uint64_t to, int write)
{
    const uint64_t mask = MF_PAGE_SIZE - 1;

    from &= ~mask;
    to = (to + mask) & ~mask;
    if (to > from)
        t[n++] = (struct touch){from, (to - from) / MF_PAGE_SIZE, write};
    return n;
}

/* What a guest touches first: its boot page, the top of its stack, its
 * code, the start of its data, and the first page past the image (the
 * request, then the heap). */
static void build_stub(uint8_t *m, const struct vmm_image *img)
{
    size_t code = (size_t)(vmm__stub_end - vmm__stub);
    struct touch *t = (struct touch *)(m + MF_STUB_GPA + code);
    uint64_t heap_to = img->heap_base + VMM_STUB_HEAP_BYTES;
    unsigned n = 0;

    memcpy(m + MF_STUB_GPA, vmm__stub, code);
    if (img->elf.nsegs == 0) {
        t[0].count = 0; /* the warm-up image touches nothing */
        return;
    }
    n = add_touch(t, n, MF_BOOT_GPA, MF_BOOT_GPA + 1, 1);
    n = add_touch(t, n, MF_STACK_TOP - STUB_STACK_PAGES * MF_PAGE_SIZE,
                  MF_STACK_TOP, 1);
    for (unsigned i = 0; i < img->elf.nsegs; i++) {
        const struct vmm_seg *sg = &img->elf.segs[i];

        uint64_t to = sg->vaddr + sg->memsz;

        /* Data: the first pages only. Every page touched costs the pool
         * ~20 us on PVM, and big buffers (.bss logs, arrays) often stay
         * untouched; a guest that reaches further pays for it itself. */
        if (sg->writable && to - sg->vaddr > STUB_RW_BYTES)
            to = sg->vaddr + STUB_RW_BYTES;
        n = add_touch(t, n, sg->vaddr, to, sg->writable);
    }
    if (heap_to > img->mem_size)
        heap_to = img->mem_size;
    n = add_touch(t, n, img->heap_base, heap_to, 1);
    t[n].count = 0;
}

static void load_segments(uint8_t *m, const struct vmm_image *img,
                          const uint8_t *data)
{
    for (unsigned i = 0; i < img->elf.nsegs; i++) {
        const struct vmm_seg *s = &img->elf.segs[i];

        memcpy(m + s->vaddr, data + s->offset, s->filesz);
    }
}

static int seal(int fd)
{
    const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;

    return fcntl(fd, F_ADD_SEALS, seals) < 0 ? -errno : 0;
}

int vmm_template_build(struct vmm_image *img, const void *data, size_t len,
                       char *err, size_t errlen)
{
    uint64_t end =
        (img->elf.end + MF_PAGE_SIZE - 1) & ~(uint64_t)(MF_PAGE_SIZE - 1);
    unsigned npt = (unsigned)((end + TWO_MIB - 1) / TWO_MIB);
    uint8_t *m;
    int rc;

    if (npt > PT_MAX) {
        snprintf(err, errlen, "image ends at 0x%llx, beyond %u MiB",
                 (unsigned long long)end, (unsigned)(PT_MAX * 2));
        return -EINVAL;
    }
    img->tpl_size = end;
    img->heap_base = end;
    img->fd = memfd_create("mayfly-template", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (img->fd < 0)
        goto fail_errno;
    if (ftruncate(img->fd, (off_t)end) < 0)
        goto close_fd;
    m = mmap(NULL, end, PROT_READ | PROT_WRITE, MAP_SHARED, img->fd, 0);
    if (m == MAP_FAILED)
        goto close_fd;
    build_page_tables(m, img, npt);
    build_gdt(m + MF_SYS_GPA);
    build_idt(m + MF_SYS_GPA);
    load_segments(m, img, data);
    build_stub(m, img);
    munmap(m, end);
    rc = seal(img->fd);
    if (rc) {
        errno = -rc;
        goto close_fd;
    }
    return 0;

close_fd:
    rc = -errno;
    close(img->fd);
    img->fd = -1;
    snprintf(err, errlen, "building template: %s", strerror(-rc));
    return rc;
fail_errno:
    rc = -errno;
    snprintf(err, errlen, "memfd_create: %s", strerror(-rc));
    return rc;
}

/* The warm-up image: no segments; its entry is the stub, which touches
 * nothing and exits. Every new VM runs it once (see kvm.c). */
int vmm_template_warm(struct vmm_image *img, uint64_t mem_size)
{
    char err[128];

    memset(img, 0, sizeof(*img));
    img->mem_size = mem_size;
    img->elf.entry = MF_STUB_GPA;
    img->elf.end = MF_IMAGE_MIN;
    atomic_init(&img->refs, 1);
    return vmm_template_build(img, NULL, 0, err, sizeof(err));
}
