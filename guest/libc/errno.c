/* errno.c: storage of errno for the single-threaded guest. */
#include <errno.h>

int errno;
