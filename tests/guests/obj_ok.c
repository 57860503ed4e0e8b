/* obj_ok.c: the object hypercalls used as intended, as the control for the
 * object cases: reads the triggering object in 4-byte chunks, stores it
 * as out-bucket/out/key and answers it as the body. */
#include "hostile.h"

static struct mf_obj_io io;
static char data[256];
static const char bucket[] = "out-bucket", key[] = "out/key";

void guest_main(struct mf_boot *b)
{
    uint64_t got = 0;

    for (;;) {
        io.buf.gpa = (uint64_t)(uintptr_t)(data + got);
        io.buf.len = 4;
        io.offset = got;
        guest_out(MF_PORT_OBJ_READ, (uint32_t)(uintptr_t)&io);
        if (io.result < 0)
            guest_answer_str(b, 502, "object read failed\n");
        if (io.result == 0)
            break;
        got += (uint64_t)io.result;
        if (got + 4 > sizeof(data))
            guest_answer_str(b, 413, "object too big\n");
    }
    io.bucket.gpa = (uint64_t)(uintptr_t)bucket;
    io.bucket.len = sizeof(bucket) - 1;
    io.key.gpa = (uint64_t)(uintptr_t)key;
    io.key.len = sizeof(key) - 1;
    io.buf.gpa = (uint64_t)(uintptr_t)data;
    io.buf.len = got;
    io.result = 1;
    guest_out(MF_PORT_OBJ_WRITE, (uint32_t)(uintptr_t)&io);
    if (io.result != 0)
        guest_answer_str(b, 502, "object write failed\n");
    guest_answer(b, 200, data, got);
}
