/* log_flood.c: hands the host a 1 MiB log of 'x' lines (far above the
 * host's cap) and a normal answer: the log is cut and flagged, the
 * response still arrives. */
#include "hostile.h"

#define FLOOD (1u << 20)

void guest_main(struct mf_boot *b)
{
    uint8_t *log = (uint8_t *)(uintptr_t)b->heap_start;

    for (uint64_t i = 0; i < FLOOD; i++)
        log[i] = (i % 64 == 63) ? '\n' : 'x';
    b->log.gpa = b->heap_start;
    b->log.len = FLOOD;
    guest_answer_str(b, 200, "flooded\n");
}
