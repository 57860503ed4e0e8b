/* hdr_count.c: one well-formed header pair but a count of two. */
#include "hostile.h"

static const char hdrs[] = "x-a\0b\0";

void guest_main(struct mf_boot *b)
{
    b->resp_headers.gpa = (uint64_t)(uintptr_t)hdrs;
    b->resp_headers.len = sizeof(hdrs) - 1;
    b->resp_headers.count = 2;
    guest_answer_str(b, 200, "ok\n");
}
