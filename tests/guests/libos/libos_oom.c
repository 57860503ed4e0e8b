/* libos_oom.c: built on the libOS. Allocates 64 KiB blocks with malloc()
 * until it returns NULL, touching each block, then answers 500 "out of
 * memory after N blocks": the heap runs out cleanly, without a fault. */
#include <mayfly.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (64u << 10)

int mf_handler(void)
{
    unsigned long blocks = 0;
    char *p;

    while ((p = malloc(BLOCK)) != NULL) {
        memset(p, 0x5a, BLOCK);
        blocks++;
    }
    mf_status(500);
    mf_printf("out of memory after %lu blocks\n", blocks);
    return 0;
}
