/* abort.c: abort() ends the invocation through the runtime's abort path. */
#include <stdlib.h>

#include "libc_internal.h"

void abort(void)
{
    mf__abort("abort() called");
}
