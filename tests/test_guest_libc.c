/* test_guest_libc.c: host unit test of the guest libc.
 *
 * Covers strings and memory, ctype, snprintf, the strtol family and the heap.
 * The guest libc sources are built for the host with every symbol renamed
 * to mft_<name> (see guest/guest.mk), so they run here beside glibc, which
 * serves as the reference wherever the two must agree. Prints one line per
 * test, "PASS name" or "FAIL name: reason", and exits non-zero if any failed.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The guest libc under test, renamed ---------------------------------- */
void *mft_memcpy(void *dst, const void *src, size_t n);
void *mft_memmove(void *dst, const void *src, size_t n);
void *mft_memset(void *dst, int c, size_t n);
int mft_memcmp(const void *a, const void *b, size_t n);
void *mft_memchr(const void *s, int c, size_t n);
size_t mft_strlen(const char *s);
size_t mft_strnlen(const char *s, size_t max);
int mft_strcmp(const char *a, const char *b);
int mft_strncmp(const char *a, const char *b, size_t n);
int mft_strcasecmp(const char *a, const char *b);
int mft_strncasecmp(const char *a, const char *b, size_t n);
char *mft_strchr(const char *s, int c);
char *mft_strrchr(const char *s, int c);
char *mft_strstr(const char *h, const char *n);
char *mft_strcpy(char *dst, const char *src);
char *mft_strncpy(char *dst, const char *src, size_t n);

int mft_isalnum(int c);
int mft_isalpha(int c);
int mft_isblank(int c);
int mft_iscntrl(int c);
int mft_isdigit(int c);
int mft_isgraph(int c);
int mft_islower(int c);
int mft_isprint(int c);
int mft_ispunct(int c);
int mft_isspace(int c);
int mft_isupper(int c);
int mft_isxdigit(int c);
int mft_tolower(int c);
int mft_toupper(int c);

int mft_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

long mft_strtol(const char *s, char **end, int base);
unsigned long mft_strtoul(const char *s, char **end, int base);
long long mft_strtoll(const char *s, char **end, int base);
unsigned long long mft_strtoull(const char *s, char **end, int base);
int mft_atoi(const char *s);
extern int mft_errno;

void *mft_malloc(size_t n);
void *mft_calloc(size_t n, size_t size);
void *mft_realloc(void *p, size_t n);
void mft_free(void *p);
void mft_mf__heap_init(void *start, void *end);

/* The libc's one outside reference: the runtime's abort path. */
static jmp_buf abort_jmp;
static const char *abort_reason;

_Noreturn void mf__abort(const char *reason);

void mf__abort(const char *reason)
{
    abort_reason = reason;
    longjmp(abort_jmp, 1);
}

/* ---- A small test harness ------------------------------------------------ */
static int t_failed;
static char t_reason[512];
static int n_passed, n_failed;

static void t_fail(int line, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Keeps the first failure of a test as its reason. */
static void t_fail(int line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t_failed++)
        return;
    n = snprintf(t_reason, sizeof(t_reason), "line %d: ", line);
    va_start(ap, fmt);
    vsnprintf(t_reason + n, sizeof(t_reason) - (size_t)n, fmt, ap);
    va_end(ap);
}

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            t_fail(__LINE__, "%s", #cond);                                     \
    } while (0)

#define CHECK_STR(got, want)                                                   \
    do {                                                                       \
        const char *g_ = (got), *w_ = (want);                                  \
        if (strcmp(g_, w_) != 0)                                               \
            t_fail(__LINE__, "got \"%s\", want \"%s\"", g_, w_);               \
    } while (0)

