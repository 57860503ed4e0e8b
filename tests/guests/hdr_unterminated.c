/* hdr_unterminated.c: a header value that runs to the end of the span
 * without its NUL. */
#include "hostile.h"

static const char hdrs[] = "x-a\0bbbb";

void guest_main(struct mf_boot *b)
{
    b->resp_headers.gpa = (uint64_t)(uintptr_t)hdrs;
    b->resp_headers.len = sizeof(hdrs) - 1;
    b->resp_headers.count = 1;
    guest_answer_str(b, 200, "ok\n");
}
