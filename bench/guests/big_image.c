/* big_image.c: a function whose image carries 40 MiB of data, for
 * bench/deploy_stall.py: deploying it is slow enough to see whether the
 * deploy holds up other requests. */
#include <mayfly.h>

static const unsigned char blob[40u << 20] = {1, 2, 3};

int mf_handler(void)
{
    return mf_printf("%u", blob[mf_time_ns() % sizeof(blob)]) < 0;
}
