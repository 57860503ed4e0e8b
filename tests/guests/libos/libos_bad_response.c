/* libos_bad_response.c: built on the libOS. Tries to send a header with
 * CR LF in its value, a header with an empty name and status 1000. The
 * libOS refuses both headers (-1) and replaces the status with 500; the
 * body says what the libOS returned. */
#include <mayfly.h>

int mf_handler(void)
{
    int crlf = mf_set_header("X-Split", "a\r\nSet-Cookie: evil=1");
    int empty = mf_add_header("", "value");

    mf_status(1000);
    mf_printf("crlf=%d empty=%d\n", crlf, empty);
    return 0;
}
