/* testlib.h: the verdicts, reasons and scratch folder the C tests share.
 *
 * Every case prints one line, "PASS name", "FAIL name: reason" or
 * "SKIP name: reason"; tests/run.sh counts them. A binary that runs a table
 * of cases ends with the line "N passed, N failed" (tl_summary).
 *
 * A case either prints its own verdict (tl_pass, tl_fail), or returns 0 or
 * non-zero to tl_run after leaving its reason with tl_failf or CHECK. CHECK
 * and CHECK_RC keep the first failure and jump to the case's label `out`,
 * where it releases what it holds.
 *
 * Header-only: each test program includes it once and gets its own copy.
 */
#ifndef MAYFLY_TESTLIB_H
#define MAYFLY_TESTLIB_H

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tl_reason[512]; /* why the running case failed, or "" */
static unsigned tl_passed, tl_failed;
static char tl_root[64]; /* the scratch folder, once tl_root_make made it */

/* ---- verdicts ---------------------------------------------------------- */

static inline void tl_pass(const char *name)
{
    printf("PASS %s\n", name);
    tl_passed++;
}

static inline void tl_vfail(const char *name, const char *fmt, va_list ap)
{
    printf("FAIL %s: ", name);
    vprintf(fmt, ap);
    printf("\n");
    tl_failed++;
}

static inline void tl_fail(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void tl_fail(const char *name, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tl_vfail(name, fmt, ap);
    va_end(ap);
}

/* Prints "N passed, N failed"; returns the exit status for main. */
static inline int tl_summary(void)
{
    printf("%u passed, %u failed\n", tl_passed, tl_failed);
    return tl_failed ? 1 : 0;
}

/* ---- reasons ----------------------------------------------------------- */

/* Sets the running case's reason; returns -1 for `return tl_failf(...)`. */
static inline int tl_failf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static inline int tl_failf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tl_reason, sizeof(tl_reason), fmt, ap);
    va_end(ap);
    return -1;
}

/* Sets the reason "line N: ..." unless the case has one already. */
static inline void tl_fail_at(int line, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void tl_fail_at(int line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (tl_reason[0])
        return;
    n = snprintf(tl_reason, sizeof(tl_reason), "line %d: ", line);
    va_start(ap, fmt);
    vsnprintf(tl_reason + n, sizeof(tl_reason) - (size_t)n, fmt, ap);
    va_end(ap);
}

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            tl_fail_at(__LINE__, __VA_ARGS__);                                 \
            goto out;                                                          \
        }                                                                      \
    } while (0)

#define CHECK_RC(expr, want)                                                   \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        CHECK(rc_ == (want), "%s returned %d (%s), want %d", #expr, rc_,       \
              rc_ < 0 ? strerror(-rc_) : "ok", (want));                        \
    } while (0)

/* ---- cases ------------------------------------------------------------- */

struct tl_case {
    const char *name;
    int (*fn)(void); /* 0: passed; else failed, with tl_reason */
};

/* Runs one case and prints its verdict. */
static inline void tl_run(const char *name, int (*fn)(void))
{
    tl_reason[0] = '\0';
    if (fn() == 0)
        tl_pass(name);
    else
        tl_fail(name, "%s", tl_reason);
}

/* Runs n cases in order, then prints the summary; returns the exit status
 * for main. */
static inline int tl_run_all(const struct tl_case *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        tl_run(cases[i].name, cases[i].fn);
    return tl_summary();
}

/* ---- the scratch folder ------------------------------------------------ */

/* Makes a fresh folder /tmp/mayfly-test-<tag>-XXXXXX as tl_root. Returns 0,
 * or -1 after a line on stderr. */
static inline int tl_root_make(const char *tag)
{
    snprintf(tl_root, sizeof(tl_root), "/tmp/mayfly-test-%s-XXXXXX", tag);
    if (!mkdtemp(tl_root)) {
        fprintf(stderr, "mkdtemp %s: %s\n", tl_root, strerror(errno));
        return -1;
    }
    return 0;
}

/* tl_root/name, in a buffer the next call reuses: each case gets its own
 * data folder. */
static inline const char *tl_case_dir(const char *name)
{
    static char path[256];

    snprintf(path, sizeof(path), "%s/%s", tl_root, name);
    return path;
}

static inline int tl_rm_entry(const char *path, const struct stat *sb, int flag,
                              struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes tl_root and everything below it. */
static inline void tl_root_remove(void)
{
    nftw(tl_root, tl_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* MAYFLY_TESTLIB_H */
