/* errno.h: the error numbers the guest libc sets (Linux values). */
#ifndef MF_ERRNO_H
#define MF_ERRNO_H

/* One invocation runs one thread, so errno is a plain global. */
extern int errno;

#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENOSYS 38
#define EOVERFLOW 75

#endif /* MF_ERRNO_H */
