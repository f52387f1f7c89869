/*
 * libFuzzer target for the GGUF reader and everything built on a header:
 * the model view, inspect's JSON, and the memory model (CPU only, and with
 * two described GPUs and a partial offload).
 *
 *   cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DGGPLACE_FUZZ=ON -DGGPLACE_TESTS=OFF
 *   cmake --build build-fuzz --target fuzz_gguf
 *   mkdir -p fuzz/findings && build-fuzz/fuzz/fuzz_gguf fuzz/findings fuzz/corpus -max_total_time=600
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gguf/gguf.h"
#include "memory/mem.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void estimate(const gp_model *m, int n_gpu, int32_t ngl, int64_t n_ctx)
{
    gp_devices d;
    gp_devices_init(&d);
    for (int i = 0; i < n_gpu; i++)
        gp_devices_add_gpu_spec(&d, "8GiB", NULL);
    gp_run_params p;
    gp_run_params_default(&p, GP_APP_SERVER);
    p.n_gpu_layers = ngl;
    p.n_ctx = n_ctx;
    gp_mem_result r;
    gp_error err;
    if (gp_mem_estimate(m, &p, &d, &r, &err) == GP_OK)
        gp_mem_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gp_gguf *g = NULL;
    gp_error err;
    if (gp_gguf_open_memory(data, size, "fuzz.gguf", &g, &err) != GP_OK)
        return 0;
    gp_gguf **shards = malloc(sizeof *shards);
    if (!shards) {
        gp_gguf_close(&g);
        return 0;
    }
    shards[0] = g;
    gp_model *m = NULL;
    if (gp_model_from_shards("fuzz.gguf", shards, 1, &m, &err) == GP_OK) {
        char *json = NULL;
        if (gp_model_inspect_json(m, true, &json, &err) == GP_OK)
            free(json);
        /* A small context keeps the compute replay quick on absurd shapes. */
        estimate(m, 0, GP_NGL_AUTO, 512);
        estimate(m, 2, 2, 256);
        gp_model_close(&m);
    }
    return 0;
}
