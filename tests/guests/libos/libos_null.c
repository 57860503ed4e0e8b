/* libos_null.c: built on the libOS. Writes through a NULL pointer inside
 * the handler: #PF at cr2 0 through the host's fault stubs. */
#include <mayfly.h>

int mf_handler(void)
{
    volatile int *p = NULL;

    *p = 1;
    return 0;
}
