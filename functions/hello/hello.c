/* hello.c: the smallest useful function: greets the name in the body. */
#include <mayfly.h>

/* Body "NAME" (bytes as given, no trimming) answers "hello, NAME"; an empty
 * body answers "hello, world". */
int mf_handler(void)
{
    size_t len;
    const char *name = mf_body(&len);

    if (len == 0) {
        name = "world";
        len = 5;
    }
    if (mf_set_header("Content-Type", "text/plain") < 0 ||
        mf_write("hello, ", 7) < 0 || mf_write(name, len) < 0)
        return -1;
    return 0;
}
