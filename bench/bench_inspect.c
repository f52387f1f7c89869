/*
 * Time of `inspect --json` on a model header, in process: open (map and
 * parse every key and tensor info), build the model view, render JSON.
 *
 *   bench_inspect MODEL.gguf [RUNS]     prints min / median / max in ms
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_timer.h"

#include "ggplace.h"

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
        double t0 = bench_now_ms();
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
        t[i] = bench_now_ms() - t0;
    }
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "inspect --json %s: ", argv[1]);
    bench_report(prefix, t, runs);
    free(t);
    return 0;
}
