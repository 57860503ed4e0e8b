/* test_elf.c: unit tests of the image validator (vmm_elf_parse) and of the
 * one checked guest-address helper (vmm_gpa_ptr), on hand-built buffers.
 *
 * Every case states its expected result: accepted with the fields it must
 * yield, or refused with a substring of the reason.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tests/testlib.h"
#include "vmm/vmm_int.h"

#define MEM (8ULL << 20)
#define TEXT_VA 0x100000ULL
#define DATA_VA 0x101000ULL
#define ENTRY (TEXT_VA + 0x400)
#define NOTE_OFF 0x300
#define NOTE_LEN 24
#define FILE_LEN 0x600

/* A minimal valid image: ELF header, program headers, note, code; two
 * PT_LOADs (R X over the first 0x500 bytes, R W with .bss) and a PT_NOTE.
 * Room for 12 program headers, so cases can add more. */
struct img {
    uint8_t b[0x2000];
    size_t len;
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph;
};

static void put_note(uint8_t *p, uint32_t namesz, uint32_t descsz,
                     uint32_t type, const char *name, uint32_t desc)
{
    uint32_t hdr[3] = {namesz, descsz, type};
    char padded[8] = "";

    memcpy(padded, name, strnlen(name, sizeof(padded)));
    memcpy(p, hdr, sizeof(hdr));
    memcpy(p + 12, padded, sizeof(padded));
    memcpy(p + 20, &desc, 4);
}

static void set_load(Elf64_Phdr *ph, uint32_t flags, uint64_t off, uint64_t va,
                     uint64_t filesz, uint64_t memsz)
{
    *ph = (Elf64_Phdr){
        .p_type = PT_LOAD,
        .p_flags = flags,
        .p_offset = off,
        .p_vaddr = va,
        .p_paddr = va,
        .p_filesz = filesz,
        .p_memsz = memsz,
        .p_align = 0x1000,
    };
}

static void base(struct img *m)
{
    memset(m, 0, sizeof(*m));
    m->len = FILE_LEN;
    m->eh = (Elf64_Ehdr *)m->b;
    m->ph = (Elf64_Phdr *)(m->b + sizeof(Elf64_Ehdr));
    memcpy(m->eh->e_ident, ELFMAG, SELFMAG);
    m->eh->e_ident[EI_CLASS] = ELFCLASS64;
    m->eh->e_ident[EI_DATA] = ELFDATA2LSB;
    m->eh->e_ident[EI_VERSION] = EV_CURRENT;
    m->eh->e_type = ET_EXEC;
    m->eh->e_machine = EM_X86_64;
    m->eh->e_version = EV_CURRENT;
    m->eh->e_entry = ENTRY;
    m->eh->e_phoff = sizeof(Elf64_Ehdr);
    m->eh->e_ehsize = sizeof(Elf64_Ehdr);
    m->eh->e_phentsize = sizeof(Elf64_Phdr);
    m->eh->e_phnum = 3;
    set_load(&m->ph[0], PF_R | PF_X, 0, TEXT_VA, 0x500, 0x500);
    set_load(&m->ph[1], PF_R | PF_W, 0x500, DATA_VA, 0x100, 0x2000);
    m->ph[2] = (Elf64_Phdr){.p_type = PT_NOTE,
                            .p_flags = PF_R,
                            .p_offset = NOTE_OFF,
                            .p_vaddr = TEXT_VA + NOTE_OFF,
                            .p_paddr = TEXT_VA + NOTE_OFF,
                            .p_filesz = NOTE_LEN,
                            .p_memsz = NOTE_LEN,
                            .p_align = 4};
    put_note(m->b + NOTE_OFF, sizeof(MF_NOTE_NAME), 4, MF_NOTE_TYPE,
             MF_NOTE_NAME, MF_ABI_VERSION);
    memset(m->b + 0x400, 0x90, 0x100); /* "code" */
}

/* ---- verdicts ----------------------------------------------------------- */

/* PASS when fmt is NULL, else FAIL with the formatted reason. */
static void verdict(const char *name, const char *fmt, ...)
{
    va_list ap;

    if (!fmt) {
        tl_pass(name);
        return;
    }
    va_start(ap, fmt);
    tl_vfail(name, fmt, ap);
    va_end(ap);
}