static void t_run(const char *name, void (*fn)(void))
{
    t_failed = 0;
    t_reason[0] = '\0';
    fn();
    if (t_failed) {
        printf("FAIL %s: %s\n", name, t_reason);
        n_failed++;
    } else {
        printf("PASS %s\n", name);
        n_passed++;
    }
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* ---- snprintf ------------------------------------------------------------ */

/* Formats with both libraries and compares output and return value. */
#define SAME(...)                                                              \
    do {                                                                       \
        char g_[256], w_[256];                                                 \
        int gn_ = mft_snprintf(g_, sizeof(g_), __VA_ARGS__);                   \
        int wn_ = snprintf(w_, sizeof(w_), __VA_ARGS__);                       \
        if (gn_ != wn_ || strcmp(g_, w_) != 0)                                 \
            t_fail(__LINE__, "%s: got \"%s\" (%d), want \"%s\" (%d)",          \
                   #__VA_ARGS__, g_, gn_, w_, wn_);                            \
    } while (0)

/* Some cases combine flags that C says to ignore ("%-05d"): on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"

static void test_guest_libc_snprintf_ints(void)
{
    SAME("%d", 0);
    SAME("%d|%i", 42, -42);
    SAME("%d", INT_MIN);
    SAME("%d", INT_MAX);
    SAME("%u", UINT_MAX);
    SAME("%x %X", 0xdeadbeefu, 0xdeadbeefu);
    SAME("%ld", LONG_MIN);
    SAME("%lld %llu", LLONG_MIN, ULLONG_MAX);
    SAME("%lu %lx", ULONG_MAX, ULONG_MAX);
    SAME("%zu %zd %zx", SIZE_MAX, (ssize_t)-1, (size_t)4096);
    SAME("%jd %td", INTMAX_MIN, (ptrdiff_t)-7);
    SAME("%hhd %hhu %hd %hu", 300, -1, 70000, -1);
    SAME("%+d %+d % d % d %+ d", 5, -5, 5, -5, 5);
    SAME("%#x %#X %#x", 255u, 255u, 0u);
}

static void test_guest_libc_snprintf_width(void)
{
    SAME("[%5d][%-5d][%05d]", 42, 42, -42);
    SAME("[%.3d][%8.3d][%-8.3d][%08.3d]", 7, -7, 7, 7);
    SAME("[%.0d][%5.0d][%.0x]", 0, 0, 0u);
    SAME("[%*d][%*d][%-*d]", 5, 42, -5, 42, 4, 1);
    SAME("[%.*d][%.*d]", -1, 42, 4, 42);
    SAME("[%05x][%-05d][%.5x][%#010x]", 0xabu, 3, 0xabu, 0xabu);
    SAME("[%+05d][% 05d][%+.0d]", 42, 42, 0);
    SAME("[%3c][%-3c][%c]", 'a', 'b', 'c');
    SAME("[%s][%10s][%-10s][%.2s][%.*s]", "abc", "abc", "abc", "abc", 3,
         "abcdef");
    SAME("[%.*s][%.10s][%5.1s]", 0, "abc", "ab", "xyz");
    SAME("100%% %s%%", "sure");
    SAME("%s=%d, %s=%u, %c%c", "a", -1, "b", 2u, 'o', 'k');
    SAME("%p", (void *)0x1234);
    SAME("%20p|%-20p|", (void *)0xabcdef, (void *)0xabcdef);
}

#pragma GCC diagnostic pop

static void test_guest_libc_snprintf_truncation(void)
{
    char buf[16];
    int n;

    memset(buf, 'X', sizeof(buf));
    n = mft_snprintf(buf, 5, "hello %s", "world");
    CHECK(n == 11);
    CHECK_STR(buf, "hell");
    CHECK(buf[5] == 'X');
    CHECK(mft_snprintf(NULL, 0, "%d", 12345) == 5);
    memset(buf, 'X', sizeof(buf));
    CHECK(mft_snprintf(buf, 0, "abc") == 3 && buf[0] == 'X');
    CHECK(mft_snprintf(buf, 1, "abc") == 3 && buf[0] == '\0');
    CHECK(mft_snprintf(buf, 4, "abc") == 3);
    CHECK_STR(buf, "abc");
    CHECK(mft_snprintf(buf, 3, "%d", -123456) == 7);
    CHECK_STR(buf, "-1");
}

static void test_guest_libc_snprintf_edges(void)
{
    char buf[64];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"
    mft_snprintf(buf, sizeof(buf), "%s|%.3s", (char *)NULL, (char *)NULL);
    CHECK_STR(buf, "(null)|(nu");
    mft_snprintf(buf, sizeof(buf), "%p", (void *)0);
    CHECK_STR(buf, "0x0");
    CHECK(mft_snprintf(buf, sizeof(buf), "a%qb") == 4);
    CHECK_STR(buf, "a%qb");
    CHECK(mft_snprintf(buf, sizeof(buf), "end%") == 4);
    CHECK_STR(buf, "end%");
#pragma GCC diagnostic pop
    CHECK(mft_snprintf(buf, sizeof(buf), "%s", "") == 0);
    CHECK_STR(buf, "");
    CHECK(mft_snprintf(buf, sizeof(buf), "%1000d", 1) == 1000);
    CHECK(strlen(buf) == sizeof(buf) - 1);
}

/* ---- strtol family ------------------------------------------------------- */

static const char *const nr_inputs[] = {
    "0",
    "42",
    "-42",
    "  +17xyz",
    "\t\n 12",
    "0x1f",
    "0X1F",
    "0x",
    "0xg",
    "-0x10",
    "077",
    "08",
    "1010",
    "zZ",
    "z",
    "",
    "   ",
    "-",
    "+",
    "+-1",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "-18446744073709551615",
    "-1",
    "99999999999999999999999999",
    "7fffffff",
    "ffffffffffffffff",
    "10000000000000000",
    "1y",
};

static const int nr_bases[] = {0, 2, 8, 10, 16, 36};

/* Runs one parser of each library on s and compares value, end and errno.
 */
#define NR_SAME(fn, s, base)                                                   \
    do {                                                                       \
        char *ge_, *we_;                                                       \
        int gerr_, werr_;                                                      \
        mft_errno = 0;                                                         \
        errno = 0;                                                             \
        __typeof__(fn(s, NULL, 0)) g_ = mft_##fn(s, &ge_, base);               \
        __typeof__(fn(s, NULL, 0)) w_ = fn(s, &we_, base);                     \
        gerr_ = mft_errno;                                                     \
        werr_ = errno;                                                         \
        if (g_ != w_ || ge_ != we_ || gerr_ != werr_)                          \
            t_fail(__LINE__,                                                   \
                   #fn "(\"%s\", %d): got %lld end+%td errno %d, "             \
                       "want %lld end+%td errno %d",                           \
                   s, base, (long long)g_, ge_ - (s), gerr_, (long long)w_,    \
                   we_ - (s), werr_);                                          \
    } while (0)

static void test_guest_libc_strtol_vs_glibc(void)
{
    size_t i, j;

    for (i = 0; i < sizeof(nr_inputs) / sizeof(nr_inputs[0]); i++) {
        for (j = 0; j < sizeof(nr_bases) / sizeof(nr_bases[0]); j++) {
            NR_SAME(strtol, nr_inputs[i], nr_bases[j]);
            NR_SAME(strtoul, nr_inputs[i], nr_bases[j]);
            NR_SAME(strtoll, nr_inputs[i], nr_bases[j]);
            NR_SAME(strtoull, nr_inputs[i], nr_bases[j]);
        }
    }
}

static void test_guest_libc_strtol_edges(void)
{
    const char *s = "123";
    char *end;

    mft_errno = 0;
    CHECK(mft_strtol("9223372036854775808", NULL, 10) == LONG_MAX);
    CHECK(mft_errno == ERANGE);
    mft_errno = 0;
    CHECK(mft_strtol("-9223372036854775809", &end, 10) == LONG_MIN);
    CHECK(mft_errno == ERANGE && *end == '\0');
    mft_errno = 0;
    CHECK(mft_strtol("-9223372036854775808", NULL, 10) == LONG_MIN);
    CHECK(mft_errno == 0);
    CHECK(mft_strtoul("-1", NULL, 10) == ULONG_MAX);
    mft_errno = 0;
    CHECK(mft_strtol(s, &end, 1) == 0 && end == s && mft_errno == EINVAL);
    mft_errno = 0;
    CHECK(mft_strtol(s, &end, 37) == 0 && end == s && mft_errno == EINVAL);
    CHECK(mft_strtol("0x", &end, 16) == 0 && *end == 'x');
    CHECK(mft_strtol("zz", NULL, 36) == 35 * 36 + 35);
    CHECK(mft_atoi("  -2147483648") == INT_MIN);
    CHECK(mft_atoi("2147483647") == INT_MAX);
    CHECK(mft_atoi("12abc") == 12 && mft_atoi("abc") == 0);
}

/* ---- strings and memory -------------------------------------------------- */

static const char *const str_inputs[] = {
    "",          "a",    "abc",  "abd",          "ab",           "ABC", "aBc",
    "abcabcabd", "\xff", "\x7f", "hello, world", "Hello, World", "zzz",
};
#define N_STR (sizeof(str_inputs) / sizeof(str_inputs[0]))

static void test_guest_libc_string_compare(void)
{
    size_t i, j, n;

    for (i = 0; i < N_STR; i++) {
        const char *a = str_inputs[i];

        CHECK(mft_strlen(a) == strlen(a));
        CHECK(mft_strnlen(a, 2) == strnlen(a, 2));
        for (j = 0; j < N_STR; j++) {
            const char *b = str_inputs[j];

            CHECK(sign(mft_strcmp(a, b)) == sign(strcmp(a, b)));
            CHECK(sign(mft_strcasecmp(a, b)) == sign(strcasecmp(a, b)));
            for (n = 0; n < 5; n++) {
                CHECK(sign(mft_strncmp(a, b, n)) == sign(strncmp(a, b, n)));
                CHECK(sign(mft_strncasecmp(a, b, n)) ==
                      sign(strncasecmp(a, b, n)));
            }
            n = strlen(a) < strlen(b) ? strlen(a) : strlen(b);
            CHECK(sign(mft_memcmp(a, b, n + 1)) == sign(memcmp(a, b, n + 1)));
            CHECK(mft_strstr(a, b) == strstr(a, b));
        }
    }
}

static void test_guest_libc_string_search(void)
{
    const char *s = "abcabcabd";
    int c;

    for (c = 0; c < 256; c += 1) {
        CHECK(mft_strchr(s, c) == strchr(s, c));
        CHECK(mft_strrchr(s, c) == strrchr(s, c));
        CHECK(mft_memchr(s, c, 9) == memchr(s, c, 9));
    }
    CHECK(mft_strchr(s, '\0') == s + 9);
    CHECK(mft_strstr("aaab", "aab") == strstr("aaab", "aab"));
    CHECK(mft_strstr(s, "") == s);
    CHECK(mft_strstr("", "") != NULL);
    CHECK(mft_strstr("ab", "abc") == NULL);
}

static void test_guest_libc_string_copy(void)
{
    char buf[16];

    memset(buf, 'X', sizeof(buf));
    CHECK(mft_strcpy(buf, "abc") == buf);
    CHECK(memcmp(buf, "abc\0X", 5) == 0);
    memset(buf, 'X', sizeof(buf));
    CHECK(mft_strncpy(buf, "ab", 6) == buf);
    CHECK(memcmp(buf, "ab\0\0\0\0X", 7) == 0);
    memset(buf, 'X', sizeof(buf));
    mft_strncpy(buf, "abcdef", 3);
    CHECK(memcmp(buf, "abcX", 4) == 0);
    memset(buf, 'X', sizeof(buf));
    CHECK(mft_memset(buf + 1, 0x1ab, 3) == buf + 1);
    CHECK(memcmp(buf, "X\xab\xab\xabX", 5) == 0);
    CHECK(mft_memcpy(buf, "0123456789", 10) == buf);
    CHECK(memcmp(buf, "0123456789", 10) == 0);
    CHECK(mft_memcpy(buf, "zz", 0) == buf && buf[0] == '0');
}

/* memmove against a byte-by-byte reference, for every overlap. */
static void test_guest_libc_memmove(void)
{
    unsigned char got[64], want[64], tmp[64];
    size_t src, dst, n, i;

    for (src = 0; src < 24; src++) {
        for (dst = 0; dst < 24; dst++) {
            for (n = 0; n < 24; n++) {
                for (i = 0; i < sizeof(got); i++)
                    got[i] = want[i] = (unsigned char)i;
                memcpy(tmp, want + src, n);
                memcpy(want + dst, tmp, n);
                CHECK(mft_memmove(got + dst, got + src, n) == got + dst);
                CHECK(memcmp(got, want, sizeof(got)) == 0);
            }
        }
    }
}

static void test_guest_libc_ctype(void)
{
    int c;

    for (c = -1; c < 256; c++) {
        CHECK(!mft_isalnum(c) == !isalnum(c));
        CHECK(!mft_isalpha(c) == !isalpha(c));
        CHECK(!mft_isblank(c) == !isblank(c));
        CHECK(!mft_iscntrl(c) == !iscntrl(c));
        CHECK(!mft_isdigit(c) == !isdigit(c));
        CHECK(!mft_isgraph(c) == !isgraph(c));
        CHECK(!mft_islower(c) == !islower(c));
        CHECK(!mft_isprint(c) == !isprint(c));
        CHECK(!mft_ispunct(c) == !ispunct(c));
        CHECK(!mft_isspace(c) == !isspace(c));
        CHECK(!mft_isupper(c) == !isupper(c));
        CHECK(!mft_isxdigit(c) == !isxdigit(c));
        CHECK(mft_tolower(c) == tolower(c));
        CHECK(mft_toupper(c) == toupper(c));
    }
}

/* ---- heap ---------------------------------------------------------------- */

#define HEAP_SIZE (1u << 20)
static _Alignas(16) unsigned char heap[HEAP_SIZE];

static void heap_reset(unsigned char dirt)
{
    memset(heap, dirt, sizeof(heap));
    mft_mf__heap_init(heap, heap + sizeof(heap));
}

static int heap_owns(const void *p, size_t n)
{
    const unsigned char *c = p;

    return c >= heap && c + n <= heap + sizeof(heap);
}

static void test_guest_libc_malloc_alignment(void)
{
    void *p, *q;
    size_t n;

    heap_reset(0);
    for (n = 0; n < 300; n++) {
        p = mft_malloc(n);
        CHECK(p != NULL && ((uintptr_t)p & 15) == 0 && heap_owns(p, n));
        memset(p, 0x5a, n);
    }
    p = mft_malloc(0);
    q = mft_malloc(0);
    CHECK(p != NULL && q != NULL && p != q);
}

static void test_guest_libc_malloc_oom(void)
{
    void *p, *q;

    heap_reset(0);
    mft_errno = 0;
    CHECK(mft_malloc(HEAP_SIZE) == NULL && mft_errno == ENOMEM);
    CHECK(mft_malloc(SIZE_MAX) == NULL);
    CHECK(mft_malloc(SIZE_MAX - 8) == NULL);
    CHECK(mft_calloc(SIZE_MAX / 2, 4) == NULL);
    CHECK(mft_calloc((size_t)1 << 33, (size_t)1 << 33) == NULL);
    p = mft_malloc(HEAP_SIZE / 2);
    CHECK(p != NULL);
    CHECK(mft_malloc(HEAP_SIZE / 2) == NULL);
    memset(p, 0x11, 64);
    CHECK(mft_realloc(p, HEAP_SIZE * 2) == NULL);
    CHECK(mft_realloc(p, SIZE_MAX) == NULL);
    CHECK(((unsigned char *)p)[63] == 0x11);
    q = mft_malloc(HEAP_SIZE / 4);
    CHECK(q != NULL);
    mft_free(p);
    mft_free(q);
    /* Everything is free again and merged: one block of almost all. */
    CHECK(mft_malloc(HEAP_SIZE - 64) != NULL);

    mft_mf__heap_init(heap, heap + 40);
    CHECK(mft_malloc(1) == NULL);
    mft_mf__heap_init(heap + 8, heap);
    CHECK(mft_malloc(1) == NULL);
}

static int is_filled(const unsigned char *p, size_t n, unsigned char v)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != v)
            return 0;
    }
    return 1;
}

