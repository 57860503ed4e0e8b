/* exit_storm.c: never answers, but exits to the host as fast as it can
 * (object reads without a host service); the timeout must still fire. */
#include "hostile.h"

static struct mf_obj_io io;
static char buf[64];

void guest_main(struct mf_boot *b)
{
    (void)b;
    io.buf.gpa = (uint64_t)(uintptr_t)buf;
    io.buf.len = sizeof(buf);
    for (;;)
        guest_out(MF_PORT_OBJ_READ, (uint32_t)(uintptr_t)&io);
}