static void reject(const char *name, const struct img *m, const char *want)
{
    struct vmm_elf e;
    char err[256] = "";
    int rc = vmm_elf_parse(m->b, m->len, MEM, &e, err, sizeof(err));

    if (rc == 0)
        verdict(name, "accepted, want \"%s\"", want);
    else if (rc != -EINVAL)
        verdict(name, "rc %d, want -EINVAL", rc);
    else if (!strstr(err, want))
        verdict(name, "reason \"%s\", want \"%s\"", err, want);
    else
        verdict(name, NULL);
}

/* Parses m, which must be accepted; returns 0 and fills *e, or -1. */
static int accept(const char *name, const struct img *m, struct vmm_elf *e)
{
    char err[256] = "";
    int rc = vmm_elf_parse(m->b, m->len, MEM, e, err, sizeof(err));

    if (rc != 0) {
        verdict(name, "refused (%d): %s", rc, err);
        return -1;
    }
    return 0;
}

static void accept_plain(const char *name, const struct img *m)
{
    struct vmm_elf e;

    if (accept(name, m, &e) == 0)
        verdict(name, NULL);
}

/* ---- the valid image ---------------------------------------------------- */

static void valid_cases(void)
{
    const char *name = "elf_valid_minimal";
    struct img m;
    struct vmm_elf e;
    const struct vmm_seg *t = &e.segs[0], *d = &e.segs[1];

    base(&m);
    if (accept(name, &m, &e) != 0)
        return;
    if (e.entry != ENTRY || e.nsegs != 2 || e.end != DATA_VA + 0x2000)
        verdict(name, "entry 0x%llx nsegs %u end 0x%llx",
                (unsigned long long)e.entry, e.nsegs,
                (unsigned long long)e.end);
    else if (t->vaddr != TEXT_VA || t->memsz != 0x500 || t->offset != 0 ||
             t->filesz != 0x500 || !t->executable || t->writable)
        verdict(name, "text segment fields wrong");
    else if (d->vaddr != DATA_VA || d->memsz != 0x2000 || d->offset != 0x500 ||
             d->filesz != 0x100 || d->executable || !d->writable)
        verdict(name, "data segment fields wrong");
    else
        verdict(name, NULL);
}

/* ---- header ------------------------------------------------------------- */

static void header_cases(void)
{
    struct img m;

    base(&m);
    m.len = sizeof(Elf64_Ehdr) - 1;
    reject("elf_truncated_header", &m, "not an ELF file");

    base(&m);
    m.len = 0;
    reject("elf_empty", &m, "not an ELF file");

    base(&m);
    m.b[1] = 'X';
    reject("elf_not_elf", &m, "not an ELF file");

    base(&m);
    m.eh->e_ident[EI_CLASS] = ELFCLASS32;
    reject("elf_32bit", &m, "not a 64-bit ELF file");

    base(&m);
    m.eh->e_ident[EI_DATA] = ELFDATA2MSB;
    reject("elf_big_endian", &m, "unsupported ELF encoding");

    base(&m);
    m.eh->e_version = 2;
    reject("elf_bad_version", &m, "unsupported ELF encoding or version");

    base(&m);
    m.eh->e_type = ET_DYN;
    reject("elf_et_dyn", &m, "not a static executable (e_type 3)");

    base(&m);
    m.eh->e_type = ET_REL;
    reject("elf_et_rel", &m, "not a static executable (e_type 1)");

    base(&m);
    m.eh->e_machine = EM_AARCH64;
    reject("elf_wrong_machine", &m, "not an x86-64 image (e_machine 183)");

    base(&m);
    m.eh->e_phentsize = sizeof(Elf64_Phdr) + 8;
    reject("elf_bad_phentsize", &m, "bad program header table shape");

    base(&m);
    m.eh->e_phnum = 0;
    reject("elf_no_phdrs", &m, "bad program header table shape");

    /* e_phnum * e_phentsize cannot overflow: both are 16-bit, the size is
     * fixed and e_phnum is capped; a huge count is refused by shape. */
    base(&m);
    m.eh->e_phnum = 0xffff;
    reject("elf_phnum_huge", &m, "bad program header table shape");

    base(&m);
    m.eh->e_phoff = m.len;
    reject("elf_phoff_at_eof", &m, "program headers outside the file");

    base(&m);
    m.eh->e_phoff = m.len - 2 * sizeof(Elf64_Phdr);
    reject("elf_phdrs_cross_eof", &m, "program headers outside the file");

    base(&m);
    m.eh->e_phoff = UINT64_MAX - 7;
    reject("elf_phoff_wraps", &m, "program headers outside the file");

    base(&m);
    m.eh->e_phoff = sizeof(Elf64_Ehdr) + 4;
    reject("elf_phoff_misaligned", &m, "misaligned program headers");

    /* Exactly at the end of the file is fine. */
    base(&m);
    memcpy(m.b + FILE_LEN, m.ph, 3 * sizeof(Elf64_Phdr));
    m.eh->e_phoff = FILE_LEN;
    m.len = FILE_LEN + 3 * sizeof(Elf64_Phdr);
    accept_plain("elf_phdrs_end_at_eof", &m);
}

