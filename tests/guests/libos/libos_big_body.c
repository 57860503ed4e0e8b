/* libos_big_body.c: built on the libOS. Writes a 7 MiB body (over the
 * host's default 6 MiB response limit) in 64 KiB pieces, in a 16 MiB
 * guest: the heap holds it, the host refuses it. */
#include <mayfly.h>
#include <string.h>

int mf_handler(void)
{
    static char piece[64 << 10];

    memset(piece, 'b', sizeof(piece));
    for (int i = 0; i < 7 * 16; i++)
        if (mf_write(piece, sizeof(piece)) < 0) {
            mf_status(507);
            mf_printf("mf_write failed at piece %d\n", i);
            return 0;
        }
    return 0;
}
