/* good.c: a well-behaved guest: 200, a header and a fixed body. Run after
 * every hostile case to show that the VMM still serves. */
#include "hostile.h"

static const char body[] = "good guest\n";
static const char hdrs[] = "x-guest\0good\0";

void guest_main(struct mf_boot *b)
{
    b->resp_headers.gpa = (uint64_t)(uintptr_t)hdrs;
    b->resp_headers.len = sizeof(hdrs) - 1;
    b->resp_headers.count = 1;
    guest_answer(b, 200, body, sizeof(body) - 1);
}
