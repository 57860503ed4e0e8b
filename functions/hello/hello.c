/* hello.c: the smallest useful function: greets the name in the body. */
#include <mayfly.h>
#include <string.h>

/* Body "NAME" (bytes as given, no trimming) answers "hello, NAME"; an empty
 * body answers "hello, world". The environment variable GREETING (fnctl
 * deploy --env GREETING=hi) replaces "hello". */
int mf_handler(void)
{
    const char *greeting = mf_env("GREETING");
    size_t len;
    const char *name = mf_body(&len);

    if (!greeting)
        greeting = "hello";
    if (len == 0) {
        name = "world";
        len = 5;
    }
    if (mf_set_header("Content-Type", "text/plain") < 0 ||
        mf_write(greeting, strlen(greeting)) < 0 || mf_write(", ", 2) < 0 ||
        mf_write(name, len) < 0)
        return -1;
    return 0;
}
