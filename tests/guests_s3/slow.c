/* slow.c: an object-triggered function that takes its time, for kill -9.
 *
 * Spins SLOW_MS (1500) ms per event, then writes <key>.done to
 * OUTPUT_BUCKET ("done"). */
#include <mayfly.h>
#include <stdio.h>
#include <stdlib.h>

int mf_handler(void)
{
    const char *ms = mf_env("SLOW_MS"), *out = mf_env("OUTPUT_BUCKET");
    const char *key = mf_header("x-mayfly-key");
    uint64_t until =
        mf_time_ns() + (uint64_t)(ms ? atoi(ms) : 1500) * 1000000ull;
    char name[1100];

    if (!key)
        return 1;
    while (mf_time_ns() < until)
        ;
    snprintf(name, sizeof(name), "%s.done", key);
    return mf_object_write(out ? out : "done", name, "done\n", 5) < 0;
}
