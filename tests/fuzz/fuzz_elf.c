/* fuzz_elf.c: libFuzzer target: vmm_elf_parse on arbitrary bytes, and for
 * every image it accepts, vmm_template_build and a page-table walk over
 * the template it made.
 *
 * Besides memory errors (ASan) and undefined behaviour (UBSan), it aborts
 * when an accepted image breaks a promise of the validator (segments in
 * guest memory above MF_IMAGE_MIN, inside the file, no W+X, no shared
 * page, entry in executable file bytes) or when the template maps a page
 * with the wrong rights (W^X, NX, user/supervisor, unmapped page 0 and
 * guard page).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/vmm_int.h"

#define MEM (4ULL << 20)
#define PAGE ((uint64_t)MF_PAGE_SIZE)

#define P (1ULL << 0)
#define W (1ULL << 1)
#define U (1ULL << 2)
#define PS (1ULL << 7)
#define NX (1ULL << 63)
#define ADDR(e) ((e)&0x000ffffffffff000ULL)

static void die(const char *what, uint64_t a, uint64_t b)
{
    fprintf(stderr, "fuzz_elf: %s (0x%llx, 0x%llx)\n", what,
            (unsigned long long)a, (unsigned long long)b);
    abort();
}

static void check_parsed(const struct vmm_elf *e, size_t len)
{
    int entry_ok = 0;

    if (e->nsegs == 0 || e->nsegs > VMM_MAX_SEGS)
        die("segment count", e->nsegs, 0);
    for (unsigned i = 0; i < e->nsegs; i++) {
        const struct vmm_seg *s = &e->segs[i];

        if (s->vaddr < MF_IMAGE_MIN || s->memsz == 0 || s->memsz > MEM ||
            s->vaddr > MEM - s->memsz)
            die("segment outside memory", s->vaddr, s->memsz);
        if (s->filesz > s->memsz || s->offset > len ||
            s->filesz > len - s->offset)
            die("segment outside file", s->offset, s->filesz);
        if (s->writable && s->executable)
            die("W+X segment", s->vaddr, 0);
        if (s->vaddr + s->memsz > e->end)
            die("end below a segment", e->end, s->vaddr + s->memsz);
        for (unsigned j = 0; j < i; j++) {
            const struct vmm_seg *t = &e->segs[j];
            uint64_t a1 = (s->vaddr + s->memsz + PAGE - 1) / PAGE;
            uint64_t b1 = (t->vaddr + t->memsz + PAGE - 1) / PAGE;

            if (s->vaddr / PAGE < b1 && t->vaddr / PAGE < a1)
                die("segments share a page", s->vaddr, t->vaddr);
        }
        if (s->executable && e->entry >= s->vaddr &&
            e->entry < s->vaddr + s->filesz)
            entry_ok = 1;
    }
    if (!entry_ok)
        die("entry not in executable file bytes", e->entry, 0);
}

/* The rights the MMU gives a CPL-3 access to va: the P, W and U bits of
 * the walk ANDed over all levels, NX ORed; 0 if unmapped. */
static uint64_t walk(const uint8_t *m, uint64_t size, uint64_t va)
{
    uint64_t table = MF_PML4_GPA, rights = P | W | U, nx = 0, e = 0;
    static const unsigned shift[] = {39, 30, 21, 12};

    for (unsigned level = 0; level < 4; level++) {
        uint64_t at = table + 8 * ((va >> shift[level]) & 511);

        if (at + 8 > size)
            die("page table outside the template", at, va);
        memcpy(&e, m + at, 8);
        if (!(e & P))
            return 0;
        rights &= e;
        nx |= e & NX;
        if (level == 2 && (e & PS))
            break;
        table = ADDR(e);
    }
    return (rights & (P | W | U)) | nx;
}

static void expect(const uint8_t *m, uint64_t size, uint64_t va, uint64_t want,
                   const char *what)
{
    uint64_t got = walk(m, size, va);

    if (got != want)
        die(what, va, got);
}

static void check_template(const struct vmm_image *img)
{
    const struct vmm_elf *e = &img->elf;
    uint8_t *m = mmap(NULL, img->tpl_size, PROT_READ, MAP_SHARED, img->fd, 0);

    if (m == MAP_FAILED)
        die("mmap template", img->tpl_size, 0);
    expect(m, img->tpl_size, 0, 0, "page 0 mapped");
    expect(m, img->tpl_size, MF_GUARD_GPA, 0, "guard page mapped");
    expect(m, img->tpl_size, MF_BOOT_GPA, P | W | U | NX, "boot page");
    if (walk(m, img->tpl_size, MF_SYS_GPA) & U)
        die("system page user-accessible", MF_SYS_GPA, 0);
    if (walk(m, img->tpl_size, MF_PML4_GPA) & U)
        die("page tables user-accessible", MF_PML4_GPA, 0);
    expect(m, img->tpl_size, MF_STACK_TOP - PAGE, P | W | U | NX, "stack");
    expect(m, img->tpl_size, MF_STACK_TOP, 0, "page above the stack");
    for (unsigned i = 0; i < e->nsegs; i++) {
        const struct vmm_seg *s = &e->segs[i];
        uint64_t want =
            P | U | (s->writable ? W : 0) | (s->executable ? 0 : NX);

        for (uint64_t va = s->vaddr & ~(PAGE - 1); va < s->vaddr + s->memsz;
             va += PAGE)
            expect(m, img->tpl_size, va, want, "segment page rights");
    }
    if (img->heap_base < MEM) {
        expect(m, img->tpl_size, img->heap_base, P | W | U | NX, "heap");
        expect(m, img->tpl_size, MEM - PAGE, P | W | U | NX, "last page");
    }
    expect(m, img->tpl_size, MEM, 0, "page past memory mapped");
    munmap(m, img->tpl_size);
}

/* The template holds the segments' file bytes at their addresses. */
static void check_contents(const struct vmm_image *img, const uint8_t *data)
{
    uint8_t *m = mmap(NULL, img->tpl_size, PROT_READ, MAP_SHARED, img->fd, 0);

    if (m == MAP_FAILED)
        die("mmap template", img->tpl_size, 0);
    for (unsigned i = 0; i < img->elf.nsegs; i++) {
        const struct vmm_seg *s = &img->elf.segs[i];

        if (memcmp(m + s->vaddr, data + s->offset, s->filesz) != 0)
            die("segment bytes not loaded", s->vaddr, s->filesz);
    }
    munmap(m, img->tpl_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmm_image img;
    char err[256];

    memset(&img, 0, sizeof(img));
    img.mem_size = MEM;
    img.fd = -1;
    if (vmm_elf_parse(data, size, MEM, &img.elf, err, sizeof(err)) != 0) {
        if (strnlen(err, sizeof(err)) == 0)
            die("refused without a reason", size, 0);
        return 0;
    }
    check_parsed(&img.elf, size);
    if (vmm_template_build(&img, data, size, err, sizeof(err)) != 0)
        return 0;
    check_template(&img);
    check_contents(&img, data);
    close(img.fd);
    return 0;
}
