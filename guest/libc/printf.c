/* printf.c: snprintf and vsnprintf, integer and string conversions only. */
#define MF_LIBC_INTERNAL
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Output sink: stores what fits, counts everything. */
struct pf_out {
    char *buf;
    size_t size;
    size_t len;
};

/* One conversion specification, as parsed from the format. */
struct pf_spec {
    int left;  /* '-' */
    int zero;  /* '0' */
    int sign;  /* '+' or ' ' to print before non-negative numbers, or 0 */
    int alt;   /* '#' */
    int width; /* 0 if none */
    int prec;  /* -1 if none */
    int mod;   /* length modifier, see pf_mod() */
    char conv;
};

enum { PF_INT, PF_CHAR, PF_SHORT, PF_LONG, PF_LLONG, PF_SIZE };

/* Widths and precisions beyond this are clamped: no output is that big. */
#define PF_NUM_MAX (INT_MAX / 16)

static void pf_putc(struct pf_out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pf_put(struct pf_out *o, const char *s, size_t n)
{
    while (n-- > 0)
        pf_putc(o, *s++);
}

static void pf_pad(struct pf_out *o, char c, int n)
{
    while (n-- > 0)
        pf_putc(o, c);
}

static int pf_num(const char **f)
{
    int v = 0;

    while (**f >= '0' && **f <= '9') {
        if (v < PF_NUM_MAX)
            v = v * 10 + (**f - '0');
        (*f)++;
    }
    return v < PF_NUM_MAX ? v : PF_NUM_MAX;
}

static const char *pf_flags(const char *f, struct pf_spec *sp)
{
    for (;; f++) {
        if (*f == '-')
            sp->left = 1;
        else if (*f == '0')
            sp->zero = 1;
        else if (*f == '+')
            sp->sign = '+';
        else if (*f == ' ')
            sp->sign = sp->sign != 0 ? sp->sign : ' '; /* '+' wins */
        else if (*f == '#')
            sp->alt = 1;
        else
            return f;
    }
}

/* A negative width from '*' means '-' and its absolute value. */
static const char *pf_width(const char *f, struct pf_spec *sp, va_list *ap)
{
    int w;

    if (*f != '*') {
        sp->width = pf_num(&f);
        return f;
    }
    w = va_arg(*ap, int);
    if (w < 0) {
        sp->left = 1;
        w = w == INT_MIN ? INT_MAX : -w;
    }
    sp->width = w < PF_NUM_MAX ? w : PF_NUM_MAX;
    return f + 1;
}

/* A negative precision from '*' counts as none. */
static const char *pf_prec(const char *f, struct pf_spec *sp, va_list *ap)
{
    int p;

    if (*f != '.')
        return f;
    f++;
    if (*f != '*') {
        sp->prec = pf_num(&f);
        return f;
    }
    p = va_arg(*ap, int);
    sp->prec = p < 0 ? -1 : (p < PF_NUM_MAX ? p : PF_NUM_MAX);
    return f + 1;
}

static const char *pf_mod(const char *f, struct pf_spec *sp)
{
    sp->mod = PF_INT;
    if (f[0] == 'h' && f[1] == 'h') {
        sp->mod = PF_CHAR;
        return f + 2;
    }
    if (f[0] == 'l' && f[1] == 'l') {
        sp->mod = PF_LLONG;
        return f + 2;
    }
    if (f[0] == 'h')
        sp->mod = PF_SHORT;
    else if (f[0] == 'l' || f[0] == 't')
        sp->mod = PF_LONG;
    else if (f[0] == 'j')
        sp->mod = PF_LLONG;
    else if (f[0] == 'z')
        sp->mod = PF_SIZE;
    else
        return f;
    return f + 1;
}

static long long pf_signed_arg(const struct pf_spec *sp, va_list *ap)
{
    switch (sp->mod) {
    case PF_CHAR: return (signed char)va_arg(*ap, int);
    case PF_SHORT: return (short)va_arg(*ap, int);
    case PF_LONG:
    case PF_SIZE: return va_arg(*ap, long);
    case PF_LLONG: return va_arg(*ap, long long);
    default: return va_arg(*ap, int);
    }
}

static unsigned long long pf_unsigned_arg(const struct pf_spec *sp, va_list *ap)
{
    switch (sp->mod) {
    case PF_CHAR: return (unsigned char)va_arg(*ap, unsigned);
    case PF_SHORT: return (unsigned short)va_arg(*ap, unsigned);
    case PF_LONG: return va_arg(*ap, unsigned long);
    case PF_SIZE: return va_arg(*ap, size_t);
    case PF_LLONG: return va_arg(*ap, unsigned long long);
    default: return va_arg(*ap, unsigned);
    }
}

/* Prints prefix, zeros up to the precision, and the digits of v, padded to
 * the width. A precision of 0 prints no digits for the value 0. */
static void pf_int(struct pf_out *o, const struct pf_spec *sp,
                   unsigned long long v, const char *prefix)
{
    const char *digits =
        sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned base =
        (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') ? 16 : 10;
    char tmp[24];
    int n = 0, zeros, pad, plen = (int)strlen(prefix);

    for (; v != 0; v /= base)
        tmp[n++] = digits[v % base];
    if (n == 0 && sp->prec != 0)
        tmp[n++] = '0';
    zeros = sp->prec > n ? sp->prec - n : 0;
    pad = sp->width - plen - zeros - n;
    if (pad > 0 && sp->zero && !sp->left && sp->prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        pf_pad(o, ' ', pad);
    pf_put(o, prefix, (size_t)plen);
    pf_pad(o, '0', zeros);
    while (n > 0)
        pf_putc(o, tmp[--n]);
    if (sp->left)
        pf_pad(o, ' ', pad);
}

static void pf_signed(struct pf_out *o, const struct pf_spec *sp, long long v)
{
    char prefix[2] = {(char)sp->sign, '\0'};
    /* Negating in unsigned arithmetic is defined for LLONG_MIN as well. */
    unsigned long long mag =
        v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    if (v < 0)
        prefix[0] = '-';
    pf_int(o, sp, mag, prefix);
}

static void pf_unsigned(struct pf_out *o, const struct pf_spec *sp,
                        unsigned long long v)
{
    const char *prefix = "";

    if (sp->conv == 'p' || (sp->alt && v != 0 && sp->conv == 'x'))
        prefix = "0x";
    else if (sp->alt && v != 0 && sp->conv == 'X')
        prefix = "0X";
    pf_int(o, sp, v, prefix);
}

static void pf_str(struct pf_out *o, const struct pf_spec *sp, const char *s,
                   size_t n)
{
    int pad = sp->width > (int)n ? sp->width - (int)n : 0;

    if (!sp->left)
        pf_pad(o, ' ', pad);
    pf_put(o, s, n);
    if (sp->left)
        pf_pad(o, ' ', pad);
}

static void pf_string_arg(struct pf_out *o, const struct pf_spec *sp,
                          const char *s)
{
    size_t max = sp->prec < 0 ? SIZE_MAX : (size_t)sp->prec;

    if (s == NULL)
        s = "(null)";
    pf_str(o, sp, s, strnlen(s, max));
}

static void pf_convert(struct pf_out *o, struct pf_spec *sp, va_list *ap)
{
    char c;

    switch (sp->conv) {
    case 'd':
    case 'i': pf_signed(o, sp, pf_signed_arg(sp, ap)); break;
    case 'u':
    case 'x':
    case 'X': pf_unsigned(o, sp, pf_unsigned_arg(sp, ap)); break;
    case 'p': pf_unsigned(o, sp, (uintptr_t)va_arg(*ap, void *)); break;
    case 'c':
        c = (char)va_arg(*ap, int);
        pf_str(o, sp, &c, 1);
        break;
    case 's': pf_string_arg(o, sp, va_arg(*ap, const char *)); break;
    default: /* '%', and unknown conversions are printed as they are */
        pf_putc(o, '%');
        if (sp->conv != '%')
            pf_putc(o, sp->conv);
        break;
    }
}

/* Parses the specification after a '%' and prints it; returns the format
 * position after it. */
static const char *pf_spec(struct pf_out *o, const char *f, va_list *ap)
{
    struct pf_spec sp = {.prec = -1};

    f = pf_flags(f, &sp);
    f = pf_width(f, &sp, ap);
    f = pf_prec(f, &sp, ap);
    f = pf_mod(f, &sp);
    if (*f == '\0') {
        pf_putc(o, '%');
        return f;
    }
    sp.conv = *f;
    pf_convert(o, &sp, ap);
    return f + 1;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
              va_list ap)
{
    struct pf_out o = {buf, size, 0};
    const char *f = fmt;
    va_list args;

    va_copy(args, ap);
    while (*f != '\0') {
        if (*f == '%')
            f = pf_spec(&o, f + 1, &args);
        else
            pf_putc(&o, *f++);
    }
    va_end(args);
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len > INT_MAX ? -1 : (int)o.len;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
