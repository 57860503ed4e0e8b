/* call_stub.c: calls the host's warm-up stub, which sits in guest memory
 * user-executable at MF_STUB_GPA. It only touches pages and ends with the
 * done hypercall, so the guest gains nothing it could not write itself:
 * the response it prepared is taken as is. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    static const char body[] = "ran the stub\n";

    b->status = 200;
    b->resp_body.gpa = (uint64_t)(uintptr_t)body;
    b->resp_body.len = sizeof(body) - 1;
    ((void (*)(void))(uintptr_t)MF_STUB_GPA)();
    guest_answer_str(b, 500, "stub returned\n");
}