static void test_guest_libc_realloc(void)
{
    unsigned char *p, *q, *r, *s;

    heap_reset(0xaa);
    CHECK((p = mft_realloc(NULL, 100)) != NULL);
    memset(p, 1, 100);
    p = mft_realloc(p, 5000); /* grows into the top */
    CHECK(p != NULL && is_filled(p, 100, 1));
    memset(p, 2, 5000);
    q = mft_malloc(10);
    p = mft_realloc(p, 20000); /* blocked by q: moves */
    CHECK(p != NULL && is_filled(p, 5000, 2) && heap_owns(p, 20000));
    memset(p, 3, 20000);
    p = mft_realloc(p, 10); /* shrinks in place */
    CHECK(p != NULL && is_filled(p, 10, 3));
    r = mft_malloc(15000); /* fits in what the shrink gave back */
    CHECK(r != NULL && r > p && r < p + 20000);
    s = mft_malloc(10);
    memset(r, 4, 15000);
    memset(s, 5, 10);
    CHECK(is_filled(p, 10, 3));
    mft_free(r);
    CHECK(mft_realloc(p, 12000) == p); /* grows into its free neighbour */
    CHECK(is_filled(p, 10, 3) && is_filled(s, 10, 5));
    memset(p, 6, 12000);
    CHECK(is_filled(s, 10, 5));
    CHECK(mft_realloc(p, 0) == p);
    mft_free(p);
    mft_free(q);
    mft_free(s);
    CHECK(mft_malloc(HEAP_SIZE - 64) != NULL);
}

