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
#define PT_MAX ((MF_GUARD_GPA - PT_FIRST) / MF_PAGE_SIZE)

/* Offsets inside the system page. */
#define SYS_GDT 0x000
#define SYS_IDT 0x100
#define SYS_STUBS 0x400
#define SYS_TSS MF_SYS_TSS_OFF
#define IOMAP_BYTES (MF_IO_PORTS / 8)
#define NVECTORS 32

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
    if (gpa == MF_FSTACK_GPA || (gpa >= MF_PML4_GPA && gpa < MF_GUARD_GPA))
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
            put64(pd + 8 * i, (i * TWO_MIB) | PTE_P | PTE_W | PTE_U |
                                  PTE_A | PTE_D | PTE_PS | PTE_NX);
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
    put64(sys + SYS_GDT + 0x28, lim | (tss & 0xffffff) << 16 |
                                    0x8bULL << 40 |
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
        const uint8_t code[] = {0xb0, (uint8_t)v, 0x66, 0xba,
                                MF_PORT_FAULT & 0xff, MF_PORT_FAULT >> 8,
                                0xee, 0xf4, 0xeb, 0xfd};
        uint64_t lo;

        memcpy(stub, code, sizeof(code));
        lo = (addr & 0xffff) | (uint64_t)MF_SEL_KCODE << 16 |
             0x8eULL << 40 | ((addr >> 16) & 0xffff) << 48;
        put64(gate, lo);
        put64(gate + 8, addr >> 32);
    }
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
    const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
                      F_SEAL_SEAL;

    return fcntl(fd, F_ADD_SEALS, seals) < 0 ? -errno : 0;
}

int vmm_template_build(struct vmm_image *img, const void *data, size_t len,
                       char *err, size_t errlen)
{
    uint64_t end = (img->elf.end + MF_PAGE_SIZE - 1) &
                   ~(uint64_t)(MF_PAGE_SIZE - 1);
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
    img->fd = memfd_create("mayfly-template", MFD_CLOEXEC |
                                                  MFD_ALLOW_SEALING);
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

/* The warm-up image: `mov $MF_PORT_DONE, %dx; out %eax, %dx` at the lowest
 * image address, in a template of mem_size bytes. */
int vmm_template_warm(struct vmm_image *img, uint64_t mem_size)
{
    static const uint8_t code[] = {0x66, 0xba, MF_PORT_DONE & 0xff,
                                   MF_PORT_DONE >> 8, 0xef, 0xf4};
    char err[128];

    memset(img, 0, sizeof(*img));
    img->mem_size = mem_size;
    img->elf.entry = MF_IMAGE_MIN;
    img->elf.end = MF_IMAGE_MIN + sizeof(code);
    img->elf.nsegs = 1;
    img->elf.segs[0] = (struct vmm_seg){.vaddr = MF_IMAGE_MIN,
                                        .memsz = sizeof(code),
                                        .filesz = sizeof(code),
                                        .executable = 1};
    atomic_init(&img->refs, 1);
    return vmm_template_build(img, code, sizeof(code), err, sizeof(err));
}
