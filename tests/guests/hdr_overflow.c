/* hdr_overflow.c: a response header span whose gpa + len wraps. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    b->resp_headers.gpa = UINT64_MAX - 7;
    b->resp_headers.len = 16;
    b->resp_headers.count = 1;
    guest_answer_str(b, 200, "ok\n");
}
