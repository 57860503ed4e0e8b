/* obj_outside.c: an object read whose buffer lies beyond guest memory. */
#include "hostile.h"

static struct mf_obj_io io;

void guest_main(struct mf_boot *b)
{
    io.buf.gpa = b->mem_size - 8;
    io.buf.len = 4096;
    guest_out(MF_PORT_OBJ_READ, (uint32_t)(uintptr_t)&io);
    guest_answer_str(b, 200, "object read went through\n");
}
