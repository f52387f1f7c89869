/*
 * Time of one `ggplace mem` (or `ggplace plan`) on a header, in process:
 * open the model, resolve the context, place every tensor, size caches and
 * replay the compute graph (plan: the whole search).
 *
 *   bench_mem [--plan] MODEL.gguf [RUNS]
 *   bench_mem [--plan] --synthetic LAYERS [RUNS]   an MoE header of 10 tensors per
 *                                          layer (LAYERS 100 -> 1003 tensors), in /tmp
 * mem runs with -c 32768 on two 24 GiB GPUs; plan with one 8 GiB GPU and
 * 64 GiB of RAM, which makes it spill experts and search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_timer.h"

#include "hw/gpu_spec.h"
#include "memory/device.h"
#include "memory/mem.h"
#include "model/model.h"
#include "model_builder.h"
#include "plan/plan.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_mem MODEL.gguf [RUNS] | --synthetic LAYERS [RUNS]\n");
        return 2;
    }
    bool plan = argc > 1 && strcmp(argv[1], "--plan") == 0;
    if (plan) {
        argv++;
        argc--;
    }
    if (argc < 2)
        return 2;
    const char *path = argv[1];
    int argi = 2;
    char tmp[64];
    if (strcmp(argv[1], "--synthetic") == 0 && argc > 2) {
        mb_spec s = {.arch = "qwen3moe", .n_layer = (uint32_t)atoi(argv[2]), .n_embd = 2048,
                     .n_head = 32, .n_head_kv = 4, .head_dim = 128, .n_vocab = 151936,
                     .n_ctx_train = 40960, .n_expert = 128, .n_expert_used = 8, .n_ff_exp = 768,
                     .weight_type = 12};
        gw *w = mb_build(&s);
        snprintf(tmp, sizeof tmp, "/tmp/ggplace-bench-%d.gguf", (int)s.n_layer);
        if (!gw_write(w, tmp, false))
            return 1;
        gw_free(w);
        path = tmp;
        argi = 3;
    }
    int runs = argc > argi ? atoi(argv[argi]) : 50;
    if (runs < 1)
        runs = 1;
    double *t = malloc((size_t)runs * sizeof *t);
    uint64_t n_tensors = 0;
    for (int i = 0; i < runs; i++) {
        double t0 = bench_now_ms();
        gp_model *m = NULL;
        gp_error err;
        if (gp_model_open(path, &m, &err) != GP_OK) {
            fprintf(stderr, "bench_mem: %s: %s\n", err.file, err.message);
            return 1;
        }
        gp_devices d;
        gp_devices_init(&d);
        if (plan) {
            d.dev[0].total = d.dev[0].free = 64ull << 30;
            gp_devices_add_gpu_spec(&d, "8GiB", NULL);
            gp_plan_request req;
            gp_plan_request_default(&req);
            gp_plan pl;
            if (gp_plan_make(m, &d, &req, &pl, &err) != GP_OK) {
                fprintf(stderr, "bench_mem: %s\n", err.message);
                return 1;
            }
            gp_plan_free(&pl);
            n_tensors = m->n_tensors;
            gp_model_close(&m);
            t[i] = bench_now_ms() - t0;
            continue;
        }
        gp_devices_add_gpu_spec(&d, "24GiB", NULL);
        gp_devices_add_gpu_spec(&d, "24GiB", NULL);
        gp_run_params p;
        gp_run_params_default(&p, GP_APP_SERVER);
        p.n_ctx = 32768;
        gp_mem_result r;
        if (gp_mem_estimate(m, &p, &d, &r, &err) != GP_OK) {
            fprintf(stderr, "bench_mem: %s\n", err.message);
            return 1;
        }
        gp_mem_result_free(&r);
        n_tensors = m->n_tensors;
        gp_model_close(&m);
        t[i] = bench_now_ms() - t0;
    }
    char prefix[1200];
    snprintf(prefix, sizeof prefix, "%s %s: %llu tensors, ",
             plan ? "plan (one 8 GiB GPU, 64 GiB RAM)" : "mem (-c 32768, two 24 GiB GPUs)", path,
             (unsigned long long)n_tensors);
    bench_report(prefix, t, runs);
    free(t);
    return 0;
}
