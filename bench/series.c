/* series.c: lists of durations and their percentiles, for the benches. */
#include <stdlib.h>

#include "bench/series.h"

void series_push(struct series *s, uint64_t v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v)
            abort();
    }
    s->v[s->n++] = v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

void series_sort(struct series *s)
{
    if (s->n)
        qsort(s->v, s->n, sizeof(uint64_t), cmp_u64);
}

double series_pct_us(const struct series *s, double p)
{
    size_t i;

    if (!s->n)
        return 0;
    i = (size_t)(p / 100.0 * (double)s->n + 0.5);
    i = i ? i - 1 : 0;
    return (double)s->v[i < s->n ? i : s->n - 1] / 1000.0;
}

double series_mean_us(const struct series *s)
{
    double sum = 0;

    for (size_t i = 0; i < s->n; i++)
        sum += (double)s->v[i];
    return s->n ? sum / (double)s->n / 1000.0 : 0;
}
