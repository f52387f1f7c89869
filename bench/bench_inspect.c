/*
 * Time of `inspect --json` on a model header, in process: open (map and
 * parse every key and tensor info), build the model view, render JSON.
 *
 *   bench_inspect MODEL.gguf [RUNS]     prints min / median / max in ms
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ggplace.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_inspect MODEL.gguf [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 50;
    if (runs < 1)
        runs = 1;
    double *t = malloc((size_t)runs * sizeof *t);
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        gp_model *m = NULL;
        gp_error err;
        if (gp_model_open(argv[1], &m, &err) != GP_OK) {
            fprintf(stderr, "bench_inspect: %s: %s\n", err.file, err.message);
            return 1;
        }
        char *json = NULL;
        if (gp_model_inspect_json(m, false, &json, &err) != GP_OK)
            return 1;
        free(json);
        gp_model_close(&m);
        t[i] = now_ms() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp);
    printf("inspect --json %s: runs %d, min %.2f ms, median %.2f ms, max %.2f ms\n",
           argv[1], runs, t[0], t[runs / 2], t[runs - 1]);
    free(t);
    return 0;
}
