/* hostile.h: the few lines every hostile test guest needs, without the libOS.
 *
 * Each guest in tests/guests/ is one freestanding C file that includes this
 * header and defines guest_main(). The header supplies the Mayfly ELF note,
 * an entry point (_start: align the stack, call guest_main(boot), then ud2)
 * and helpers that write a response into the boot page and end with the
 * done hypercall. Nothing here allocates; guests that need memory take it
 * from [boot->heap_start, boot->heap_end).
 */
#ifndef MAYFLY_TEST_HOSTILE_H
#define MAYFLY_TEST_HOSTILE_H

#include <stddef.h>
#include <stdint.h>

#include "mayfly_abi.h"

void guest_main(struct mf_boot *boot);

struct guest_note {
    uint32_t namesz, descsz, type;
    char name[8];
    uint32_t desc;
};

/* A ".note*" section is emitted as SHT_NOTE, so the linker gives it a
 * PT_NOTE program header, where the VMM looks for it. */
__attribute__((section(".note.mayfly"), aligned(4),
               used)) static const struct guest_note guest_note = {
    sizeof(MF_NOTE_NAME), 4, MF_NOTE_TYPE, MF_NOTE_NAME, MF_ABI_VERSION,
};

#ifndef GUEST_CUSTOM_START
__asm__(".pushsection .text.entry, \"ax\", @progbits\n"
        ".globl _start\n"
        "_start:\n"
        "    and $-16, %rsp\n"
        "    call guest_main\n"
        "    ud2\n"
        ".popsection\n");
#endif

/* `out %eax, port`: one hypercall. */
static inline void guest_out(uint16_t port, uint32_t val)
{
    __asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline size_t guest_strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

static inline void guest_copy(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const uint8_t *s = src;

    while (n--)
        *d++ = *s++;
}

static inline void guest_fill(void *dst, uint8_t c, size_t n)
{
    volatile uint8_t *d = dst;

    while (n--)
        *d++ = c;
}

/* Ends the invocation with whatever the boot page now says. */
__attribute__((noreturn)) static inline void guest_done(struct mf_boot *b)
{
    (void)b;
    for (;;)
        guest_out(MF_PORT_DONE, MF_BOOT_GPA);
}

/* Answers `status` with body (len bytes at gpa body, already in memory). */
__attribute__((noreturn)) static inline void
guest_answer(struct mf_boot *b, uint32_t status, const void *body, uint64_t len)
{
    b->status = status;
    b->resp_body.gpa = (uint64_t)(uintptr_t)body;
    b->resp_body.len = len;
    guest_done(b);
}

__attribute__((noreturn)) static inline void
guest_answer_str(struct mf_boot *b, uint32_t status, const char *s)
{
    guest_answer(b, status, s, guest_strlen(s));
}

/* Ends the invocation through the abort hypercall. */
__attribute__((noreturn)) static inline void guest_abort(const char *msg)
{
    for (;;)
        guest_out(MF_PORT_ABORT, (uint32_t)(uintptr_t)msg);
}

#endif /* MAYFLY_TEST_HOSTILE_H */
