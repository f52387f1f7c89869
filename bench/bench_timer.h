/* Timing for the benchmarks: a sub-millisecond clock and the summary line. */
#ifndef GP_BENCH_TIMER_H
#define GP_BENCH_TIMER_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts the run times and prints "runs N, min, median, max" after a prefix. */
static inline void bench_report(const char *prefix, double *t, int runs)
{
    qsort(t, (size_t)runs, sizeof *t, bench_cmp);
    printf("%sruns %d, min %.2f ms, median %.2f ms, max %.2f ms\n", prefix, runs, t[0], t[runs / 2],
           t[runs - 1]);
}

#endif
