/* mkbad.c: host tool: writes broken copies of a good guest image, one per
 * ELF case of the hostile test (truncated, not ELF, 32-bit, overlapping or
 * out-of-range segments, entry outside the image).
 *
 * Usage: mkbad GOOD.elf OUTDIR
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_file(const char *dir, const char *name, const void *p,
                      size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/bad_%s.elf", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "mkbad: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The n-th PT_LOAD of the image, or NULL. */
static Elf64_Phdr *nth_load(unsigned char *img, unsigned n)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
    Elf64_Phdr *ph = (Elf64_Phdr *)(img + eh->e_phoff);

    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && n-- == 0)
            return &ph[i];
    return NULL;
}

int main(int argc, char **argv)
{
    static unsigned char good[1 << 20], img[1 << 20];
    size_t len;
    FILE *f;
    Elf64_Phdr *a, *b;
    int rc = 0;

    if (argc != 3 || !(f = fopen(argv[1], "rb"))) {
        fprintf(stderr, "usage: mkbad GOOD.elf OUTDIR\n");
        return 2;
    }
    len = fread(good, 1, sizeof(good), f);
    fclose(f);
    if (len < sizeof(Elf64_Ehdr) || len == sizeof(good)) {
        fprintf(stderr, "mkbad: %s: bad size\n", argv[1]);
        return 2;
    }

    rc |= write_file(argv[2], "truncated", good, 40);

    memcpy(img, good, len);
    memcpy(img, "#!/bin/sh\n", 10);
    rc |= write_file(argv[2], "not_elf", img, len);

    memcpy(img, good, len);
    img[EI_CLASS] = ELFCLASS32;
    rc |= write_file(argv[2], "elf32", img, len);

    /* The second PT_LOAD moved onto the first one's page. */
    memcpy(img, good, len);
    a = nth_load(img, 0);
    b = nth_load(img, 1);
    if (!a || !b)
        return 2;
    b->p_vaddr = b->p_paddr = a->p_vaddr + 0x10;
    rc |= write_file(argv[2], "overlap", img, len);

    /* The last PT_LOAD moved to 1 GiB, beyond any guest memory. */
    memcpy(img, good, len);
    b = nth_load(img, 1);
    b->p_vaddr = b->p_paddr = 0x40000000;
    rc |= write_file(argv[2], "out_of_range", img, len);

    memcpy(img, good, len);
    ((Elf64_Ehdr *)img)->e_entry = 0x50;
    rc |= write_file(argv[2], "entry_outside", img, len);
    return rc ? 1 : 0;
}
