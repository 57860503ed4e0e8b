/* secret_scan.c: guest B of the isolation test. The request body is a
 * secret in hex (64 digits); B scans every page it can read (boot page,
 * stack, image, request area, heap) for it and answers "found N" or
 * "clean". B keeps only a masked copy, so it never finds itself. Its
 * rodata holds a known canary, which the test uses as a positive
 * control. */
#include "hostile.h"

#define SECRET 32
#define MASK 0xa5

const uint8_t canary[SECRET] = {
    0x4d, 0x61, 0x79, 0x66, 0x6c, 0x79, 0x20, 0x63, 0x61, 0x6e, 0x61,
    0x72, 0x79, 0x20, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
    0x39, 0x30, 0x21, 0x40, 0x23, 0x24, 0x25, 0x5e, 0x26, 0x2a,
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static uint64_t scan(const volatile uint8_t *p, uint64_t n,
                     const uint8_t *masked)
{
    uint64_t hits = 0;

    for (uint64_t i = 0; i + SECRET <= n; i++) {
        int k = 0;

        while (k < SECRET && (uint8_t)(p[i + k] ^ MASK) == masked[k])
            k++;
        hits += k == SECRET;
    }
    return hits;
}

static char *put_u64(char *s, uint64_t v)
{
    char d[24];
    int n = 0;

    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *s++ = d[--n];
    return s;
}

void guest_main(struct mf_boot *b)
{
    static char msg[64];
    uint8_t masked[SECRET];
    const char *hex = (const char *)(uintptr_t)b->body.gpa;
    uint64_t hits = 0;
    char *s;

    if (b->body.len < 2 * SECRET)
        guest_answer_str(b, 400, "want 64 hex digits\n");
    for (int i = 0; i < SECRET; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            guest_answer_str(b, 400, "bad hex\n");
        masked[i] = (uint8_t)((hi << 4 | lo) ^ MASK);
    }
    hits += scan((const uint8_t *)(uintptr_t)MF_BOOT_GPA, MF_PAGE_SIZE, masked);
    hits += scan((const uint8_t *)(uintptr_t)MF_STACK_GPA,
                 MF_STACK_TOP - MF_STACK_GPA, masked);
    hits += scan((const uint8_t *)(uintptr_t)MF_IMAGE_MIN,
                 b->mem_size - MF_IMAGE_MIN, masked);
    if (hits == 0)
        guest_answer_str(b, 200, "clean\n");
    s = put_u64(msg, hits);
    guest_copy(s, " found\n", 8);
    guest_answer_str(b, 200, msg);
}
