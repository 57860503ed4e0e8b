/* obj_block_outside.c: an object write whose argument block itself lies
 * beyond guest memory. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    guest_out(MF_PORT_OBJ_WRITE, 0xffffff00u);
    guest_answer_str(b, 200, "object write went through\n");
}
