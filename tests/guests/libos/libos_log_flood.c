/* libos_log_flood.c: built on the libOS. Logs 100000 lines; the libOS
 * keeps MF_LOG_MAX bytes, ends them with its truncation mark and tells the
 * host, and the answer still arrives. */
#include <mayfly.h>

int mf_handler(void)
{
    for (int i = 0; i < 100000; i++)
        mf_log("flood line %d with some padding to fill the log", i);
    mf_puts("flooded\n");
    return 0;
}