/* ---- segments ----------------------------------------------------------- */

static void segment_cases(void)
{
    struct img m;
    struct vmm_elf e;

    base(&m);
    m.ph[1].p_filesz = m.len - 0x500 + 1;
    reject("elf_seg_past_eof", &m, "segment data outside the file");

    base(&m);
    m.ph[1].p_offset = UINT64_MAX - 0x10;
    m.ph[1].p_filesz = 0x20;
    reject("elf_seg_offset_wraps", &m, "segment data outside the file");

    base(&m);
    m.ph[1].p_filesz = 0x2001;
    m.ph[1].p_memsz = 0x2000;
    reject("elf_filesz_over_memsz", &m,
           "segment file size exceeds memory size");

    base(&m);
    m.ph[1].p_paddr = 0x200000;
    reject("elf_paddr_differs", &m, "segment vaddr differs from paddr");

    base(&m);
    m.ph[0].p_vaddr = m.ph[0].p_paddr = MF_IMAGE_MIN - 0x1000;
    reject("elf_below_image_min", &m, "segment at 0xff000 below 0x100000");

    base(&m);
    m.ph[0].p_vaddr = m.ph[0].p_paddr = 0;
    reject("elf_at_zero", &m, "below 0x100000");

    base(&m);
    m.ph[1].p_vaddr = m.ph[1].p_paddr = MEM - 0x1000;
    m.ph[1].p_memsz = 0x1001;
    reject("elf_past_memory", &m, "outside 8388608 bytes of guest memory");

    base(&m);
    m.ph[1].p_memsz = UINT64_MAX - 0xfff;
    reject("elf_memsz_wraps", &m, "outside 8388608 bytes of guest memory");

    base(&m);
    m.ph[1].p_vaddr = m.ph[1].p_paddr = UINT64_MAX - 0xfff;
    m.ph[1].p_memsz = 0x2000;
    reject("elf_vaddr_wraps", &m, "outside 8388608 bytes of guest memory");

    /* Ending exactly at the end of guest memory is fine. */
    base(&m);
    m.ph[1].p_vaddr = m.ph[1].p_paddr = MEM - 0x2000;
    if (accept("elf_seg_ends_at_memory_end", &m, &e) == 0)
        verdict("elf_seg_ends_at_memory_end",
                e.end == MEM ? NULL : "end 0x%llx", (unsigned long long)e.end);

    base(&m);
    m.ph[1].p_flags = PF_R | PF_W | PF_X;
    reject("elf_wx_segment", &m, "segment both writable and executable");

    base(&m);
    m.ph[1].p_vaddr = m.ph[1].p_paddr = TEXT_VA + 0x800;
    reject("elf_overlap_same_page", &m, "segments 0 and 1 overlap");

    base(&m);
    m.ph[1].p_vaddr = m.ph[1].p_paddr = TEXT_VA + 0x200;
    reject("elf_overlap_bytes", &m, "overlap");

    /* Data ending in the page where text starts. */
    base(&m);
    m.ph[1].p_vaddr = m.ph[1].p_paddr = TEXT_VA - 0x800 + 0x10000;
    m.ph[0].p_vaddr = m.ph[0].p_paddr = TEXT_VA + 0x10000;
    m.eh->e_entry = TEXT_VA + 0x10000 + 0x400;
    m.ph[1].p_memsz = 0x900;
    reject("elf_overlap_reversed", &m, "segments 0 and 1 overlap");

    /* Next page exactly: no overlap. */
    base(&m);
    m.ph[1].p_vaddr = m.ph[1].p_paddr = TEXT_VA + 0x1000;
    accept_plain("elf_adjacent_pages", &m);

    base(&m);
    m.ph[1].p_memsz = 0;
    m.ph[1].p_filesz = 0;
    m.ph[1].p_offset = UINT64_MAX;
    if (accept("elf_empty_load_ignored", &m, &e) == 0)
        verdict("elf_empty_load_ignored", e.nsegs == 1 ? NULL : "nsegs %u",
                e.nsegs);

    base(&m);
    m.ph[0].p_type = PT_NULL;
    m.ph[1].p_type = PT_NULL;
    reject("elf_no_load", &m, "no loadable segment");
}

