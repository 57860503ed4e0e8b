/* secret_plant.c: guest A of the isolation test. Copies the invocation's
 * entropy (its secret) over every free byte it can write: heap, request
 * area, spare stack, spare boot page and its own data; then answers the
 * secret in hex so the test can hand it to guest B. */
#include "hostile.h"

#define SECRET 32

static uint8_t data_copy[8192];

static void plant(uint8_t *p, uint64_t n, const uint8_t *secret)
{
    for (uint64_t i = 0; i + SECRET <= n; i += SECRET)
        guest_copy(p + i, secret, SECRET);
}

void guest_main(struct mf_boot *b)
{
    static char hex[2 * SECRET + 2];
    uint8_t secret[SECRET];
    uint8_t *stack_low = (uint8_t *)(uintptr_t)MF_STACK_GPA;
    uint8_t *boot_spare = (uint8_t *)b + sizeof(*b);
    extern char _end[];

    guest_copy(secret, b->entropy, SECRET);
    for (int i = 0; i < SECRET; i++) {
        hex[2 * i] = "0123456789abcdef"[secret[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[secret[i] & 15];
    }
    hex[2 * SECRET] = '\n';
    plant((uint8_t *)(uintptr_t)b->heap_start, b->heap_end - b->heap_start,
          secret);
    /* The request area: from the end of the image to the heap. */
    plant((uint8_t *)(((uintptr_t)_end + 4095) & ~(uintptr_t)4095),
          b->heap_start - (((uintptr_t)_end + 4095) & ~(uintptr_t)4095),
          secret);
    /* Spare stack: everything well below this frame. */
    plant(stack_low, (uint64_t)((uint8_t *)&secret[0] - stack_low) - 4096,
          secret);
    plant(boot_spare, MF_PAGE_SIZE - sizeof(*b), secret);
    plant(data_copy, sizeof(data_copy), secret);
    guest_answer(b, 200, hex, 2 * SECRET + 1);
}