static void test_guest_libc_calloc(void)
{
    unsigned char *p;

    heap_reset(0xaa);
    p = mft_malloc(1000);
    memset(p, 0xbb, 1000);
    mft_free(p);
    p = mft_calloc(10, 100);
    CHECK(p != NULL && is_filled(p, 1000, 0));
    p = mft_calloc(0, 100);
    CHECK(p != NULL);
}

static int aborted(void (*fn)(void *), void *arg)
{
    abort_reason = NULL;
    if (setjmp(abort_jmp) == 0) {
        fn(arg);
        return 0;
    }
    return abort_reason != NULL;
}

static void do_free(void *p)
{
    mft_free(p);
}

static void do_realloc(void *p)
{
    mft_realloc(p, 10);
}

static void test_guest_libc_free_misuse(void)
{
    char *a, *b, *c;

    heap_reset(0);
    a = mft_malloc(64);
    b = mft_malloc(64);
    c = mft_malloc(64);
    mft_free(NULL);
    mft_free(b);
    CHECK(aborted(do_free, b));
    mft_free(a); /* merges with b */
    CHECK(aborted(do_free, a));
    CHECK(aborted(do_free, b));
    CHECK(aborted(do_free, c + 8));
    CHECK(aborted(do_free, c + 1));
    CHECK(aborted(do_realloc, a));
    CHECK(aborted(do_free, heap + sizeof(heap) - 64));
    CHECK(!aborted(do_free, c));
}