/* Adds n extra data PT_LOADs, one page each, after the base image's. */
static void add_loads(struct img *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        set_load(&m->ph[3 + i], PF_R | PF_W, 0x500, 0x200000 + 0x1000ULL * i,
                 0x10, 0x10);
    m->eh->e_phnum = (Elf64_Half)(3 + n);
}

static void count_cases(void)
{
    struct img m;
    struct vmm_elf e;

    base(&m);
    add_loads(&m, VMM_MAX_SEGS - 2);
    if (accept("elf_max_loads", &m, &e) == 0)
        verdict("elf_max_loads", e.nsegs == VMM_MAX_SEGS ? NULL : "%u",
                e.nsegs);

    base(&m);
    add_loads(&m, VMM_MAX_SEGS - 1);
    reject("elf_too_many_loads", &m, "more than 8 PT_LOAD segments");

    base(&m);
    m.ph[3] =
        (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x400, .p_filesz = 8};
    m.eh->e_phnum = 4;
    reject("elf_pt_interp", &m, "dynamic images are not supported");

    base(&m);
    m.ph[3] =
        (Elf64_Phdr){.p_type = PT_DYNAMIC, .p_offset = 0x400, .p_filesz = 16};
    m.eh->e_phnum = 4;
    reject("elf_pt_dynamic", &m, "dynamic images are not supported");

    /* Unknown types (GNU_STACK, TLS, ...) are ignored. */
    base(&m);
    m.ph[3] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};
    m.eh->e_phnum = 4;
    accept_plain("elf_gnu_stack_ignored", &m);
}

/* ---- entry -------------------------------------------------------------- */

static void entry_cases(void)
{
    struct img m;

    base(&m);
    m.eh->e_entry = 0x200000;
    reject("elf_entry_outside", &m,
           "entry 0x200000 not in an executable segment");

    base(&m);
    m.eh->e_entry = DATA_VA + 0x10;
    reject("elf_entry_in_data", &m, "not in an executable segment");

    base(&m);
    m.eh->e_entry = 0;
    reject("elf_entry_zero", &m, "not in an executable segment");

    /* The byte after the text's file contents (bss of an exec segment). */
    base(&m);
    m.ph[0].p_memsz = 0x800;
    m.eh->e_entry = TEXT_VA + 0x500;
    reject("elf_entry_in_exec_bss", &m, "not in an executable segment");

    base(&m);
    m.eh->e_entry = TEXT_VA + 0x4ff;
    accept_plain("elf_entry_last_text_byte", &m);
}

/* ---- the Mayfly note ---------------------------------------------------- */

