/* obj_name_outside.c: an object write with a valid buffer but a key span
 * that wraps around. */
#include "hostile.h"

static struct mf_obj_io io;
static char bucket[] = "b", data[] = "data";

void guest_main(struct mf_boot *b)
{
    io.bucket.gpa = (uint64_t)(uintptr_t)bucket;
    io.bucket.len = 1;
    io.key.gpa = 0x200000;
    io.key.len = UINT64_MAX;
    io.buf.gpa = (uint64_t)(uintptr_t)data;
    io.buf.len = 4;
    guest_out(MF_PORT_OBJ_WRITE, (uint32_t)(uintptr_t)&io);
    guest_answer_str(b, 200, "object write went through\n");
}