/* Random allocations, frees and reallocs; each block is filled with its own
 * byte and checked before it goes away, so overlaps show up. */
#define SLOTS 512

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t rng_size(void)
{
    switch (rng() % 4) {
    case 0: return rng() % 32;
    case 1: return rng() % 512;
    case 2: return rng() % 4096;
    default: return rng() % 40000;
    }
}

struct slot {
    unsigned char *p;
    size_t n;
};

static void slot_check_free(struct slot *s, int id)
{
    CHECK(is_filled(s->p, s->n, (unsigned char)id));
    mft_free(s->p);
    s->p = NULL;
}

static void slot_step(struct slot *s, int id)
{
    size_t n = rng_size();
    unsigned char *p;

    if (s->p != NULL && rng() % 3 == 0) {
        slot_check_free(s, id);
        return;
    }
    if (s->p != NULL) {
        p = mft_realloc(s->p, n);
        if (p == NULL)
            return;
        CHECK(is_filled(p, n < s->n ? n : s->n, (unsigned char)id));
    } else if ((p = mft_malloc(n)) == NULL) {
        return;
    }
    CHECK(((uintptr_t)p & 15) == 0 && heap_owns(p, n));
    memset(p, id, n);
    s->p = p;
    s->n = n;
}

static void test_guest_libc_malloc_stress(void)
{
    static struct slot slots[SLOTS];
    int i, id;

    heap_reset(0);
    memset(slots, 0, sizeof(slots));
    for (i = 0; i < 200000 && !t_failed; i++) {
        id = (int)(rng() % SLOTS);
        slot_step(&slots[id], id);
    }
    for (id = 0; id < SLOTS; id++) {
        if (slots[id].p != NULL)
            slot_check_free(&slots[id], id);
    }
    CHECK(mft_malloc(HEAP_SIZE - 64) != NULL);
}

