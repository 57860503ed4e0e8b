/* mf_object.c: reading the triggering object and writing objects. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mayfly.h"
#include "mf_internal.h"

/* A host that does not answer leaves this in `result`. */
#define MF__NO_ANSWER (-ENOSYS)

static struct mf_span mf__span(const void *p, size_t len)
{
    struct mf_span s = {len != 0 ? mf__gpa(p) : 0, len};

    return s;
}

long mf_object_read(uint64_t off, void *buf, size_t len)
{
    struct mf_obj_io io = {.buf = mf__span(buf, len), .offset = off};

    io.result = MF__NO_ANSWER;
    mf__outl(MF_PORT_OBJ_READ, (uint32_t)mf__gpa(&io));
    return (long)io.result;
}

int mf_object_write(const char *bucket, const char *key, const void *buf,
                    size_t len)
{
    struct mf_obj_io io = {
        .bucket = mf__span(bucket, strlen(bucket)),
        .key = mf__span(key, strlen(key)),
        .buf = mf__span(buf, len),
    };

    io.result = MF__NO_ANSWER;
    mf__outl(MF_PORT_OBJ_WRITE, (uint32_t)mf__gpa(&io));
    return (int)io.result;
}
