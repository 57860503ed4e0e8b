/* series.h: lists of durations and their percentiles, for the benches. */
#ifndef MAYFLY_BENCH_SERIES_H
#define MAYFLY_BENCH_SERIES_H

#include <stddef.h>
#include <stdint.h>

/* A growable list of durations in nanoseconds. */
struct series {
    uint64_t *v;
    size_t n, cap;
};

void series_push(struct series *s, uint64_t v);
void series_sort(struct series *s);
/* Nearest-rank percentile of a sorted series, in microseconds. */
double series_pct_us(const struct series *s, double p);
double series_mean_us(const struct series *s);

#endif /* MAYFLY_BENCH_SERIES_H */
