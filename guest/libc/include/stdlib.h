/* stdlib.h: heap, number parsing and abort for guest code. */
#ifndef MF_STDLIB_H
#define MF_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/* Heap over [boot->heap_start, boot->heap_end), 16-byte aligned blocks.
 * malloc(0) returns a unique pointer; realloc(p, 0) shrinks p to the
 * minimum size and returns it (it does not free). On failure they return
 * NULL with errno = ENOMEM and leave the old block untouched (realloc).
 * free() of a pointer not from malloc, or a second free, aborts. */
void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

/* C semantics: leading space, sign, base 0 or 2..36 ("0x"/"0" prefixes);
 * on overflow the result saturates and errno = ERANGE; an invalid base
 * gives 0 and errno = EINVAL. */
long strtol(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end,
                            int base);
int atoi(const char *s);
long atol(const char *s);

int abs(int v);
long labs(long v);

/* Ends the invocation with an abort hypercall: the caller gets a 5xx. */
_Noreturn void abort(void);

#endif /* MF_STDLIB_H */