static void note_cases(void)
{
    struct img m;

    base(&m);
    m.ph[2].p_type = PT_NULL;
    reject("elf_missing_note", &m, "missing Mayfly ABI note");

    base(&m);
    put_note(m.b + NOTE_OFF, 7, 4, MF_NOTE_TYPE, "Mayfly", 2);
    reject("elf_wrong_abi", &m, "image speaks ABI 2, host 1");

    base(&m);
    put_note(m.b + NOTE_OFF, 7, 4, MF_NOTE_TYPE, "Mayflx", MF_ABI_VERSION);
    reject("elf_note_wrong_name", &m, "missing Mayfly ABI note");

    base(&m);
    put_note(m.b + NOTE_OFF, 7, 4, 1, "Mayfly", MF_ABI_VERSION);
    reject("elf_note_wrong_type", &m, "missing Mayfly ABI note");

    base(&m);
    put_note(m.b + NOTE_OFF, 6, 4, MF_NOTE_TYPE, "Mayfly", MF_ABI_VERSION);
    reject("elf_note_name_unterminated", &m, "missing Mayfly ABI note");

    base(&m);
    put_note(m.b + NOTE_OFF, 0xffffffff, 4, MF_NOTE_TYPE, "Mayfly", 1);
    reject("elf_note_namesz_huge", &m, "missing Mayfly ABI note");

    base(&m);
    put_note(m.b + NOTE_OFF, 7, 0xfffffffd, MF_NOTE_TYPE, "Mayfly", 1);
    reject("elf_note_descsz_huge", &m, "missing Mayfly ABI note");

    base(&m);
    put_note(m.b + NOTE_OFF, 7, 2, MF_NOTE_TYPE, "Mayfly", 1);
    reject("elf_note_desc_short", &m, "missing Mayfly ABI note");

    base(&m);
    m.ph[2].p_filesz = NOTE_LEN - 1;
    reject("elf_note_cut", &m, "missing Mayfly ABI note");

    base(&m);
    m.ph[2].p_offset = m.len - 8;
    reject("elf_note_past_eof", &m, "missing Mayfly ABI note");

    base(&m);
    m.ph[2].p_offset = UINT64_MAX - 4;
    reject("elf_note_offset_wraps", &m, "missing Mayfly ABI note");

    /* A foreign note first, then ours in the same segment. */
    base(&m);
    put_note(m.b + NOTE_OFF, 4, 4, 1, "GNU", 0);
    put_note(m.b + NOTE_OFF + 20, 7, 4, MF_NOTE_TYPE, "Mayfly", 1);
    m.ph[2].p_filesz = 20 + NOTE_LEN;
    accept_plain("elf_note_after_other", &m);

    /* Ours in a second PT_NOTE. */
    base(&m);
    m.ph[3] = m.ph[2];
    m.ph[3].p_offset = NOTE_OFF + 0x40;
    memcpy(m.b + NOTE_OFF + 0x40, m.b + NOTE_OFF, NOTE_LEN);
    put_note(m.b + NOTE_OFF, 4, 4, 1, "GNU", 0);
    m.eh->e_phnum = 4;
    accept_plain("elf_note_second_segment", &m);
}

/* ---- vmm_gpa_ptr -------------------------------------------------------- */

static void gpa_case(const char *name, const struct vmm_mem *mem, gpa_t gpa,
                     uint64_t len, int ok)
{
    uint8_t *p = vmm_gpa_ptr(mem, gpa, len);

    if (ok && p != mem->base + gpa)
        verdict(name, "got %p, want base+0x%llx", (void *)p,
                (unsigned long long)gpa);
    else if (!ok && p)
        verdict(name, "got %p, want NULL", (void *)p);
    else
        verdict(name, NULL);
}

static void gpa_cases(void)
{
    static uint8_t buf[0x10000];
    const struct vmm_mem mem = {buf, sizeof(buf)};
    const uint64_t n = sizeof(buf);

    gpa_case("gpa_start_inside", &mem, 0x100, 0x10, 1);
    gpa_case("gpa_whole", &mem, 0, n, 1);
    gpa_case("gpa_last_byte", &mem, n - 1, 1, 1);
    gpa_case("gpa_end_exactly_at_end", &mem, n - 0x10, 0x10, 1);
    gpa_case("gpa_end_one_past", &mem, n - 0x10, 0x11, 0);
    gpa_case("gpa_start_at_end", &mem, n, 1, 0);
    gpa_case("gpa_start_past_end", &mem, n + 1, 0, 0);
    gpa_case("gpa_len0_inside", &mem, 0x10, 0, 1);
    gpa_case("gpa_len0_at_end", &mem, n, 0, 1);
    gpa_case("gpa_len0_far", &mem, UINT64_MAX, 0, 0);
    gpa_case("gpa_too_long", &mem, 0, n + 1, 0);
    gpa_case("gpa_wraps", &mem, 0x10, UINT64_MAX - 0xf, 0);
    gpa_case("gpa_wraps_to_zero", &mem, 1, UINT64_MAX, 0);
    gpa_case("gpa_max_start", &mem, UINT64_MAX, 1, 0);
    gpa_case("gpa_len_max", &mem, 0, UINT64_MAX, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    valid_cases();
    header_cases();
    segment_cases();
    count_cases();
    entry_cases();
    note_cases();
    gpa_cases();
    return tl_failed ? 1 : 0;
}
