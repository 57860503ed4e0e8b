/* strtol.c: number parsing (strtol family, atoi) and abs. */
#define MF_LIBC_INTERNAL
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

/* What the common parser found. */
struct nr_parse {
    unsigned long long mag; /* magnitude, ULLONG_MAX if it overflowed */
    int neg;
    int overflow;
};

static int nr_digit(int c)
{
    if (isdigit(c))
        return c - '0';
    if (islower(c))
        return c - 'a' + 10;
    if (isupper(c))
        return c - 'A' + 10;
    return 36;
}

/* Skips an "0x"/"0X" prefix when a hex digit follows it, and settles a base
 * of 0 from the prefix. */
static const char *nr_prefix(const char *s, int *base)
{
    int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
              nr_digit((unsigned char)s[2]) < 16;

    if ((*base == 0 || *base == 16) && hex) {
        *base = 16;
        return s + 2;
    }
    if (*base == 0)
        *base = s[0] == '0' ? 8 : 10;
    return s;
}

/* Parses space, sign, prefix and digits of s. Sets *end to the first byte
 * not used, or to s when there were no digits. Returns 0, or -1 for a bad
 * base. */
static int nr_parse(const char *s, char **end, int base, struct nr_parse *r)
{
    const char *p = s, *digits;
    int d;

    r->mag = 0;
    r->neg = 0;
    r->overflow = 0;
    if (end != NULL)
        *end = (char *)s;
    if (base < 0 || base == 1 || base > 36)
        return -1;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        r->neg = *p++ == '-';
    p = digits = nr_prefix(p, &base);
    for (; (d = nr_digit((unsigned char)*p)) < base; p++) {
        if (r->mag > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
            r->overflow = 1;
        else
            r->mag = r->mag * (unsigned)base + (unsigned)d;
    }
    if (r->overflow)
        r->mag = ULLONG_MAX;
    if (end != NULL && p != digits)
        *end = (char *)p;
    return 0;
}

unsigned long long strtoull(const char *restrict s, char **restrict end,
                            int base)
{
    struct nr_parse r;

    if (nr_parse(s, end, base, &r) < 0) {
        errno = EINVAL;
        return 0;
    }
    if (r.overflow) {
        errno = ERANGE;
        return ULLONG_MAX;
    }
    /* C wants "-1" to parse as ULLONG_MAX: negate in unsigned arithmetic. */
    return r.neg ? 0ull - r.mag : r.mag;
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
    struct nr_parse r;

    if (nr_parse(s, end, base, &r) < 0) {
        errno = EINVAL;
        return 0;
    }
    if (!r.neg && r.mag > (unsigned long long)LLONG_MAX) {
        errno = ERANGE;
        return LLONG_MAX;
    }
    if (r.neg && r.mag > (unsigned long long)LLONG_MAX + 1) {
        errno = ERANGE;
        return LLONG_MIN;
    }
    if (r.neg)
        return r.mag == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN
                                                          : -(long long)r.mag;
    return (long long)r.mag;
}

/* long and long long are both 64 bits on x86-64. */
_Static_assert(sizeof(long) == sizeof(long long), "LP64 expected");

long strtol(const char *restrict s, char **restrict end, int base)
{
    return strtoll(s, end, base);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
    return strtoull(s, end, base);
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
    return strtol(s, NULL, 10);
}

int abs(int v)
{
    return v < 0 ? -v : v;
}

long labs(long v)
{
    return v < 0 ? -v : v;
}
