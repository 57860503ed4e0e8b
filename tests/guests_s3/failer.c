/* failer.c: an object-triggered function that fails on purpose. */
#include <mayfly.h>

int mf_handler(void)
{
    mf_log("failing on purpose: %s",
           mf_header("x-mayfly-key") ? mf_header("x-mayfly-key") : "?");
    return 1;
}
