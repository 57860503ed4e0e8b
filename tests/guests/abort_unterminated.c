/* abort_unterminated.c: an abort reason that runs to the last byte of
 * guest memory without a NUL. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    char *end = (char *)(uintptr_t)b->mem_size;

    guest_copy(end - 4, "tail", 4);
    guest_abort(end - 4);
}
