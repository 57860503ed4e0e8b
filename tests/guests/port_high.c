/* port_high.c: `out` to a port at MF_IO_PORTS, beyond the TSS I/O bitmap
 * that opens ports to CPL 3: #GP. */
#include "hostile.h"

void guest_main(struct mf_boot *b)
{
    guest_out(MF_IO_PORTS, 0);
    guest_answer_str(b, 200, "high port was open\n");
}
