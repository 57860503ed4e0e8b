/* hdr_empty_name.c: a response header with an empty name. */
#include "hostile.h"

static const char hdrs[] = "\0value\0";

void guest_main(struct mf_boot *b)
{
    b->resp_headers.gpa = (uint64_t)(uintptr_t)hdrs;
    b->resp_headers.len = sizeof(hdrs) - 1;
    b->resp_headers.count = 1;
    guest_answer_str(b, 200, "ok\n");
}
