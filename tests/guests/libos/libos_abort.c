/* libos_abort.c: built on the libOS. Calls abort(). */
#include <mayfly.h>
#include <stdlib.h>

int mf_handler(void)
{
    abort();
}
