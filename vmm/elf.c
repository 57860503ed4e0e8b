/* elf.c: validation of guest images (static ELF64 x86-64 executables). */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/vmm_int.h"

#define PAGE_MASK ((uint64_t)MF_PAGE_SIZE - 1)

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* 1 if [off, off + n) lies inside a buffer of len bytes, without overflow. */
static int in_file(uint64_t off, uint64_t n, size_t len)
{
    return off <= len && n <= len - off;
}

static int check_header(const Elf64_Ehdr *eh, size_t len, char *err,
                        size_t errlen)
{
    if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return fail(err, errlen, "not an ELF file");
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, "not a 64-bit ELF file");
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return fail(err, errlen, "unsupported ELF encoding or version");
    if (eh->e_type != ET_EXEC)
        return fail(err, errlen, "not a static executable (e_type %u)",
                    eh->e_type);
    if (eh->e_machine != EM_X86_64)
        return fail(err, errlen, "not an x86-64 image (e_machine %u)",
                    eh->e_machine);
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
        eh->e_phnum > 64)
        return fail(err, errlen, "bad program header table shape");
    if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
        return fail(err, errlen, "program headers outside the file");
    if (eh->e_phoff % 8 != 0)
        return fail(err, errlen, "misaligned program headers");
    return 0;
}

/* Looks for the Mayfly note in a PT_NOTE segment. Returns the ABI version
 * it carries, or 0 if the segment holds no such note. */
static uint32_t note_version(const uint8_t *data, size_t len,
                             const Elf64_Phdr *ph)
{
    uint64_t off = ph->p_offset, end;
    size_t nlen = sizeof(MF_NOTE_NAME);

    if (!in_file(ph->p_offset, ph->p_filesz, len))
        return 0;
    end = ph->p_offset + ph->p_filesz;
    while (end - off >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr nh;
        uint64_t name_sz, desc_sz;

        memcpy(&nh, data + off, sizeof(nh));
        off += sizeof(nh);
        name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ULL;
        desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ULL;
        if (name_sz > end - off || desc_sz > end - off - name_sz)
            return 0;
        if (nh.n_type == MF_NOTE_TYPE && nh.n_namesz == nlen &&
            memcmp(data + off, MF_NOTE_NAME, nlen) == 0 && nh.n_descsz >= 4) {
            uint32_t v;

            memcpy(&v, data + off + name_sz, 4);
            return v;
        }
        off += name_sz + desc_sz;
    }
    return 0;
}

static int check_load(const Elf64_Phdr *ph, size_t len, uint64_t mem_size,
                      char *err, size_t errlen)
{
    if (ph->p_filesz > ph->p_memsz)
        return fail(err, errlen, "segment file size exceeds memory size");
    if (!in_file(ph->p_offset, ph->p_filesz, len))
        return fail(err, errlen, "segment data outside the file");
    if (ph->p_vaddr != ph->p_paddr)
        return fail(err, errlen, "segment vaddr differs from paddr");
    if (ph->p_vaddr < MF_IMAGE_MIN)
        return fail(err, errlen, "segment at 0x%llx below 0x%x",
                    (unsigned long long)ph->p_vaddr, MF_IMAGE_MIN);
    if (ph->p_memsz > mem_size || ph->p_vaddr > mem_size - ph->p_memsz)
        return fail(err, errlen,
                    "segment at 0x%llx+0x%llx outside %llu "
                    "bytes of guest memory",
                    (unsigned long long)ph->p_vaddr,
                    (unsigned long long)ph->p_memsz,
                    (unsigned long long)mem_size);
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        return fail(err, errlen, "segment both writable and executable");
    return 0;
}

static void add_seg(struct vmm_elf *out, const Elf64_Phdr *ph)
{
    struct vmm_seg *s = &out->segs[out->nsegs++];
    uint64_t end = ph->p_vaddr + ph->p_memsz;

    s->vaddr = ph->p_vaddr;
    s->memsz = ph->p_memsz;
    s->offset = ph->p_offset;
    s->filesz = ph->p_filesz;
    s->writable = !!(ph->p_flags & PF_W);
    s->executable = !!(ph->p_flags & PF_X);
    if (end > out->end)
        out->end = end;
}

/* Segments get page-granular permissions, so no two may share a page. */
static int check_overlap(const struct vmm_elf *e, char *err, size_t errlen)
{
    for (unsigned i = 0; i < e->nsegs; i++) {
        uint64_t a0 = e->segs[i].vaddr & ~PAGE_MASK;
        uint64_t a1 =
            (e->segs[i].vaddr + e->segs[i].memsz + PAGE_MASK) & ~PAGE_MASK;

        for (unsigned j = i + 1; j < e->nsegs; j++) {
            uint64_t b0 = e->segs[j].vaddr & ~PAGE_MASK;
            uint64_t b1 =
                (e->segs[j].vaddr + e->segs[j].memsz + PAGE_MASK) & ~PAGE_MASK;

            if (a0 < b1 && b0 < a1)
                return fail(err, errlen,
                            "segments %u and %u overlap "
                            "(page granularity)",
                            i, j);
        }
    }
    return 0;
}

static int check_entry(const struct vmm_elf *e, char *err, size_t errlen)
{
    for (unsigned i = 0; i < e->nsegs; i++) {
        const struct vmm_seg *s = &e->segs[i];

        if (s->executable && e->entry >= s->vaddr &&
            e->entry - s->vaddr < s->filesz)
            return 0;
    }
    return fail(err, errlen, "entry 0x%llx not in an executable segment",
                (unsigned long long)e->entry);
}

int vmm_elf_parse(const void *data, size_t len, uint64_t mem_size,
                  struct vmm_elf *out, char *err, size_t errlen)
{
    const uint8_t *bytes = data;
    Elf64_Ehdr eh;
    uint32_t abi = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len >= sizeof(eh))
        memcpy(&eh, data, sizeof(eh));
    rc = check_header(&eh, len, err, errlen);
    if (rc)
        return rc;
    out->entry = eh.e_entry;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, bytes + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        switch (ph.p_type) {
        case PT_LOAD:
            if (ph.p_memsz == 0)
                break;
            if (out->nsegs == VMM_MAX_SEGS)
                return fail(err, errlen, "more than %d PT_LOAD segments",
                            VMM_MAX_SEGS);
            rc = check_load(&ph, len, mem_size, err, errlen);
            if (rc)
                return rc;
            add_seg(out, &ph);
            break;
        case PT_NOTE:
            if (!abi)
                abi = note_version(bytes, len, &ph);
            break;
        case PT_INTERP:
        case PT_DYNAMIC:
            return fail(err, errlen, "dynamic images are not supported");
        default: break;
        }
    }
    if (out->nsegs == 0)
        return fail(err, errlen, "no loadable segment");
    if (abi != MF_ABI_VERSION)
        return fail(err, errlen,
                    abi ? "image speaks ABI %u, host %u"
                        : "missing Mayfly ABI note (want version %u)",
                    abi ? abi : MF_ABI_VERSION, MF_ABI_VERSION);
    rc = check_overlap(out, err, errlen);
    if (rc)
        return rc;
    return check_entry(out, err, errlen);
}
