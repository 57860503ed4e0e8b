/* assert.h: assert() for guest code; a failure logs and aborts. */
#ifndef MF_ASSERT_H
#define MF_ASSERT_H

/* Logs "assertion failed: expr (file:line)" and ends the invocation with an
 * abort hypercall. Provided by the runtime. */
_Noreturn void mf__assert_fail(const char *expr, const char *file, int line);

#endif /* MF_ASSERT_H */

/* Outside the guard: assert follows NDEBUG at each inclusion, as C says. */
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : mf__assert_fail(#e, __FILE__, __LINE__))
#endif