int main(void)
{
    t_run("test_guest_libc_snprintf_ints", test_guest_libc_snprintf_ints);
    t_run("test_guest_libc_snprintf_width", test_guest_libc_snprintf_width);
    t_run("test_guest_libc_snprintf_truncation",
          test_guest_libc_snprintf_truncation);
    t_run("test_guest_libc_snprintf_edges", test_guest_libc_snprintf_edges);
    t_run("test_guest_libc_strtol_vs_glibc", test_guest_libc_strtol_vs_glibc);
    t_run("test_guest_libc_strtol_edges", test_guest_libc_strtol_edges);
    t_run("test_guest_libc_string_compare", test_guest_libc_string_compare);
    t_run("test_guest_libc_string_search", test_guest_libc_string_search);
    t_run("test_guest_libc_string_copy", test_guest_libc_string_copy);
    t_run("test_guest_libc_memmove", test_guest_libc_memmove);
    t_run("test_guest_libc_ctype", test_guest_libc_ctype);
    t_run("test_guest_libc_malloc_alignment", test_guest_libc_malloc_alignment);
    t_run("test_guest_libc_malloc_oom", test_guest_libc_malloc_oom);
    t_run("test_guest_libc_realloc", test_guest_libc_realloc);
    t_run("test_guest_libc_calloc", test_guest_libc_calloc);
    t_run("test_guest_libc_free_misuse", test_guest_libc_free_misuse);
    t_run("test_guest_libc_malloc_stress", test_guest_libc_malloc_stress);
    printf("%d passed, %d failed\n", n_passed, n_failed);
    return n_failed != 0;
}
