/* cold.c: the request and pool settling shared by the VMM benches. */
#include <unistd.h>

#include "bench/cold.h"
#include "mayfly_abi.h"

const struct vmm_request bench_hello_req = {
    .method = "POST",
    .path = "/fn/hello",
    .body = "ada",
    .body_len = 3,
    .timeout_ms = 1000,
    .trigger = MF_TRIGGER_HTTP,
};

void bench_settle(struct vmm *vmm, unsigned target)
{
    struct vmm_stats st;

    for (int i = 0; i < 2000; i++) {
        vmm_stats(vmm, &st);
        if (st.pool_depth >= target &&
            st.vms_created - st.pool_depth <= st.vms_destroyed)
            return;
        usleep(100);
    }
}
